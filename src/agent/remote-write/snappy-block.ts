/**
 * Snappy compression, block format (what remote write and Loki's push protocol call
 * "snappy"), in plain JavaScript: the agent compresses a few hundred kilobytes per cycle, and
 * the native addon it used before cost 6–15 MB of RSS and two runtime threads for it.
 *
 * Block format: the uncompressed length as a varint, then elements, each opened by a tag byte
 * whose low two bits give the kind:
 *
 * ```
 * 00 literal     length-1 in the upper six bits (< 60), or 60..63 = 1..4 bytes of length-1 follow (LE)
 * 01 copy        length 4..11 in bits 2..4, offset bits 8..10 in bits 5..7, one more offset byte (offset < 2048)
 * 10 copy        length 1..64 as length-1 in the upper six bits, two offset bytes (LE)
 * ```
 *
 * The input is compressed 64 KiB at a time (no copy reaches back further), finding earlier
 * occurrences of four-byte sequences through a hash table, greedily.
 * @module
 */

const BLOCK = 1 << 16;
const HASH_BITS = 14;
const INPUT_MARGIN = 4;

/** Positions of earlier 4-byte sequences by hash. Stale entries (another call's) are harmless: every candidate is checked against the bytes. */
const table = new Int32Array(1 << HASH_BITS);
let out = new Uint8Array(64 * 1024);

/** maxCompressedLength bounds the compressed size of n bytes (the format's worst case). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

/** compressSnappyBlock returns src compressed in snappy's block format, in a Buffer of its own. */
export function compressSnappyBlock(src: Uint8Array): Buffer {
  const n = src.length;
  const max = maxCompressedLength(n);
  if (out.length < max) out = new Uint8Array(Math.max(max, out.length * 2));
  let o = 0;
  // Preamble: the uncompressed length.
  let v = n;
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[o++] = v;
  for (let start = 0; start < n; start += BLOCK) o = compressBlock(src, start, Math.min(start + BLOCK, n), o);
  return Buffer.from(out.subarray(0, o));
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function hash(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

/** compressBlock compresses src[start, end) (at most 64 KiB) into out at o and returns the new end of out. */
function compressBlock(src: Uint8Array, start: number, end: number, o: number): number {
  let lit = start;
  let i = start;
  const last = end - INPUT_MARGIN;
  while (i <= last) {
    const x = load32(src, i);
    const h = hash(x);
    const cand = table[h]!;
    table[h] = i;
    if (cand >= start && cand < i && load32(src, cand) === x) {
      if (lit < i) o = emitLiteral(src, lit, i, o);
      let len = 4;
      while (i + len < end && src[cand + len] === src[i + len]) len++;
      o = emitCopy(i - cand, len, o);
      i += len;
      lit = i;
      // The position before the next one gets a table entry too: runs of matches chain.
      if (i - 1 <= last) table[hash(load32(src, i - 1))] = i - 1;
    } else {
      // Skip faster through input that does not compress.
      i += 1 + ((i - lit) >> 5);
    }
  }
  if (lit < end) o = emitLiteral(src, lit, end, o);
  return o;
}

function emitLiteral(src: Uint8Array, from: number, to: number, o: number): number {
  const n = to - from - 1;
  if (n < 60) {
    out[o++] = n << 2;
  } else if (n < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 61 << 2;
    out[o++] = n & 0xff;
    out[o++] = n >>> 8;
  } else {
    // A block is at most 64 KiB: three bytes of length are enough.
    out[o++] = 62 << 2;
    out[o++] = n & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n >>> 16;
  }
  out.set(src.subarray(from, to), o);
  return o + (to - from);
}

function emitCopy(offset: number, len: number, o: number): number {
  // Long matches go out as copies of 64 bytes, leaving at least 4 for the last one.
  while (len >= 68) {
    o = copy2(offset, 64, o);
    len -= 64;
  }
  if (len > 64) {
    o = copy2(offset, 60, o);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[o++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | 1;
    out[o++] = offset & 0xff;
    return o;
  }
  return copy2(offset, len, o);
}

function copy2(offset: number, len: number, o: number): number {
  out[o++] = ((len - 1) << 2) | 2;
  out[o++] = offset & 0xff;
  out[o++] = offset >>> 8;
  return o;
}
