/**
 * A minimal protobuf writer for the remote-write messages: varints, fixed64 doubles and
 * length-delimited fields into one growable buffer that is reused between requests.
 * @module
 */
import { encodeUtf8Into, utf8Length } from '../../encoding/index.js';

/** ProtoWriter appends protobuf wire data; sizes of nested messages are computed by the caller. */
export class ProtoWriter {
  #b: Uint8Array;
  #dv: DataView;
  #len = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#b = new Uint8Array(initialBytes);
    this.#dv = new DataView(this.#b.buffer);
  }

  /** length is the number of bytes written. */
  get length(): number {
    return this.#len;
  }

  /** reset empties the writer, keeping its memory. */
  reset(): void {
    this.#len = 0;
  }

  /** bytes views what was written (valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.#b.subarray(0, this.#len);
  }

  #room(n: number): void {
    if (this.#len + n <= this.#b.length) return;
    let cap = this.#b.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.#b.subarray(0, this.#len));
    this.#b = nb;
    this.#dv = new DataView(nb.buffer);
  }

  /** uvarint appends a non-negative safe integer as a varint. */
  uvarint(v: number): void {
    this.#room(10);
    const b = this.#b;
    let n = v;
    while (n >= 0x80) {
      b[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    b[this.#len++] = n;
  }

  /** tag appends a field key. */
  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.uvarint(field * 8 + wireType);
  }

  /** double appends a fixed64 little-endian double. */
  double(v: number): void {
    this.#room(8);
    this.#dv.setFloat64(this.#len, v, true);
    this.#len += 8;
  }

  /** string appends a string's UTF-8 length and bytes; `size` is its UTF-8 length when known. */
  string(s: string, size = utf8Length(s)): void {
    this.uvarint(size);
    this.#room(size);
    this.#len = encodeUtf8Into(this.#b, this.#len, s);
  }
}

/** uvarintLen is the encoded size of a non-negative safe integer. */
export function uvarintLen(v: number): number {
  let n = 1;
  let x = v;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

/** fieldLen is the size of a length-delimited field with a one-byte key and `size` bytes of content. */
export function fieldLen(size: number): number {
  return 1 + uvarintLen(size) + size;
}
