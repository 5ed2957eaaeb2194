/**
 * What scrape needs to know about a job: the same shape as config's ScrapeConfig (the consumer
 * declares its interface; cli passes config's values straight in).
 * @module
 */
import type { HttpClientConfig, SDConfig } from '../discovery/index.js';
import { Labels } from '../model/index.js';
import type { RelabelConfig } from '../relabel/index.js';

/** ScrapeOptions are one scrape job's settings. Limits of 0 mean no limit. */
export interface ScrapeOptions {
  readonly jobName: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly sampleLimit: number;
  readonly targetLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly bodySizeLimitBytes: number;
  readonly relabelConfigs: readonly RelabelConfig[];
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  readonly httpClient: HttpClientConfig;
  readonly serviceDiscovery: readonly SDConfig[];
}

/**
 * sameScrapeOptions tells whether two jobs are configured identically (Prometheus reloads a
 * pool only when its config changed).
 */
export function sameScrapeOptions(a: ScrapeOptions, b: ScrapeOptions): boolean {
  return deepEqual(a, b);
}

/**
 * reusableCache tells whether a pool reload may keep its scrape caches: only the interval,
 * timeout, sample limit and HTTP client may differ, as in Prometheus.
 */
export function reusableCache(a: ScrapeOptions, b: ScrapeOptions): boolean {
  const zero = (c: ScrapeOptions): unknown => ({ ...c, scrapeIntervalMs: 0, scrapeTimeoutMs: 0, sampleLimit: 0, httpClient: undefined });
  return deepEqual(zero(a), zero(b));
}

// deepEqual compares plain config data; label sets compare by content, compiled regexes by source.
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Labels || b instanceof Labels) return a instanceof Labels && b instanceof Labels && a.equals(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  if ('source' in ra && 'source' in rb && typeof ra.test === 'function') return ra.source === rb.source;
  for (const k of ka) {
    if (!Object.hasOwn(rb, k)) return false;
    if (typeof ra[k] === 'function') continue;
    if (!deepEqual(ra[k], rb[k])) return false;
  }
  return true;
}
