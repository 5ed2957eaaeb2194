/**
 * The scrape manager: one pool per job, synced from discovery's target sets (throttled like
 * Prometheus's reloader), reconfigured by applyConfig, stopped as a whole when its run signal
 * aborts. It exposes targets and metadata as plain data for the HTTP API.
 * @module
 */
import type { TargetGroup } from '../discovery/index.js';
import { type Labels, type Matcher, matchesAll } from '../model/index.js';
import type { Registry } from '../instrument/index.js';
import type { Appendable } from '../storage/index.js';
import type { ParserOptions } from '../textparse/index.js';
import { fnv64a } from './fnv64.js';
import type { ScrapeTarget } from './scrape-target.js';
import { ScrapeMetrics } from './scrape-metrics.js';
import { type ScrapeOptions, sameScrapeOptions } from './scrape-options.js';
import { type DroppedTarget, type NewScraper, ScrapePool } from './scrape-pool.js';

/** TargetSets are discovery's target groups per job name. */
export type TargetSets = ReadonlyMap<string, readonly TargetGroup[]>;

/** ScrapeManagerOptions configure a ScrapeManager. */
export interface ScrapeManagerOptions {
  readonly appendable: Appendable;
  /** Where the scrape self-metrics are registered. */
  readonly registry: Registry;
  /** Spreads scrape offsets differently per server (see jitterSeedFor). */
  readonly jitterSeed?: bigint | number;
  /** Minimum time between two applications of target sets; Prometheus uses 5 s. */
  readonly reloadIntervalMs?: number;
  readonly userAgent?: string;
  readonly parserOptions?: ParserOptions;
  /** Receives problems that do not stop scraping (invalid targets, unknown jobs). */
  readonly onError?: (err: Error) => void;
  /** Report scrape_timeout_seconds, scrape_sample_limit and scrape_body_size_bytes too. */
  readonly extraScrapeMetrics?: boolean;
  /** Builds a target's scraper; the default fetches over HTTP. */
  readonly newScraper?: NewScraper;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** ScrapeManager runs the scrape pools of every configured job. */
export class ScrapeManager {
  readonly #appendable: Appendable;
  readonly #metrics: ScrapeMetrics;
  #jitterSeed: bigint | number;
  readonly #reloadIntervalMs: number;
  readonly #userAgent: string | undefined;
  readonly #parserOptions: ParserOptions | undefined;
  readonly #onError: (err: Error) => void;
  readonly #newScraper: NewScraper | undefined;
  readonly #now: () => number;
  readonly #extraMetrics: boolean;
  readonly #pools = new Map<string, ScrapePool>();
  readonly #shutdown = new AbortController();
  #configs = new Map<string, ScrapeOptions>();
  #targetSets: TargetSets = new Map();
  #pending = false;
  #wake: (() => void) | undefined;
  #lock: Promise<void> = Promise.resolve();
  #ran = false;

  constructor(options: ScrapeManagerOptions) {
    const { appendable, registry, jitterSeed = 0, reloadIntervalMs = 5000, userAgent, parserOptions, onError = () => {}, newScraper, now = Date.now, extraScrapeMetrics = false } = options;
    if (!(reloadIntervalMs >= 0)) throw new Error(`ScrapeManager: reloadIntervalMs must be >= 0, got ${reloadIntervalMs}`);
    this.#appendable = appendable;
    this.#metrics = new ScrapeMetrics(registry);
    this.#metrics.metadataSource = () => this.#metadataFigures();
    this.#jitterSeed = jitterSeed;
    this.#reloadIntervalMs = reloadIntervalMs;
    this.#userAgent = userAgent;
    this.#parserOptions = parserOptions;
    this.#onError = onError;
    this.#newScraper = newScraper;
    this.#now = now;
    this.#extraMetrics = extraScrapeMetrics;
  }

  /**
   * setJitterSeed changes the seed pools created from now on use (Prometheus re-derives it from
   * the external labels on each config load; pools already running keep theirs).
   */
  setJitterSeed(seed: bigint | number): void {
    this.#jitterSeed = seed;
  }

  /**
   * applyConfig sets the jobs: pools of removed jobs stop, pools whose job changed reload, and
   * unchanged pools keep running untouched. Pools of new jobs start with their first target set.
   */
  applyConfig(jobs: readonly ScrapeOptions[]): Promise<void> {
    return this.#exclusive(async () => {
      const configs = new Map<string, ScrapeOptions>();
      for (const j of jobs) configs.set(j.jobName, j);
      this.#configs = configs;
      const failed: Error[] = [];
      for (const [name, pool] of [...this.#pools]) {
        const cfg = configs.get(name);
        if (cfg === undefined) {
          this.#pools.delete(name);
          await pool.stop();
        } else if (!sameScrapeOptions(pool.config, cfg)) {
          await pool.reload(cfg).catch((e: unknown) => failed.push(e instanceof Error ? e : new Error(String(e))));
        }
      }
      if (failed.length > 0) throw new Error(`failed to apply the new configuration: ${failed.map((e) => e.message).join('; ')}`, { cause: failed[0] });
      // Jobs new to the config may already have target sets waiting.
      this.#pending = true;
      this.#wake?.();
    });
  }

  /** sync hands the manager discovery's latest target sets; they are applied at the next reload tick. */
  sync(targetSets: TargetSets): void {
    this.#targetSets = targetSets;
    this.#pending = true;
    this.#wake?.();
  }

  /**
   * run applies target sets (from `updates`, and from sync()) no more often than the reload
   * interval, until `signal` aborts; it then stops every pool without staleness markers and
   * resolves once all loops ended.
   */
  async run(signal: AbortSignal, updates?: AsyncIterable<TargetSets>): Promise<void> {
    if (this.#ran) throw new Error('ScrapeManager.run called twice');
    this.#ran = true;
    const onAbort = (): void => {
      this.#shutdown.abort();
      this.#wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const feeding = updates === undefined ? Promise.resolve() : this.#feed(updates, signal);
    try {
      let lastReload = -Infinity;
      while (!this.#shutdown.signal.aborted) {
        if (this.#pending) {
          const wait = lastReload + this.#reloadIntervalMs - this.#now();
          if (wait > 0) {
            await this.#sleep(wait);
            continue;
          }
          this.#pending = false;
          lastReload = this.#now();
          await this.#reload();
          continue;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.#exclusive(async () => {
        await Promise.all([...this.#pools.values()].map((p) => p.stop()));
        this.#pools.clear();
      });
      await feeding;
    }
  }

  async #feed(updates: AsyncIterable<TargetSets>, signal: AbortSignal): Promise<void> {
    try {
      for await (const ts of updates) {
        if (signal.aborted) break;
        this.sync(ts);
      }
    } catch (e) {
      this.#onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #reload(): Promise<void> {
    return this.#exclusive(async () => {
      const syncs: Promise<void>[] = [];
      for (const [job, groups] of this.#targetSets) {
        let pool = this.#pools.get(job);
        if (pool === undefined) {
          const cfg = this.#configs.get(job);
          if (cfg === undefined) {
            this.#onError(new Error(`error reloading target set: invalid config id: ${job}`));
            continue;
          }
          this.#metrics.scrapePools.inc();
          pool = new ScrapePool({
            config: cfg,
            appendable: this.#appendable,
            metrics: this.#metrics,
            signal: this.#shutdown.signal,
            jitterSeed: this.#jitterSeed,
            now: this.#now,
            onError: this.#onError,
            extraMetrics: this.#extraMetrics,
            ...(this.#userAgent === undefined ? {} : { userAgent: this.#userAgent }),
            ...(this.#parserOptions === undefined ? {} : { parserOptions: this.#parserOptions }),
            ...(this.#newScraper === undefined ? {} : { newScraper: this.#newScraper }),
          });
          this.#pools.set(job, pool);
        }
        syncs.push(pool.sync(groups));
      }
      await Promise.all(syncs);
    });
  }

  // #exclusive runs reconfigurations one at a time.
  #exclusive(fn: () => Promise<void>): Promise<void> {
    const next = this.#lock.then(fn);
    this.#lock = next.catch(() => {});
    return next;
  }

  /** scrapePools lists the jobs that have a pool, sorted. */
  scrapePools(): string[] {
    return [...this.#pools.keys()].sort();
  }

  /** targetsActive returns the targets being scraped per job. */
  targetsActive(): ReadonlyMap<string, readonly ScrapeTarget[]> {
    const out = new Map<string, readonly ScrapeTarget[]>();
    for (const [job, p] of this.#pools) out.set(job, p.activeTargets());
    return out;
  }

  /** targetsDropped returns the targets relabeling dropped per job. */
  targetsDropped(): ReadonlyMap<string, readonly DroppedTarget[]> {
    const out = new Map<string, readonly DroppedTarget[]>();
    for (const [job, p] of this.#pools) out.set(job, p.droppedTargets());
    return out;
  }

  /**
   * metricMetadata gathers what every target says about each metric, deduplicated, as
   * /api/v1/metadata returns it; `limit` caps the number of metrics (negative or absent: no cap).
   */
  metricMetadata(options: { readonly metric?: string; readonly limit?: number } = {}): Record<string, { type: string; help: string; unit: string }[]> {
    const { metric, limit = -1 } = options;
    const out: Record<string, { type: string; help: string; unit: string }[]> = {};
    const seen = new Map<string, Set<string>>();
    for (const p of this.#pools.values()) {
      for (const t of p.activeTargets()) {
        for (const m of metric === undefined ? t.metadataList() : [t.metadata(metric)]) {
          if (m === undefined) continue;
          let keys = seen.get(m.metric);
          if (keys === undefined) {
            if (limit >= 0 && seen.size >= limit) continue;
            keys = new Set();
            seen.set(m.metric, keys);
            out[m.metric] = [];
          }
          const k = `${m.type}\u0000${m.help}\u0000${m.unit}`;
          if (keys.has(k)) continue;
          keys.add(k);
          out[m.metric]!.push({ type: m.type, help: m.help, unit: m.unit });
        }
      }
    }
    return out;
  }

  /**
   * targetMetadata lists metadata per target, as /api/v1/targets/metadata does: targets whose
   * labels match `matchTarget`, optionally one metric (the API then omits `metric` from each
   * entry), at most `limit` entries (negative or absent: no cap).
   */
  targetMetadata(options: { readonly matchTarget?: readonly Matcher[]; readonly metric?: string; readonly limit?: number } = {}): TargetMetadata[] {
    const { matchTarget = [], metric, limit = -1 } = options;
    const out: TargetMetadata[] = [];
    for (const job of this.scrapePools()) {
      for (const t of this.#pools.get(job)!.activeTargets()) {
        if (!matchesAll(matchTarget, (n) => t.labels.get(n))) continue;
        const list = metric === undefined ? t.metadataList() : [t.metadata(metric)];
        for (const m of list) {
          if (m === undefined) continue;
          if (limit >= 0 && out.length >= limit) return out;
          out.push({ target: t.labels, metric: m.metric, type: m.type, help: m.help, unit: m.unit });
        }
      }
    }
    return out;
  }

  #metadataFigures(): [string, number, number][] {
    const out: [string, number, number][] = [];
    for (const [job, p] of this.#pools) {
      let entries = 0;
      let bytes = 0;
      for (const c of p.caches()) {
        entries += c.metadataLength;
        bytes += c.metadataBytes;
      }
      out.push([job, entries, bytes]);
    }
    return out;
  }
}

/** TargetMetadata is one entry of /api/v1/targets/metadata. */
export interface TargetMetadata {
  readonly target: Labels;
  readonly metric: string;
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/**
 * jitterSeedFor derives a server's offset seed as Prometheus 2.42 does: FNV-1a 64 of the host's
 * FQDN (see resolveFqdn) followed by the external labels printed as `{a="b", c="d"}`.
 */
export function jitterSeedFor(hostname: string, externalLabels: Labels): bigint {
  return fnv64a(hostname + externalLabels.toString());
}
