/**
 * The contract between a collector and the cycle that runs it.
 * @module
 */
import type { MetricBatch } from './metric-batch.js';

/**
 * Collector adds one source's samples to a batch. `collect` may be synchronous (file reads
 * from /proc and /sys) or return a promise (statfs). It throws when its source cannot be
 * read: NoDataError when the source does not exist on this host, anything else when it is
 * broken; samples it added before failing stay in the batch, as node_exporter keeps metrics
 * sent before an error. A collector keeps state between cycles only to make counters
 * monotonic.
 */
export interface Collector {
  /** The node_exporter collector name (`cpu`, `meminfo`, …), the `collector` label of the scrape meta-metrics. */
  readonly name: string;
  collect(out: MetricBatch, signal?: AbortSignal): void | Promise<void>;
}
