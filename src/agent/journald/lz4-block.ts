/**
 * decodeLz4Block: the LZ4 block format (sequences of a token, literals, a 16-bit match offset
 * and a match length), as systemd stores LZ4-compressed journal fields after a 64-bit size.
 * @module
 */
import { Lz4Error } from './errors.js';

/** decodeLz4Block decodes src[start, end) into exactly `size` bytes; throws Lz4Error on bad input. */
export function decodeLz4Block(src: Uint8Array, start: number, end: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let i = start;
  let o = 0;
  while (i < end) {
    const token = src[i++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= end) throw new Lz4Error(i - start, 'literal length runs past the input');
        b = src[i++]!;
        lit += b;
      } while (b === 255);
    }
    if (i + lit > end) throw new Lz4Error(i - start, 'literals run past the input');
    if (o + lit > size) throw new Lz4Error(i - start, 'literals run past the declared size');
    for (let k = 0; k < lit; k++) out[o++] = src[i++]!;
    if (i >= end) break; // the last sequence has literals only
    if (i + 2 > end) throw new Lz4Error(i - start, 'match offset cut off');
    const dist = src[i]! | (src[i + 1]! << 8);
    i += 2;
    if (dist === 0 || dist > o) throw new Lz4Error(i - 2 - start, `match offset ${dist} points before the output`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= end) throw new Lz4Error(i - start, 'match length runs past the input');
        b = src[i++]!;
        len += b;
      } while (b === 255);
    }
    if (o + len > size) throw new Lz4Error(i - start, 'match runs past the declared size');
    let from = o - dist;
    for (let k = 0; k < len; k++) out[o++] = out[from++]!;
  }
  if (o !== size) throw new Lz4Error(end - start, `decoded ${o} bytes, the header says ${size}`);
  return out;
}
