/**
 * The head's open chunks, one per series slot, kept as struct-of-arrays: the XOR encoder state
 * of every series lives in typed arrays indexed by slot, and the chunk bytes in shared slabs
 * carved into power-of-two size classes. Appending allocates nothing, and a series costs some
 * 60 bytes of state plus its chunk's bytes, instead of four objects and a typed array each.
 *
 * The bytes are those of Prometheus's XOR chunk (chunks.md, bstream.md), including the spare
 * zero byte its bstream leaves after a whole-byte write that ends byte-aligned, so a chunk
 * copied out of here is byte-identical to Prometheus's (and to chunkenc's XORChunk).
 * @module
 */

const SLAB_SIZE = 256 * 1024;
// Size classes in steps of 1.5× and 2× alternately, 64 B … 16 KiB: little slack per chunk.
const CLASS_BYTES = [64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384];
const NUM_CLASSES = CLASS_BYTES.length;
// Worst case per sample: dod '1111'+64 bits, value '11'+5+6+64 bits (19 bytes; first sample:
// 10+8), plus one. Writes never store past the last bit written.
const MAX_SAMPLE_BYTES = 20;
const MAX_SAMPLES = 0xffff;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO32 = 4294967296;
// Per-slot record layout (see HeadChunks): its size, and field indexes in f64, u32 and byte units.
const REC_BYTES = 48;
const RF = REC_BYTES / 8;
const RU = REC_BYTES / 4;
const T = 0;
const TDELTA = 1;
const BITS = 4;
const VHI = 5;
const VLO = 6;
const OFF = 7;
const SLAB = 8;
const WHI = 9;
const WLO = 11;
const LEAD = 40;
const TRAIL = 41;
const CLS = 42;
const PAD = 43;

function classBytes(c: number): number {
  return CLASS_BYTES[c] ?? Infinity;
}

/** HeadChunks holds one open XOR chunk per slot. */
export class HeadChunks {
  #cap = 0;
  /** Samples in each slot's chunk. */
  n = new Uint32Array(0);
  // The rest of each slot's encoder state is one 48-byte record, so an append touches one or two
  // cache lines instead of one per field (with 100 k series, those misses were most of its
  // cost): f64 0 the last timestamp, f64 1 the last timestamp delta; u32 4 bits written
  // (header included), 5/6 the last value's high/low halves, 7 the chunk's byte offset in its
  // slab, 8 the slab, 9 and 11 the write window; u8 40/41 the leading/trailing-zero window
  // (0xff: none yet), 42 the size class + 1 (0: no memory), 43 the pad byte flag.
  //
  // Appends collect bits in a 64-bit write window that goes to the chunk's memory when full:
  // with many series every chunk's tail is a cache (and TLB) miss, so touching it once per 64
  // bits instead of once per sample is most of the speed. The window holds the (bits - 16) % 64
  // bits after the last whole 64; the sample count and the window are written out by view(),
  // the only way to the bytes.
  #f = new Float64Array(0);
  #u = new Uint32Array(0);
  #b = new Uint8Array(0);
  readonly #slabs: (Uint8Array | undefined)[] = [];
  // Per slab: its size class and how many of its slots are in use; slabs that empty out are
  // dropped (the first chunks of new series grow through the small classes and leave them).
  readonly #slabClass: number[] = [];
  readonly #slabLive: number[] = [];
  readonly #freeSlabs: number[] = [];
  #numSlabs = 0;
  readonly #free: number[][] = Array.from({ length: NUM_CLASSES }, () => []);

  /** ensure makes room for slots below `slots`. */
  ensure(slots: number): void {
    if (slots <= this.#cap) return;
    let cap = Math.max(1024, this.#cap * 2);
    while (cap < slots) cap *= 2;
    const n = new Uint32Array(cap);
    n.set(this.n);
    this.n = n;
    const b = new Uint8Array(cap * REC_BYTES);
    b.set(this.#b);
    this.#b = b;
    this.#f = new Float64Array(b.buffer);
    this.#u = new Uint32Array(b.buffer);
    this.#cap = cap;
  }

  /** byteLength returns the length of the slot's chunk data (header and pad byte included). */
  byteLength(slot: number): number {
    return ((this.#u[slot * RU + BITS]! + 7) >>> 3) + this.#b[slot * REC_BYTES + PAD]!;
  }

  /** view returns the slot's chunk data in place; it changes with the next append. */
  view(slot: number): Uint8Array {
    const u = slot * RU;
    const off = this.#u[u + OFF]!;
    const slab = this.#slabs[this.#u[u + SLAB]!]!;
    const bits = this.#u[u + BITS]!;
    const cnt = this.n[slot]!;
    slab[off] = cnt >>> 8;
    slab[off + 1] = cnt & 0xff;
    // The window's whole and partial bytes (the rest of the chunk's memory is zero).
    const wn = (bits - 16) & 63;
    let at = off + ((bits - wn) >>> 3);
    const hi = this.#u[u + WHI]!;
    const lo = this.#u[u + WLO]!;
    for (let k = 0; k < wn; k += 8) slab[at++] = k < 32 ? hi >>> (24 - k) : lo >>> (56 - k);
    return slab.subarray(off, off + this.byteLength(slot));
  }

  /** copy returns a copy of the slot's chunk data, stable for any reader. */
  copy(slot: number): Uint8Array {
    return this.view(slot).slice();
  }

  /** reset empties the slot's chunk, keeping its memory for the next one. */
  reset(slot: number): void {
    if (this.#b[slot * REC_BYTES + CLS]! - 1 < 0) return;
    this.view(slot).fill(0);
    this.n[slot] = 0;
    this.#u[slot * RU + BITS] = 16;
    this.#u[slot * RU + WHI] = 0;
    this.#u[slot * RU + WLO] = 0;
    this.#b[slot * REC_BYTES + PAD] = 0;
  }

  /** release frees the slot's chunk memory. */
  release(slot: number): void {
    const c = this.#b[slot * REC_BYTES + CLS]! - 1;
    if (c < 0) return;
    this.view(slot).fill(0);
    this.#freeAddr(c, this.#addrOf(slot));
    this.#b[slot * REC_BYTES + CLS] = 0;
    this.n[slot] = 0;
    this.#u[slot * RU + BITS] = 0;
    this.#u[slot * RU + WHI] = 0;
    this.#u[slot * RU + WLO] = 0;
    this.#b[slot * REC_BYTES + PAD] = 0;
  }

  /** memoryBytes returns the bytes of the slabs. */
  memoryBytes(): number {
    return this.#numSlabs * SLAB_SIZE;
  }

  #alloc(c: number): number {
    const fl = this.#free[c]!;
    let a = fl.pop();
    if (a === undefined) {
      const slab = this.#freeSlabs.pop() ?? this.#slabs.length;
      this.#slabs[slab] = new Uint8Array(SLAB_SIZE);
      this.#slabClass[slab] = c;
      this.#slabLive[slab] = 0;
      this.#numSlabs++;
      const size = classBytes(c);
      for (let off = (Math.floor(SLAB_SIZE / size) - 1) * size; off > 0; off -= size) fl.push(slab * SLAB_SIZE + off);
      a = slab * SLAB_SIZE;
    }
    this.#slabLive[Math.floor(a / SLAB_SIZE)]!++;
    return a;
  }

  // #freeAddr returns a (zeroed) slot to its class; an empty slab is dropped altogether.
  #freeAddr(c: number, a: number): void {
    const slab = Math.floor(a / SLAB_SIZE);
    this.#free[c]!.push(a);
    if (--this.#slabLive[slab]! > 0) return;
    const lo = slab * SLAB_SIZE;
    const hi = lo + SLAB_SIZE;
    const fl = this.#free[c]!;
    let k = 0;
    for (let i = 0; i < fl.length; i++) {
      const x = fl[i]!;
      if (x < lo || x >= hi) fl[k++] = x;
    }
    fl.length = k;
    this.#slabs[slab] = undefined;
    this.#freeSlabs.push(slab);
    this.#numSlabs--;
  }

  // #room makes sure the slot can take one more sample, moving it to a larger class if needed.
  #room(slot: number): Uint8Array {
    const c = this.#b[slot * REC_BYTES + CLS]! - 1;
    const need = ((this.#u[slot * RU + BITS]! + 7) >>> 3) + 1 + MAX_SAMPLE_BYTES;
    if (c < 0) {
      let k = 0;
      while (classBytes(k) < need) k++;
      this.#place(slot, this.#alloc(k));
      this.#b[slot * REC_BYTES + CLS] = k + 1;
      this.#u[slot * RU + BITS] = 16;
      this.#u[slot * RU + WHI] = 0;
      this.#u[slot * RU + WLO] = 0;
      this.#b[slot * REC_BYTES + PAD] = 0;
    } else if (classBytes(c) < need) {
      let k = c + 1;
      while (classBytes(k) < need) k++;
      if (k >= NUM_CLASSES) throw new RangeError('head chunk exceeds the largest size class');
      const old = this.view(slot);
      const to = this.#alloc(k);
      const slab = Math.floor(to / SLAB_SIZE);
      this.#slabs[slab]!.set(old, to - slab * SLAB_SIZE);
      old.fill(0);
      this.#freeAddr(c, this.#addrOf(slot));
      this.#place(slot, to);
      this.#b[slot * REC_BYTES + CLS] = k + 1;
    }
    return this.#slabs[this.#u[slot * RU + SLAB]!]!;
  }

  #addrOf(slot: number): number {
    return this.#u[slot * RU + SLAB]! * SLAB_SIZE + this.#u[slot * RU + OFF]!;
  }

  #place(slot: number, addr: number): void {
    const slab = Math.floor(addr / SLAB_SIZE);
    this.#u[slot * RU + SLAB] = slab;
    this.#u[slot * RU + OFF] = addr - slab * SLAB_SIZE;
  }

  /** append adds a sample to the slot's chunk; t must be after the previous sample's (the head checks). */
  append(slot: number, t: number, v: number): void {
    const n = this.n[slot]!;
    if (n >= MAX_SAMPLES) throw new RangeError('XOR chunk is full (65535 samples)');
    const u = slot * RU;
    const r8 = slot * REC_BYTES;
    const c = this.#b[r8 + CLS]! - 1;
    // The slot's class holds one more sample of the worst size, or it moves to a larger one.
    const buf = c >= 0 && ((this.#u[u + BITS]! + 7) >>> 3) + 1 + MAX_SAMPLE_BYTES <= CLASS_BYTES[c]! ? this.#slabs[this.#u[u + SLAB]!]! : this.#room(slot);
    const bits = this.#u[u + BITS]!;
    W.buf = buf;
    W.n = (bits - 16) & 63;
    W.byte = this.#u[u + OFF]! + ((bits - W.n) >>> 3);
    W.hi = this.#u[u + WHI]!;
    W.lo = this.#u[u + WLO]!;
    F64[0] = v;
    const hi = U32[HI]!;
    const lo = U32[LO]!;
    let last: number; // size of the last bstream write, for the pad byte rule
    if (n === 0) {
      putVarintBits(t < 0 ? -2 * t - 1 : 2 * t);
      put(hi, 32);
      put(lo, 32);
      last = 64;
      this.#b[r8 + LEAD] = 0xff;
      this.#b[r8 + TRAIL] = 0;
    } else {
      const f = slot * RF;
      const tDelta = t - this.#f[f + T]!;
      // The timestamp's bits (`pre`, `preLen` of them) go out with the value's first write.
      let pre = 0;
      let preLen = 0;
      if (n === 1) {
        putVarintBits(tDelta);
      } else {
        const dod = tDelta - this.#f[f + TDELTA]!;
        if (dod === 0) {
          preLen = 1; // '0'
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
          put(0b1111, 4);
          const dh = Math.floor(dod / TWO32);
          put(dh, 32);
          put(dod - dh * TWO32, 32);
        }
      }
      this.#f[f + TDELTA] = tDelta;
      // Value: XOR with the previous one.
      const dHi = hi ^ this.#u[u + VHI]!;
      const dLo = lo ^ this.#u[u + VLO]!;
      if (dHi === 0 && dLo === 0) {
        put(pre << 1, preLen + 1); // '0': same value
        last = 1;
      } else {
        let lead = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
        const trail = dLo !== 0 ? 31 - Math.clz32(dLo & -dLo) : 63 - Math.clz32(dHi & -dHi);
        if (lead >= 32) lead = 31; // five bits hold it; the rest are written as significant
        const pl = this.#b[r8 + LEAD]!;
        const pt = this.#b[r8 + TRAIL]!;
        let ctrl: number;
        let ctrlLen: number;
        let shift: number;
        let sig: number;
        if (pl !== 0xff && lead >= pl && trail >= pt) {
          // '10': the previous window holds the significant bits.
          shift = pt;
          sig = 64 - pl - pt;
          ctrl = (pre << 2) | 0b10;
          ctrlLen = preLen + 2;
        } else {
          // '11' + leading(5) + sigbits(6, 64 written as 0).
          this.#b[r8 + LEAD] = lead;
          this.#b[r8 + TRAIL] = trail;
          shift = trail;
          sig = 64 - lead - trail;
          if (preLen > 19) {
            put(pre, preLen);
            pre = 0;
            preLen = 0;
          }
          ctrl = (pre << 13) | (0b11 << 11) | (lead << 6) | (sig & 63);
          ctrlLen = preLen + 13;
        }
        // The significant bits: (dHi:dLo) >>> shift, `sig` of them, in as few writes as fit.
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
            put((ctrl << sig) | l, ctrlLen + sig);
          } else {
            put(ctrl, ctrlLen);
            put(l, sig);
          }
        } else {
          const hn = sig - 32;
          if (ctrlLen + hn <= 32) {
            put((ctrl << hn) | h, ctrlLen + hn);
          } else {
            put(ctrl, ctrlLen);
            put(h, hn);
          }
          put(l, 32);
        }
        last = sig;
      }
    }
    const pos = (W.byte - this.#u[u + OFF]!) * 8 + W.n;
    this.#f[slot * RF + T] = t;
    this.#u[u + VHI] = hi;
    this.#u[u + VLO] = lo;
    this.#u[u + BITS] = pos;
    this.#u[u + WHI] = W.hi;
    this.#u[u + WLO] = W.lo;
    this.#b[r8 + PAD] = last >= 8 && (last & 7) === 0 && (pos & 7) === 0 ? 1 : 0;
    this.n[slot] = n + 1;
  }
}

// The write window of the append in progress (see HeadChunks): the slab, the byte of the
// window's first bit, its 64 bits as two halves (most significant first) and how many are used.
// (An object's fields, not module variables: those pay a hole check on every access.)
const W = { buf: new Uint8Array(0) as Uint8Array, byte: 0, hi: 0, lo: 0, n: 0 };

// put adds the low n (1 ≤ n ≤ 32) bits of v to the write window, most significant first; a
// full window goes to the chunk's memory as 8 bytes.
function put(v: number, n: number): void {
  const x = v << (32 - n); // the n bits at the top of an int32
  const m = W.n;
  if (m < 32) {
    W.hi |= x >>> m;
    if (m + n > 32) W.lo = x << (32 - m);
    W.n = m + n;
    return;
  }
  const k = m - 32;
  W.lo |= x >>> k;
  if (m + n < 64) {
    W.n = m + n;
    return;
  }
  const b = W.buf;
  const i = W.byte;
  const h = W.hi;
  const l = W.lo;
  b[i] = h >>> 24;
  b[i + 1] = h >>> 16;
  b[i + 2] = h >>> 8;
  b[i + 3] = h;
  b[i + 4] = l >>> 24;
  b[i + 5] = l >>> 16;
  b[i + 6] = l >>> 8;
  b[i + 7] = l;
  W.byte = i + 8;
  const spill = m + n - 64; // bits of x that did not fit
  W.hi = spill === 0 ? 0 : x << (32 - k);
  W.lo = 0;
  W.n = spill;
}

// putVarintBits writes u (a non-negative integer < 2^53) as a Go uvarint.
function putVarintBits(u: number): void {
  while (u >= 0x80) {
    put((u % 0x80) | 0x80, 8);
    u = Math.floor(u / 0x80);
  }
  put(u, 8);
}
