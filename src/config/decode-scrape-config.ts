/**
 * Decoding one `scrape_configs` entry with Prometheus 2.42's defaults and checks.
 * @module
 */
import type { GlobalConfig, ScrapeConfig } from './config.js';
import { HTTP_CLIENT_KEYS, decodeHttpClient } from './decode-http-client.js';
import { decodeRelabelConfigs } from './decode-relabel.js';
import { SD_KEYS, UNSUPPORTED_SD_KEYS, decodeServiceDiscovery } from './decode-sd.js';
import type { Decoder, YNodeLike } from './yaml-decoder.js';

const SCRAPE_KEYS = [
  'job_name', 'honor_labels', 'honor_timestamps', 'params', 'scrape_interval', 'scrape_timeout', 'metrics_path', 'scheme',
  'body_size_limit', 'sample_limit', 'target_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit',
  'relabel_configs', 'metric_relabel_configs', ...HTTP_CLIENT_KEYS, ...SD_KEYS, ...UNSUPPORTED_SD_KEYS,
];

/** decodeScrapeConfig decodes a scrape job; interval and timeout are inherited from `global`. */
export function decodeScrapeConfig(d: Decoder, node: YNodeLike, global: GlobalConfig, dir: string): ScrapeConfig {
  if (d.isNull(node)) d.fail(node, 'scrape_configs', 'empty or null scrape config section');
  const f = d.fields(node, 'config.ScrapeConfig', SCRAPE_KEYS, 'scrape_configs');
  const jobName = d.str(f.get('job_name'), 'job_name');
  const str = (k: string, def: string): string => (f.has(k) ? d.str(f.get(k), k) : def);
  const params: Record<string, string[]> = {};
  for (const [k, , v] of d.entries(f.get('params'), 'params', 'url.Values')) params[k] = d.strList(v, 'params');
  let intervalMs = d.duration(f.get('scrape_interval'), 'scrape_interval');
  let timeoutMs = d.duration(f.get('scrape_timeout'), 'scrape_timeout');
  const metricsPath = str('metrics_path', '/metrics');
  const scheme = str('scheme', 'http');
  const bodySizeLimitBytes = d.size(f.get('body_size_limit'), 'body_size_limit');
  const limit = (k: string): number => d.int(f.get(k), k, 'uint');
  const sampleLimit = limit('sample_limit');
  const targetLimit = limit('target_limit');
  const labelLimit = limit('label_limit');
  const labelNameLengthLimit = limit('label_name_length_limit');
  const labelValueLengthLimit = limit('label_value_length_limit');
  const honorLabels = d.bool(f.get('honor_labels'), 'honor_labels');
  const honorTimestamps = f.has('honor_timestamps') ? d.bool(f.get('honor_timestamps'), 'honor_timestamps') : true;
  const serviceDiscovery = decodeServiceDiscovery(d, f, dir);
  const httpClient = decodeHttpClient(d, f, dir);
  const relabelConfigs = decodeRelabelConfigs(d, f.get('relabel_configs'), 'relabel_configs', 'empty or null target relabeling rule in scrape config');
  const metricRelabelConfigs = decodeRelabelConfigs(d, f.get('metric_relabel_configs'), 'metric_relabel_configs', 'empty or null metric relabeling rule in scrape config');

  if (jobName === '') d.fail(f.has('job_name') ? f.keyNode('job_name') : f.node, 'job_name', 'job_name is empty');
  // Prometheus checks static target addresses only when no relabeling could rewrite them.
  if (relabelConfigs.length === 0) {
    for (const sd of serviceDiscovery) {
      if (sd.kind !== 'static') continue;
      for (const g of sd.groups) {
        for (const t of g.targets) {
          const addr = t.get('__address__');
          if (addr.includes('/')) d.fail(f.keyNode('static_configs'), 'static_configs', `${JSON.stringify(addr)} is not a valid hostname`);
        }
      }
    }
  }
  if (scheme !== 'http' && scheme !== 'https') {
    // Prometheus itself accepts any scheme here and fails each target later; vigil reports it now.
    d.fail(f.keyNode('scheme'), 'scheme', `invalid scheme ${JSON.stringify(scheme)}: must be http or https`);
  }
  if (intervalMs === 0) intervalMs = global.scrapeIntervalMs;
  if (timeoutMs > intervalMs) {
    d.fail(f.has('scrape_timeout') ? f.keyNode('scrape_timeout') : f.node, 'scrape_timeout', `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(jobName)}`);
  }
  if (timeoutMs === 0) timeoutMs = global.scrapeTimeoutMs > intervalMs ? intervalMs : global.scrapeTimeoutMs;
  return {
    jobName,
    scrapeIntervalMs: intervalMs,
    scrapeTimeoutMs: timeoutMs,
    metricsPath,
    scheme,
    params,
    honorLabels,
    honorTimestamps,
    sampleLimit,
    targetLimit,
    labelLimit,
    labelNameLengthLimit,
    labelValueLengthLimit,
    bodySizeLimitBytes,
    relabelConfigs,
    metricRelabelConfigs,
    httpClient,
    serviceDiscovery,
  };
}
