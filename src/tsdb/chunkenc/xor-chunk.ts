/**
 * The XOR (Gorilla) float chunk, byte for byte as Prometheus writes it (chunks.md, bstream.md):
 *
 * ```
 * ┌──────────────────────┬───────────────┬───────────────┬──────────────────────┬──────────────────────┬──────────────────────┬──────────────────────┬─────┬──────────────────┐
 * │ num_samples <uint16> │ ts_0 <varint> │ v_0 <float64> │ ts_1_delta <uvarint> │ v_1_xor <varbit_xor> │ ts_2_dod <varbit_ts> │ v_2_xor <varbit_xor> │ ... │ padding <x bits> │
 * └──────────────────────┴───────────────┴───────────────┴──────────────────────┴──────────────────────┴──────────────────────┴──────────────────────┴─────┴──────────────────┘
 * ```
 *
 * `varbit_ts` widens Gorilla's buckets because Prometheus stamps in ms, not s: `0` (dod = 0),
 * `10`+14 bits, `110`+17 bits, `1110`+20 bits, `1111`+64 bits. `varbit_xor` is `0` (same
 * value), `10`+significant bits in the previous leading/trailing-zero window, or
 * `11`+leading(5)+sigbits(6, 64 written as 0)+significant bits. Floats are XOR-ed as two 32-bit
 * halves, never BigInt, and nothing is allocated per sample.
 * @module
 */
import { putVarint, putUvarint } from '../../encoding/index.js';
import { ValueType, type SampleIterator } from '../../storage/index.js';
import { Encoding, MAX_SAMPLES_PER_CHUNK, type Chunk, type ChunkAppender } from './chunk.js';
import { ChunkDecodeError, OutOfOrderChunkSampleError } from './errors.js';
import { XORIterator } from './xor-iterator.js';

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO32 = 2 ** 32;
const EMPTY_HEADER = new Uint8Array(2);
const VARINT_SCRATCH = new Uint8Array(10);
/** The most bytes one sample can take (dod 4+64 bits, value 2+11+64 bits), rounded up. */
const MAX_SAMPLE_BYTES = 24;

// Chunk buffers are carved from shared zeroed slabs: a typed array of its own costs V8 a
// backing-store allocation, zero-fill and GC bookkeeping (more than encoding 30 samples), a view
// of a slab only a small object. A slab lives as long as any chunk holding a view of it;
// compact() moves a chunk into a buffer of its own. A chunk that grows leaves its old space
// unused in the slab.
const SLAB_BYTES = 64 * 1024;
const SLAB_MAX_ALLOC = SLAB_BYTES / 8;
let slab = new ArrayBuffer(0);
let slabOff = 0;

// allocBuf returns `n` zeroed bytes, from the current slab when they are few.
function allocBuf(n: number): Uint8Array {
  if (n > SLAB_MAX_ALLOC) return new Uint8Array(n);
  n = (n + 7) & ~7;
  if (slabOff + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOff = 0;
  }
  const b = new Uint8Array(slab, slabOff, n);
  slabOff += n;
  return b;
}

/**
 * Writable state shared by a chunk and its appender: the buffer, the number of bits written
 * (every bit past it is zero, so writes OR into the partial byte and assign the rest) and
 * `pad`, 1 when the data ends with a spare zero byte: Prometheus's bstream leaves one after a
 * whole-byte write that ends byte-aligned (always after the first sample), and its chunks carry
 * it on disk, so ours do too.
 */
interface XORState {
  buf: Uint8Array;
  pos: number;
  pad: number;
}

// putBits writes the low n bits (1 ≤ n ≤ 32) of v at bit `pos` of buf, most significant first,
// and returns the new position. Bits past pos are zero, so the first byte is OR-ed and the next
// four are assigned whole (zeros past the new position): no loop, no branch on the length. The
// caller guarantees five bytes of room.
function putBits(buf: Uint8Array, pos: number, v: number, n: number): number {
  const i = pos >>> 3;
  const off = pos & 7;
  const w = v << (32 - n); // the n bits at the top of an int32
  buf[i] = buf[i]! | (w >>> (24 + off));
  buf[i + 1] = w >>> (16 + off);
  buf[i + 2] = w >>> (8 + off);
  buf[i + 3] = w >>> off;
  if (off + n > 32) buf[i + 4] = w << (8 - off);
  return pos + n;
}

/** XORChunk is a float chunk in Prometheus's XOR encoding. */
export class XORChunk implements Chunk {
  readonly encoding = Encoding.XOR;
  // Read-only view (from bytes) until an appender is requested; then the state owns the data.
  #view: Uint8Array;
  #s: XORState | undefined;

  /**
   * Creates an empty chunk with a buffer of `capacity` bytes, or wraps encoded data given as
   * `bytes` (see fromBytes).
   */
  constructor(options: { readonly capacity?: number; readonly bytes?: Uint8Array } = {}) {
    const { capacity = 128, bytes } = options;
    if (bytes !== undefined) {
      if (bytes.length < 2) throw new ChunkDecodeError(`${bytes.length} bytes, need at least the 2-byte header`, 0, 0);
      this.#view = bytes;
      this.#s = undefined;
      return;
    }
    this.#view = EMPTY_HEADER;
    this.#s = { buf: allocBuf(Math.max(capacity, MAX_SAMPLE_BYTES + 2)), pos: 16, pad: 0 };
  }

  /**
   * fromBytes wraps encoded chunk data (starting with the 2-byte sample count) without copying.
   * The bytes must stay unchanged while the chunk is used.
   */
  static fromBytes(bytes: Uint8Array): XORChunk {
    return new XORChunk({ bytes });
  }

  bytes(): Uint8Array {
    const s = this.#s;
    if (s === undefined) return this.#view;
    // Bytes past the position are zero and the buffer keeps headroom, so the pad byte exists.
    return s.buf.subarray(0, ((s.pos + 7) >>> 3) + s.pad);
  }

  numSamples(): number {
    const b = this.#s === undefined ? this.#view : this.#s.buf;
    return (b[0]! << 8) | b[1]!;
  }

  appender(): ChunkAppender {
    let s = this.#s;
    // A new chunk (the common case: the head cuts one every 120 samples) needs no decoding.
    if (s !== undefined && s.pos === 16) return new XORAppender(s, undefined);
    const it = new XORIterator();
    it.reset(this.bytes());
    while (it.next() !== ValueType.None);
    const err = it.err();
    if (err !== undefined) throw err;
    if (s === undefined) {
      // Copy the wrapped bytes into a writable buffer, clearing the bits past the end.
      const pos = it.bitPosition();
      const used = (pos + 7) >>> 3;
      const buf = allocBuf(used + 4 * MAX_SAMPLE_BYTES);
      buf.set(this.#view.subarray(0, used));
      if ((pos & 7) !== 0) buf[used - 1] = buf[used - 1]! & (0xff << (8 - (pos & 7)));
      s = { buf, pos, pad: this.#view.length * 8 - pos >= 8 ? 1 : 0 };
      this.#s = s;
    }
    return new XORAppender(s, it);
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof XORIterator ? reuse : new XORIterator();
    it.reset(this.bytes());
    return it;
  }

  compact(): void {
    const s = this.#s;
    if (s === undefined) return;
    // A buffer of its own, so the chunk no longer holds a shared slab.
    const need = ((s.pos + 7) >>> 3) + 8;
    if (s.buf.length > need || s.buf.byteLength !== s.buf.buffer.byteLength) s.buf = s.buf.slice(0, need);
  }
}

class XORAppender implements ChunkAppender {
  readonly #s: XORState;
  #n: number;
  #t: number;
  #tDelta: number;
  #vHi: number;
  #vLo: number;
  #leading: number; // 0xff: no window yet
  #trailing: number;

  // `state` is an iterator that has decoded every existing sample, or undefined for no samples.
  constructor(s: XORState, state: XORIterator | undefined) {
    this.#s = s;
    this.#n = state?.numRead() ?? 0;
    this.#t = state?.atT() ?? 0;
    this.#tDelta = state?.tDelta() ?? 0;
    this.#vHi = state?.valueHi() ?? 0;
    this.#vLo = state?.valueLo() ?? 0;
    this.#leading = state?.windowLeading() ?? 0xff;
    this.#trailing = state?.windowTrailing() ?? 0;
  }

  append(t: number, v: number): void {
    const s = this.#s;
    const n = this.#n;
    let buf = s.buf;
    let pos = s.pos;
    if ((pos >>> 3) + MAX_SAMPLE_BYTES + 1 > buf.length) {
      // Grow ahead to what a full chunk will need at the rate so far, so a chunk is copied about
      // once instead of at every doubling.
      const used = (pos + 7) >>> 3;
      const cap = Math.max(2 * buf.length, Math.ceil((used / (n > 0 ? n : 1)) * (MAX_SAMPLES_PER_CHUNK + 8)) + 2 * MAX_SAMPLE_BYTES);
      const nb = allocBuf(cap);
      nb.set(buf.subarray(0, used));
      buf = nb;
      s.buf = nb;
    }
    F64[0] = v;
    const hi = U32[HI]!;
    const lo = U32[LO]!;
    // Size of the last write Prometheus's bstream would make for this sample: it decides the pad byte.
    let lastBits = 64;
    if (n === 0) {
      const end = putVarint(VARINT_SCRATCH, 0, t);
      for (let i = 0; i < end; i++) pos = putBits(buf, pos, VARINT_SCRATCH[i]!, 8);
      pos = putBits(buf, pos, hi, 32);
      pos = putBits(buf, pos, lo, 32);
    } else {
      if (t < this.#t) throw new OutOfOrderChunkSampleError(t, this.#t);
      if (n >= 0xffff) throw new RangeError('XOR chunk is full (65535 samples)');
      const tDelta = t - this.#t;
      // The timestamp's bits become a prefix of the value's first write, so the common sample
      // (dod 0, small value change) costs a single write.
      let pre = 0;
      let preLen = 0;
      if (n === 1) {
        const end = putUvarint(VARINT_SCRATCH, 0, tDelta);
        for (let i = 0; i < end; i++) pos = putBits(buf, pos, VARINT_SCRATCH[i]!, 8);
      } else {
        const dod = tDelta - this.#tDelta;
        if (dod === 0) {
          preLen = 1;
        } else if (dod >= -8191 && dod <= 8192) {
          pre = (0b10 << 14) | (dod & 0x3fff);
          preLen = 16;
        } else if (dod >= -65535 && dod <= 65536) {
          pre = (0b110 << 17) | (dod & 0x1ffff);
          preLen = 20;
        } else if (dod >= -524287 && dod <= 524288) {
          pre = (0b1110 << 20) | (dod & 0xfffff);
          preLen = 24;
        } else {
          pos = putBits(buf, pos, 0b1111, 4);
          const dh = Math.floor(dod / TWO32);
          pos = putBits(buf, pos, dh, 32);
          pos = putBits(buf, pos, dod - dh * TWO32, 32);
        }
      }
      this.#tDelta = tDelta;
      const dHi = hi ^ this.#vHi;
      const dLo = lo ^ this.#vLo;
      if (dHi === 0 && dLo === 0) {
        pos = putBits(buf, pos, pre << 1, preLen + 1); // '0': same value
        lastBits = 1;
      } else {
        let lead = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
        const trail = dLo !== 0 ? 31 - Math.clz32(dLo & -dLo) : 63 - Math.clz32(dHi & -dHi);
        // Five bits hold the leading count: clamp, and write the extra zero bits as significant.
        if (lead >= 32) lead = 31;
        const pl = this.#leading;
        let ctrl: number;
        let ctrlLen: number;
        let shift: number;
        let sig: number;
        if (pl !== 0xff && lead >= pl && trail >= this.#trailing) {
          // '10': the previous window holds the significant bits.
          shift = this.#trailing;
          sig = 64 - pl - shift;
          ctrl = (pre << 2) | 0b10;
          ctrlLen = preLen + 2;
        } else {
          // '11' + leading(5) + sigbits(6); 64 significant bits do not fit 6 bits, so 0 stands
          // for 64 (0 itself is the "same value" case).
          this.#leading = lead;
          this.#trailing = trail;
          shift = trail;
          sig = 64 - lead - trail;
          if (preLen > 19) {
            pos = putBits(buf, pos, pre, preLen);
            pre = 0;
            preLen = 0;
          }
          ctrl = (pre << 13) | (0b11 << 11) | (lead << 6) | (sig & 63);
          ctrlLen = preLen + 13;
        }
        // The significant bits: (dHi:dLo) >>> shift, in as few writes of ≤ 32 bits as fit.
        let h: number;
        let l: number;
        if (shift === 0) {
          h = dHi;
          l = dLo;
        } else if (shift < 32) {
          l = (dLo >>> shift) | (dHi << (32 - shift));
          h = dHi >>> shift;
        } else {
          l = dHi >>> (shift - 32);
          h = 0;
        }
        if (sig <= 32) {
          if (ctrlLen + sig <= 32) {
            pos = putBits(buf, pos, (ctrl << sig) | l, ctrlLen + sig);
          } else {
            pos = putBits(buf, pos, ctrl, ctrlLen);
            pos = putBits(buf, pos, l, sig);
          }
        } else {
          const hn = sig - 32;
          if (ctrlLen + hn <= 32) {
            pos = putBits(buf, pos, (ctrl << hn) | h, ctrlLen + hn);
          } else {
            pos = putBits(buf, pos, ctrl, ctrlLen);
            pos = putBits(buf, pos, h, hn);
          }
          pos = putBits(buf, pos, l, 32);
        }
        lastBits = sig;
      }
    }
    s.pos = pos;
    s.pad = lastBits >= 8 && (lastBits & 7) === 0 && (pos & 7) === 0 ? 1 : 0;
    this.#t = t;
    this.#vHi = hi;
    this.#vLo = lo;
    const c = n + 1;
    this.#n = c;
    buf[0] = c >>> 8;
    buf[1] = c;
  }
}
