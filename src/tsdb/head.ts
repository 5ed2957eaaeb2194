/**
 * The head: the in-memory, writable part of the TSDB holding the most recent samples (up to
 * about 1.5 block ranges). Series get numeric refs on first append, label strings are interned,
 * samples go into XOR chunks, and every commit is logged to the WAL before it becomes visible.
 * Old ranges are cut into blocks by the DB and then dropped here (`truncateMemory`), and the WAL
 * is checkpointed (`truncateWal`).
 * @module
 */
import type { Labels } from '../model/index.js';
import type { Registry } from '../instrument/index.js';
import type { Appender, Querier } from '../storage/index.js';
import { XORChunk } from './chunkenc/index.js';
import { RecordEncoder, type SampleBatch, type Wal } from '../wal/index.js';
import type { ChunkMeta } from './block-writer.js';
import { DbClosedError, InvalidSeriesError } from './errors.js';
import { HeadAppender } from './head-append.js';
import { checkpointWal } from './head-checkpoint.js';
import { ChunkArena } from './head-chunk-arena.js';
import { ChunkSpill } from './head-spill.js';
import { HeadChunks } from './head-chunks.js';
import { HeadQuerier } from './head-read.js';
import { CLOSED_STRIDE, SeriesFlag, SeriesTable, readClosed, type AppendResult } from './head-series.js';
import { MemPostings } from './postings-memory.js';
import { SlotIndex } from './slot-index.js';
import { HeadMetrics } from './tsdb-metrics.js';

// Appender refs are slot + SLOT_SPACE * generation: a direct index into the series table, and
// a stale ref (its series deleted, the slot reused) is recognised by its generation.
const SLOT_SPACE = 2 ** 26;

/** DEFAULT_CHUNK_RANGE_MS is the head's chunk range: the 2h block duration. */
export const DEFAULT_CHUNK_RANGE_MS = 2 * 3_600_000;

/** HeadOptions configure a head. */
export interface HeadOptions {
  /** Chunk range in ms, the block range of blocks cut from the head (default 2h). */
  readonly chunkRangeMs?: number;
  /** The WAL that commits are logged to; none keeps the head in memory only. */
  readonly wal?: Wal;
  /** Registry for the head's `prometheus_tsdb_*` metrics. */
  readonly registry?: Registry;
  /** Samples before this time are out of bounds (the end of the newest block). */
  readonly minValidTime?: number;
  /** Called after every successful commit (the DB checks whether a block can be cut). */
  readonly onCommit?: () => void;
  /**
   * Directory for spilling older closed chunks to disk (see `spillBefore`); emptied now. None
   * keeps every chunk in memory.
   */
  readonly spillDir?: string;
}

/** HeadBlockSeries is one series of a range cut from the head for a block. */
export interface HeadBlockSeries {
  readonly labels: Labels;
  readonly chunks: readonly ChunkMeta[];
}

/** Head holds recent series and samples in memory. */
export class Head {
  readonly chunkRange: number;
  readonly postings = new MemPostings();
  readonly metrics: HeadMetrics;
  readonly arena = new ChunkArena();
  /** Closed chunks spilled to disk, when a spill directory is configured. */
  readonly spill: ChunkSpill | undefined;
  /** The open chunks, by series slot. */
  readonly chunks = new HeadChunks();
  readonly #wal: Wal | undefined;
  readonly #onCommit: (() => void) | undefined;
  readonly #enc = new RecordEncoder();
  /** Every series' state, by slot. */
  readonly series = new SeriesTable();
  readonly #byRef = new SlotIndex({ keyOf: (slot) => this.series.ref[slot]! | 0 });
  readonly #byHash = new SlotIndex({ keyOf: (slot) => this.series.hash[slot]! });
  #numSlots = 0; // slots ever used: [0, #numSlots)
  readonly #freeSlots: number[] = [];
  #generation = 0;
  #interner = new Map<string, string>();
  #internedBytes = 0;
  #lastRef = 0;
  #minTime = Infinity;
  #maxTime = -Infinity;
  #minValidTime: number;
  #appenderSeq = 0;
  #numChunks = 0;
  #closed = false;
  readonly #batchPool: SampleBatch[] = [];

  constructor(options: HeadOptions = {}) {
    const { chunkRangeMs = DEFAULT_CHUNK_RANGE_MS, wal, registry, minValidTime = -Infinity, onCommit, spillDir } = options;
    this.#onCommit = onCommit;
    this.spill = spillDir !== undefined ? new ChunkSpill({ dir: spillDir }) : undefined;
    if (!Number.isInteger(chunkRangeMs) || chunkRangeMs <= 0) throw new RangeError(`HeadOptions.chunkRangeMs must be a positive integer, got ${chunkRangeMs}`);
    this.chunkRange = chunkRangeMs;
    this.#wal = wal;
    this.#minValidTime = minValidTime;
    this.metrics = new HeadMetrics({
      ...(registry !== undefined ? { registry } : {}),
      stats: {
        series: () => this.#byRef.size,
        chunks: () => this.#numChunks,
        minTime: () => this.#minTime,
        maxTime: () => this.#maxTime,
        symbolTableBytes: () => this.#internedBytes,
      },
    });
  }

  /** wal is the log commits go to (undefined for an in-memory head). */
  get wal(): Wal | undefined {
    return this.#wal;
  }

  /** appender starts a batch of samples. */
  appender(): Appender {
    this.#check();
    return new HeadAppender(this, ++this.#appenderSeq);
  }

  /** querier reads the head over [mint, maxt] (inclusive, ms). */
  querier(mint: number, maxt: number): Querier {
    this.#check();
    return new HeadQuerier(this, mint, maxt);
  }

  /** minTime is the oldest timestamp the head may hold (Infinity when empty). */
  minTime(): number {
    return this.#minTime;
  }

  /** maxTime is the newest sample's timestamp (-Infinity when empty). */
  maxTime(): number {
    return this.#maxTime;
  }

  /** minValidTime is the time before which appends are out of bounds. */
  minValidTime(): number {
    return this.#minValidTime;
  }

  /** appendableMinValidTime is the oldest timestamp an appender accepts now (Prometheus's rule). */
  appendableMinValidTime(): number {
    if (this.#maxTime === -Infinity) return this.#minValidTime;
    return Math.max(this.#minValidTime, this.#maxTime - this.chunkRange / 2);
  }

  /** compactable tells whether the head spans more than 1.5 chunk ranges, so a block can be cut. */
  compactable(): boolean {
    if (this.#maxTime === -Infinity || this.#minTime === Infinity) return false;
    return this.#maxTime - this.#minTime > (this.chunkRange / 2) * 3;
  }

  /** numSeries returns how many series the head holds. */
  numSeries(): number {
    return this.#byRef.size;
  }

  /** numChunks returns how many chunks the head holds. */
  numChunks(): number {
    return this.#numChunks;
  }

  /** lastSeriesRef returns the highest series ref handed out. */
  lastSeriesRef(): number {
    return this.#lastRef;
  }

  /** slotOf returns the slot of the series with the given ref, or -1. */
  slotOf(ref: number): number {
    if (ref > 0xffffffff || ref < 0 || !Number.isInteger(ref)) return -1;
    return this.#byRef.findKey(ref | 0);
  }

  /** byHandle returns the slot an appender ref names, -1 when it is stale or unknown. */
  byHandle(handle: number): number {
    const slot = handle % SLOT_SPACE;
    return slot < this.#numSlots && this.series.handle[slot] === handle && this.series.labels[slot] !== undefined ? slot : -1;
  }

  /** slotByLabels returns the slot of the series with exactly these labels, or -1. */
  slotByLabels(labels: Labels): number {
    return this.#lookup(labels, hashLabels(labels));
  }

  #lookup(labels: Labels, h: number): number {
    const ls = this.series.labels;
    return this.#byHash.find(h | 0, (slot) => ls[slot]!.equals(labels));
  }

  /**
   * getOrCreate returns the slot of the series with these labels, creating it with a new ref
   * (or with `ref`, when replaying the WAL). A new series keeps the given Labels object, its
   * strings replaced by the head's shared copies. Throws InvalidSeriesError for an empty label
   * set.
   */
  getOrCreate(labels: Labels, ref?: number): number {
    if (ref !== undefined && ref > this.#lastRef) this.#lastRef = ref;
    const hash = hashLabels(labels);
    const existing = this.#lookup(labels, hash);
    if (existing >= 0) return existing;
    if (labels.isEmpty()) throw new InvalidSeriesError('{}', 'empty label set');
    const id = ref ?? this.#lastRef + 1;
    if (id > 0xffffffff) throw new RangeError(`series ref ${id} does not fit in 32 bits`);
    if (id > this.#lastRef) this.#lastRef = id;
    const slot = this.#freeSlots.pop() ?? this.#numSlots;
    if (slot >= SLOT_SPACE) throw new RangeError(`more than ${SLOT_SPACE} series in the head`);
    if (slot === this.#numSlots) this.#numSlots++;
    this.#generation = (this.#generation + 1) % SLOT_SPACE;
    labels.internStrings(this.#internString);
    const tbl = this.series;
    tbl.ensure(slot + 1);
    tbl.init(slot, id, slot + SLOT_SPACE * this.#generation, hash | 0, labels);
    this.chunks.ensure(slot + 1);
    this.#byRef.insert(slot);
    this.#byHash.insert(slot);
    this.postings.add(id, labels);
    this.metrics.seriesCreated.inc();
    return slot;
  }

  /** forEachSeries calls fn for every series (any order). */
  forEachSeries(fn: (s: { readonly labels: Labels; readonly ref: number }) => void): void {
    const tbl = this.series;
    for (let slot = 0; slot < this.#numSlots; slot++) {
      const labels = tbl.labels[slot];
      if (labels !== undefined) fn({ labels, ref: tbl.ref[slot]! });
    }
  }

  /** forEachSlot calls fn with the slot of every series (any order). */
  forEachSlot(fn: (slot: number) => void): void {
    const ls = this.series.labels;
    for (let slot = 0; slot < this.#numSlots; slot++) if (ls[slot] !== undefined) fn(slot);
  }

  // #internString returns the head's shared copy of a label string. New strings are copied out
  // of whatever larger string they may be a slice of (a scrape body), so the head never pins
  // such buffers.
  readonly #internString = (s: string): string => {
    let k = this.#interner.get(s);
    if (k === undefined) {
      k = flatCopy(s);
      this.#interner.set(k, k);
      this.#internedBytes += k.length;
    }
    return k;
  };

  /** @internal committed is called by appenders after a successful commit. */
  committed(): void {
    this.#onCommit?.();
  }

  /** @internal takeBatch lends a sample batch to an appender. */
  takeBatch(): SampleBatch | undefined {
    return this.#batchPool.pop();
  }

  /** @internal returnBatch takes a batch back. */
  returnBatch(b: SampleBatch): void {
    b.reset();
    if (this.#batchPool.length < 64) this.#batchPool.push(b);
  }

  /** @internal encoder is the shared record encoder (used synchronously only). */
  get encoder(): RecordEncoder {
    return this.#enc;
  }

  /**
   * applyBatch appends committed (already logged) samples to their series; samples that are
   * out of order by now are dropped and counted. Returns the number appended.
   */
  applyBatch(batch: SampleBatch, slots: Int32Array, replay = false): number {
    const n = batch.length;
    const ts = batch.ts;
    const vs = batch.vs;
    const range = this.chunkRange;
    const arena = this.arena;
    const chunks = this.chunks;
    const tbl = this.series;
    let appended = 0;
    let created = 0;
    let mint = Infinity;
    let maxt = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      const r: AppendResult = tbl.append(slots[i]!, t, vs[i]!, range, arena, chunks);
      if (r === 0) continue;
      appended++;
      if (r === 2) created++;
      if (t < mint) mint = t;
      if (t > maxt) maxt = t;
    }
    this.#numChunks += created;
    if (created > 0) this.metrics.chunksCreated.inc(created);
    if (!replay) {
      if (appended > 0) this.metrics.samplesAppended.inc(appended);
      if (appended < n) this.metrics.outOfOrder.inc(n - appended);
    }
    if (mint < this.#minTime) this.#minTime = Math.max(mint, this.#minValidTime);
    if (maxt > this.#maxTime) this.#maxTime = maxt;
    return appended;
  }

  /**
   * truncateMemory drops chunks that end before `mint`, and series left without chunks, and
   * makes `mint` the oldest valid time. Returns the refs of removed series.
   */
  truncateMemory(mint: number): number[] {
    const start = performance.now();
    this.metrics.truncations.inc();
    this.#minValidTime = Math.max(this.#minValidTime, mint);
    const removed: number[] = [];
    const removedSlots: number[] = [];
    let chunksRemoved = 0;
    let actualMint = Infinity;
    const tbl = this.series;
    for (let slot = 0; slot < this.#numSlots; slot++) {
      if (tbl.labels[slot] === undefined) continue;
      chunksRemoved += tbl.truncateBefore(slot, mint, this, this.chunks);
      if (!tbl.hasHead(slot) && tbl.closed[slot] === undefined && tbl.pending[slot] === 0) {
        removed.push(tbl.ref[slot]!);
        removedSlots.push(slot);
        continue;
      }
      const m = tbl.minTime(slot);
      if (m < actualMint) actualMint = m;
    }
    if (removed.length > 0) {
      const set = new Set(removed);
      this.postings.delete(set, (ref) => tbl.labels[this.slotOf(ref)]!);
      for (const slot of removedSlots) this.#deleteSeries(slot);
      this.metrics.seriesRemoved.inc(removed.length);
      this.#compactInterner();
    }
    this.#numChunks -= chunksRemoved;
    this.metrics.chunksRemoved.inc(chunksRemoved);
    // The head's range now starts at the truncation point (or later, at its oldest data).
    this.#minTime = Math.max(mint, Number.isFinite(actualMint) ? actualMint : mint);
    if (this.#maxTime < this.#minTime && this.#maxTime !== -Infinity) this.#maxTime = this.#minTime;
    this.metrics.gcDuration.observe((performance.now() - start) / 1000);
    return removed;
  }

  #deleteSeries(slot: number): void {
    const tbl = this.series;
    tbl.freeAll(slot, this, this.chunks);
    this.#byRef.remove(slot);
    this.#byHash.remove(slot);
    tbl.clear(slot);
    this.#freeSlots.push(slot);
  }

  // #compactInterner forgets strings no remaining series uses, once they are a good share.
  #compactInterner(): void {
    let live = 0;
    for (const name of this.postings.labelNames()) live += 1 + this.postings.numValues(name);
    if (this.#interner.size < 1024 || this.#interner.size < 2 * live) return;
    const next = new Map<string, string>();
    let bytes = 0;
    for (const name of this.postings.labelNames()) {
      const n = this.#interner.get(name) ?? name;
      next.set(n, n);
      bytes += n.length;
      for (const v of this.postings.sortedLabelValues(name)) {
        const k = this.#interner.get(v) ?? v;
        if (!next.has(k)) {
          next.set(k, k);
          bytes += k.length;
        }
      }
    }
    this.#interner = next;
    this.#internedBytes = bytes;
  }

  /**
   * truncateWal checkpoints the older two thirds of the WAL's closed segments, keeping series
   * still in the head and samples from `mint` on, then deletes those segments and older
   * checkpoints (Prometheus's scheme). Failures are counted and thrown.
   */
  truncateWal(mint: number, signal?: AbortSignal): Promise<void> {
    return this.#wal === undefined ? Promise.resolve() : checkpointWal(this.#wal, this.metrics, (ref) => this.slotOf(ref) >= 0, mint, signal);
  }

  /**
   * seriesForBlock yields, sorted by labels, every series' chunks that overlap [mint, maxt)
   * (maxt exclusive, a block's range). Series are sorted up front, but each one's chunks are
   * gathered only when the consumer asks for it, so writing a block never holds the whole range
   * in memory; the open chunk is copied at that moment, so later appends never reach the copy.
   * The caller must not truncate the head while it iterates.
   */
  *seriesForBlock(mint: number, maxt: number): Generator<HeadBlockSeries> {
    const tbl = this.series;
    const sorted: number[] = [];
    for (let slot = 0; slot < this.#numSlots; slot++) {
      if (tbl.labels[slot] !== undefined && tbl.minTime(slot) < maxt && tbl.lastT[slot]! >= mint) sorted.push(slot);
    }
    sorted.sort((a, b) => tbl.labels[a]!.compare(tbl.labels[b]!));
    for (const slot of sorted) {
      // The series may have been deleted while the consumer worked on earlier ones.
      const labels = tbl.labels[slot];
      if (labels === undefined) continue;
      const chunks: ChunkMeta[] = [];
      const c = tbl.closed[slot];
      if (c !== undefined) {
        for (let i = 0; i < c.length; i += CLOSED_STRIDE) {
          const cmint = c[i]!;
          const cmaxt = c[i + 1]!;
          if (cmaxt < mint) continue;
          if (cmint >= maxt) break;
          chunks.push({ mint: cmint, maxt: cmaxt, chunk: XORChunk.fromBytes(readClosed(this, c[i + 2]!, c[i + 3]!)) });
        }
      }
      if (tbl.hasHead(slot) && tbl.lastT[slot]! >= mint && tbl.headMint[slot]! < maxt) {
        chunks.push({ mint: tbl.headMint[slot]!, maxt: tbl.lastT[slot]!, chunk: XORChunk.fromBytes(this.chunks.copy(slot)) });
      }
      if (chunks.length > 0) yield { labels, chunks };
    }
  }

  /**
   * spillBefore moves closed chunks that end before `t` from memory to the spill files, so
   * resident memory holds only recent chunks. Returns how many moved; throws (nothing moved)
   * when the files cannot be written.
   */
  spillBefore(t: number): number {
    const spill = this.spill;
    if (spill === undefined) return 0;
    const moves: (number[] | number)[] = []; // closed array, index, new ref, … flattened
    for (let slot = 0; slot < this.#numSlots; slot++) {
      const c = this.series.closed[slot];
      if (c === undefined) continue;
      for (let i = 0; i < c.length && c[i + 1]! < t; i += CLOSED_STRIDE) {
        const ref = c[i + 2]!;
        if (ref < 0) continue;
        moves.push(c, i, spill.write(this.arena.get(ref, c[i + 3]!)));
      }
    }
    if (moves.length === 0) return 0;
    try {
      spill.flush();
    } catch (e) {
      spill.abortPending();
      throw e;
    }
    for (let k = 0; k < moves.length; k += 3) {
      const c = moves[k] as number[];
      const i = moves[k + 1] as number;
      this.arena.free(c[i + 2]!, c[i + 3]!);
      c[i + 2] = -(moves[k + 2] as number) - 1;
    }
    return moves.length / 3;
  }

  /** close marks the head closed, closes its WAL and removes its spill files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.spill?.close();
    await this.#wal?.close();
  }

  /** closed tells whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new DbClosedError(this.#wal?.dir ?? 'head');
  }
}

/** hashLabels hashes a label set (32-bit FNV-1a over names and values, with separators). */
export function hashLabels(labels: Labels): number {
  const nv = labels.pairs();
  let h = 0x811c9dc5;
  for (let i = 0; i < nv.length; i++) {
    const s = nv[i]!;
    for (let j = 0; j < s.length; j++) {
      h ^= s.charCodeAt(j);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// flatCopy returns a string equal to s that does not share memory with a larger string.
function flatCopy(s: string): string {
  if (s.length < 13) return s; // V8 copies short substrings anyway
  return Buffer.from(s, 'utf8').toString('utf8');
}
