/**
 * The TSDB's self-metrics with Prometheus's names, so existing dashboards for
 * `prometheus_tsdb_*` work on vigil.
 * @module
 */
import { Registry, type Counter, type Gauge, type Histogram } from '../instrument/index.js';

/** HeadStats is what the head reports at scrape time. */
export interface HeadStats {
  series(): number;
  chunks(): number;
  minTime(): number;
  maxTime(): number;
  symbolTableBytes(): number;
}

/** SummaryLike accumulates observations exposed as a summary's _sum and _count. */
export class SummaryLike {
  sum = 0;
  count = 0;
  /** observe records one value. */
  observe(v: number): void {
    this.sum += v;
    this.count++;
  }
}

/** HeadMetrics are the head's counters. */
export class HeadMetrics {
  readonly seriesCreated: Counter;
  readonly seriesRemoved: Counter;
  readonly seriesNotFound: Counter;
  readonly chunksCreated: Counter;
  readonly chunksRemoved: Counter;
  readonly samplesAppended: Counter;
  readonly outOfBound: Counter;
  readonly outOfOrder: Counter;
  readonly tooOld: Counter;
  readonly truncations: Counter;
  readonly truncationsFailed: Counter;
  readonly activeAppenders: Gauge;
  readonly walCorruptions: Counter;
  readonly replayDuration: Gauge;
  readonly checkpointCreations: Counter;
  readonly checkpointCreationsFailed: Counter;
  readonly checkpointDeletions: Counter;
  readonly checkpointDeletionsFailed: Counter;
  readonly gcDuration = new SummaryLike();

  /** Registers the metrics on `registry` (a private one when omitted). */
  constructor(options: { readonly registry?: Registry; readonly stats: HeadStats }) {
    const r = options.registry ?? new Registry();
    const c = (name: string, help: string): Counter => r.counter({ name, help }).labels();
    const typed = (name: string, help: string): Counter => r.counter({ name, help, labelNames: ['type'] }).labels('float');
    this.seriesCreated = c('prometheus_tsdb_head_series_created_total', 'Total number of series created in the head');
    this.seriesRemoved = c('prometheus_tsdb_head_series_removed_total', 'Total number of series removed in the head');
    this.seriesNotFound = c('prometheus_tsdb_head_series_not_found_total', 'Total number of requests for series that were not found.');
    this.chunksCreated = c('prometheus_tsdb_head_chunks_created_total', 'Total number of chunks created in the head');
    this.chunksRemoved = c('prometheus_tsdb_head_chunks_removed_total', 'Total number of chunks removed in the head');
    this.samplesAppended = typed('prometheus_tsdb_head_samples_appended_total', 'Total number of appended samples.');
    this.outOfBound = typed('prometheus_tsdb_out_of_bound_samples_total', 'Total number of out of bound samples ingestion failed attempts with out of order support disabled.');
    this.outOfOrder = typed('prometheus_tsdb_out_of_order_samples_total', 'Total number of out of order samples ingestion failed attempts due to out of order being disabled.');
    this.tooOld = typed('prometheus_tsdb_too_old_samples_total', 'Total number of out of order samples ingestion failed attempts with out of support enabled, but sample outside of time window.');
    this.truncations = c('prometheus_tsdb_head_truncations_total', 'Total number of head truncations attempted.');
    this.truncationsFailed = c('prometheus_tsdb_head_truncations_failed_total', 'Total number of head truncations that failed.');
    this.activeAppenders = r.gauge({ name: 'prometheus_tsdb_head_active_appenders', help: 'Number of currently active appender transactions' }).labels();
    this.walCorruptions = c('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.');
    this.replayDuration = r.gauge({ name: 'prometheus_tsdb_data_replay_duration_seconds', help: 'Time taken to replay the data on disk.' }).labels();
    this.checkpointCreations = c('prometheus_tsdb_checkpoint_creations_total', 'Total number of checkpoint creations attempted.');
    this.checkpointCreationsFailed = c('prometheus_tsdb_checkpoint_creations_failed_total', 'Total number of checkpoint creations that failed.');
    this.checkpointDeletions = c('prometheus_tsdb_checkpoint_deletions_total', 'Total number of checkpoint deletions attempted.');
    this.checkpointDeletionsFailed = c('prometheus_tsdb_checkpoint_deletions_failed_total', 'Total number of checkpoint deletions that failed.');
    const s = options.stats;
    const gc = this.gcDuration;
    r.collect((w) => {
      const gauge = (name: string, help: string, v: number): void => {
        w.family(name, 'gauge', help);
        w.sample(name, [], v);
      };
      gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.', s.series());
      gauge('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.', s.chunks());
      const mint = s.minTime();
      const maxt = s.maxTime();
      // Prometheus reports MaxInt64/MinInt64 while the head is empty; as floats.
      const mintOut = Number.isFinite(mint) ? mint : 9.223372036854776e18;
      const maxtOut = Number.isFinite(maxt) ? maxt : -9.223372036854776e18;
      gauge('prometheus_tsdb_head_min_time', 'Minimum time bound of the head block. The unit is decided by the library consumer.', mintOut);
      gauge('prometheus_tsdb_head_max_time', 'Maximum timestamp of the head block. The unit is decided by the library consumer.', maxtOut);
      gauge('prometheus_tsdb_head_min_time_seconds', 'Minimum time bound of the head block.', mintOut / 1000);
      gauge('prometheus_tsdb_head_max_time_seconds', 'Maximum timestamp of the head block.', maxtOut / 1000);
      gauge('prometheus_tsdb_symbol_table_size_bytes', 'Size of symbol table in memory for loaded blocks', s.symbolTableBytes());
      const gcName = 'prometheus_tsdb_head_gc_duration_seconds';
      w.family(gcName, 'summary', 'Runtime of garbage collection in the head block.');
      w.sample(`${gcName}_sum`, [], gc.sum);
      w.sample(`${gcName}_count`, [], gc.count);
    });
  }
}

/** DbStats is what the DB reports at scrape time. */
export interface DbStats {
  blocksLoaded(): number;
  blocksBytes(): number;
  lowestTimestamp(): number;
  retentionLimitBytes(): number;
}

/** DbMetrics are the DB's compaction, reload and retention metrics. */
export class DbMetrics {
  readonly compactions: Counter;
  readonly compactionsFailed: Counter;
  readonly compactionsTriggered: Counter;
  readonly compactionsSkipped: Counter;
  readonly compactionDuration: Histogram;
  readonly populatingBlock: Gauge;
  readonly reloads: Counter;
  readonly reloadsFailed: Counter;
  readonly sizeRetentions: Counter;
  readonly timeRetentions: Counter;
  readonly corruptBlocks: Counter;

  /** Registers the metrics on `registry` (a private one when omitted). */
  constructor(options: { readonly registry?: Registry; readonly stats: DbStats }) {
    const r = options.registry ?? new Registry();
    const c = (name: string, help: string): Counter => r.counter({ name, help }).labels();
    this.compactions = c('prometheus_tsdb_compactions_total', 'Total number of compactions that were executed for the partition.');
    this.compactionsFailed = c('prometheus_tsdb_compactions_failed_total', 'Total number of compactions that failed for the partition.');
    this.compactionsTriggered = c('prometheus_tsdb_compactions_triggered_total', 'Total number of triggered compactions for the partition.');
    this.compactionsSkipped = c('prometheus_tsdb_compactions_skipped_total', 'Total number of skipped compactions due to disabled auto compaction.');
    this.compactionDuration = r
      .histogram({
        name: 'prometheus_tsdb_compaction_duration_seconds',
        help: 'Duration of compaction runs',
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
      })
      .labels();
    this.populatingBlock = r.gauge({ name: 'prometheus_tsdb_compaction_populating_block', help: 'Set to 1 when a block is currently being written to the disk.' }).labels();
    this.reloads = c('prometheus_tsdb_reloads_total', 'Number of times the database reloaded block data from disk.');
    this.reloadsFailed = c('prometheus_tsdb_reloads_failures_total', 'Number of times the database failed to reloadBlocks block data from disk.');
    this.sizeRetentions = c('prometheus_tsdb_size_retentions_total', 'The number of times that blocks were deleted because the maximum number of bytes was exceeded.');
    this.timeRetentions = c('prometheus_tsdb_time_retentions_total', 'The number of times that blocks were deleted because the maximum time limit was exceeded.');
    this.corruptBlocks = c('vigil_tsdb_corrupt_blocks_skipped_total', 'Blocks that could not be opened and were skipped.');
    const s = options.stats;
    r.collect((w) => {
      const gauge = (name: string, help: string, v: number): void => {
        w.family(name, 'gauge', help);
        w.sample(name, [], v);
      };
      gauge('prometheus_tsdb_blocks_loaded', 'Number of currently loaded data blocks', s.blocksLoaded());
      gauge('prometheus_tsdb_storage_blocks_bytes', 'The number of bytes that are currently used for local storage by all blocks.', s.blocksBytes());
      gauge('prometheus_tsdb_retention_limit_bytes', 'Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled', s.retentionLimitBytes());
      const low = s.lowestTimestamp();
      const lowOut = Number.isFinite(low) ? low : 9.223372036854776e18;
      gauge('prometheus_tsdb_lowest_timestamp', 'Lowest timestamp value stored in the database. The unit is decided by the library consumer.', lowOut);
      gauge('prometheus_tsdb_lowest_timestamp_seconds', 'Lowest timestamp value stored in the database.', lowOut / 1000);
    });
  }
}
