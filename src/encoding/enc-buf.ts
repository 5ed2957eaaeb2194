/**
 * A growable byte buffer with the writers Prometheus's disk formats need: big-endian
 * integers, Go varints, length-prefixed strings and CRC32C.
 * @module
 */
import { crc32c } from './crc32c.js';
import { encodeUtf8Into, utf8Length } from './utf8.js';
import { putUvarint, putVarint } from './varint.js';

const TWO32 = 2 ** 32;

/** EncBuf appends encoded values to a growable buffer; `get()` views what was written. */
export class EncBuf {
  #b: Uint8Array;
  #len = 0;

  constructor(initialBytes = 256) {
    this.#b = new Uint8Array(Math.max(16, initialBytes));
  }

  /** length is the number of bytes written. */
  get length(): number {
    return this.#len;
  }

  /** reset empties the buffer, keeping its memory. */
  reset(): void {
    this.#len = 0;
  }

  /** get returns a view of the written bytes, valid until the next write or reset. */
  get(): Uint8Array {
    return this.#b.subarray(0, this.#len);
  }

  #room(n: number): void {
    if (this.#len + n <= this.#b.length) return;
    let cap = this.#b.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.#b.subarray(0, this.#len));
    this.#b = nb;
  }

  /** putByte appends one byte. */
  putByte(v: number): void {
    this.#room(1);
    this.#b[this.#len++] = v;
  }

  /** putBE16 appends a big-endian uint16. */
  putBE16(v: number): void {
    this.#room(2);
    const b = this.#b;
    b[this.#len] = v >>> 8;
    b[this.#len + 1] = v;
    this.#len += 2;
  }

  /** putBE32 appends a big-endian uint32. */
  putBE32(v: number): void {
    this.#room(4);
    writeBE32(this.#b, this.#len, v);
    this.#len += 4;
  }

  /** putBE64 appends a big-endian 64-bit two's complement integer (v must be a safe integer). */
  putBE64(v: number): void {
    this.#room(8);
    const hi = Math.floor(v / TWO32);
    writeBE32(this.#b, this.#len, hi);
    writeBE32(this.#b, this.#len + 4, v - hi * TWO32);
    this.#len += 8;
  }

  /** putUvarint appends a Go uvarint (v a non-negative safe integer). */
  putUvarint(v: number): void {
    this.#room(10);
    this.#len = putUvarint(this.#b, this.#len, v);
  }

  /** putVarint appends a Go zig-zag varint. */
  putVarint(v: number): void {
    this.#room(10);
    this.#len = putVarint(this.#b, this.#len, v);
  }

  /** putBytes appends raw bytes. */
  putBytes(src: Uint8Array): void {
    this.#room(src.length);
    this.#b.set(src, this.#len);
    this.#len += src.length;
  }

  /** putUvarintBytes appends the length of src as a uvarint, then src. */
  putUvarintBytes(src: Uint8Array): void {
    this.putUvarint(src.length);
    this.putBytes(src);
  }

  /** putUvarintStr appends a string as its UTF-8 length (uvarint) and bytes. */
  putUvarintStr(s: string): void {
    const n = utf8Length(s);
    this.#room(10 + n);
    this.#len = putUvarint(this.#b, this.#len, n);
    this.#len = encodeUtf8Into(this.#b, this.#len, s);
  }

  /** putBE32At overwrites 4 bytes at `off` (< length) with a big-endian uint32. */
  putBE32At(off: number, v: number): void {
    writeBE32(this.#b, off, v);
  }

  /** putZeros appends n zero bytes. */
  putZeros(n: number): void {
    this.#room(n);
    this.#b.fill(0, this.#len, this.#len + n);
    this.#len += n;
  }

  /** putCRC32C appends the big-endian CRC32C of the bytes written from `start` on. */
  putCRC32C(start = 0): void {
    this.putBE32(crc32c(this.#b, start, this.#len));
  }
}

/** writeBE32 stores a big-endian uint32 at buf[off]. */
export function writeBE32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** readBE32 loads a big-endian uint32 from buf[off]; the caller checks bounds. */
export function readBE32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}
