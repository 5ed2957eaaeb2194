/**
 * The scrape cache of one target: raw series text → series ref and labels, so that labels are
 * parsed and relabeled only for series not seen before; the series seen in the current and
 * previous scrape, for staleness markers; and the target's metric metadata.
 *
 * Entries are numbered (ids) and kept as parallel typed arrays, with the texts copied into one
 * key arena: a cached series costs no object of its own besides its labels. Lookups allocate
 * nothing: the key is hashed and compared in place in an open-addressing table. Pages usually
 * list their series in the same order at every scrape, so each entry also remembers which
 * entry followed it last time; `expected()` predicts the next series from that, which lets the
 * parser compare the line with one cached text instead of tokenizing it and hashing.
 * @module
 */
import type { Labels } from '../model/index.js';
import type { SeriesRef } from '../storage/index.js';
import type { MetricType } from '../textparse/index.js';

/** MetricMetadata is the HELP, TYPE and UNIT a target gave a metric family. */
export interface MetricMetadata {
  readonly metric: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

interface MetaEntry {
  type: MetricType;
  help: string;
  unit: string;
  lastIter: number;
}

const EMPTY_SLOT = -1;
/** NO_ENTRY is the id returned when no entry matches. */
export const NO_ENTRY = -1;

/** seriesHash is 32-bit FNV-1a over `b[start, end)`. */
export function seriesHash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** ScrapeCache holds one target's series and metadata between scrapes. */
export class ScrapeCache {
  #slots: Int32Array = new Int32Array(1024).fill(EMPTY_SLOT);
  // Entries, by id: series ref (0 for dropped entries), where the copy of the series text sits
  // in the key arena and its length, its hash, the iteration that last saw it, the staleness
  // generation in which it was last appended without its own timestamp, the entry that
  // followed it in the last scrape, and its labels (undefined when relabeling dropped it).
  #n = 0;
  #refs: Float64Array = new Float64Array(64);
  #keyOff: Int32Array = new Int32Array(64);
  #keyLen: Int32Array = new Int32Array(64);
  #hash: Int32Array = new Int32Array(64);
  #lastIter: Int32Array = new Int32Array(64);
  #seenGen: Int32Array = new Int32Array(64).fill(-1);
  #succ: Int32Array = new Int32Array(64).fill(NO_ENTRY);
  #labels: (Labels | undefined)[] = [];
  #arena: Buffer = Buffer.allocUnsafe(16 * 1024);
  #arenaLen = 0;
  #iter = 0;
  #successfulCount = 0;
  // Staleness: the ids appended (without explicit timestamp) in the current and previous
  // scrape. An entry's seenGen says whether it is already in `#cur`.
  #gen = 0;
  #cur: Int32Array = new Int32Array(64);
  #curLen = 0;
  #prev: Int32Array = new Int32Array(64);
  #prevLen = 0;
  // Prediction: the entry noted last in this scrape, and the first one of the last scrape.
  #last = NO_ENTRY;
  #first = NO_ENTRY;
  #firstNext = NO_ENTRY;
  readonly #metadata = new Map<string, MetaEntry>();
  /** Incremented when iterDone had to flush because failing scrapes made the cache grow. */
  forcedFlushes = 0;

  /** size is the number of cached series texts (kept and dropped). */
  get size(): number {
    return this.#n;
  }

  /** beginScrape starts predicting from the first series of the last scrape. */
  beginScrape(): void {
    this.#last = NO_ENTRY;
  }

  /**
   * expected returns the id of the entry that probably comes next in the scrape in progress
   * (the one that followed the last noted entry in the previous scrape), or NO_ENTRY. Its text
   * is `keyArena()[keyOffset(id), keyOffset(id) + keyLength(id))`.
   */
  expected(): number {
    return this.#last === NO_ENTRY ? this.#first : this.#succ[this.#last]!;
  }

  /** keyArena returns the buffer holding the cached texts (replaced when it grows). */
  keyArena(): Buffer {
    return this.#arena;
  }

  /** keyOffset returns where an entry's text starts in the key arena. */
  keyOffset(id: number): number {
    return this.#keyOff[id]!;
  }

  /** keyLength returns the length of an entry's text. */
  keyLength(id: number): number {
    return this.#keyLen[id]!;
  }

  /** ref returns an entry's series ref (0 for dropped entries). */
  ref(id: number): SeriesRef | 0 {
    return this.#refs[id]! as SeriesRef | 0;
  }

  /** setRef records a new series ref for an entry (storage gave another one). */
  setRef(id: number, ref: SeriesRef | 0): void {
    this.#refs[id] = ref;
  }

  /** labels returns an entry's labels after relabeling; undefined when relabeling dropped it. */
  labels(id: number): Labels | undefined {
    return this.#labels[id];
  }

  /**
   * lookup finds the entry for the series text `b[start, end)`: the expected one when its text
   * matches, else through the hash table. Returns NO_ENTRY when none is cached. Call note()
   * with the outcome.
   */
  lookup(b: Uint8Array, start: number, end: number): number {
    const e = this.expected();
    if (e !== NO_ENTRY && this.#keyLen[e] === end - start && this.#keyEquals(e, b, start)) return e;
    return this.get(b, start, end);
  }

  #keyEquals(id: number, b: Uint8Array, start: number): boolean {
    const a = this.#arena;
    const off = this.#keyOff[id]!;
    const len = this.#keyLen[id]!;
    let j = 0;
    while (j < len && a[off + j] === b[start + j]) j++;
    return j === len;
  }

  /**
   * note records the entry met at the current position of the scrape (NO_ENTRY when none was
   * cached): it is seen in this iteration, and follows the previous one for next time.
   */
  note(id: number): void {
    if (id !== NO_ENTRY) this.#lastIter[id] = this.#iter;
    if (this.#last === NO_ENTRY) this.#firstNext = id;
    else this.#succ[this.#last] = id;
    this.#last = id;
  }

  /** get finds the entry for the series text `b[start, end)`, or returns NO_ENTRY. */
  get(b: Uint8Array, start: number, end: number): number {
    const h = seriesHash(b, start, end) | 0;
    const slots = this.#slots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY_SLOT) return NO_ENTRY;
      if (this.#hash[s] === h && this.#keyLen[s] === len && this.#keyEquals(s, b, start)) return s;
    }
  }

  /**
   * add caches the outcome for a series text not seen before: its ref and final labels, or
   * undefined labels when relabeling dropped it. Returns the new entry's id.
   */
  add(b: Uint8Array, start: number, end: number, ref: SeriesRef | 0, labels: Labels | undefined): number {
    const len = end - start;
    if (this.#arenaLen + len > this.#arena.length) {
      let size = this.#arena.length * 2;
      while (size < this.#arenaLen + len) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.#arena.copy(grown, 0, 0, this.#arenaLen);
      this.#arena = grown;
    }
    this.#arena.set(b.subarray(start, end), this.#arenaLen);
    const id = this.#n;
    if (id === this.#refs.length) this.#grow(id * 2);
    if ((id + 1) * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2, id);
    this.#n = id + 1;
    this.#refs[id] = ref;
    this.#keyOff[id] = this.#arenaLen;
    this.#keyLen[id] = len;
    const h = seriesHash(b, start, end) | 0;
    this.#hash[id] = h;
    this.#lastIter[id] = this.#iter;
    this.#seenGen[id] = -1;
    this.#succ[id] = NO_ENTRY;
    this.#labels[id] = labels;
    this.#arenaLen += len;
    this.#place(h, id);
    return id;
  }

  #grow(cap: number): void {
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, fill?: number): Int32Array => {
      const b = new Int32Array(cap);
      if (fill !== undefined) b.fill(fill, a.length);
      b.set(a);
      return b;
    };
    this.#refs = f64(this.#refs);
    this.#keyOff = i32(this.#keyOff);
    this.#keyLen = i32(this.#keyLen);
    this.#hash = i32(this.#hash);
    this.#lastIter = i32(this.#lastIter);
    this.#seenGen = i32(this.#seenGen, -1);
    this.#succ = i32(this.#succ, NO_ENTRY);
  }

  #place(h: number, id: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = h & mask;
    while (slots[i] !== EMPTY_SLOT) i = (i + 1) & mask;
    slots[i] = id;
  }

  // #rehash rebuilds the table with `size` slots for the first n entries.
  #rehash(size: number, n: number): void {
    this.#slots = new Int32Array(size).fill(EMPTY_SLOT);
    for (let i = 0; i < n; i++) this.#place(this.#hash[i]!, i);
  }

  /** trackStaleness records that the entry's series got a sample in this scrape. */
  trackStaleness(id: number): void {
    this.#lastIter[id] = this.#iter; // only seen entries may be in #cur (see #evictUnseen)
    if (this.#seenGen[id] === this.#gen) return;
    this.#seenGen[id] = this.#gen;
    if (this.#curLen === this.#cur.length) {
      const grown = new Int32Array(this.#cur.length * 2);
      grown.set(this.#cur);
      this.#cur = grown;
    }
    this.#cur[this.#curLen++] = id;
  }

  /**
   * forEachStale calls fn with the labels of every series appended in the previous scrape but
   * not in this one; fn returns false to stop.
   */
  forEachStale(fn: (labels: Labels) => boolean): void {
    const gen = this.#gen;
    const prev = this.#prev;
    let candidates: number[] | undefined;
    for (let i = 0; i < this.#prevLen; i++) {
      const id = prev[i]!;
      if (this.#seenGen[id] !== gen && this.#labels[id] !== undefined) (candidates ??= []).push(id);
    }
    if (candidates === undefined) return;
    // Two series texts can map to the same series (the same labels, so the same ref): a series
    // still exposed under another text is not stale.
    const live = new Set<number>();
    for (let i = 0; i < this.#curLen; i++) live.add(this.#refs[this.#cur[i]!]!);
    for (const id of candidates) {
      const ref = this.#refs[id]!;
      if (live.has(ref)) continue;
      live.add(ref);
      if (!fn(this.#labels[id]!)) return;
    }
  }

  /**
   * iterDone ends a scrape. `flush` (a non-empty successful scrape) drops entries not seen in it
   * and metadata unseen for 10 iterations; failing scrapes also flush when the cache doubled
   * (plus 1000) since the last success, as Prometheus guards against label churn. The current
   * scrape's series become the previous ones.
   */
  iterDone(flush: boolean): void {
    const count = this.#n + this.#metadata.size;
    if (flush) {
      this.#successfulCount = count;
    } else if (count > this.#successfulCount * 2 + 1000) {
      flush = true;
      this.forcedFlushes++;
    }
    if (this.#last !== NO_ENTRY) {
      // The order of this scrape predicts the next one.
      this.#succ[this.#last] = NO_ENTRY;
      this.#first = this.#firstNext;
    }
    if (flush) {
      this.#evictUnseen();
      const iter = this.#iter;
      for (const [m, e] of this.#metadata) if (iter - e.lastIter > 10) this.#metadata.delete(m);
      this.#iter++;
    }
    const t = this.#prev;
    this.#prev = this.#cur;
    this.#prevLen = this.#curLen;
    this.#cur = t;
    this.#curLen = 0;
    this.#gen++;
    this.#last = NO_ENTRY;
  }

  // #evictUnseen drops the entries not seen in the current iteration, renumbering the rest and
  // compacting their texts. Every id in the current-scrape lists was seen, so they survive.
  #evictUnseen(): void {
    const iter = this.#iter;
    const n = this.#n;
    const remap = new Int32Array(n);
    let kept = 0;
    let need = 0;
    for (let i = 0; i < n; i++) {
      if (this.#lastIter[i] === iter) {
        remap[i] = kept++;
        need += this.#keyLen[i]!;
      } else {
        remap[i] = NO_ENTRY;
      }
    }
    if (kept === n) return;
    let size = 16 * 1024;
    while (size < need * 1.25) size *= 2;
    const arena = Buffer.allocUnsafe(size);
    let off = 0;
    const labels: (Labels | undefined)[] = new Array<Labels | undefined>(kept);
    for (let i = 0; i < n; i++) {
      const j = remap[i]!;
      if (j === NO_ENTRY) continue;
      const len = this.#keyLen[i]!;
      this.#arena.copy(arena, off, this.#keyOff[i]!, this.#keyOff[i]! + len);
      this.#refs[j] = this.#refs[i]!;
      this.#keyOff[j] = off;
      this.#keyLen[j] = len;
      this.#hash[j] = this.#hash[i]!;
      this.#lastIter[j] = this.#lastIter[i]!;
      this.#seenGen[j] = this.#seenGen[i]!;
      const s = this.#succ[i]!;
      this.#succ[j] = s === NO_ENTRY ? NO_ENTRY : remap[s]!;
      labels[j] = this.#labels[i];
      off += len;
    }
    this.#arena = arena;
    this.#arenaLen = off;
    this.#labels = labels;
    this.#n = kept;
    this.#seenGen.fill(-1, kept);
    this.#succ.fill(NO_ENTRY, kept);
    for (let i = 0; i < this.#curLen; i++) this.#cur[i] = remap[this.#cur[i]!]!;
    if (this.#first !== NO_ENTRY) this.#first = remap[this.#first]!;
    let size2 = 1024;
    while (size2 < kept * 2 + 2) size2 *= 2;
    this.#rehash(size2, kept);
    if (kept * 4 < this.#refs.length && this.#refs.length > 64) this.#shrink(Math.max(64, kept * 2));
  }

  #shrink(cap: number): void {
    this.#refs = this.#refs.slice(0, cap);
    this.#keyOff = this.#keyOff.slice(0, cap);
    this.#keyLen = this.#keyLen.slice(0, cap);
    this.#hash = this.#hash.slice(0, cap);
    this.#lastIter = this.#lastIter.slice(0, cap);
    this.#seenGen = this.#seenGen.slice(0, cap);
    this.#succ = this.#succ.slice(0, cap);
  }

  /** setType records a family's TYPE. */
  setType(metric: string, type: MetricType): void {
    this.#meta(metric).type = type;
  }

  /** setHelp records a family's HELP. */
  setHelp(metric: string, help: string): void {
    this.#meta(metric).help = help;
  }

  /** setUnit records a family's UNIT. */
  setUnit(metric: string, unit: string): void {
    this.#meta(metric).unit = unit;
  }

  #meta(metric: string): MetaEntry {
    let e = this.#metadata.get(metric);
    if (e === undefined) {
      e = { type: 'unknown', help: '', unit: '', lastIter: this.#iter };
      this.#metadata.set(metric, e);
    }
    e.lastIter = this.#iter;
    return e;
  }

  /** metadata returns what is known about one metric family. */
  metadata(metric: string): MetricMetadata | undefined {
    const e = this.#metadata.get(metric);
    return e === undefined ? undefined : { metric, type: e.type, help: e.help, unit: e.unit };
  }

  /** listMetadata returns every metric family's metadata. */
  listMetadata(): MetricMetadata[] {
    const out: MetricMetadata[] = [];
    for (const [metric, e] of this.#metadata) out.push({ metric, type: e.type, help: e.help, unit: e.unit });
    return out;
  }

  /** metadataLength is the number of metadata entries. */
  get metadataLength(): number {
    return this.#metadata.size;
  }

  /** metadataBytes is the summed length of the metadata strings, as Prometheus reports it. */
  get metadataBytes(): number {
    let n = 0;
    for (const e of this.#metadata.values()) n += e.help.length + e.unit.length + e.type.length;
    return n;
  }
}
