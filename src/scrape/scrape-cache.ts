/**
 * The scrape cache of one target: raw series text → series ref and labels, so that labels are
 * parsed and relabeled only for series not seen before; the series seen in the current and
 * previous scrape, for staleness markers; and the target's metric metadata.
 *
 * The series table is an open-addressing hash table keyed by the bytes of the series text in
 * the scrape body, so a lookup allocates nothing: the key is hashed and compared in place, and
 * copied (into one arena buffer per cache, not one Buffer per series) only for a new entry.
 * @module
 */
import type { Labels } from '../model/index.js';
import type { SeriesRef } from '../storage/index.js';
import type { MetricType } from '../textparse/index.js';

/** CacheEntry is one series text's cached outcome. */
export class CacheEntry {
  /** Series ref in storage (0 for dropped entries). */
  ref: SeriesRef | 0 = 0;
  /** Scrape iteration that last saw this text (flushes drop entries not seen in the last one). */
  lastIter = 0;
  /** Staleness generation in which this series was last appended without its own timestamp. */
  seenGen = -1;

  constructor(
    /** Where the copy of the series text starts in the cache's key arena; -1 once evicted. */
    public keyOff: number,
    /** Length of the series text in bytes. */
    readonly keyLen: number,
    readonly hash: number,
    /** Labels after target labels and metric relabeling; undefined when relabeling dropped it. */
    readonly labels: Labels | undefined,
  ) {}

  /** dropped tells whether metric relabeling dropped this series. */
  get dropped(): boolean {
    return this.labels === undefined;
  }
}

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

/** seriesHash is 32-bit FNV-1a over `b[start, end)`. */
export function seriesHash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** ScrapeCache holds one target's series and metadata between scrapes. */
export class ScrapeCache {
  #slots = new Int32Array(1024).fill(EMPTY_SLOT);
  #entries: CacheEntry[] = [];
  #arena: Buffer = Buffer.allocUnsafe(16 * 1024);
  #arenaLen = 0;
  #iter = 0;
  #successfulCount = 0;
  // Staleness: the entries appended (without explicit timestamp) in the current and previous
  // scrape. An entry's seenGen says whether it is already in `#cur`.
  #gen = 0;
  #cur: CacheEntry[] = [];
  #prev: CacheEntry[] = [];
  readonly #metadata = new Map<string, MetaEntry>();
  // Pages usually list the same series in the same order at every scrape: the entry found at
  // position k of the last complete scrape is tried first, which needs no hashing.
  #lastOrder: (CacheEntry | undefined)[] = [];
  #order: (CacheEntry | undefined)[] = [];
  /** Incremented when iterDone had to flush because failing scrapes made the cache grow. */
  forcedFlushes = 0;

  /** size is the number of cached series texts (kept and dropped). */
  get size(): number {
    return this.#entries.length;
  }

  /** beginScrape starts recording the order in which this scrape meets its series. */
  beginScrape(): void {
    this.#order.length = 0;
  }

  /**
   * lookup is get() for the next series of the scrape in progress: it first tries the entry at
   * the same position in the last complete scrape, then the hash table. Call note() with the
   * outcome.
   */
  lookup(b: Uint8Array, start: number, end: number): CacheEntry | undefined {
    const e = this.#lastOrder[this.#order.length];
    if (e !== undefined && e.keyLen === end - start && this.#keyEquals(e, b, start)) {
      e.lastIter = this.#iter;
      return e;
    }
    return this.get(b, start, end);
  }

  #keyEquals(e: CacheEntry, b: Uint8Array, start: number): boolean {
    const a = this.#arena;
    const off = e.keyOff;
    if (off < 0) return false;
    const len = e.keyLen;
    let j = 0;
    while (j < len && a[off + j] === b[start + j]) j++;
    return j === len;
  }

  /** note records the entry (or undefined when none was cached) for the current position. */
  note(e: CacheEntry | undefined): void {
    this.#order.push(e);
  }

  /** get finds the entry for the series text `b[start, end)` and marks it seen, or returns undefined. */
  get(b: Uint8Array, start: number, end: number): CacheEntry | undefined {
    const h = seriesHash(b, start, end);
    const slots = this.#slots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY_SLOT) return undefined;
      const e = this.#entries[s]!;
      if (e.hash === h && e.keyLen === len && this.#keyEquals(e, b, start)) {
        e.lastIter = this.#iter;
        return e;
      }
    }
  }

  /**
   * add caches the outcome for a series text not seen before: its ref and final labels, or
   * undefined labels when relabeling dropped it.
   */
  add(b: Uint8Array, start: number, end: number, ref: SeriesRef | 0, labels: Labels | undefined): CacheEntry {
    const len = end - start;
    if (this.#arenaLen + len > this.#arena.length) {
      let size = this.#arena.length * 2;
      while (size < this.#arenaLen + len) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.#arena.copy(grown, 0, 0, this.#arenaLen);
      this.#arena = grown;
    }
    this.#arena.set(b.subarray(start, end), this.#arenaLen);
    const e = new CacheEntry(this.#arenaLen, len, seriesHash(b, start, end), labels);
    this.#arenaLen += len;
    e.ref = ref;
    e.lastIter = this.#iter;
    this.#insert(e);
    return e;
  }

  #insert(e: CacheEntry): void {
    if ((this.#entries.length + 1) * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    const idx = this.#entries.length;
    this.#entries.push(e);
    this.#place(e.hash, idx);
  }

  #place(h: number, idx: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = h & mask;
    while (slots[i] !== EMPTY_SLOT) i = (i + 1) & mask;
    slots[i] = idx;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size).fill(EMPTY_SLOT);
    for (let i = 0; i < this.#entries.length; i++) this.#place(this.#entries[i]!.hash, i);
  }

  // #compactArena copies the keys of the remaining entries into a right-sized arena.
  #compactArena(): void {
    let need = 0;
    for (const e of this.#entries) need += e.keyLen;
    let size = 16 * 1024;
    while (size < need * 1.25) size *= 2;
    const arena = Buffer.allocUnsafe(size);
    let off = 0;
    for (const e of this.#entries) {
      this.#arena.copy(arena, off, e.keyOff, e.keyOff + e.keyLen);
      e.keyOff = off;
      off += e.keyLen;
    }
    this.#arena = arena;
    this.#arenaLen = off;
  }

  /** trackStaleness records that the entry's series got a sample in this scrape. */
  trackStaleness(e: CacheEntry): void {
    if (e.seenGen === this.#gen) return;
    e.seenGen = this.#gen;
    this.#cur.push(e);
  }

  /**
   * forEachStale calls fn with the labels of every series appended in the previous scrape but
   * not in this one; fn returns false to stop.
   */
  forEachStale(fn: (labels: Labels) => boolean): void {
    const gen = this.#gen;
    let candidates: CacheEntry[] | undefined;
    for (const e of this.#prev) if (e.seenGen !== gen && e.labels !== undefined) (candidates ??= []).push(e);
    if (candidates === undefined) return;
    // Two series texts can map to the same labels; a series still exposed under another text is not stale.
    const live = new Set<string>();
    for (const e of this.#cur) if (e.labels !== undefined) live.add(e.labels.key());
    const done = new Set<string>();
    for (const e of candidates) {
      const k = e.labels!.key();
      if (live.has(k) || done.has(k)) continue;
      done.add(k);
      if (!fn(e.labels!)) return;
    }
  }

  /**
   * iterDone ends a scrape. `flush` (a non-empty successful scrape) drops entries not seen in it
   * and metadata unseen for 10 iterations; failing scrapes also flush when the cache doubled
   * (plus 1000) since the last success, as Prometheus guards against label churn. The current
   * scrape's series become the previous ones.
   */
  iterDone(flush: boolean): void {
    const count = this.#entries.length + this.#metadata.size;
    if (flush) {
      this.#successfulCount = count;
    } else if (count > this.#successfulCount * 2 + 1000) {
      flush = true;
      this.forcedFlushes++;
    }
    if (flush) {
      const iter = this.#iter;
      const kept = this.#entries.filter((e) => e.lastIter === iter);
      if (kept.length !== this.#entries.length) {
        // Evicted entries may still sit in the staleness or order lists: their key is gone.
        for (const e of this.#entries) if (e.lastIter !== iter) e.keyOff = -1;
        this.#entries = kept;
        let size = 1024;
        while (size < kept.length * 2 + 2) size *= 2;
        this.#rehash(size);
        this.#compactArena();
      }
      for (const [m, e] of this.#metadata) if (iter - e.lastIter > 10) this.#metadata.delete(m);
      this.#iter++;
    }
    if (this.#order.length > 0) {
      const o = this.#lastOrder;
      this.#lastOrder = this.#order;
      o.length = 0;
      this.#order = o;
    }
    const t = this.#prev;
    this.#prev = this.#cur;
    t.length = 0;
    this.#cur = t;
    this.#gen++;
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
