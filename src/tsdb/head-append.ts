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
import type { MemSeries } from './head-series.js';

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
  #series: MemSeries[] = [];
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
    let s = ref !== 0 ? head.byHandle(ref) : undefined;
    if (s === undefined) {
      if (ref !== 0) head.metrics.seriesNotFound.inc();
      s = head.getOrCreate(labels);
    }
    if (t < this.#minValid) {
      head.metrics.outOfBound.inc();
      throw new OutOfBoundsError();
    }
    let last = s.lastT;
    let inBatch = false;
    if (s.appId === this.#id && s.appT >= last) {
      last = s.appT;
      inBatch = true;
    }
    if (t <= last) {
      if (t < last) {
        head.metrics.outOfOrder.inc();
        throw new OutOfOrderSampleError();
      }
      const lastV = inBatch ? this.#batch!.vs[this.#lastIndexOf(s)]! : s.lastV;
      if (!sameBits(v, lastV)) throw new DuplicateSampleError();
      return s.handle as SeriesRef; // the same sample again: accepted, nothing to add
    }
    let b = this.#batch;
    if (b === undefined) {
      b = head.takeBatch() ?? new SampleBatch(256);
      this.#batch = b;
    }
    s.appId = this.#id;
    s.appT = t;
    s.pending++;
    b.push(s.ref, t, v);
    this.#series.push(s);
    return s.handle as SeriesRef;
  }

  // #lastIndexOf finds the batch index of the series' newest sample in this batch.
  #lastIndexOf(s: MemSeries): number {
    const ss = this.#series;
    for (let i = ss.length - 1; i >= 0; i--) if (ss[i] === s) return i;
    return -1;
  }

  async commit(): Promise<void> {
    if (this.#done) throw new AppenderDoneError();
    this.#done = true;
    const head = this.#head;
    head.metrics.activeAppenders.dec();
    const b = this.#batch;
    if (b === undefined || b.length === 0) return;
    const series = this.#series;
    const wal = head.wal;
    try {
      if (wal !== undefined) {
        // Series records first (for series not logged yet), then the samples, in one write.
        let fresh: MemSeries[] | undefined;
        for (let i = 0; i < series.length; i++) {
          const s = series[i]!;
          if (!s.logged) {
            s.logged = true; // marks it taken by this commit; undone below on failure
            (fresh ??= []).push(s);
          }
        }
        const enc = head.encoder;
        const records: Uint8Array[] = [];
        if (fresh !== undefined) {
          const entries: SeriesRecordEntry[] = fresh.map((s) => ({ ref: s.ref, labels: s.labels.pairs() }));
          records.push(enc.series(entries));
        }
        records.push(enc.samples(b));
        try {
          wal.logSync(records);
        } catch (e) {
          if (fresh !== undefined) for (const s of fresh) s.logged = false;
          throw e;
        }
        if (wal.sync === 'always') await wal.fsync();
      }
      head.applyBatch(b, series);
    } finally {
      for (let i = 0; i < series.length; i++) series[i]!.pending--;
      this.#release();
    }
    head.committed();
  }

  async rollback(): Promise<void> {
    if (this.#done) throw new AppenderDoneError();
    this.#done = true;
    this.#head.metrics.activeAppenders.dec();
    for (let i = 0; i < this.#series.length; i++) this.#series[i]!.pending--;
    this.#release();
  }

  #release(): void {
    if (this.#batch !== undefined) this.#head.returnBatch(this.#batch);
    this.#batch = undefined;
    this.#series = [];
  }
}
