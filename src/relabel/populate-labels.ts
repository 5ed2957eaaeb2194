/**
 * Turning a discovered target into the labels it is scraped with: Prometheus 2.42's
 * PopulateLabels, plus the scrape URL its Target.URL builds from them.
 * @module
 */
import { Labels, LabelsBuilder, formatDuration, parseDuration, quoteGo } from '../model/index.js';
import { TargetLabelsError } from './errors.js';
import { isValidLabelValue } from './label-name.js';
import { relabel } from './relabel.js';
import type { RelabelConfig } from './relabel-config.js';

/** Label names with a meaning for scraping. */
export const TargetLabel = {
  Address: '__address__',
  Scheme: '__scheme__',
  MetricsPath: '__metrics_path__',
  ScrapeInterval: '__scrape_interval__',
  ScrapeTimeout: '__scrape_timeout__',
  Job: 'job',
  Instance: 'instance',
  ParamPrefix: '__param_',
  MetaPrefix: '__meta_',
  ReservedPrefix: '__',
} as const;

/** TargetDefaults are the scrape job's settings that become a target's default labels. */
export interface TargetDefaults {
  readonly jobName: string;
  readonly scheme: string;
  readonly metricsPath: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly params: Readonly<Record<string, readonly string[]>>;
}

/** PopulatedLabels is the result of populateLabels. */
export interface PopulatedLabels {
  /**
   * The target's public labels (those attached to its samples and shown as `labels` by
   * /api/v1/targets): every `__`-prefixed label removed. Undefined when relabeling dropped it.
   */
  readonly labels: Labels | undefined;
  /** The labels before relabeling, with the job defaults applied (`discoveredLabels`). */
  readonly discovered: Labels;
  /**
   * Prometheus's PopulateLabels result: like `labels` but keeping `__address__`, `__scheme__`,
   * `__metrics_path__`, `__param_*`, `__scrape_interval__`, `__scrape_timeout__` and any other
   * `__` label except `__meta_*`; what targetURL, targetIntervalMs and targetTimeoutMs read.
   */
  readonly internal: Labels | undefined;
}

/**
 * populateLabels applies the job defaults, then the relabel configs, then checks the address,
 * interval and timeout and defaults `instance` to the address. Throws TargetLabelsError for a
 * target that cannot be scraped (Prometheus logs these and skips the target).
 */
export function populateLabels(discovered: Labels, defaults: TargetDefaults, cfgs: readonly RelabelConfig[]): PopulatedLabels {
  const intervalStr = formatDuration(defaults.scrapeIntervalMs);
  const timeoutStr = formatDuration(defaults.scrapeTimeoutMs);
  const lb = new LabelsBuilder(discovered);
  const defaultsList: readonly (readonly [string, string])[] = [
    [TargetLabel.Job, defaults.jobName],
    [TargetLabel.ScrapeInterval, intervalStr],
    [TargetLabel.ScrapeTimeout, timeoutStr],
    [TargetLabel.MetricsPath, defaults.metricsPath],
    [TargetLabel.Scheme, defaults.scheme],
  ];
  for (const [n, v] of defaultsList) if (discovered.get(n) === '') lb.set(n, v);
  for (const k of Object.keys(defaults.params)) {
    const v = defaults.params[k]!;
    if (v.length > 0) lb.set(TargetLabel.ParamPrefix + k, v[0]!);
  }
  const pre = lb.labels();
  const lset = relabel(pre, cfgs);
  if (lset === undefined) return { labels: undefined, internal: undefined, discovered: pre };

  let addr = lset.get(TargetLabel.Address);
  if (addr === '') throw new TargetLabelsError('no address');
  const out = new LabelsBuilder(lset);
  if (needsDefaultPort(addr)) {
    const scheme = lset.get(TargetLabel.Scheme);
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    // Prometheus names the job's scheme here, not the relabeled one.
    else throw new TargetLabelsError(`invalid scheme: ${quoteGo(defaults.scheme)}`);
    out.set(TargetLabel.Address, addr);
  }
  if (addr.includes('/')) throw new TargetLabelsError(`${quoteGo(addr)} is not a valid hostname`);

  const interval = lset.get(TargetLabel.ScrapeInterval);
  const intervalMs = parseTargetDuration(interval, 'interval');
  const timeout = lset.get(TargetLabel.ScrapeTimeout);
  const timeoutMs = parseTargetDuration(timeout, 'timeout');
  if (timeoutMs > intervalMs) {
    throw new TargetLabelsError(`scrape timeout cannot be greater than scrape interval (${quoteGo(timeout)} > ${quoteGo(interval)})`);
  }
  lset.forEach((n) => {
    if (n.startsWith(TargetLabel.MetaPrefix)) out.del(n);
  });
  if (lset.get(TargetLabel.Instance) === '') out.set(TargetLabel.Instance, addr);
  const internal = out.labels();
  internal.forEach((n, v) => {
    if (!isValidLabelValue(v)) throw new TargetLabelsError(`invalid label value for ${quoteGo(n)}: ${quoteGo(v)}`);
  });
  return { labels: publicLabels(internal), internal, discovered: pre };
}

/** publicLabels removes every label whose name starts with `__`. */
export function publicLabels(lset: Labels): Labels {
  const nv = lset.pairs();
  let any = false;
  for (let i = 0; i < nv.length; i += 2) if (nv[i]!.startsWith(TargetLabel.ReservedPrefix)) any = true;
  if (!any) return lset;
  const out: string[] = [];
  for (let i = 0; i < nv.length; i += 2) if (!nv[i]!.startsWith(TargetLabel.ReservedPrefix)) out.push(nv[i]!, nv[i + 1]!);
  return Labels.fromSortedPairs(out);
}

function parseTargetDuration(s: string, what: 'interval' | 'timeout'): number {
  let ms: number;
  try {
    ms = parseDuration(s);
  } catch (e) {
    throw new TargetLabelsError(`error parsing scrape ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (ms === 0) throw new TargetLabelsError(`scrape ${what} cannot be 0`);
  return ms;
}

/** targetIntervalMs reads `__scrape_interval__` of populated internal labels. */
export function targetIntervalMs(internal: Labels): number {
  return parseDuration(internal.get(TargetLabel.ScrapeInterval));
}

/** targetTimeoutMs reads `__scrape_timeout__` of populated internal labels. */
export function targetTimeoutMs(internal: Labels): number {
  return parseDuration(internal.get(TargetLabel.ScrapeTimeout));
}

/**
 * targetURL builds the scrape URL as Prometheus's Target.URL does: scheme, address and path from
 * the labels, the job's params with each `__param_<name>` label replacing the first value.
 */
export function targetURL(internal: Labels, params: Readonly<Record<string, readonly string[]>>): string {
  const merged = new Map<string, string[]>();
  for (const k of Object.keys(params)) merged.set(k, [...params[k]!]);
  internal.forEach((n, v) => {
    if (!n.startsWith(TargetLabel.ParamPrefix)) return;
    const k = n.slice(TargetLabel.ParamPrefix.length);
    const cur = merged.get(k);
    if (cur !== undefined && cur.length > 0) cur[0] = v;
    else merged.set(k, [v]);
  });
  // Go's url.Values.Encode sorts by key and escapes with QueryEscape (space as '+').
  const keys = [...merged.keys()].sort();
  const q: string[] = [];
  for (const k of keys) for (const v of merged.get(k)!) q.push(`${queryEscape(k)}=${queryEscape(v)}`);
  const path = internal.get(TargetLabel.MetricsPath);
  return `${internal.get(TargetLabel.Scheme)}://${internal.get(TargetLabel.Address)}${escapePath(path)}${q.length > 0 ? '?' + q.join('&') : ''}`;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function escapePath(p: string): string {
  if (p === '') return '';
  const abs = p.startsWith('/') ? p : '/' + p;
  // Go's url.URL escapes a path keeping only unreserved characters and `$&+,/:;=@`.
  return abs.replace(/[^A-Za-z0-9\-._~$&+,;=:@/]/g, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => '%' + x.charCodeAt(0).toString(16).toUpperCase()));
}

function needsDefaultPort(addr: string): boolean {
  return splitHostPort(addr) === undefined && splitHostPort(addr + ':1234') !== undefined;
}

/** splitHostPort splits `host:port` or `[host]:port` with the rules of Go's net.SplitHostPort. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.indexOf('[', j) >= 0) return undefined;
  if (hostport.indexOf(']', k) >= 0) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

