/**
 * The head's Appender: validates samples as they are appended (Prometheus's out-of-bounds,
 * out-of-order and duplicate rules), collects them in a struct-of-arrays batch, and on commit
 * logs new series and the samples to the WAL before appending them to the chunks.
 * @module
 */
import type { Labels } from '../model/index.js';
import {
  DuplicateSampleError,
  OutOfBoundsError,
  OutOfOrderSampleError,
  type Appender,
  type SeriesRef,
} from '../storage/index.js';
import { SampleBatch, type SeriesRecordEntry } from '../wal/index.js';
import { AppenderDoneError } from './errors.js';
import type { Head } from './head.js';
import { SeriesFlag } from './head-series.js';

const EMPTY_SLOTS = new Int32Array(0);
const F64 = new Float64Array(2);
const U32 = new Uint32Array(F64.buffer);

// sameBits tells whether two floats have identical bits (Prometheus compares duplicates so).
function sameBits(a: number, b: number): boolean {
  if (a === b && a !== 0) return true;
  F64[0] = a;
  F64[1] = b;
  return U32[0] === U32[2] && U32[1] === U32[3];
}

/** HeadAppender batches samples for the head; see storage's Appender contract. */
export class HeadAppender implements Appender {
  readonly #head: Head;
  readonly #id: number;
  readonly #minValid: number;
  #batch: SampleBatch | undefined;
  // The slot of each sample in the batch.
  #slots: Int32Array = EMPTY_SLOTS;
  #done = false;

  constructor(head: Head, id: number) {
    this.#head = head;
    this.#id = id;
    this.#minValid = head.appendableMinValidTime();
    head.metrics.activeAppenders.inc();
  }

  append(ref: SeriesRef | 0, labels: Labels, t: number, v: number): SeriesRef {
    if (this.#done) throw new AppenderDoneError();
    const head = this.#head;
    const tbl = head.series;
    let slot = ref !== 0 ? head.byHandle(ref) : -1;
    if (slot < 0) {
      if (ref !== 0) head.metrics.seriesNotFound.inc();
      slot = head.getOrCreate(labels);
    }
    if (t < this.#minValid) {
      head.metrics.outOfBound.inc();
      throw new OutOfBoundsError();
    }
    let last = tbl.lastT[slot]!;
    let inBatch = false;
    if (tbl.appId[slot] === this.#id && tbl.appT[slot]! >= last) {
      last = tbl.appT[slot]!;
      inBatch = true;
    }
    if (t <= last) {
      if (t < last) {
        head.metrics.outOfOrder.inc();
        throw new OutOfOrderSampleError();
      }
      if (!sameBits(v, inBatch ? this.#batch!.vs[this.#lastIndexOf(slot)]! : tbl.lastV[slot]!)) throw new DuplicateSampleError();
      return tbl.handle[slot]! as SeriesRef; // the same sample again: accepted, nothing to add
    }
    let b = this.#batch;
    if (b === undefined) {
      b = head.takeBatch() ?? new SampleBatch(256);
      this.#batch = b;
    }
    tbl.appId[slot] = this.#id;
    tbl.appT[slot] = t;
    tbl.pending[slot]!++;
    const i = b.length;
    b.push(tbl.ref[slot]!, t, v);
    let slots = this.#slots;
    if (i >= slots.length) {
      slots = new Int32Array(Math.max(256, b.refs.length));
      slots.set(this.#slots);
      this.#slots = slots;
    }
    slots[i] = slot;
    return tbl.handle[slot]! as SeriesRef;
  }

  // #lastIndexOf finds the batch index of the slot's newest sample in this batch.
  #lastIndexOf(slot: number): number {
    const ss = this.#slots;
    for (let i = this.#batch!.length - 1; i >= 0; i--) if (ss[i] === slot) return i;
    return -1;
  }

  async commit(): Promise<void> {
    if (this.#done) throw new AppenderDoneError();
    this.#done = true;
    const head = this.#head;
    head.metrics.activeAppenders.dec();
    const b = this.#batch;
    if (b === undefined || b.length === 0) return;
    const slots = this.#slots;
    const n = b.length;
    const tbl = head.series;
    const wal = head.wal;
    try {
      if (wal !== undefined) {
        // Series records first (for series not logged yet), then the samples, in one write.
        let fresh: number[] | undefined;
        for (let i = 0; i < n; i++) {
          const slot = slots[i]!;
          if ((tbl.flags[slot]! & SeriesFlag.Logged) === 0) {
            tbl.flags[slot]! |= SeriesFlag.Logged; // taken by this commit; undone below on failure
            (fresh ??= []).push(slot);
          }
        }
        const enc = head.encoder;
        const records: Uint8Array[] = [];
        if (fresh !== undefined) {
          const entries: SeriesRecordEntry[] = fresh.map((slot) => ({ ref: tbl.ref[slot]!, labels: tbl.labels[slot]!.pairs() }));
          records.push(enc.series(entries));
        }
        records.push(enc.samples(b));
        try {
          wal.logSync(records);
        } catch (e) {
          if (fresh !== undefined) for (const slot of fresh) tbl.flags[slot]! &= ~SeriesFlag.Logged;
          throw e;
        }
        if (wal.sync === 'always') await wal.fsync();
      }
      head.applyBatch(b, slots);
    } finally {
      for (let i = 0; i < n; i++) tbl.pending[slots[i]!]!--;
      this.#release();
    }
    head.committed();
  }

  async rollback(): Promise<void> {
    if (this.#done) throw new AppenderDoneError();
    this.#done = true;
    this.#head.metrics.activeAppenders.dec();
    const n = this.#batch?.length ?? 0;
    const pending = this.#head.series.pending;
    for (let i = 0; i < n; i++) pending[this.#slots[i]!]!--;
    this.#release();
  }

  #release(): void {
    if (this.#batch !== undefined) this.#head.returnBatch(this.#batch);
    this.#batch = undefined;
    this.#slots = EMPTY_SLOTS;
  }
}
