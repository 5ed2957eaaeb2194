/**
 * A scrape pool runs the loops of one job: it turns target groups into targets, keeps one loop
 * per distinct target, starts and stops loops as targets come and go, enforces target_limit,
 * and restarts its loops when the job's config changes (keeping their caches when only the
 * interval, timeout, sample limit or HTTP client changed), all as Prometheus 2.42's scrapePool.
 * @module
 */
import { targetsFromGroup, type TargetGroup } from '../discovery/index.js';
import type { Labels } from '../model/index.js';
import type { Appendable } from '../storage/index.js';
import type { ParserOptions } from '../textparse/index.js';
import { TargetLimitError } from './errors.js';
import { HttpClient, type Scraper, TargetScraper } from './http-scraper.js';
import { ScrapeCache } from './scrape-cache.js';
import { ScrapeLoop, formatInterval } from './scrape-loop.js';
import type { ScrapeMetrics } from './scrape-metrics.js';
import { type ScrapeOptions, reusableCache } from './scrape-options.js';
import { ScrapeTarget } from './scrape-target.js';

/** NewScraper builds the scraper of one target (tests replace the HTTP one). */
export type NewScraper = (args: {
  readonly target: ScrapeTarget;
  readonly client: HttpClient;
  readonly timeoutMs: number;
  readonly bodySizeLimitBytes: number;
  readonly userAgent: string | undefined;
}) => Scraper;

/** DroppedTarget is a discovered target that relabeling dropped. */
export interface DroppedTarget {
  readonly discoveredLabels: Labels;
}

/** ScrapePoolOptions configure a ScrapePool. */
export interface ScrapePoolOptions {
  readonly config: ScrapeOptions;
  readonly appendable: Appendable;
  readonly metrics: ScrapeMetrics;
  /** Aborted on shutdown or when the pool is stopped: no staleness markers are written then. */
  readonly signal: AbortSignal;
  readonly jitterSeed?: bigint | number;
  readonly userAgent?: string;
  readonly parserOptions?: ParserOptions;
  readonly newScraper?: NewScraper;
  readonly now?: () => number;
  /** Report the extra synthetic series (Prometheus's extra-scrape-metrics feature). */
  readonly extraMetrics?: boolean;
  /** Reports problems that do not stop the pool (targets with invalid labels). */
  readonly onError?: (err: Error) => void;
}

/** ScrapePool scrapes the targets of one job. */
export class ScrapePool {
  #config: ScrapeOptions;
  #client: HttpClient;
  readonly #appendable: Appendable;
  readonly #metrics: ScrapeMetrics;
  readonly #ctl = new AbortController();
  readonly #signal: AbortSignal;
  readonly #jitterSeed: bigint | number;
  readonly #userAgent: string | undefined;
  readonly #parserOptions: ParserOptions | undefined;
  readonly #newScraper: NewScraper;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;
  readonly #extraMetrics: boolean;
  readonly #active = new Map<string, ScrapeTarget>();
  readonly #loops = new Map<string, ScrapeLoop>();
  readonly #runs = new Set<Promise<void>>();
  #dropped: DroppedTarget[] = [];

  constructor(options: ScrapePoolOptions) {
    const { config, appendable, metrics, signal, jitterSeed = 0, userAgent, parserOptions, newScraper = defaultScraper, now = Date.now, onError = () => {}, extraMetrics = false } = options;
    this.#config = config;
    this.#client = new HttpClient(config.httpClient);
    this.#appendable = appendable;
    this.#metrics = metrics;
    this.#signal = AbortSignal.any([signal, this.#ctl.signal]);
    this.#jitterSeed = jitterSeed;
    this.#userAgent = userAgent;
    this.#parserOptions = parserOptions;
    this.#newScraper = newScraper;
    this.#now = now;
    this.#onError = onError;
    this.#extraMetrics = extraMetrics;
    metrics.targetLimit.labels(config.jobName).set(config.targetLimit);
  }

  /** config is the job's current configuration. */
  get config(): ScrapeOptions {
    return this.#config;
  }

  /** activeTargets lists the targets being scraped. */
  activeTargets(): ScrapeTarget[] {
    return [...this.#active.values()];
  }

  /** droppedTargets lists the discovered targets relabeling dropped, as of the last sync. */
  droppedTargets(): readonly DroppedTarget[] {
    return this.#dropped;
  }

  /** caches returns the scrape caches of the running loops (metadata figures). */
  caches(): ScrapeCache[] {
    return [...this.#loops.values()].map((l) => l.cache);
  }

  /**
   * sync turns the job's current target groups into targets and starts or stops loops to match;
   * resolves once loops of vanished targets stopped scraping.
   */
  async sync(groups: readonly TargetGroup[]): Promise<void> {
    const start = this.#now();
    const cfg = this.#config;
    const defaults = {
      jobName: cfg.jobName,
      scheme: cfg.scheme,
      metricsPath: cfg.metricsPath,
      scrapeIntervalMs: cfg.scrapeIntervalMs,
      scrapeTimeoutMs: cfg.scrapeTimeoutMs,
      params: cfg.params,
    };
    const all: ScrapeTarget[] = [];
    const dropped: DroppedTarget[] = [];
    let failures = 0;
    for (const g of groups) {
      const r = targetsFromGroup(g, defaults, cfg.relabelConfigs);
      failures += r.failures.length;
      for (const f of r.failures) this.#onError(f);
      for (const t of r.targets) {
        if (t.labels !== undefined && t.internal !== undefined && !t.labels.isEmpty()) {
          all.push(new ScrapeTarget({ internal: t.internal, labels: t.labels, discovered: t.discovered, params: cfg.params, scrapePool: cfg.jobName }));
        } else if (!t.discovered.isEmpty()) {
          dropped.push({ discoveredLabels: t.discovered });
        }
      }
    }
    if (failures > 0) this.#metrics.syncFailed.labels(cfg.jobName).inc(failures);
    this.#dropped = dropped;
    await this.#sync(all);
    this.#metrics.syncIntervalLength.observe(cfg.jobName, (this.#now() - start) / 1000);
    this.#metrics.poolSyncs.labels(cfg.jobName).inc();
  }

  async #sync(targets: readonly ScrapeTarget[]): Promise<void> {
    const cfg = this.#config;
    const unique = new Map<string, ScrapeLoop | undefined>();
    for (const t of targets) {
      const id = t.identity;
      const existing = this.#active.get(id);
      if (existing === undefined) {
        const loop = this.#newLoop(t, undefined);
        this.#active.set(id, t);
        this.#loops.set(id, loop);
        unique.set(id, loop);
      } else {
        if (!unique.has(id)) unique.set(id, undefined);
        existing.setDiscoveredLabels(t.discoveredLabels);
      }
    }
    const stopping: Promise<void>[] = [];
    for (const id of [...this.#active.keys()]) {
      if (unique.has(id)) continue;
      stopping.push(this.#loops.get(id)!.stop());
      this.#loops.delete(id);
      this.#active.delete(id);
    }
    this.#metrics.poolTargets.labels(cfg.jobName).set(unique.size);
    const forced = this.#targetLimitError();
    for (const l of this.#loops.values()) l.setForcedError(forced);
    for (const l of unique.values()) if (l !== undefined) this.#start(l);
    await Promise.all(stopping);
  }

  /**
   * reload applies a new configuration of the same job: every loop is replaced by one with the
   * new settings, keeping the scrape cache when the change cannot alter the samples.
   */
  async reload(config: ScrapeOptions): Promise<void> {
    const m = this.#metrics;
    m.scrapePoolReloads.inc();
    const start = this.#now();
    let client: HttpClient;
    try {
      client = new HttpClient(config.httpClient);
    } catch (e) {
      m.scrapePoolReloadsFailed.inc();
      throw e;
    }
    const reuse = reusableCache(this.#config, config);
    this.#config = config;
    const oldClient = this.#client;
    this.#client = client;
    m.targetLimit.labels(config.jobName).set(config.targetLimit);
    const forced = this.#targetLimitError();
    const swaps: Promise<void>[] = [];
    for (const [id, oldLoop] of this.#loops) {
      let cache: ScrapeCache;
      if (reuse) {
        oldLoop.disableEndOfRunStalenessMarkers();
        cache = oldLoop.cache;
      } else {
        cache = new ScrapeCache();
      }
      const loop = this.#newLoop(this.#active.get(id)!, cache);
      this.#loops.set(id, loop);
      swaps.push(
        oldLoop.stop().then(() => {
          loop.setForcedError(forced);
          this.#start(loop);
        }),
      );
    }
    await Promise.all(swaps);
    oldClient.close();
    m.reloadIntervalLength.observe(formatInterval(config.scrapeIntervalMs), (this.#now() - start) / 1000);
  }

  /** stop ends every loop without staleness markers (shutdown or job removed) and waits for them. */
  async stop(): Promise<void> {
    this.#ctl.abort();
    await Promise.all([...this.#loops.values()].map((l) => l.stop()));
    await Promise.all([...this.#runs]);
    this.#loops.clear();
    this.#active.clear();
    this.#client.close();
    this.#metrics.forgetJob(this.#config.jobName);
  }

  #newLoop(target: ScrapeTarget, cache: ScrapeCache | undefined): ScrapeLoop {
    const cfg = this.#config;
    const { intervalMs, timeoutMs, error } = target.intervalAndTimeout(cfg.scrapeIntervalMs, cfg.scrapeTimeoutMs);
    const scraper = this.#newScraper({
      target,
      client: this.#client,
      timeoutMs,
      bodySizeLimitBytes: cfg.bodySizeLimitBytes,
      userAgent: this.#userAgent,
    });
    const loop = new ScrapeLoop({
      target,
      scraper,
      appendable: this.#appendable,
      cache: cache ?? new ScrapeCache(),
      metrics: this.#metrics,
      intervalMs,
      timeoutMs,
      jitterSeed: this.#jitterSeed,
      now: this.#now,
      extraMetrics: this.#extraMetrics,
      onError: this.#onError,
      honorLabels: cfg.honorLabels,
      honorTimestamps: cfg.honorTimestamps,
      metricRelabelConfigs: cfg.metricRelabelConfigs,
      sampleLimit: cfg.sampleLimit,
      labelLimits: { labelLimit: cfg.labelLimit, labelNameLengthLimit: cfg.labelNameLengthLimit, labelValueLengthLimit: cfg.labelValueLengthLimit },
      ...(this.#parserOptions === undefined ? {} : { parserOptions: this.#parserOptions }),
    });
    if (error !== undefined) loop.setForcedError(error);
    return loop;
  }

  #start(loop: ScrapeLoop): void {
    const run = loop.run(this.#signal).catch((e: unknown) => this.#onError(e instanceof Error ? e : new Error(String(e))));
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
  }

  #targetLimitError(): Error | undefined {
    const limit = this.#config.targetLimit;
    if (limit === 0 || this.#active.size <= limit) return undefined;
    this.#metrics.exceededTargetLimit.inc();
    return new TargetLimitError(this.#active.size, limit);
  }
}

function defaultScraper(args: Parameters<NewScraper>[0]): Scraper {
  return new TargetScraper({
    url: args.target.url,
    client: args.client,
    timeoutMs: args.timeoutMs,
    bodySizeLimitBytes: args.bodySizeLimitBytes,
    ...(args.userAgent === undefined ? {} : { userAgent: args.userAgent }),
  });
}
