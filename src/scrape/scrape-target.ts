/**
 * A scrape target: its labels at each stage, its URL, and the outcome of its last scrape.
 * @module
 */
import type { Labels } from '../model/index.js';
import { TargetLabel, targetIntervalMs, targetTimeoutMs, targetURL } from '../relabel/index.js';
import { TargetIntervalError } from './errors.js';
import { fnv64a } from './fnv64.js';
import { xxhash64 } from './xxhash64.js';
import type { MetricMetadata, ScrapeCache } from './scrape-cache.js';

/** TargetHealth is the state of a target after its last scrape. */
export const TargetHealth = { Unknown: 'unknown', Up: 'up', Down: 'down' } as const;
/** One of TargetHealth's values. */
export type TargetHealth = (typeof TargetHealth)[keyof typeof TargetHealth];

/** ScrapeTargetOptions build a ScrapeTarget. */
export interface ScrapeTargetOptions {
  /** Labels after relabeling with the internal `__` labels kept (`__address__`, `__param_*`…). */
  readonly internal: Labels;
  /** Public labels: `internal` without `__` names; attached to every sample. */
  readonly labels: Labels;
  /** Labels before relabeling. */
  readonly discovered: Labels;
  /** The job's params, merged with `__param_*` labels into the URL. */
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly scrapePool: string;
}

/** ScrapeTarget is one endpoint of a scrape pool and its scrape status. */
export class ScrapeTarget {
  readonly internal: Labels;
  readonly labels: Labels;
  readonly scrapePool: string;
  /** The URL scraped, as Prometheus prints it. */
  readonly url: string;
  /** Identity within the pool: two targets with the same labels and URL are one. */
  readonly identity: string;
  #discovered: Labels;
  #health: TargetHealth = TargetHealth.Unknown;
  #lastError: Error | undefined;
  #lastScrape = 0;
  #lastScrapeDurationMs = 0;
  #lastWarnings: readonly string[] = [];
  #cache: ScrapeCache | undefined;
  #hash: bigint | undefined;

  constructor(options: ScrapeTargetOptions) {
    const { internal, labels, discovered, params, scrapePool } = options;
    this.internal = internal;
    this.labels = labels;
    this.#discovered = discovered;
    this.scrapePool = scrapePool;
    this.url = targetURL(internal, params);
    this.identity = internal.key() + '\u0000' + this.url;
  }

  /**
   * hash is Prometheus's target hash (FNV-1a 64 of the label hash and URL), which fixes the
   * scrape phase; computed on first use, as most targets built by a sync are duplicates.
   */
  get hash(): bigint {
    return (this.#hash ??= targetHash(this.internal, this.url));
  }

  /** discoveredLabels are the labels before relabeling (updated when rediscovered). */
  get discoveredLabels(): Labels {
    return this.#discovered;
  }

  /** setDiscoveredLabels keeps the newest discovered labels of a target found again. */
  setDiscoveredLabels(l: Labels): void {
    this.#discovered = l;
  }

  /** health is unknown until the first scrape, then up or down. */
  get health(): TargetHealth {
    return this.#health;
  }

  /** lastError is the error of the last scrape, if it failed. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** lastScrape is the (aligned) time of the last scrape in Unix ms, 0 before the first. */
  get lastScrape(): number {
    return this.#lastScrape;
  }

  /** lastScrapeDurationMs is how long the last scrape took. */
  get lastScrapeDurationMs(): number {
    return this.#lastScrapeDurationMs;
  }

  /**
   * lastWarnings describes samples storage refused in the last scrape (duplicates, out of order,
   * out of bounds): Prometheus only logs these, the scrape itself succeeds.
   */
  get lastWarnings(): readonly string[] {
    return this.#lastWarnings;
  }

  /** scrapeInterval is the `__scrape_interval__` label as written (`15s`). */
  get scrapeInterval(): string {
    return this.internal.get(TargetLabel.ScrapeInterval);
  }

  /** scrapeTimeout is the `__scrape_timeout__` label as written. */
  get scrapeTimeout(): string {
    return this.internal.get(TargetLabel.ScrapeTimeout);
  }

  /** report records the outcome of a scrape that started at `t` (Unix ms). */
  report(t: number, durationMs: number, err: Error | undefined, warnings: readonly string[] = []): void {
    this.#health = err === undefined ? TargetHealth.Up : TargetHealth.Down;
    this.#lastError = err;
    this.#lastScrape = t;
    this.#lastScrapeDurationMs = durationMs;
    this.#lastWarnings = warnings;
  }

  /** setMetadataStore points metadata lookups at the scrape loop's cache. */
  setMetadataStore(cache: ScrapeCache): void {
    this.#cache = cache;
  }

  /** metadata returns the HELP/TYPE/UNIT the target exposes for a metric family. */
  metadata(metric: string): MetricMetadata | undefined {
    return this.#cache?.metadata(metric);
  }

  /** metadataList returns every metric family's metadata the target exposes. */
  metadataList(): MetricMetadata[] {
    return this.#cache?.listMetadata() ?? [];
  }

  /**
   * intervalAndTimeout reads the interval and timeout from the target's labels; on a label that
   * does not parse it returns the defaults and the error that fails every scrape.
   */
  intervalAndTimeout(defaultIntervalMs: number, defaultTimeoutMs: number): { intervalMs: number; timeoutMs: number; error?: Error } {
    try {
      return { intervalMs: targetIntervalMs(this.internal), timeoutMs: targetTimeoutMs(this.internal) };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return { intervalMs: defaultIntervalMs, timeoutMs: defaultTimeoutMs, error: new TargetIntervalError(`Error parsing interval or timeout label: ${msg}`, { cause: e }) };
    }
  }

  /**
   * offsetMs is how long to wait before the first scrape so that the target is scraped at the
   * phase Prometheus 2.42 gives it: (target hash XOR jitter seed) mod interval, in nanoseconds.
   * The result is in ms with the sub-ms part kept; `now` is Unix ms (fractions allowed).
   */
  offsetMs(intervalMs: number, jitterSeed: bigint | number, now: number): number {
    return scrapeOffsetNs(this.hash, BigInt.asUintN(64, BigInt(jitterSeed)), intervalMs, now) / 1e6;
  }
}

/** labelsHash is Prometheus's Labels.Hash: XXH64 over each name, 0xFF, value, 0xFF in name order. */
export function labelsHash(ls: Labels): bigint {
  const parts: Buffer[] = [];
  const sep = Buffer.from([0xff]);
  ls.forEach((name, value) => {
    parts.push(Buffer.from(name, 'utf8'), sep, Buffer.from(value, 'utf8'), sep);
  });
  return xxhash64(Buffer.concat(parts));
}

/** targetHash is Prometheus's Target.hash: FNV-1a 64 of the label hash as `%016d`, then the scrape URL. */
export function targetHash(internal: Labels, url: string): bigint {
  return fnv64a(labelsHash(internal).toString().padStart(16, '0') + url);
}

/**
 * scrapeOffsetNs is Prometheus's Target.offset in nanoseconds: the wait from `nowMs` (Unix ms)
 * until the target's phase, base = interval − now mod interval plus (hash XOR seed) mod interval,
 * less one interval when beyond it.
 */
export function scrapeOffsetNs(hash: bigint, jitterSeed: bigint, intervalMs: number, nowMs: number): number {
  const interval = BigInt(Math.round(intervalMs * 1e6));
  if (interval <= 0n) return 0;
  const now = BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(Math.round((nowMs - Math.floor(nowMs)) * 1e6));
  const base = interval - (now % interval);
  const offset = ((hash ^ jitterSeed) & 0xffffffffffffffffn) % interval;
  let next = base + offset;
  if (next > interval) next -= interval;
  return Number(next);
}
