/**
 * The write-ahead log's self-metrics, with Prometheus's `prometheus_tsdb_wal_*` names by default
 * (the log store registers its own prefix).
 * @module
 */
import type { Counter, Gauge, Registry } from '../instrument/index.js';

/** WalMetrics are the counters a Wal updates. */
export interface WalMetrics {
  readonly pageFlushes: Counter;
  readonly completedPages: Counter;
  readonly writesFailed: Counter;
  readonly truncations: Counter;
  readonly truncationsFailed: Counter;
  readonly segmentCurrent: Gauge;
  readonly fsync: { observe(seconds: number): void };
}

/** WalSizes is what the metrics read from the log at scrape time. */
export interface WalSizes {
  size(): number;
  currentSegment(): number;
}

/** FsyncSummary accumulates fsync durations for a summary without quantiles. */
class FsyncSummary {
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
  }
}

/** makeWalMetrics registers a log's metrics under `prefix` on `r`. */
export function makeWalMetrics(r: Registry, prefix: string, wal: WalSizes): WalMetrics {
  const fsyncSummary = new FsyncSummary();
  const m: WalMetrics = {
    pageFlushes: r.counter({ name: `${prefix}page_flushes_total`, help: 'Total number of page flushes.' }).labels(),
    completedPages: r.counter({ name: `${prefix}completed_pages_total`, help: 'Total number of completed pages.' }).labels(),
    writesFailed: r.counter({ name: `${prefix}writes_failed_total`, help: 'Total number of write log writes that failed.' }).labels(),
    truncations: r.counter({ name: `${prefix}truncations_total`, help: 'Total number of write log truncations attempted.' }).labels(),
    truncationsFailed: r.counter({ name: `${prefix}truncations_failed_total`, help: 'Total number of write log truncations that failed.' }).labels(),
    segmentCurrent: r.gauge({ name: `${prefix}segment_current`, help: 'Write log segment index that TSDB is currently writing to.' }).labels(),
    fsync: fsyncSummary,
  };
  m.segmentCurrent.set(wal.currentSegment());
  r.collect((w) => {
    const f = `${prefix}fsync_duration_seconds`;
    // A summary without quantiles: _sum and _count serve rate(sum)/rate(count) dashboards.
    w.family(f, 'summary', 'Duration of write log fsync.');
    w.sample(`${f}_sum`, [], fsyncSummary.sum);
    w.sample(`${f}_count`, [], fsyncSummary.count);
    const s = `${prefix}storage_size_bytes`;
    w.family(s, 'gauge', 'Size of the write log directory.');
    w.sample(s, [], wal.size());
  });
  return m;
}
