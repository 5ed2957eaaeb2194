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
// 10+8), plus the 3 zero bytes a bit write may store past its last bit, plus one.
const MAX_SAMPLE_BYTES = 24;
const MAX_SAMPLES = 0xffff;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
const TWO32 = 4294967296;

function classBytes(c: number): number {
  return CLASS_BYTES[c] ?? Infinity;
}

/** HeadChunks holds one open XOR chunk per slot. */
export class HeadChunks {
  #cap = 0;
  /** Samples in each slot's chunk. */
  n = new Uint32Array(0);
  /** Bits written (header included). */
  #bits = new Uint32Array(0);
  #pad = new Uint8Array(0);
  #t = new Float64Array(0);
  #tDelta = new Float64Array(0);
  #vHi = new Uint32Array(0);
  #vLo = new Uint32Array(0);
  #lead = new Uint8Array(0);
  #trail = new Uint8Array(0);
  // Where each slot's chunk lives: slab index and byte offset in it.
  #slab = new Uint32Array(0);
  #off = new Uint32Array(0);
  #cls = new Int8Array(0);
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
    const grow = <T extends Float64Array | Uint32Array | Uint8Array | Int8Array>(a: T, make: (n: number) => T, fill?: number): T => {
      const b = make(cap);
      if (fill !== undefined) b.fill(fill);
      b.set(a as never);
      return b;
    };
    this.n = grow(this.n, (k) => new Uint32Array(k));
    this.#bits = grow(this.#bits, (k) => new Uint32Array(k));
    this.#pad = grow(this.#pad, (k) => new Uint8Array(k));
    this.#t = grow(this.#t, (k) => new Float64Array(k));
    this.#tDelta = grow(this.#tDelta, (k) => new Float64Array(k));
    this.#vHi = grow(this.#vHi, (k) => new Uint32Array(k));
    this.#vLo = grow(this.#vLo, (k) => new Uint32Array(k));
    this.#lead = grow(this.#lead, (k) => new Uint8Array(k));
    this.#trail = grow(this.#trail, (k) => new Uint8Array(k));
    this.#slab = grow(this.#slab, (k) => new Uint32Array(k));
    this.#off = grow(this.#off, (k) => new Uint32Array(k));
    this.#cls = grow(this.#cls, (k) => new Int8Array(k), -1);
    this.#cap = cap;
  }

  /** byteLength returns the length of the slot's chunk data (header and pad byte included). */
  byteLength(slot: number): number {
    return ((this.#bits[slot]! + 7) >>> 3) + this.#pad[slot]!;
  }

  /** view returns the slot's chunk data in place; it changes with the next append. */
  view(slot: number): Uint8Array {
    const off = this.#off[slot]!;
    return this.#slabs[this.#slab[slot]!]!.subarray(off, off + this.byteLength(slot));
  }

  /** copy returns a copy of the slot's chunk data, stable for any reader. */
  copy(slot: number): Uint8Array {
    return this.view(slot).slice();
  }

  /** reset empties the slot's chunk, keeping its memory for the next one. */
  reset(slot: number): void {
    if (this.#cls[slot]! < 0) return;
    this.view(slot).fill(0);
    this.n[slot] = 0;
    this.#bits[slot] = 16;
    this.#pad[slot] = 0;
  }

  /** release frees the slot's chunk memory. */
  release(slot: number): void {
    const c = this.#cls[slot]!;
    if (c < 0) return;
    this.view(slot).fill(0);
    this.#freeAddr(c, this.#addrOf(slot));
    this.#cls[slot] = -1;
    this.n[slot] = 0;
    this.#bits[slot] = 0;
    this.#pad[slot] = 0;
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
    const c = this.#cls[slot]!;
    const need = ((this.#bits[slot]! + 7) >>> 3) + 1 + MAX_SAMPLE_BYTES;
    if (c < 0) {
      let k = 0;
      while (classBytes(k) < need) k++;
      this.#place(slot, this.#alloc(k));
      this.#cls[slot] = k;
      this.#bits[slot] = 16;
      this.#pad[slot] = 0;
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
      this.#cls[slot] = k;
    }
    return this.#slabs[this.#slab[slot]!]!;
  }

  #addrOf(slot: number): number {
    return this.#slab[slot]! * SLAB_SIZE + this.#off[slot]!;
  }

  #place(slot: number, addr: number): void {
    const slab = Math.floor(addr / SLAB_SIZE);
    this.#slab[slot] = slab;
    this.#off[slot] = addr - slab * SLAB_SIZE;
  }

  /** append adds a sample to the slot's chunk; t must be after the previous sample's (the head checks). */
  append(slot: number, t: number, v: number): void {
    const n = this.n[slot]!;
    if (n >= MAX_SAMPLES) throw new RangeError('XOR chunk is full (65535 samples)');
    const c = this.#cls[slot]!;
    // The slot's class holds one more sample of the worst size, or it moves to a larger one.
    const buf = c >= 0 && ((this.#bits[slot]! + 7) >>> 3) + 1 + MAX_SAMPLE_BYTES <= CLASS_BYTES[c]! ? this.#slabs[this.#slab[slot]!]! : this.#room(slot);
    let pos = this.#bits[slot]!;
    const base = this.#off[slot]! * 8; // bit offset of the chunk in the slab
    F64[0] = v;
    const hi = U32[HI]!;
    const lo = U32[LO]!;
    let last: number; // size of the last bstream write, for the pad byte rule
    if (n === 0) {
      pos = putVarintBytes(buf, base, pos, t < 0 ? -2 * t - 1 : 2 * t);
      putBits(buf, base + pos, hi, 32);
      putBits(buf, base + pos + 32, lo, 32);
      pos += 64;
      last = 64;
      this.#lead[slot] = 0xff;
      this.#trail[slot] = 0;
    } else {
      const tDelta = t - this.#t[slot]!;
      // The timestamp's bits (`pre`, `preLen` of them) go out with the value's first write.
      let pre = 0;
      let preLen = 0;
      if (n === 1) {
        pos = putVarintBytes(buf, base, pos, tDelta);
      } else {
        const dod = tDelta - this.#tDelta[slot]!;
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
          putBits(buf, base + pos, 0b1111, 4);
          const dh = Math.floor(dod / TWO32);
          putBits(buf, base + pos + 4, dh, 32);
          putBits(buf, base + pos + 36, dod - dh * TWO32, 32);
          pos += 68;
        }
      }
      this.#tDelta[slot] = tDelta;
      // Value: XOR with the previous one.
      const dHi = hi ^ this.#vHi[slot]!;
      const dLo = lo ^ this.#vLo[slot]!;
      if (dHi === 0 && dLo === 0) {
        putBits(buf, base + pos, pre << 1, preLen + 1); // '0': same value
        pos += preLen + 1;
        last = 1;
      } else {
        let lead = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
        const trail = dLo !== 0 ? 31 - Math.clz32(dLo & -dLo) : 63 - Math.clz32(dHi & -dHi);
        if (lead >= 32) lead = 31; // five bits hold it; the rest are written as significant
        const pl = this.#lead[slot]!;
        const pt = this.#trail[slot]!;
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
          this.#lead[slot] = lead;
          this.#trail[slot] = trail;
          shift = trail;
          sig = 64 - lead - trail;
          if (preLen > 19) {
            putBits(buf, base + pos, pre, preLen);
            pos += preLen;
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
            putBits(buf, base + pos, (ctrl << sig) | l, ctrlLen + sig);
          } else {
            putBits(buf, base + pos, ctrl, ctrlLen);
            putBits(buf, base + pos + ctrlLen, l, sig);
          }
        } else {
          const hn = sig - 32;
          if (ctrlLen + hn <= 32) {
            putBits(buf, base + pos, (ctrl << hn) | h, ctrlLen + hn);
          } else {
            putBits(buf, base + pos, ctrl, ctrlLen);
            putBits(buf, base + pos + ctrlLen, h, hn);
          }
          putBits(buf, base + pos + ctrlLen + hn, l, 32);
        }
        pos += ctrlLen + sig;
        last = sig;
      }
    }
    this.#t[slot] = t;
    this.#vHi[slot] = hi;
    this.#vLo[slot] = lo;
    this.#bits[slot] = pos;
    this.#pad[slot] = last >= 8 && (last & 7) === 0 && (pos & 7) === 0 ? 1 : 0;
    const cnt = n + 1;
    this.n[slot] = cnt;
    const b0 = base >>> 3;
    buf[b0] = cnt >>> 8;
    buf[b0 + 1] = cnt & 0xff;
  }
}

// putBits writes the low n (1 ≤ n ≤ 32) bits of v into buf at bit position pos, most
// significant first. Bits after pos are zero (chunk memory is zeroed), so the first byte is
// OR-ed and the next four assigned whole (zeros past the last bit): no loop. The caller
// guarantees room for them within the chunk's class.
function putBits(buf: Uint8Array, pos: number, v: number, n: number): void {
  const i = pos >>> 3;
  const off = pos & 7;
  const w = v << (32 - n); // the n bits at the top of an int32
  buf[i] = buf[i]! | (w >>> (24 + off));
  buf[i + 1] = w >>> (16 + off);
  buf[i + 2] = w >>> (8 + off);
  buf[i + 3] = w >>> off;
  if (off + n > 32) buf[i + 4] = w << (8 - off);
}

// putVarintBytes writes u (a non-negative integer < 2^53) as a Go uvarint, byte by byte at bit
// position pos (relative to base), and returns the new position.
function putVarintBytes(buf: Uint8Array, base: number, pos: number, u: number): number {
  while (u >= 0x80) {
    putBits(buf, base + pos, (u % 0x80) | 0x80, 8);
    pos += 8;
    u = Math.floor(u / 0x80);
  }
  putBits(buf, base + pos, u, 8);
  return pos + 8;
}
