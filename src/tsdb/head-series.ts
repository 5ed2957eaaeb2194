/**
 * The head's series, by slot, as parallel typed arrays (struct of arrays): a series costs no
 * object of its own, only its labels and, once it has closed chunks, a number array. Chunks
 * are cut as Prometheus cuts them: at the end of the chunk range (the block range, 2h),
 * earlier when 30 samples predict that the range would hold more than 120 per chunk (so chunks
 * come out evenly sized), and at 240 samples at the latest.
 * @module
 */
import type { Labels } from '../model/index.js';
import { MAX_SAMPLES_PER_CHUNK } from './chunkenc/index.js';
import type { ChunkArena } from './head-chunk-arena.js';
import type { HeadChunks } from './head-chunks.js';
import type { ChunkSpill } from './head-spill.js';

/**
 * Metadata entries per closed chunk in SeriesTable.closed: mint, maxt, ref, byte length. A ref
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

/** AppendResult says what SeriesTable.append did. */
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

/** Flag bits of SeriesTable.flags. */
export const SeriesFlag = {
  /** The slot holds a series. */
  Live: 1,
  /** The open chunk (in HeadChunks at the slot) holds samples. */
  HasHead: 2,
  /** The series record is in the WAL. */
  Logged: 4,
} as const;

/**
 * SeriesTable holds every head series' state, indexed by slot. Fields are public for the head's
 * hot paths; treat them as internal to the head.
 */
export class SeriesTable {
  #cap = 0;
  /** The series ref (as logged in the WAL and used by postings). */
  ref: Float64Array = new Float64Array(0);
  /** The appender-facing ref: the slot plus a generation. */
  handle: Float64Array = new Float64Array(0);
  /** hashLabels of the labels. */
  hash: Int32Array = new Int32Array(0);
  /** SeriesFlag bits. */
  flags: Uint8Array = new Uint8Array(0);
  /** Timestamp of the open chunk's first sample. */
  headMint: Float64Array = new Float64Array(0);
  /** Timestamp of the newest sample (-Infinity when none). */
  lastT: Float64Array = new Float64Array(0);
  /** Value of the newest sample (its bits kept exactly). */
  lastV: Float64Array = new Float64Array(0);
  /** When the open chunk must be cut at the latest. */
  nextAt: Float64Array = new Float64Array(0);
  /** Samples appended but not yet committed or rolled back. */
  pending: Int32Array = new Int32Array(0);
  /** The appender that last touched the series, and its newest timestamp for it. */
  appId: Float64Array = new Float64Array(0);
  appT: Float64Array = new Float64Array(0);
  /** Labels by slot (undefined for free slots). */
  readonly labels: (Labels | undefined)[] = [];
  /** Closed chunks by slot, oldest first, CLOSED_STRIDE numbers each; undefined when none. */
  readonly closed: (number[] | undefined)[] = [];

  /** capacity is the number of slots with storage. */
  get capacity(): number {
    return this.#cap;
  }

  /** ensure makes room for slots below `n`. */
  ensure(n: number): void {
    if (n <= this.#cap) return;
    let cap = Math.max(1024, this.#cap * 2);
    while (cap < n) cap *= 2;
    const f64 = (a: Float64Array, fill = 0): Float64Array => {
      const b = new Float64Array(cap);
      if (fill !== 0) b.fill(fill, a.length);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = new Uint8Array(cap);
    u8.set(this.flags);
    this.flags = u8;
    this.ref = f64(this.ref);
    this.handle = f64(this.handle);
    this.hash = i32(this.hash);
    this.headMint = f64(this.headMint);
    this.lastT = f64(this.lastT, -Infinity);
    this.lastV = f64(this.lastV);
    this.nextAt = f64(this.nextAt);
    this.pending = i32(this.pending);
    this.appId = f64(this.appId);
    this.appT = f64(this.appT, -Infinity);
    this.#cap = cap;
  }

  /** init sets up a free slot for a new series. */
  init(slot: number, ref: number, handle: number, hash: number, labels: Labels): void {
    this.ref[slot] = ref;
    this.handle[slot] = handle;
    this.hash[slot] = hash;
    this.flags[slot] = SeriesFlag.Live;
    this.headMint[slot] = 0;
    this.lastT[slot] = -Infinity;
    this.lastV[slot] = 0;
    this.nextAt[slot] = 0;
    this.pending[slot] = 0;
    this.appId[slot] = 0;
    this.appT[slot] = -Infinity;
    this.labels[slot] = labels;
    this.closed[slot] = undefined;
  }

  /** clear frees a slot (its chunks must be released first). */
  clear(slot: number): void {
    this.flags[slot] = 0;
    this.labels[slot] = undefined;
    this.closed[slot] = undefined;
  }

  /** hasHead tells whether the slot's open chunk holds samples. */
  hasHead(slot: number): boolean {
    return (this.flags[slot]! & SeriesFlag.HasHead) !== 0;
  }

  /** minTime returns the oldest sample's timestamp bound (Infinity when empty). */
  minTime(slot: number): number {
    const c = this.closed[slot];
    if (c !== undefined && c.length > 0) return c[0]!;
    return this.hasHead(slot) ? this.headMint[slot]! : Infinity;
  }

  /** numChunks counts closed chunks and the open chunk. */
  numChunks(slot: number): number {
    const c = this.closed[slot];
    return (c === undefined ? 0 : c.length / CLOSED_STRIDE) + (this.hasHead(slot) ? 1 : 0);
  }

  /**
   * append adds a sample the appender validated. A sample not after the newest one is dropped
   * (OutOfOrder): a concurrent commit got there first.
   */
  append(slot: number, t: number, v: number, chunkRange: number, arena: ChunkArena, chunks: HeadChunks): AppendResult {
    if (t <= this.lastT[slot]!) return AppendResult.OutOfOrder;
    let created = false;
    if ((this.flags[slot]! & SeriesFlag.HasHead) === 0) {
      this.#cut(slot, t, chunkRange, arena, chunks);
      created = true;
    } else {
      const n = chunks.n[slot]!;
      if (n === MAX_SAMPLES_PER_CHUNK / 4) this.nextAt[slot] = computeChunkEndTime(this.headMint[slot]!, this.lastT[slot]!, this.nextAt[slot]!);
      if (t >= this.nextAt[slot]! || n >= MAX_SAMPLES_PER_CHUNK * 2) {
        this.#cut(slot, t, chunkRange, arena, chunks);
        created = true;
      }
    }
    chunks.append(slot, t, v);
    this.lastT[slot] = t;
    this.lastV[slot] = v;
    return created ? AppendResult.ChunkCreated : AppendResult.Appended;
  }

  // #cut closes the open chunk (its bytes move to the arena) and starts a new one at t.
  #cut(slot: number, t: number, chunkRange: number, arena: ChunkArena, chunks: HeadChunks): void {
    if ((this.flags[slot]! & SeriesFlag.HasHead) !== 0 && chunks.n[slot]! > 0) {
      const data = chunks.view(slot);
      const ref = arena.alloc(data);
      let c = this.closed[slot];
      if (c === undefined) this.closed[slot] = c = [];
      c.push(this.headMint[slot]!, this.lastT[slot]!, ref, data.length);
      chunks.reset(slot);
    }
    this.flags[slot]! |= SeriesFlag.HasHead;
    this.headMint[slot] = t;
    this.nextAt[slot] = rangeForTimestamp(t, chunkRange);
  }

  /**
   * truncateBefore drops the slot's chunks that end before mint (the open chunk too when it
   * does); returns how many were dropped.
   */
  truncateBefore(slot: number, mint: number, stores: ChunkStores, chunks: HeadChunks): number {
    let dropped = 0;
    const c = this.closed[slot];
    if (c !== undefined) {
      let i = 0;
      while (i < c.length && c[i + 1]! < mint) {
        freeClosed(stores, c[i + 2]!, c[i + 3]!);
        i += CLOSED_STRIDE;
        dropped++;
      }
      if (i === c.length) this.closed[slot] = undefined;
      else if (i > 0) c.splice(0, i);
    }
    if (this.hasHead(slot) && this.lastT[slot]! < mint && this.closed[slot] === undefined) {
      chunks.release(slot);
      this.flags[slot]! &= ~SeriesFlag.HasHead;
      dropped++;
    }
    return dropped;
  }

  /** freeAll releases every chunk of the slot (the series is being deleted). */
  freeAll(slot: number, stores: ChunkStores, chunks: HeadChunks): void {
    const c = this.closed[slot];
    if (c !== undefined) for (let i = 0; i < c.length; i += CLOSED_STRIDE) freeClosed(stores, c[i + 2]!, c[i + 3]!);
    this.closed[slot] = undefined;
    chunks.release(slot);
    this.flags[slot]! &= ~SeriesFlag.HasHead;
  }
}
