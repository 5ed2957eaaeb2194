/**
 * Decoding of the XOR chunk (see xor-chunk.ts for the layout). The iterator decodes a chunk's
 * samples in one tight pass — all decoder state in local variables — into timestamp and value
 * arrays it keeps and reuses, on the first call that needs a sample; stepping through them is
 * then an index increment. Nothing is allocated per sample.
 * @module
 */
import { ValueType, type SampleIterator } from '../../storage/index.js';
import { ChunkDecodeError } from './errors.js';

const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO32 = 2 ** 32;
const EMPTY = new Uint8Array(2);

/** DecodeState is where decodeXOR leaves the decoder's state after the last sample it read. */
interface DecodeState {
  /** Bit position after the last decoded sample. */
  pos: number;
  tDelta: number;
  vHi: number;
  vLo: number;
  leading: number;
  trailing: number;
  /** A leading/trailing window has been read. */
  window: boolean;
  err: ChunkDecodeError | undefined;
}

// Chunk bytes are copied here with zero padding, so bit reads near the end need no checks.
let scratch = new Uint8Array(256);

/**
 * decodeXOR decodes up to n samples of the chunk bytes `src` into ts and the value words vw
 * (two 32-bit words per float64, in platform order), and returns how many it decoded: fewer
 * than n only when the data is corrupt, with st.err set. Bit reads are written out inline: this
 * loop is where every query spends its time.
 */
function decodeXOR(src: Uint8Array, n: number, ts: Float64Array, vw: Uint32Array, st: DecodeState): number {
  const len = src.length;
  if (scratch.length < len + 8) scratch = new Uint8Array(Math.max(len + 8, scratch.length * 2));
  const b = scratch;
  b.set(src);
  b.fill(0, len, len + 8);
  const end = len * 8;
  let pos = 16;
  let t = 0;
  let tDelta = 0;
  let vHi = 0;
  let vLo = 0;
  let leading = 0;
  let trailing = 0;
  let window = false;
  let i = 0;
  let fail: string | undefined;
  let failBit = 0;
  // Sample 0: varint timestamp, raw float64. Sample 1: uvarint delta, then an XOR value.
  if (n > 0) {
    let off = 2;
    let u = 0;
    let mul = 1;
    let x = 0x80;
    for (let k = 0; k < 10 && x >= 0x80; k++) {
      if (off >= len) {
        fail = 'truncated first timestamp';
        break;
      }
      x = b[off++]!;
      u += (x & 0x7f) * mul;
      mul *= 0x80;
    }
    if (fail === undefined && x >= 0x80) fail = 'overlong first timestamp';
    if (fail === undefined && off + 8 > len) fail = 'truncated first value';
    if (fail !== undefined) {
      failBit = off * 8;
      n = 0;
    } else {
      t = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      vHi = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
      vLo = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
      pos = (off + 8) * 8;
      ts[0] = t;
      vw[HI] = vHi;
      vw[LO] = vLo;
      i = 1;
    }
  }
  for (; i < n; i++) {
    // The next 32 bits at pos, as an int32 whose top bit is the first.
    let j = pos >>> 3;
    let o = pos & 7;
    let w = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
    if (o !== 0) w = (w << o) | (b[j + 4]! >>> (8 - o));
    if (i === 1) {
      let off = pos >>> 3;
      let u = 0;
      let mul = 1;
      let x = 0x80;
      for (let k = 0; k < 10 && x >= 0x80; k++) {
        if (off >= len) {
          fail = 'truncated timestamp delta';
          break;
        }
        x = b[off++]!;
        u += (x & 0x7f) * mul;
        mul *= 0x80;
      }
      if (fail === undefined && x >= 0x80) fail = 'overlong timestamp delta';
      if (fail !== undefined) {
        failBit = off * 8;
        break;
      }
      tDelta = u;
      t += u;
      pos = off * 8;
      j = pos >>> 3; // byte aligned
      w = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
    } else if (w >= 0) {
      // dod 0: a single '0' bit; the value's control bits follow in w.
      pos += 1;
      w <<= 1;
      t += tDelta;
    } else {
      // '10' + 14 bits, '110' + 17, '1110' + 20, '1111' + 64.
      let sz: number;
      let ctl: number;
      if ((w & 0x40000000) === 0) {
        sz = 14;
        ctl = 2;
      } else if ((w & 0x20000000) === 0) {
        sz = 17;
        ctl = 3;
      } else if ((w & 0x10000000) === 0) {
        sz = 20;
        ctl = 4;
      } else {
        sz = 64;
        ctl = 4;
      }
      pos += ctl;
      if (pos + sz > end) {
        fail = 'truncated timestamp';
        failBit = pos;
        break;
      }
      let dod: number;
      if (sz !== 64) {
        const bits = (w << ctl) >>> (32 - sz);
        // High unsigned values are the negative ones (bstream.md).
        dod = bits > 1 << (sz - 1) ? bits - (1 << sz) : bits;
      } else {
        j = pos >>> 3;
        o = pos & 7;
        let hi = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
        let lo = (b[j + 4]! << 24) | (b[j + 5]! << 16) | (b[j + 6]! << 8) | b[j + 7]!;
        if (o !== 0) {
          hi = (hi << o) | (lo >>> (32 - o));
          lo = (lo << o) | (b[j + 8]! >>> (8 - o));
        }
        dod = hi * TWO32 + (lo >>> 0);
      }
      pos += sz;
      tDelta += dod;
      t += tDelta;
      j = pos >>> 3;
      o = pos & 7;
      w = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
      if (o !== 0) w = (w << o) | (b[j + 4]! >>> (8 - o));
    }
    // Value: w holds the bits at pos.
    if (pos >= end) {
      fail = 'truncated value';
      failBit = pos;
      break;
    }
    if (w >= 0) {
      pos += 1; // '0': same value
    } else {
      if ((w & 0x40000000) !== 0) {
        // '11': a new window, 5 bits of leading zeros and 6 of significant bits (0 = 64).
        if (pos + 13 > end) {
          fail = 'truncated value window';
          failBit = pos;
          break;
        }
        const hdr = (w >>> 19) & 0x7ff;
        let sig = hdr & 63;
        if (sig === 0) sig = 64;
        const lead = hdr >>> 6;
        if (lead + sig > 64) {
          fail = `impossible window: ${lead} leading zeros and ${sig} significant bits`;
          failBit = pos;
          break;
        }
        leading = lead;
        trailing = 64 - lead - sig;
        window = true;
        pos += 13;
      } else {
        pos += 2;
      }
      const mbits = 64 - leading - trailing;
      if (pos + mbits > end) {
        fail = 'truncated value bits';
        failBit = pos;
        break;
      }
      // Read the 64 bits at pos as two words, keep the top mbits, right-aligned.
      j = pos >>> 3;
      o = pos & 7;
      let hi = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
      let lo = (b[j + 4]! << 24) | (b[j + 5]! << 16) | (b[j + 6]! << 8) | b[j + 7]!;
      if (o !== 0) {
        hi = (hi << o) | (lo >>> (32 - o));
        lo = (lo << o) | (b[j + 8]! >>> (8 - o));
      }
      pos += mbits;
      let h: number;
      let l: number;
      if (mbits > 32) {
        const hb = mbits - 32; // 1..32 bits of the high word
        h = hb === 32 ? hi : hi >>> (32 - hb);
        l = hb === 32 ? lo : (hi << hb) | (lo >>> (32 - hb));
      } else if (mbits === 32) {
        h = 0;
        l = hi;
      } else {
        h = 0;
        l = hi >>> (32 - mbits);
      }
      // Shift the significant bits back into place: trailing zeros below them.
      if (trailing !== 0) {
        if (trailing < 32) {
          h = (h << trailing) | (l >>> (32 - trailing));
          l = l << trailing;
        } else {
          h = l << (trailing - 32);
          l = 0;
        }
      }
      vHi = (vHi ^ h) >>> 0;
      vLo = (vLo ^ l) >>> 0;
    }
    ts[i] = t;
    vw[2 * i + HI] = vHi;
    vw[2 * i + LO] = vLo;
  }
  st.pos = pos;
  st.tDelta = tDelta;
  st.vHi = vHi;
  st.vLo = vLo;
  st.leading = leading;
  st.trailing = trailing;
  st.window = window;
  st.err = fail !== undefined ? new ChunkDecodeError(fail, failBit, i) : undefined;
  return fail !== undefined ? i : n;
}

/**
 * XORIterator decodes an XOR chunk. It implements storage's SampleIterator; the sample count is
 * read once at reset, so samples appended to the chunk later are not seen.
 */
export class XORIterator implements SampleIterator {
  #buf: Uint8Array = EMPTY;
  /** Samples the chunk header announces. */
  #total = 0;
  #decoded = false;
  /** Samples decoded (all of them unless the chunk is corrupt). */
  #n = 0;
  /** Index of the current sample: -1 before the first, the last one once exhausted. */
  #i = -1;
  #done = false;
  #ts = new Float64Array(128);
  #vs = new Float64Array(128);
  #vw = new Uint32Array(this.#vs.buffer);
  readonly #st: DecodeState = { pos: 16, tDelta: 0, vHi: 0, vLo: 0, leading: 0, trailing: 0, window: false, err: undefined };

  /** reset starts iterating encoded chunk data (header included). */
  reset(bytes: Uint8Array): this {
    this.#buf = bytes;
    this.#total = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0;
    this.#decoded = false;
    this.#n = 0;
    this.#i = -1;
    this.#done = false;
    const st = this.#st;
    st.pos = 16;
    st.tDelta = 0;
    st.vHi = 0;
    st.vLo = 0;
    st.leading = 0;
    st.trailing = 0;
    st.window = false;
    st.err = bytes.length >= 2 ? undefined : new ChunkDecodeError('missing header', 0, 0);
    return this;
  }

  #decode(): void {
    this.#decoded = true;
    if (this.#st.err !== undefined) return;
    const n = this.#total;
    if (n > this.#ts.length) {
      const cap = Math.max(n, this.#ts.length * 2);
      this.#ts = new Float64Array(cap);
      this.#vs = new Float64Array(cap);
      this.#vw = new Uint32Array(this.#vs.buffer);
    }
    this.#n = decodeXOR(this.#buf, n, this.#ts, this.#vw, this.#st);
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    if (!this.#decoded) this.#decode();
    const i = this.#i + 1;
    if (i >= this.#n) {
      this.#done = true;
      return ValueType.None;
    }
    this.#i = i;
    return ValueType.Float;
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (!this.#decoded) this.#decode();
    let i = this.#i < 0 ? 0 : this.#i;
    const n = this.#n;
    const ts = this.#ts;
    if (i < n && ts[i]! < t) {
      // Gallop, then binary search: a seek often lands near the current sample.
      let lo = i + 1;
      let step = 1;
      let hi = lo;
      while (hi < n && ts[hi]! < t) {
        lo = hi + 1;
        hi += step;
        step *= 2;
      }
      if (hi > n) hi = n;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (ts[m]! < t) lo = m + 1;
        else hi = m;
      }
      i = lo;
    }
    if (i >= n) {
      this.#done = true;
      return ValueType.None;
    }
    this.#i = i;
    return ValueType.Float;
  }

  // Kept trivial so callers inline them (a double returned through a call is boxed). After the
  // last sample they keep answering for it (the appender reads them then).
  atT(): number {
    return this.#ts[this.#i]!;
  }

  atF(): number {
    return this.#vs[this.#i]!;
  }

  err(): Error | undefined {
    return this.#done ? this.#st.err : undefined;
  }

  /** numRead returns how many samples have been decoded. */
  numRead(): number {
    if (!this.#decoded) this.#decode();
    return this.#n;
  }

  /** bitPosition returns the bit offset after the last decoded sample. */
  bitPosition(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.pos;
  }

  /** tDelta returns the last timestamp delta (appender state). */
  tDelta(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.tDelta;
  }

  /** valueHi returns the high 32 bits of the last decoded value. */
  valueHi(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.vHi;
  }

  /** valueLo returns the low 32 bits of the last decoded value. */
  valueLo(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.vLo;
  }

  /** windowLeading returns the XOR window's leading zeros, or 0xff before any window was set. */
  windowLeading(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.window ? this.#st.leading : 0xff;
  }

  /** windowTrailing returns the XOR window's trailing zeros. */
  windowTrailing(): number {
    if (!this.#decoded) this.#decode();
    return this.#st.trailing;
  }
}
