/**
 * Variable-length integers as Go's encoding/binary writes them (uvarint: 7 bits per byte,
 * little-endian groups; varint: zig-zag then uvarint). Values are JS numbers and must be safe
 * integers (|v| < 2^53 unsigned, < 2^52 signed), which covers millisecond timestamps and file offsets.
 * @module
 */

/** VarintError reports a truncated or overlong varint. */
export class VarintError extends Error {
  override readonly name = 'VarintError';
}

/** putUvarint writes v at buf[off] and returns the offset after it. buf must have room (≤ 8 bytes for v < 2^53). */
export function putUvarint(buf: Uint8Array, off: number, v: number): number {
  if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`uvarint value ${v} is not a safe non-negative integer`);
  while (v >= 0x80) {
    buf[off++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[off++] = v;
  return off;
}

/** putVarint writes a signed v zig-zag encoded and returns the offset after it. */
export function putVarint(buf: Uint8Array, off: number, v: number): number {
  if (!(v >= -(2 ** 52) && v < 2 ** 52)) throw new RangeError(`varint value ${v} is outside [-2^52, 2^52)`);
  return putUvarint(buf, off, v < 0 ? -2 * v - 1 : 2 * v);
}

/** uvarintSize returns the encoded length of v. */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Reader state for varint decoding: decode functions return the value and leave the new
 * offset in `pos.off`, so nothing is allocated per call.
 */
export interface Cursor {
  off: number;
}

/** readUvarint decodes an unsigned varint at cur.off, advancing it. Throws VarintError. */
export function readUvarint(buf: Uint8Array, cur: Cursor): number {
  let off = cur.off;
  let b = buf[off++];
  if (b === undefined) throw new VarintError('truncated varint');
  if (b < 0x80) {
    cur.off = off;
    return b;
  }
  let v = b & 0x7f;
  let mul = 0x80;
  for (let i = 1; i < 10; i++) {
    b = buf[off++];
    if (b === undefined) throw new VarintError('truncated varint');
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      cur.off = off;
      return v;
    }
    mul *= 0x80;
  }
  throw new VarintError('varint overflows 64 bits');
}

/** readVarint decodes a zig-zag signed varint at cur.off, advancing it. */
export function readVarint(buf: Uint8Array, cur: Cursor): number {
  const u = readUvarint(buf, cur);
  // Zig-zag: even → u/2, odd → -(u+1)/2. Arithmetic, since u may exceed 32 bits.
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
