/**
 * Decoding of the XOR chunk (see xor-chunk.ts for the layout): a pull iterator that reads
 * timestamps and the two 32-bit halves of each value straight from the bytes, allocating
 * nothing per sample.
 * @module
 */
import { peekBits } from '../../encoding/index.js';
import { ValueType, type SampleIterator } from '../../storage/index.js';
import { ChunkDecodeError } from './errors.js';

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO32 = 2 ** 32;
const EMPTY = new Uint8Array(2);

/**
 * XORIterator decodes an XOR chunk. It implements storage's SampleIterator; the sample count is
 * read once at reset, so samples appended to the chunk later are not seen.
 */
export class XORIterator implements SampleIterator {
  #buf: Uint8Array = EMPTY;
  #pos = 0; // bit position
  #end = 0; // bit length
  #numTotal = 0;
  #numRead = 0;
  #done = false;
  #t = 0;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  #leading = 0;
  #trailing = 0;
  #window = false; // a leading/trailing window has been read
  #err: ChunkDecodeError | undefined = undefined;

  /** reset starts iterating encoded chunk data (header included). */
  reset(bytes: Uint8Array): this {
    this.#buf = bytes;
    this.#end = bytes.length * 8;
    this.#pos = 16;
    this.#numTotal = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0;
    this.#numRead = 0;
    this.#done = false;
    this.#t = 0;
    this.#tDelta = 0;
    this.#vHi = 0;
    this.#vLo = 0;
    this.#leading = 0;
    this.#trailing = 0;
    this.#window = false;
    this.#err = bytes.length >= 2 ? undefined : new ChunkDecodeError('missing header', 0, 0);
    return this;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    const n = this.#numRead;
    if (n >= this.#numTotal || this.#err !== undefined) {
      this.#done = true;
      return ValueType.None;
    }
    const buf = this.#buf;
    let pos = this.#pos;
    if (n === 0) {
      let off = pos >>> 3;
      // varint t0
      let u = 0;
      let mul = 1;
      let b = 0x80;
      for (let i = 0; i < 10 && b >= 0x80; i++) {
        if (off >= buf.length) return this.#fail('truncated first timestamp', off * 8);
        b = buf[off++]!;
        u += (b & 0x7f) * mul;
        mul *= 0x80;
      }
      if (b >= 0x80) return this.#fail('overlong first timestamp', off * 8);
      if (off + 8 > buf.length) return this.#fail('truncated first value', off * 8);
      this.#t = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      this.#vHi = ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
      this.#vLo = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
      this.#pos = (off + 8) * 8;
      this.#numRead = 1;
      return ValueType.Float;
    }
    // Value control bits and window header when the timestamp's peek already holds them, else -1.
    let vc = -1;
    let vhdr = -1;
    if (n === 1) {
      let off = pos >>> 3;
      let u = 0;
      let mul = 1;
      let b = 0x80;
      for (let i = 0; i < 10 && b >= 0x80; i++) {
        if (off >= buf.length) return this.#fail('truncated timestamp delta', off * 8);
        b = buf[off++]!;
        u += (b & 0x7f) * mul;
        mul *= 0x80;
      }
      if (b >= 0x80) return this.#fail('overlong timestamp delta', off * 8);
      this.#tDelta = u;
      this.#t += u;
      pos = off * 8;
    } else {
      // Delta of delta: up to four control bits, then 0, 14, 17, 20 or 64 bits. One 16-bit peek
      // covers the common sample whole: dod 0 ('0'), then the value's control bits and header.
      const w16 = peekBits(buf, pos, 16);
      if (w16 < 0x8000) {
        pos += 1;
        vc = (w16 >>> 13) & 3;
        vhdr = (w16 >>> 2) & 0x7ff;
      } else {
        const c = w16 >>> 12;
        let sz: number;
        if (c < 12) {
          sz = 14;
          pos += 2;
        } else if (c < 14) {
          sz = 17;
          pos += 3;
        } else if (c < 15) {
          sz = 20;
          pos += 4;
        } else {
          sz = 64;
          pos += 4;
        }
        if (pos + sz > this.#end) return this.#fail('truncated timestamp', pos);
        let dod: number;
        if (sz === 64) {
          const dh = peekBits(buf, pos, 32) | 0;
          dod = dh * TWO32 + peekBits(buf, pos + 32, 32);
        } else {
          const bits = peekBits(buf, pos, sz);
          // High unsigned values are the negative ones (bstream.md).
          dod = bits > 1 << (sz - 1) ? bits - (1 << sz) : bits;
        }
        pos += sz;
        this.#tDelta += dod;
      }
      this.#t += this.#tDelta;
    }
    // Value.
    if (pos >= this.#end) return this.#fail('truncated value', pos);
    const c = vc >= 0 ? vc : peekBits(buf, pos, 2);
    if (c < 2) {
      pos += 1; // '0': same value
    } else {
      if (c === 3) {
        if (pos + 13 > this.#end) return this.#fail('truncated value window', pos);
        const hdr = vhdr >= 0 ? vhdr : peekBits(buf, pos + 2, 11);
        let sig = hdr & 63;
        if (sig === 0) sig = 64;
        const lead = hdr >>> 6;
        if (lead + sig > 64) return this.#fail(`impossible window: ${lead} leading zeros and ${sig} significant bits`, pos);
        this.#leading = lead;
        this.#trailing = 64 - lead - sig;
        this.#window = true;
        pos += 13;
      } else {
        pos += 2;
      }
      const trailing = this.#trailing;
      const mbits = 64 - this.#leading - trailing;
      if (pos + mbits > this.#end) return this.#fail('truncated value bits', pos);
      let h: number;
      let l: number;
      if (mbits > 32) {
        h = peekBits(buf, pos, mbits - 32);
        l = peekBits(buf, pos + mbits - 32, 32);
      } else {
        h = 0;
        l = peekBits(buf, pos, mbits);
      }
      pos += mbits;
      if (trailing !== 0) {
        if (trailing < 32) {
          h = (h << trailing) | (l >>> (32 - trailing));
          l = l << trailing;
        } else {
          h = l << (trailing - 32);
          l = 0;
        }
      }
      this.#vHi = (this.#vHi ^ h) >>> 0;
      this.#vLo = (this.#vLo ^ l) >>> 0;
    }
    this.#pos = pos;
    this.#numRead = n + 1;
    return ValueType.Float;
  }

  #fail(detail: string, bit: number): ValueType {
    this.#err = new ChunkDecodeError(detail, bit, this.#numRead);
    this.#done = true;
    return ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#numRead > 0 && this.#t >= t) return ValueType.Float;
    while (this.next() !== ValueType.None) {
      if (this.#t >= t) return ValueType.Float;
    }
    return ValueType.None;
  }

  atT(): number {
    return this.#t;
  }

  atF(): number {
    U32[HI] = this.#vHi;
    U32[LO] = this.#vLo;
    return F64[0]!;
  }

  err(): Error | undefined {
    return this.#err;
  }

  /** numRead returns how many samples have been decoded. */
  numRead(): number {
    return this.#numRead;
  }

  /** bitPosition returns the bit offset after the last decoded sample. */
  bitPosition(): number {
    return this.#pos;
  }

  /** tDelta returns the last timestamp delta (appender state). */
  tDelta(): number {
    return this.#tDelta;
  }

  /** valueHi returns the high 32 bits of the current value. */
  valueHi(): number {
    return this.#vHi;
  }

  /** valueLo returns the low 32 bits of the current value. */
  valueLo(): number {
    return this.#vLo;
  }

  /** windowLeading returns the XOR window's leading zeros, or 0xff before any window was set. */
  windowLeading(): number {
    return this.#window ? this.#leading : 0xff;
  }

  /** windowTrailing returns the XOR window's trailing zeros. */
  windowTrailing(): number {
    return this.#trailing;
  }
}
