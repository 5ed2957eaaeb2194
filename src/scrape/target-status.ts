/**
 * Targets as /api/v1/targets shows them, in plain data (the API layer serializes it).
 * @module
 */
import { splitHostPort } from '../relabel/index.js';
import type { DroppedTarget } from './scrape-pool.js';
import type { ScrapeTarget } from './scrape-target.js';

/** ActiveTargetStatus is one entry of `activeTargets`. */
export interface ActiveTargetStatus {
  readonly discoveredLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly globalUrl: string;
  readonly lastError: string;
  /** RFC 3339 time of the last scrape, Go's zero time before the first. */
  readonly lastScrape: string;
  /** Seconds. */
  readonly lastScrapeDuration: number;
  readonly health: string;
  readonly scrapeInterval: string;
  readonly scrapeTimeout: string;
}

/** DroppedTargetStatus is one entry of `droppedTargets`. */
export interface DroppedTargetStatus {
  readonly discoveredLabels: Record<string, string>;
}

/** GlobalUrlOptions describe how this server is reached from outside, for `globalUrl`. */
export interface GlobalUrlOptions {
  /** The address the server listens on (`host:port`). */
  readonly listenAddress: string;
  /** Host (and port) of the external URL. */
  readonly host: string;
  /** Scheme of the external URL. */
  readonly scheme: string;
}

const LOCALHOST = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * globalUrl rewrites a scrape URL on localhost to the externally reachable host, as Prometheus
 * does: the server's own port becomes its external URL, other ports keep the port on the
 * external host name.
 */
export function globalUrl(scrapeUrl: string, opts: GlobalUrlOptions): string {
  let u: URL;
  try {
    u = new URL(scrapeUrl);
  } catch {
    return scrapeUrl;
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!LOCALHOST.has(host)) return scrapeUrl;
  const own = splitHostPort(opts.listenAddress);
  if (own !== undefined && u.port === own.port) {
    return `${opts.scheme}://${opts.host}${u.pathname}${u.search}`;
  }
  const ext = splitHostPort(opts.host)?.host ?? opts.host;
  const h = ext.includes(':') ? `[${ext}]` : ext;
  return `${u.protocol}//${h}${u.port === '' ? '' : ':' + u.port}${u.pathname}${u.search}`;
}

/** activeTargetStatus renders a target for /api/v1/targets. */
export function activeTargetStatus(t: ScrapeTarget, opts?: GlobalUrlOptions): ActiveTargetStatus {
  return {
    discoveredLabels: t.discoveredLabels.toObject(),
    labels: t.labels.toObject(),
    scrapePool: t.scrapePool,
    scrapeUrl: t.url,
    globalUrl: opts === undefined ? t.url : globalUrl(t.url, opts),
    lastError: t.lastError?.message ?? '',
    lastScrape: formatTime(t.lastScrape),
    lastScrapeDuration: t.lastScrapeDurationMs / 1000,
    health: t.health,
    scrapeInterval: t.scrapeInterval,
    scrapeTimeout: t.scrapeTimeout,
  };
}

/** droppedTargetStatus renders a dropped target for /api/v1/targets. */
export function droppedTargetStatus(t: DroppedTarget): DroppedTargetStatus {
  return { discoveredLabels: t.discoveredLabels.toObject() };
}

/** formatTime prints Unix ms as Go's RFC 3339 with trimmed fractions in UTC; 0 is Go's zero time. */
export function formatTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return iso.replace(/\.(\d*?)0*Z$/, (_, f: string) => (f === '' ? 'Z' : `.${f}Z`));
}
