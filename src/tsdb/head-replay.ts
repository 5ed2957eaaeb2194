/**
 * Rebuilding the head from the WAL on start: the last checkpoint, then every segment after
 * it. A torn or corrupt segment is cut at its last intact record (reported, counted in
 * `prometheus_tsdb_wal_corruptions_total`) and replay goes on with the next segment, so start
 * never fails on a damaged WAL. Samples before the head's valid time (already in blocks) are
 * skipped; samples of unknown series are counted and dropped.
 * @module
 */
import { Labels } from '../model/index.js';
import {
  CorruptionError,
  RecordType,
  SampleBatch,
  WalReader,
  decodeSamples,
  decodeSeries,
  lastCheckpoint,
  listSegments,
  recordType,
  repairSegment,
  type Wal,
} from '../wal/index.js';
import { WalReplayError } from './errors.js';
import type { Head } from './head.js';
import { SeriesFlag } from './head-series.js';

/** ReplayStats describes a WAL replay. */
export interface ReplayStats {
  /** The checkpoint replayed first, if any. */
  readonly checkpoint: number | undefined;
  records: number;
  series: number;
  samples: number;
  /** Samples skipped because they were before the valid time or out of order. */
  skippedSamples: number;
  /** Samples of series the WAL never declared. */
  unknownRefSamples: number;
  /** Corruptions found (each was repaired). */
  readonly corruptions: CorruptionError[];
  durationMs: number;
}

/**
 * replayWal loads the WAL of `wal.dir` into `head` (before any append). Corrupt segments are
 * repaired and reported through `onWarning`; other failures (unreadable files, unsupported
 * compression) throw WalReplayError.
 */
export function replayWal(head: Head, wal: Wal, onWarning: (message: string) => void): ReplayStats {
  const start = performance.now();
  const cp = lastCheckpoint(wal.dir);
  const stats: ReplayStats = {
    checkpoint: cp?.index,
    records: 0,
    series: 0,
    samples: 0,
    skippedSamples: 0,
    unknownRefSamples: 0,
    corruptions: [],
    durationMs: 0,
  };
  const st = new ReplayState(head, stats);
  if (cp !== undefined) {
    const err = st.read(new WalReader({ dir: cp.dir }));
    if (err !== undefined) {
      if (!(err instanceof CorruptionError)) throw new WalReplayError(wal.dir, err.message, { cause: err });
      repairSegment(err.dir, err.segment, err.offset);
      stats.corruptions.push(err);
      head.metrics.walCorruptions.inc();
      onWarning(`WAL checkpoint repaired: ${err.message}; records after that point were dropped`);
    }
  }
  const segs = listSegments(wal.dir);
  let from = cp !== undefined ? cp.index + 1 : (segs[0]?.index ?? 0);
  const last = segs[segs.length - 1]?.index ?? -1;
  while (from <= last) {
    const err = st.read(new WalReader({ dir: wal.dir, from }));
    if (err === undefined) break;
    if (!(err instanceof CorruptionError)) throw new WalReplayError(wal.dir, err.message, { cause: err });
    wal.repair(err);
    stats.corruptions.push(err);
    head.metrics.walCorruptions.inc();
    onWarning(`WAL repaired: ${err.message}; the rest of segment ${err.segment} was dropped`);
    from = err.segment + 1;
  }
  stats.durationMs = performance.now() - start;
  head.metrics.replayDuration.set(stats.durationMs / 1000);
  return stats;
}

const DENSE_REFS = 1 << 24;

class ReplayState {
  readonly #head: Head;
  readonly #stats: ReplayStats;
  // WAL refs whose labels the head already had under another ref (series re-created after a
  // truncation): their samples go to that series' slot.
  readonly #aliases = new Map<number, number>();
  // Slot + 1 by WAL ref for refs below DENSE_REFS (0: unknown): an array index is much cheaper
  // than a hash lookup per replayed sample, and WAL refs are dense (handed out one after the
  // other).
  #dense = new Int32Array(1024);
  readonly #batch = new SampleBatch(4096);
  readonly #out = new SampleBatch(4096);
  #slots = new Int32Array(4096);

  constructor(head: Head, stats: ReplayStats) {
    this.#head = head;
    this.#stats = stats;
  }

  // read applies every record of the reader; returns the error that stopped it, if any.
  read(r: WalReader): Error | undefined {
    try {
      while (r.next()) {
        this.#stats.records++;
        const rec = r.record();
        try {
          switch (recordType(rec)) {
            case RecordType.Series:
              this.#seriesRecord(rec);
              break;
            case RecordType.Samples:
              this.#samplesRecord(rec);
              break;
            default:
              // Tombstones, exemplars, metadata, histograms: not kept by vigil's head.
              break;
          }
        } catch (e) {
          // A record that passed its checksum but does not decode: treat as corruption there.
          return new CorruptionError(r.dir, r.segment(), r.offset(), (e as Error).message, { cause: e });
        }
      }
      return r.err();
    } finally {
      r.close();
    }
  }

  #seriesRecord(rec: Uint8Array): void {
    const head = this.#head;
    const tbl = head.series;
    for (const e of decodeSeries(rec)) {
      const labels = toLabels(e.labels);
      const slot = head.getOrCreate(labels, e.ref);
      tbl.flags[slot]! |= SeriesFlag.Logged;
      if (tbl.ref[slot] !== e.ref) this.#aliases.set(e.ref, slot);
      if (e.ref < DENSE_REFS) {
        if (e.ref >= this.#dense.length) {
          let n = this.#dense.length * 2;
          while (n <= e.ref) n *= 2;
          const d = new Int32Array(Math.min(n, DENSE_REFS));
          d.set(this.#dense);
          this.#dense = d;
        }
        this.#dense[e.ref] = slot + 1;
      }
      this.#stats.series++;
    }
  }

  #samplesRecord(rec: Uint8Array): void {
    const head = this.#head;
    const b = this.#batch;
    b.reset();
    decodeSamples(rec, b);
    const out = this.#out;
    out.reset();
    out.ensure(b.length);
    if (this.#slots.length < b.length) this.#slots = new Int32Array(out.refs.length);
    const slots = this.#slots;
    const dense = this.#dense;
    const minValid = head.minValidTime();
    const vin = new Uint32Array(b.vs.buffer, 0, b.length * 2);
    const vout = new Uint32Array(out.vs.buffer, 0, b.length * 2);
    let k = 0;
    for (let i = 0; i < b.length; i++) {
      const ref = b.refs[i]!;
      let s = ref < dense.length ? dense[ref]! - 1 : -1;
      if (s < 0) {
        s = head.slotOf(ref);
        if (s < 0) s = this.#aliases.get(ref) ?? -1;
        if (s < 0) {
          this.#stats.unknownRefSamples++;
          continue;
        }
      }
      const t = b.ts[i]!;
      if (t < minValid) {
        this.#stats.skippedSamples++;
        continue;
      }
      out.refs[k] = ref;
      out.ts[k] = t;
      // Copy the bits, so staleness markers survive exactly.
      vout[2 * k] = vin[2 * i]!;
      vout[2 * k + 1] = vin[2 * i + 1]!;
      slots[k] = s;
      k++;
    }
    out.length = k;
    const appended = head.applyBatch(out, slots, true);
    this.#stats.samples += appended;
    this.#stats.skippedSamples += k - appended;
  }
}

// toLabels builds Labels from a WAL record's pairs, which Prometheus writes sorted.
function toLabels(nv: readonly string[]): Labels {
  for (let i = 0; i < nv.length; i += 2) {
    if (nv[i + 1] === '' || (i > 0 && !(nv[i - 2]! < nv[i]!))) return Labels.fromStrings(...nv);
  }
  return Labels.fromSortedPairs([...nv]);
}
