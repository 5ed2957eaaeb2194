/**
 * One series in the head: its labels, its open XOR chunk, and its closed chunks (bytes in the
 * chunk arena, metadata in a flat number array). Chunks are cut as Prometheus cuts them: at
 * the end of the chunk range (the block range, 2h), earlier when 30 samples predict that the
 * range would hold more than 120 per chunk (so chunks come out evenly sized), and at 240
 * samples at the latest.
 * @module
 */
import type { Labels } from '../model/index.js';
import { MAX_SAMPLES_PER_CHUNK } from './chunkenc/index.js';
import type { ChunkArena } from './head-chunk-arena.js';
import type { HeadChunks } from './head-chunks.js';
import type { ChunkSpill } from './head-spill.js';

/**
 * Metadata entries per closed chunk in MemSeries.closed: mint, maxt, ref, byte length. A ref
 * ≥ 0 is in the chunk arena (memory); a spilled chunk's ref r is stored as -(r + 1).
 */
export const CLOSED_STRIDE = 4;

/** ChunkStores are where closed chunks live. */
export interface ChunkStores {
  readonly arena: ChunkArena;
  readonly spill: ChunkSpill | undefined;
}

/** freeClosed releases a closed chunk from wherever it lives. */
export function freeClosed(stores: ChunkStores, ref: number, len: number): void {
  if (ref >= 0) stores.arena.free(ref, len);
  else stores.spill!.free(-ref - 1, len);
}

/** readClosed returns a closed chunk's bytes (a view for memory, a copy for spilled chunks). */
export function readClosed(stores: ChunkStores, ref: number, len: number): Uint8Array {
  return ref >= 0 ? stores.arena.get(ref, len) : stores.spill!.read(-ref - 1, len);
}

/** AppendResult says what MemSeries.append did. */
export const AppendResult = { OutOfOrder: 0, Appended: 1, ChunkCreated: 2 } as const;
/** One of AppendResult's values. */
export type AppendResult = (typeof AppendResult)[keyof typeof AppendResult];

/** rangeForTimestamp returns the end of the chunk range holding t (Go's truncating division). */
export function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width;
}

/**
 * computeChunkEndTime predicts where a chunk started at `start` and now at `cur` (a quarter
 * full) should end so that the rest of the range up to `max` splits into equal chunks.
 */
export function computeChunkEndTime(start: number, cur: number, max: number): number {
  const n = Math.trunc((max - start) / ((cur - start + 1) * 4));
  if (n <= 1) return max;
  return start + Math.trunc((max - start) / n);
}

/** MemSeries is a head series. Fields are public for the head's hot paths; treat them as internal. */
export class MemSeries {
  readonly ref: number;
  readonly labels: Labels;
  readonly hash: number;
  /** The series' slot in the head's series table and open-chunk store. */
  readonly slot: number;
  /** The appender-facing ref: the slot plus a generation. */
  readonly handle: number;
  /** Closed chunks, oldest first, CLOSED_STRIDE numbers each; undefined when none. */
  closed: number[] | undefined = undefined;
  /** Whether the open chunk (in HeadChunks at `slot`) holds samples. */
  hasHead = false;
  /** Timestamp of the open chunk's first sample. */
  headMint = 0;
  /** Timestamp of the newest sample (-Infinity when none). */
  lastT = -Infinity;
  /** Value of the newest sample. */
  lastV = 0;
  /** When the head chunk must be cut at the latest. */
  nextAt = 0;
  /** Whether the series record is in the WAL. */
  logged = false;
  /** Samples appended but not yet committed or rolled back. */
  pending = 0;
  /** The appender that last touched the series, and its newest timestamp for it. */
  appId = 0;
  appT = -Infinity;

  constructor(ref: number, labels: Labels, hash: number, slot: number, handle: number) {
    this.ref = ref;
    this.labels = labels;
    this.hash = hash;
    this.slot = slot;
    this.handle = handle;
  }

  /** minTime returns the oldest sample's timestamp bound (Infinity when empty). */
  minTime(): number {
    if (this.closed !== undefined && this.closed.length > 0) return this.closed[0]!;
    return this.hasHead ? this.headMint : Infinity;
  }

  /** numChunks counts closed chunks and the head chunk. */
  numChunks(): number {
    return (this.closed === undefined ? 0 : this.closed.length / CLOSED_STRIDE) + (this.hasHead ? 1 : 0);
  }

  /**
   * append adds a sample the appender validated. A sample not after the newest one is dropped
   * (OutOfOrder): a concurrent commit got there first.
   */
  append(t: number, v: number, chunkRange: number, arena: ChunkArena, chunks: HeadChunks): AppendResult {
    if (t <= this.lastT) return AppendResult.OutOfOrder;
    let created = false;
    if (!this.hasHead) {
      this.#cut(t, chunkRange, arena, chunks);
      created = true;
    } else {
      const n = chunks.n[this.slot]!;
      if (n === MAX_SAMPLES_PER_CHUNK / 4) this.nextAt = computeChunkEndTime(this.headMint, this.lastT, this.nextAt);
      if (t >= this.nextAt || n >= MAX_SAMPLES_PER_CHUNK * 2) {
        this.#cut(t, chunkRange, arena, chunks);
        created = true;
      }
    }
    chunks.append(this.slot, t, v);
    this.lastT = t;
    this.lastV = v;
    return created ? AppendResult.ChunkCreated : AppendResult.Appended;
  }

  // #cut closes the open chunk (its bytes move to the arena) and starts a new one at t.
  #cut(t: number, chunkRange: number, arena: ChunkArena, chunks: HeadChunks): void {
    if (this.hasHead && chunks.n[this.slot]! > 0) {
      const data = chunks.view(this.slot);
      const ref = arena.alloc(data);
      (this.closed ??= []).push(this.headMint, this.lastT, ref, data.length);
      chunks.reset(this.slot);
    }
    this.hasHead = true;
    this.headMint = t;
    this.nextAt = rangeForTimestamp(t, chunkRange);
  }

  /**
   * truncateBefore drops the chunks that end before mint (the open chunk too when it does);
   * returns how many were dropped.
   */
  truncateBefore(mint: number, stores: ChunkStores, chunks: HeadChunks): number {
    let dropped = 0;
    const c = this.closed;
    if (c !== undefined) {
      let i = 0;
      while (i < c.length && c[i + 1]! < mint) {
        freeClosed(stores, c[i + 2]!, c[i + 3]!);
        i += CLOSED_STRIDE;
        dropped++;
      }
      if (i === c.length) this.closed = undefined;
      else if (i > 0) c.splice(0, i);
    }
    if (this.hasHead && this.lastT < mint && this.closed === undefined) {
      chunks.release(this.slot);
      this.hasHead = false;
      dropped++;
    }
    return dropped;
  }

  /** freeAll releases every chunk (the series is being deleted). */
  freeAll(stores: ChunkStores, chunks: HeadChunks): void {
    const c = this.closed;
    if (c !== undefined) for (let i = 0; i < c.length; i += CLOSED_STRIDE) freeClosed(stores, c[i + 2]!, c[i + 3]!);
    this.closed = undefined;
    chunks.release(this.slot);
    this.hasHead = false;
  }
}
