/**
 * A bounds-checked reader over a byte range, the counterpart of EncBuf. Every read past the end
 * or overlong varint throws a DecodeError carrying the absolute offset, so corrupt files are
 * reported with a position instead of crashing.
 * @module
 */
import { crc32c } from './crc32c.js';
import { ChecksumError, DecodeError } from './errors.js';
import { readBE32 } from './enc-buf.js';
import { decodeUtf8 } from './utf8.js';

const TWO32 = 2 ** 32;

/** DecBuf reads encoded values from buf[off:end). `off` advances as values are read. */
export class DecBuf {
  /** The underlying bytes (shared, never copied). */
  readonly buf: Uint8Array;
  /** Absolute offset of the next byte to read. */
  off: number;
  /** Absolute end offset (exclusive). */
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) {
      throw new DecodeError(`range [${start}, ${end}) outside a buffer of ${buf.length} bytes`, start);
    }
    this.buf = buf;
    this.off = start;
    this.end = end;
  }

  /**
   * sectionAt opens the section at `off` laid out as `len <4 bytes BE> | body <len bytes> |
   * CRC32C(body) <4 bytes BE>`, verifying the checksum, and returns a reader over the body.
   */
  static sectionAt(buf: Uint8Array, off: number, verify = true): DecBuf {
    if (off < 0 || off + 4 > buf.length) throw new DecodeError('section length out of bounds', off);
    const len = readBE32(buf, off);
    const start = off + 4;
    return DecBuf.#checked(buf, start, start + len, verify);
  }

  /**
   * uvarintSectionAt opens the section at `off` laid out as `len <uvarint> | body <len bytes> |
   * CRC32C(body) <4 bytes BE>`, verifying the checksum.
   */
  static uvarintSectionAt(buf: Uint8Array, off: number, verify = true): DecBuf {
    const d = new DecBuf(buf, Math.min(Math.max(off, 0), buf.length), buf.length);
    if (off < 0 || off >= buf.length) throw new DecodeError('section offset out of bounds', off);
    const len = d.uvarint();
    return DecBuf.#checked(buf, d.off, d.off + len, verify);
  }

  static #checked(buf: Uint8Array, start: number, end: number, verify: boolean): DecBuf {
    if (end + 4 > buf.length) {
      throw new DecodeError(`section of ${end - start} bytes runs past the end of ${buf.length} bytes`, start);
    }
    if (verify) {
      const want = readBE32(buf, end);
      const got = crc32c(buf, start, end);
      if (want !== got) throw new ChecksumError(start, end, want, got);
    }
    return new DecBuf(buf, start, end);
  }

  /** remaining returns the number of unread bytes. */
  remaining(): number {
    return this.end - this.off;
  }

  #need(n: number): void {
    if (this.off + n > this.end) {
      throw new DecodeError(`need ${n} bytes, ${this.end - this.off} left`, this.off);
    }
  }

  /** skip advances n bytes. */
  skip(n: number): void {
    this.#need(n);
    this.off += n;
  }

  /** byte reads one byte. */
  byte(): number {
    this.#need(1);
    return this.buf[this.off++]!;
  }

  /** be16 reads a big-endian uint16. */
  be16(): number {
    this.#need(2);
    const v = (this.buf[this.off]! << 8) | this.buf[this.off + 1]!;
    this.off += 2;
    return v;
  }

  /** be32 reads a big-endian uint32. */
  be32(): number {
    this.#need(4);
    const v = readBE32(this.buf, this.off);
    this.off += 4;
    return v;
  }

  /** be64 reads a big-endian uint64; throws when it exceeds 2^53 (no safe JS number). */
  be64(): number {
    this.#need(8);
    const hi = readBE32(this.buf, this.off);
    const lo = readBE32(this.buf, this.off + 4);
    if (hi >= 0x200000) throw new DecodeError('64-bit value exceeds 2^53', this.off);
    this.off += 8;
    return hi * TWO32 + lo;
  }

  /** uvarint reads a Go uvarint; values must fit 2^53. */
  uvarint(): number {
    const buf = this.buf;
    let off = this.off;
    const end = this.end;
    if (off >= end) throw new DecodeError('truncated uvarint', off);
    let b = buf[off++]!;
    if (b < 0x80) {
      this.off = off;
      return b;
    }
    let v = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      if (off >= end) throw new DecodeError('truncated uvarint', this.off);
      b = buf[off++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) throw new DecodeError('uvarint exceeds 2^53', this.off);
        this.off = off;
        return v;
      }
      mul *= 0x80;
    }
    throw new DecodeError('uvarint overflows 64 bits', this.off);
  }

  /** varint reads a Go zig-zag varint. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** bytes returns a view of the next n bytes. */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** uvarintBytes reads a uvarint length and returns a view of that many bytes. */
  uvarintBytes(): Uint8Array {
    return this.bytes(this.uvarint());
  }

  /** uvarintStr reads a uvarint length and decodes that many bytes as UTF-8. */
  uvarintStr(): string {
    const n = this.uvarint();
    this.#need(n);
    const s = decodeUtf8(this.buf, this.off, this.off + n);
    this.off += n;
    return s;
  }
}
