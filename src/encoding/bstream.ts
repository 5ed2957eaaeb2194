/**
 * Bit streams for the XOR (Gorilla) chunk encoding. Bits are written most significant first
 * into bytes, as Prometheus's bstream does. 64-bit quantities are handled as two 32-bit
 * halves (hi, lo) so no BigInt is needed.
 *
 * The writer keeps every byte past the write position zero, so it can OR bits in without
 * clearing; the reader loads a 32-bit big-endian window and shifts, so a read of up to 32 bits
 * touches at most five bytes and no loop.
 * @module
 */

/** BitWriter appends bits to a growable byte buffer. */
export class BitWriter {
  /** The bytes written so far; valid up to `length()`. Owned by the writer and replaced when it grows. */
  buf: Uint8Array;
  #pos = 0; // bits written

  constructor(initialBytes = 128) {
    this.buf = new Uint8Array(Math.max(8, initialBytes));
  }

  /** fromBytes continues writing after existing content whose last byte has `freeBits` unused bits. */
  static fromBytes(bytes: Uint8Array, freeBits: number, extraBytes = 16): BitWriter {
    const w = new BitWriter(bytes.length + Math.max(8, extraBytes));
    w.buf.set(bytes);
    if (bytes.length > 0) {
      w.#pos = bytes.length * 8 - freeBits;
      // Keep the invariant that bits past the position are zero.
      const last = bytes.length - 1;
      if (freeBits > 0) w.buf[last] = w.buf[last]! & (0xff << freeBits);
    }
    return w;
  }

  /** length returns the number of bytes holding at least one written bit. */
  length(): number {
    return (this.#pos + 7) >>> 3;
  }

  /** bitLength returns the number of bits written. */
  bitLength(): number {
    return this.#pos;
  }

  /** freeBits returns the unused low bits of the last byte (0 when byte-aligned). */
  freeBits(): number {
    return (8 - (this.#pos & 7)) & 7;
  }

  /** bytes returns a view of the written bytes (shared with the writer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, (this.#pos + 7) >>> 3);
  }

  /** compact shrinks the buffer to the written bytes plus `spareBytes`, to save memory. */
  compact(spareBytes = 8): void {
    const need = ((this.#pos + 7) >>> 3) + Math.max(8, spareBytes);
    if (this.buf.length > need) this.buf = this.buf.slice(0, need);
  }

  /** capacity returns the size of the buffer in bytes. */
  capacity(): number {
    return this.buf.length;
  }

  /** reserve grows the buffer, if needed, to hold at least `bytes` bytes. */
  reserve(bytes: number): void {
    if (bytes > this.buf.length) this.#grow(bytes);
  }

  #grow(minBytes: number): void {
    let cap = this.buf.length * 2;
    while (cap < minBytes) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, (this.#pos + 7) >>> 3));
    this.buf = nb;
  }

  /** writeBit writes one bit (0 or 1). */
  writeBit(bit: number): void {
    const pos = this.#pos;
    const i = pos >>> 3;
    if (i + 1 >= this.buf.length) this.#grow(i + 9);
    if (bit !== 0) this.buf[i] = this.buf[i]! | (0x80 >>> (pos & 7));
    this.#pos = pos + 1;
  }

  /** writeByte writes 8 bits. */
  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }

  /** writeBits writes the low `n` bits of v (0 ≤ n ≤ 32), most significant first. */
  writeBits(v: number, n: number): void {
    if (n <= 0) return;
    const pos = this.#pos;
    let i = pos >>> 3;
    if (i + 5 >= this.buf.length) this.#grow(i + 13);
    const buf = this.buf;
    v &= 0xffffffff >>> (32 - n); // int32 bits; negative when n = 32 and bit 31 is set
    const free = 8 - (pos & 7);
    this.#pos = pos + n;
    if (n <= free) {
      buf[i] = buf[i]! | (v << (free - n));
      return;
    }
    let rem = n - free;
    buf[i] = buf[i]! | (v >>> rem);
    i++;
    while (rem >= 8) {
      rem -= 8;
      buf[i++] = v >>> rem; // the store keeps the low 8 bits
    }
    if (rem > 0) buf[i] = v << (8 - rem);
  }

  /** writeBits64 writes the low `n` bits (0 ≤ n ≤ 64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }
}

/** BitReader reads bits from a byte array, most significant first. */
export class BitReader {
  #buf: Uint8Array;
  #pos = 0; // bit position
  #end: number; // bit length

  constructor(buf: Uint8Array, bitLength = buf.length * 8) {
    this.#buf = buf;
    this.#end = Math.min(bitLength, buf.length * 8);
  }

  /** reset starts reading another buffer. */
  reset(buf: Uint8Array, bitLength = buf.length * 8): void {
    this.#buf = buf;
    this.#pos = 0;
    this.#end = Math.min(bitLength, buf.length * 8);
  }

  /** remaining returns the number of unread bits. */
  remaining(): number {
    return this.#end - this.#pos;
  }

  /** position returns the current bit position. */
  position(): number {
    return this.#pos;
  }

  /** seekBit moves to an absolute bit position (clamped to the end). */
  seekBit(pos: number): void {
    this.#pos = Math.max(0, Math.min(pos, this.#end));
  }

  /** readBit returns the next bit, or -1 at the end. */
  readBit(): number {
    const pos = this.#pos;
    if (pos >= this.#end) return -1;
    this.#pos = pos + 1;
    return (this.#buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
  }

  /**
   * readBits returns the next n bits (0 ≤ n ≤ 32) as an unsigned number, or -1 when fewer
   * than n bits remain.
   */
  readBits(n: number): number {
    const pos = this.#pos;
    if (pos + n > this.#end) return -1;
    if (n === 0) return 0;
    this.#pos = pos + n;
    return peekBits(this.#buf, pos, n);
  }
}

/**
 * peekBits returns the n bits (1 ≤ n ≤ 32) starting at bit `pos` of buf, unsigned. The caller
 * checks that they exist; bytes past the end of buf read as zero.
 */
export function peekBits(buf: Uint8Array, pos: number, n: number): number {
  const i = pos >>> 3;
  const off = pos & 7;
  const len = buf.length;
  let w: number;
  if (i + 4 <= len) {
    w = (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
  } else {
    w = (buf[i]! << 24) | ((i + 1 < len ? buf[i + 1]! : 0) << 16) | ((i + 2 < len ? buf[i + 2]! : 0) << 8);
  }
  if (off + n <= 32) return (w << off) >>> (32 - n);
  const b4 = i + 4 < len ? buf[i + 4]! : 0;
  return (((w << off) >>> (32 - n)) | (b4 >>> (40 - off - n))) >>> 0;
}
