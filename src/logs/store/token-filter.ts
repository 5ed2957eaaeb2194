/**
 * Token filters: a per-chunk Bloom filter over token prefixes, so a needle search (`|= "…"`)
 * skips chunks that cannot hold a matching line, without false negatives.
 *
 * A token is a maximal run of ASCII letters and digits and non-ASCII bytes; every other byte
 * separates tokens. Letters are case-folded (ASCII), so the same filter serves case-sensitive
 * and `(?i)` needles. For every token the filter holds two items: P4, its first min(4, len)
 * bytes, and (for tokens longer than 4 bytes) P8, its first min(8, len) bytes.
 *
 * Why prefixes: LogQL's `|=` is a substring match, so a needle may start or end inside a
 * token of the line. Only the parts of a needle that begin right after a separator inside the
 * needle are known to begin a token of the line; parts that also end at a separator are whole
 * tokens. From those the filter derives items every matching line must hold:
 *   - a whole token of length ≤ 4: its P4; of length > 4: its P8 (first 8 bytes);
 *   - a token start followed by ≥ 8 needle bytes: P8 of those 8 bytes; by 4–7 bytes: P4.
 * So request IDs (`req-8f3a…`), IPs, paths, `key=value` pairs and JSON values are findable; a
 * needle without an inner separator (a bare word or hex ID) gives no item and scans.
 * @module
 */

/**
 * TOKEN_KERNEL is the tokenizer as plain JavaScript source, so that the packing worker threads
 * (block-packer.ts) and this thread run exactly the same code: items computed at ingest in a
 * worker must equal the items computed here from a needle. It defines `tokenItems(b, start,
 * end)`, returning the distinct items of a byte range as a Uint32Array, and `needleItems(b)`.
 */
export const TOKEN_KERNEL = `
'use strict';
const FNV_OFFSET = 0x811c9dc5, FNV_PRIME = 0x01000193, TAG4 = 0x34, TAG8 = 0x38;
const TOKEN = new Uint8Array(256), FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  TOKEN[c] = c >= 0x80 || (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? 1 : 0;
  FOLD[c] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
}
function finish(h) {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h === 0 ? 1 : h >>> 0;
}
function itemOf(tag, b, start, len) {
  let h = (FNV_OFFSET ^ tag) >>> 0;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ FOLD[b[start + i]], FNV_PRIME);
  return finish(h);
}
function tokenItems(b, start, end) {
  // Distinct items in an open-addressing set; hashing and insertion inlined (hot loop).
  let slots = new Uint32Array(4096), mask = 4095, size = 0, limit = 2048;
  let i = start;
  while (i < end) {
    while (i < end && TOKEN[b[i]] === 0) i++;
    if (i >= end) break;
    let h = 0x811c9dc5 ^ 0x34, h8 = 0x811c9dc5 ^ 0x38, n = 0;
    for (; i < end; i++, n++) {
      const c = b[i];
      if (TOKEN[c] === 0) break;
      if (n < 8) { const f = FOLD[c]; if (n < 4) h = Math.imul(h ^ f, 0x01000193); h8 = Math.imul(h8 ^ f, 0x01000193); }
    }
    for (let r = 0; r < 2; r++) {
      if (r === 1) { if (n <= 4) break; h = h8; }
      h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
      const item = h === 0 ? 1 : h >>> 0;
      let p = item & mask;
      for (;;) {
        const v = slots[p];
        if (v === item) break;
        if (v === 0) {
          slots[p] = item;
          if (++size > limit) {
            const old = slots; slots = new Uint32Array(old.length * 2); mask = slots.length - 1; limit = slots.length >> 1;
            for (let j = 0; j < old.length; j++) { const x = old[j]; if (x === 0) continue; let q = x & mask; while (slots[q] !== 0) q = (q + 1) & mask; slots[q] = x; }
          }
          break;
        }
        p = (p + 1) & mask;
      }
    }
  }
  const out = new Uint32Array(size);
  let k = 0;
  for (let j = 0; j < slots.length; j++) if (slots[j] !== 0) out[k++] = slots[j];
  return out;
}
function needleItems(b) {
  const out = [], n = b.length;
  let i = 0;
  while (i < n && TOKEN[b[i]] === 1) i++;
  while (i < n) {
    while (i < n && TOKEN[b[i]] === 0) i++;
    if (i >= n) break;
    const ts = i;
    while (i < n && TOKEN[b[i]] === 1) i++;
    const len = i - ts;
    if (i < n) out.push(len <= 4 ? itemOf(TAG4, b, ts, len) : itemOf(TAG8, b, ts, Math.min(8, len)));
    else if (len >= 8) out.push(itemOf(TAG8, b, ts, 8));
    else if (len >= 4) out.push(itemOf(TAG4, b, ts, 4));
  }
  return out;
}
// Bloom filter over items: k probes by double hashing; positions reduced to [0, m) by
// multiplication (h·m / 2³²: exact in doubles while m < 2²¹ bits, faster than a modulo).
function mix2(h) {
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) | 1;
}
function reduce(h, m) {
  return m <= 0x200000 ? Math.floor((h * m) / 4294967296) : h % m;
}
function bloomProbe(bits, m, k, item, set) {
  const h2 = mix2(item);
  let h = item;
  for (let i = 0; i < k; i++) {
    const bit = reduce(h >>> 0, m);
    if (set) bits[bit >>> 3] |= 1 << (bit & 7);
    else if ((bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
    h = (h + h2) | 0;
  }
  return true;
}
// buildBloom merges item arrays (duplicates allowed) into an encoded filter: k | bits.
function buildBloom(arrays, bitsPerItem) {
  let total = 0;
  for (const a of arrays) total += a.length;
  let cap = 16;
  while (cap < total * 2) cap *= 2;
  const slots = new Uint32Array(cap);
  const mask = cap - 1;
  let size = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      let p = v & mask;
      for (;;) { const x = slots[p]; if (x === v) break; if (x === 0) { slots[p] = v; size++; break; } p = (p + 1) & mask; }
    }
  }
  const bytes = Math.max(8, Math.ceil((size * bitsPerItem) / 8));
  const k = Math.max(1, Math.min(12, Math.round(bitsPerItem * Math.LN2)));
  const out = new Uint8Array(1 + bytes);
  out[0] = k;
  const bits = out.subarray(1);
  const m = bytes * 8;
  for (let i = 0; i < cap; i++) if (slots[i] !== 0) bloomProbe(bits, m, k, slots[i], true);
  return out;
}
`;

interface Kernel {
  tokenItems(b: Uint8Array, start: number, end: number): Uint32Array;
  needleItems(b: Uint8Array): number[];
  buildBloom(arrays: readonly Uint32Array[], bitsPerItem: number): Uint8Array;
  bloomProbe(bits: Uint8Array, m: number, k: number, item: number, set: boolean): boolean;
}

// The same kernel, instantiated in this thread.
const kernel = new Function(`${TOKEN_KERNEL}\nreturn { tokenItems, needleItems, buildBloom, bloomProbe };`)() as Kernel;

/** buildBloom builds an encoded Bloom filter (`k | bits`) from item arrays, here (see BlockPacker for a worker). */
export function buildBloom(arrays: readonly Uint32Array[], bitsPerItem: number): Uint8Array {
  return kernel.buildBloom(arrays, bitsPerItem);
}

/** isTokenByte tells whether a UTF-8 byte belongs to a token (ASCII alnum or non-ASCII). */
export function isTokenByte(c: number): boolean {
  return c >= 0x80 || (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** tokenItems returns the distinct P4/P8 items of the tokens in b[start:end). */
export function tokenItems(b: Uint8Array, start: number, end: number): Uint32Array {
  return kernel.tokenItems(b, start, end);
}

/**
 * needleItems returns the items every line containing `needle` (UTF-8 bytes) must hold, per
 * the rules in the module comment. An empty result means the filter cannot help.
 */
export function needleItems(needle: Uint8Array): number[] {
  return kernel.needleItems(needle);
}

/** ItemSet is an open-addressing set of non-zero 32-bit items, growing as needed. */
export class ItemSet {
  #slots: Uint32Array;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.#slots = new Uint32Array(cap);
  }

  /** size is the number of distinct items. */
  get size(): number {
    return this.#size;
  }

  /** add inserts a non-zero item. */
  add(item: number): void {
    let slots = this.#slots;
    let mask = slots.length - 1;
    let p = item & mask;
    for (;;) {
      const v = slots[p]!;
      if (v === item) return;
      if (v === 0) break;
      p = (p + 1) & mask;
    }
    slots[p] = item;
    if (++this.#size * 2 > slots.length) {
      this.#grow();
      slots = this.#slots;
      mask = slots.length - 1;
    }
  }

  /** has tells whether the item is in the set. */
  has(item: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let p = item & mask;
    for (;;) {
      const v = slots[p]!;
      if (v === item) return true;
      if (v === 0) return false;
      p = (p + 1) & mask;
    }
  }

  /** forEach visits every item. */
  forEach(fn: (item: number) => void): void {
    const s = this.#slots;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) fn(s[i]!);
  }

  /** items returns the distinct items. */
  items(): Uint32Array {
    const s = this.#slots;
    const out = new Uint32Array(this.#size);
    let k = 0;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) out[k++] = s[i]!;
    return out;
  }

  /** clear empties the set, keeping its memory. */
  clear(): void {
    this.#slots.fill(0);
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Uint32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v === 0) continue;
      let p = v & mask;
      while (slots[p] !== 0) p = (p + 1) & mask;
      slots[p] = v;
    }
    this.#slots = slots;
  }
}

/**
 * BloomFilter is a plain Bloom filter over 32-bit items with `k` probes by double hashing.
 * Serialized as `k <1 byte> | bits <rest>`; the bit count is 8 × the byte length.
 */
export class BloomFilter {
  readonly #bits: Uint8Array;
  readonly #k: number;
  readonly #m: number;

  private constructor(bits: Uint8Array, k: number) {
    this.#bits = bits;
    this.#k = k;
    this.#m = bits.length * 8;
  }

  /**
   * build sizes a filter for the items of `set` at `bitsPerItem` bits each (≥ 64 bits) and
   * inserts them. 8 bits per item give about 2% false positives with k = 6.
   */
  static build(set: ItemSet, bitsPerItem: number): BloomFilter {
    return BloomFilter.decode(kernel.buildBloom([set.items()], bitsPerItem));
  }

  /** decode wraps serialized bytes (not copied). */
  static decode(b: Uint8Array): BloomFilter {
    if (b.length < 2) return new BloomFilter(new Uint8Array(8), 1);
    return new BloomFilter(b.subarray(1), Math.max(1, b[0]!));
  }

  /** encodedLength is the size of encode()'s output. */
  get encodedLength(): number {
    return 1 + this.#bits.length;
  }

  /** encode returns `k | bits`. */
  encode(): Uint8Array {
    const out = new Uint8Array(1 + this.#bits.length);
    out[0] = this.#k;
    out.set(this.#bits, 1);
    return out;
  }

  /** mayContain tells whether the item may have been inserted (false means certainly not). */
  mayContain(item: number): boolean {
    return kernel.bloomProbe(this.#bits, this.#m, this.#k, item, false);
  }

  /** mayContainAll tells whether every item may be present. */
  mayContainAll(items: readonly number[]): boolean {
    for (const it of items) if (!this.mayContain(it)) return false;
    return true;
  }
}
