/**
 * Bit streams for the XOR (Gorilla) chunk encoding. Bits are written most significant first
 * into bytes, as Prometheus's bstream does. 64-bit quantities are handled as two 32-bit
 * halves (hi, lo) so no BigInt is needed.
 * @module
 */

/** BitWriter appends bits to a growable byte buffer. */
export class BitWriter {
  /** The bytes written so far; valid up to `length()`. Owned by the writer. */
  buf: Uint8Array;
  #byte = 0; // index of the byte being filled
  #free = 8; // free bits left in buf[#byte] (8 = the byte is not started)

  constructor(initialBytes = 128) {
    this.buf = new Uint8Array(Math.max(2, initialBytes));
  }

  /** fromBytes continues writing after existing content whose last byte has `freeBits` unused bits. */
  static fromBytes(bytes: Uint8Array, freeBits: number): BitWriter {
    const w = new BitWriter(bytes.length + 16);
    w.buf.set(bytes);
    if (bytes.length === 0) return w;
    if (freeBits === 0) {
      w.#byte = bytes.length;
      w.#free = 8;
    } else {
      w.#byte = bytes.length - 1;
      w.#free = freeBits;
    }
    return w;
  }

  /** length returns the number of bytes holding at least one written bit. */
  length(): number {
    return this.#free === 8 ? this.#byte : this.#byte + 1;
  }

  /** freeBits returns the unused low bits of the last byte (0 when byte-aligned). */
  freeBits(): number {
    return this.#free === 8 ? 0 : this.#free;
  }

  /** bytes returns a view of the written bytes (shared with the writer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length());
  }

  #grow(): void {
    const nb = new Uint8Array(this.buf.length * 2);
    nb.set(this.buf);
    this.buf = nb;
  }

  /** writeBit writes one bit (0 or 1). */
  writeBit(bit: number): void {
    if (this.#byte >= this.buf.length - 1) this.#grow();
    if (this.#free === 8) this.buf[this.#byte] = 0;
    this.#free--;
    if (bit) this.buf[this.#byte]! |= 1 << this.#free;
    if (this.#free === 0) {
      this.#byte++;
      this.#free = 8;
    }
  }

  /** writeByte writes 8 bits. */
  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }

  /** writeBits writes the low `n` bits of v (0 ≤ n ≤ 32), most significant first. */
  writeBits(v: number, n: number): void {
    if (this.#byte + 5 >= this.buf.length) this.#grow();
    const buf = this.buf;
    while (n > 0) {
      if (this.#free === 8) buf[this.#byte] = 0;
      const take = n < this.#free ? n : this.#free;
      // The `take` bits of v just below bit n.
      const bits = (v >>> (n - take)) & ((1 << take) - 1);
      this.#free -= take;
      buf[this.#byte]! |= bits << this.#free;
      n -= take;
      if (this.#free === 0) {
        this.#byte++;
        this.#free = 8;
      }
    }
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
    this.#end = bitLength;
  }

  /** reset starts reading another buffer. */
  reset(buf: Uint8Array, bitLength = buf.length * 8): void {
    this.#buf = buf;
    this.#pos = 0;
    this.#end = bitLength;
  }

  /** remaining returns the number of unread bits. */
  remaining(): number {
    return this.#end - this.#pos;
  }

  /** position returns the current bit position. */
  position(): number {
    return this.#pos;
  }

  /** readBit returns the next bit, or -1 at the end. */
  readBit(): number {
    if (this.#pos >= this.#end) return -1;
    const b = (this.#buf[this.#pos >>> 3]! >>> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return b;
  }

  /**
   * readBits returns the next n bits (0 ≤ n ≤ 32) as an unsigned number, or -1 when fewer
   * than n bits remain.
   */
  readBits(n: number): number {
    if (this.#pos + n > this.#end) return -1;
    if (n === 0) return 0;
    const buf = this.#buf;
    let pos = this.#pos;
    let v = 0;
    let left = n;
    while (left > 0) {
      const byte = buf[pos >>> 3]!;
      const off = pos & 7;
      const avail = 8 - off;
      const take = left < avail ? left : avail;
      const bits = (byte >>> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits; // arithmetic keeps it unsigned up to 32 bits
      left -= take;
      pos += take;
    }
    this.#pos = pos;
    return v;
  }
}
