/**
 * Column codecs of a chunk block: timestamps as delta varints, line text as newline-joined
 * escaped UTF-8, and structured fields with a per-block key dictionary.
 *
 * Text escaping keeps the joined text a plain newline-separated sequence, which compresses well
 * and lets a needle be searched across a whole block with one `indexOf`: inside a line, byte
 * 0x00 is written as 0x00 0x01 and byte 0x0A (newline) as 0x00 0x02; each line ends with 0x0A.
 * @module
 */
import { DecBuf, EncBuf } from '../../encoding/index.js';

const NS_PER_MS = 1_000_000;

/**
 * encodeTimes writes `count` timestamps (in `order`, which must be non-decreasing in time) as
 * uvarints: the first as nanoseconds past `baseT` (ms), the rest as deltas to the previous one.
 */
export function encodeTimes(out: EncBuf, t: Float64Array, ns: Int32Array, order: Int32Array | undefined, count: number, baseT: number): void {
  let prev = 0;
  for (let k = 0; k < count; k++) {
    const i = order === undefined ? k : order[k]!;
    const v = (t[i]! - baseT) * NS_PER_MS + ns[i]!;
    out.putUvarint(v - prev);
    prev = v;
  }
}

/** decodeTimes reads `count` timestamps written by encodeTimes into outT/outNs. */
export function decodeTimes(buf: Uint8Array, start: number, end: number, count: number, baseT: number, outT: Float64Array, outNs: Int32Array): void {
  const d = new DecBuf(buf, start, end);
  let v = 0;
  for (let k = 0; k < count; k++) {
    v += d.uvarint();
    const ms = Math.floor(v / NS_PER_MS);
    outT[k] = baseT + ms;
    outNs[k] = v - ms * NS_PER_MS;
  }
}

/** escapedLength returns the bytes line b[start:end) takes escaped, without its newline. */
export function escapedLength(b: Uint8Array, start: number, end: number): number {
  let n = end - start;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x00 || c === 0x0a) n++;
  }
  return n;
}

/**
 * joinLines writes the newline-terminated lines src[offsets[i] : offsets[i+1] - 1) in `order`
 * into one buffer (`out` when given, of at least `outBytes`), escaped and newline-terminated.
 * `outBytes` is the exact output size.
 */
export function joinLines(src: Uint8Array, offsets: Int32Array, order: Int32Array | undefined, count: number, outBytes: number, needsEscape: boolean, into?: Buffer): Buffer {
  const out = into === undefined ? Buffer.allocUnsafe(outBytes) : into.subarray(0, outBytes);
  let o = 0;
  for (let k = 0; k < count; k++) {
    const i = order === undefined ? k : order[k]!;
    const s = offsets[i]!;
    const e = offsets[i + 1]! - 1;
    if (!needsEscape) {
      out.set(src.subarray(s, e), o);
      o += e - s;
    } else {
      for (let j = s; j < e; j++) {
        const c = src[j]!;
        if (c === 0x00) {
          out[o++] = 0x00;
          out[o++] = 0x01;
        } else if (c === 0x0a) {
          out[o++] = 0x00;
          out[o++] = 0x02;
        } else {
          out[o++] = c;
        }
      }
    }
    out[o++] = 0x0a;
  }
  if (o !== outBytes) throw new Error(`internal: joined ${o} bytes, expected ${outBytes}`);
  return out;
}

/**
 * splitLines finds the line starts of a joined text: returns `count + 1` offsets where line i
 * is text[off[i] : off[i+1] - 1) (the newline excluded). Returns undefined when the text does
 * not hold exactly `count` lines.
 */
export function splitLines(text: Buffer, count: number): Int32Array | undefined {
  const off = new Int32Array(count + 1);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    off[i] = pos;
    const nl = text.indexOf(0x0a, pos);
    if (nl < 0) return undefined;
    pos = nl + 1;
  }
  off[count] = pos;
  return pos === text.length ? off : undefined;
}

/**
 * unescapeLine decodes line text[start:end) (escaped, no newline) to a string. `escaped` tells
 * whether the block holds any 0x00 byte at all (else no line needs unescaping); `ascii` whether
 * every byte is below 0x80 (then the faster latin1 decoding is exact).
 */
export function unescapeLine(text: Buffer, start: number, end: number, escaped: boolean, ascii: boolean): string {
  if (!escaped) return text.toString(ascii ? 'latin1' : 'utf8', start, end);
  let z = -1;
  for (let i = start; i < end; i++) {
    if (text[i] === 0x00) {
      z = i;
      break;
    }
  }
  if (z < 0) return text.toString(ascii ? 'latin1' : 'utf8', start, end);
  const tmp = Buffer.allocUnsafe(end - start);
  let o = text.copy(tmp, 0, start, z);
  for (let i = z; i < end; i++) {
    const c = text[i]!;
    if (c === 0x00 && i + 1 < end) {
      const n = text[++i]!;
      tmp[o++] = n === 0x02 ? 0x0a : 0x00;
    } else {
      tmp[o++] = c;
    }
  }
  return tmp.toString('utf8', 0, o);
}

/** escapeNeedle escapes a needle's bytes the way lines are escaped, for block-level search. */
export function escapeNeedle(b: Uint8Array): Buffer {
  const n = escapedLength(b, 0, b.length);
  if (n === b.length) return Buffer.from(b);
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (const c of b) {
    if (c === 0x00) {
      out[o++] = 0;
      out[o++] = 1;
    } else if (c === 0x0a) {
      out[o++] = 0;
      out[o++] = 2;
    } else out[o++] = c;
  }
  return out;
}

/** isAscii tells whether every byte of b is below 0x80 (then latin1 decoding equals UTF-8). */
export function isAscii(b: Uint8Array): boolean {
  // Checking 4 bytes at a time through a 32-bit view would need alignment; a byte loop is
  // simple and still far cheaper than the decompression that precedes it.
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return false;
  return true;
}

/** Fields of one entry, or undefined. */
export type Fields = Readonly<Record<string, string>> | undefined;

/**
 * encodeFields writes the fields of `count` entries (in `order`): a key dictionary, then per
 * entry the number of fields and (key index, value) pairs. Returns undefined when no entry
 * has fields.
 */
export function encodeFields(fields: readonly Fields[], order: Int32Array | undefined, count: number): Uint8Array | undefined {
  let any = false;
  const keys = new Map<string, number>();
  for (let k = 0; k < count; k++) {
    const f = fields[order === undefined ? k : order[k]!];
    if (f === undefined) continue;
    for (const key of Object.keys(f)) {
      any = true;
      if (!keys.has(key)) keys.set(key, keys.size);
    }
  }
  if (!any) return undefined;
  const out = new EncBuf(1024);
  out.putUvarint(keys.size);
  for (const key of keys.keys()) out.putUvarintStr(key);
  for (let k = 0; k < count; k++) {
    const f = fields[order === undefined ? k : order[k]!];
    if (f === undefined) {
      out.putUvarint(0);
      continue;
    }
    const ks = Object.keys(f);
    out.putUvarint(ks.length);
    for (const key of ks) {
      out.putUvarint(keys.get(key)!);
      out.putUvarintStr(f[key]!);
    }
  }
  return out.get().slice();
}

/** decodeFields reads what encodeFields wrote; throws DecodeError on bad bytes. */
export function decodeFields(b: Uint8Array, count: number): Fields[] {
  const d = new DecBuf(b);
  const nk = d.uvarint();
  const keys: string[] = [];
  for (let i = 0; i < nk; i++) keys.push(d.uvarintStr());
  const out: Fields[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const n = d.uvarint();
    if (n === 0) {
      out[k] = undefined;
      continue;
    }
    const f: Record<string, string> = {};
    for (let j = 0; j < n; j++) {
      const key = keys[d.uvarint()];
      const v = d.uvarintStr();
      if (key !== undefined) f[key] = v;
    }
    out[k] = f;
  }
  return out;
}
