/**
 * scrape's self-metrics, with Prometheus's names, help texts and labels, on the Registry the
 * caller hands in.
 * @module
 */
import type { Counter, ExpositionSink, Family, Gauge, Registry } from '../instrument/index.js';

const QUANTILES = [0.01, 0.05, 0.5, 0.9, 0.99] as const;
const WINDOW_MS = 10 * 60 * 1000;
const MAX_OBSERVATIONS = 2048;

/**
 * WindowedSummary keeps the observations of the last ten minutes (at most 2048 per child) and
 * reports exact quantiles over them, with a running sum and count, like a client_golang summary
 * with the same objectives.
 */
export class WindowedSummary {
  readonly #children = new Map<string, { values: readonly string[]; t: number[]; v: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
  ) {}

  /** observe records v for the child with this label value. */
  observe(labelValue: string, v: number, now = Date.now()): void {
    let c = this.#children.get(labelValue);
    if (c === undefined) {
      c = { values: [labelValue], t: [], v: [], sum: 0, count: 0 };
      this.#children.set(labelValue, c);
    }
    c.t.push(now);
    c.v.push(v);
    if (c.t.length > MAX_OBSERVATIONS) {
      c.t.shift();
      c.v.shift();
    }
    c.sum += v;
    c.count++;
  }

  /** remove forgets a child. */
  remove(labelValue: string): void {
    this.#children.delete(labelValue);
  }

  /** write renders the summary in the text format. */
  write(w: ExpositionSink, now = Date.now()): void {
    if (this.#children.size === 0) return;
    w.family(this.name, 'summary', this.help);
    for (const [lv, c] of [...this.#children].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      while (c.t.length > 0 && c.t[0]! < now - WINDOW_MS) {
        c.t.shift();
        c.v.shift();
      }
      const sorted = [...c.v].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const v = sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
        w.sample(this.name, [[this.labelName, lv], ['quantile', String(q)]], v);
      }
      w.sample(`${this.name}_sum`, [[this.labelName, lv]], c.sum);
      w.sample(`${this.name}_count`, [[this.labelName, lv]], c.count);
    }
  }
}

/** ScrapeMetrics holds every self-metric of the scrape manager, its pools and loops. */
export class ScrapeMetrics {
  readonly intervalLength: WindowedSummary;
  readonly reloadIntervalLength: WindowedSummary;
  readonly syncIntervalLength: WindowedSummary;
  readonly scrapePools: Counter;
  readonly scrapePoolsFailed: Counter;
  readonly scrapePoolReloads: Counter;
  readonly scrapePoolReloadsFailed: Counter;
  readonly exceededTargetLimit: Counter;
  readonly targetLimit: Family<Gauge>;
  readonly poolTargets: Family<Gauge>;
  readonly poolSyncs: Family<Counter>;
  readonly exceededBodySizeLimit: Counter;
  readonly exceededSampleLimit: Counter;
  readonly sampleDuplicate: Counter;
  readonly sampleOutOfOrder: Counter;
  readonly sampleOutOfBounds: Counter;
  readonly cacheFlushForced: Counter;
  readonly exceededLabelLimits: Counter;
  readonly syncFailed: Family<Counter>;
  /** Set by the manager: per job, the metadata entries and bytes its targets' caches hold. */
  metadataSource: () => Iterable<readonly [job: string, entries: number, bytes: number]> = () => [];

  constructor(registry: Registry) {
    const counter = (name: string, help: string): Counter => registry.counter({ name, help }).labels();
    this.intervalLength = new WindowedSummary('prometheus_target_interval_length_seconds', 'Actual intervals between scrapes.', 'interval');
    this.reloadIntervalLength = new WindowedSummary(
      'prometheus_target_reload_length_seconds',
      'Actual interval to reload the scrape pool with a given configuration.',
      'interval',
    );
    this.syncIntervalLength = new WindowedSummary('prometheus_target_sync_length_seconds', 'Actual interval to sync the scrape pool.', 'scrape_job');
    this.scrapePools = counter('prometheus_target_scrape_pools_total', 'Total number of scrape pool creation attempts.');
    this.scrapePoolsFailed = counter('prometheus_target_scrape_pools_failed_total', 'Total number of scrape pool creations that failed.');
    this.scrapePoolReloads = counter('prometheus_target_scrape_pool_reloads_total', 'Total number of scrape pool reloads.');
    this.scrapePoolReloadsFailed = counter('prometheus_target_scrape_pool_reloads_failed_total', 'Total number of failed scrape pool reloads.');
    this.exceededTargetLimit = counter(
      'prometheus_target_scrape_pool_exceeded_target_limit_total',
      'Total number of times scrape pools hit the target limit, during sync or config reload.',
    );
    this.targetLimit = registry.gauge({
      name: 'prometheus_target_scrape_pool_target_limit',
      help: 'Maximum number of targets allowed in this scrape pool.',
      labelNames: ['scrape_job'],
    });
    this.poolTargets = registry.gauge({
      name: 'prometheus_target_scrape_pool_targets',
      help: 'Current number of targets in this scrape pool.',
      labelNames: ['scrape_job'],
    });
    this.poolSyncs = registry.counter({
      name: 'prometheus_target_scrape_pool_sync_total',
      help: 'Total number of syncs that were executed on a scrape pool.',
      labelNames: ['scrape_job'],
    });
    this.exceededBodySizeLimit = counter('prometheus_target_scrapes_exceeded_body_size_limit_total', 'Total number of scrapes that hit the body size limit');
    this.exceededSampleLimit = counter(
      'prometheus_target_scrapes_exceeded_sample_limit_total',
      'Total number of scrapes that hit the sample limit and were rejected.',
    );
    this.sampleDuplicate = counter(
      'prometheus_target_scrapes_sample_duplicate_timestamp_total',
      'Total number of samples rejected due to duplicate timestamps but different values.',
    );
    this.sampleOutOfOrder = counter(
      'prometheus_target_scrapes_sample_out_of_order_total',
      'Total number of samples rejected due to not being out of the expected order.',
    );
    this.sampleOutOfBounds = counter(
      'prometheus_target_scrapes_sample_out_of_bounds_total',
      'Total number of samples rejected due to timestamp falling outside of the time bounds.',
    );
    this.cacheFlushForced = counter(
      'prometheus_target_scrapes_cache_flush_forced_total',
      'How many times a scrape cache was flushed due to getting big while scrapes are failing.',
    );
    this.exceededLabelLimits = counter(
      'prometheus_target_scrape_pool_exceeded_label_limits_total',
      'Total number of times scrape pools hit the label limits, during sync or config reload.',
    );
    this.syncFailed = registry.counter({ name: 'prometheus_target_sync_failed_total', help: 'Total number of target sync failures.', labelNames: ['scrape_job'] });
    registry.collect((w) => {
      this.intervalLength.write(w);
      this.reloadIntervalLength.write(w);
      this.syncIntervalLength.write(w);
      const jobs = [...this.metadataSource()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      if (jobs.length === 0) return;
      w.family('prometheus_target_metadata_cache_bytes', 'gauge', 'The number of bytes that are currently used for storing metric metadata in the cache');
      for (const [job, , bytes] of jobs) w.sample('prometheus_target_metadata_cache_bytes', [['scrape_job', job]], bytes);
      w.family('prometheus_target_metadata_cache_entries', 'gauge', 'Total number of metric metadata entries in the cache');
      for (const [job, entries] of jobs) w.sample('prometheus_target_metadata_cache_entries', [['scrape_job', job]], entries);
    });
  }

  /** forgetJob drops the per-job children of a stopped pool. */
  forgetJob(job: string): void {
    this.targetLimit.remove(job);
    this.poolTargets.remove(job);
    this.poolSyncs.remove(job);
    this.syncFailed.remove(job);
    this.syncIntervalLength.remove(job);
  }
}
