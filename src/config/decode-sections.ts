/**
 * Decoding the `global`, `alerting`, `remote_write`, `remote_read`, `storage` and `tracing`
 * sections with Prometheus 2.42's defaults and checks.
 * @module
 */
import { Labels } from '../model/index.js';
import { isValidLabelName, isValidLabelValue } from '../relabel/index.js';
import type { AlertingConfig, AlertmanagerConfig, GlobalConfig, RemoteReadConfig, RemoteWriteConfig, StorageConfig, TracingConfig } from './config.js';
import { HTTP_CLIENT_KEYS, decodeHttpClient, decodeTls, decodeURL } from './decode-http-client.js';
import { decodeRelabelConfigs } from './decode-relabel.js';
import { SD_KEYS, UNSUPPORTED_SD_KEYS, decodeServiceDiscovery } from './decode-sd.js';
import { resolvePath } from './resolve-path.js';
import type { Decoder, YNodeLike } from './yaml-decoder.js';

/** DEFAULT_GLOBAL is Prometheus's global block when none is given. */
export const DEFAULT_GLOBAL: GlobalConfig = { scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000, evaluationIntervalMs: 60_000, queryLogFile: '', externalLabels: Labels.EMPTY };

/** decodeGlobal decodes `global`; an empty or null block gives the defaults. */
export function decodeGlobal(d: Decoder, node: YNodeLike, dir: string): GlobalConfig {
  const f = d.fields(node, 'config.GlobalConfig', ['scrape_interval', 'scrape_timeout', 'evaluation_interval', 'query_log_file', 'external_labels'], 'global');
  const ext: Record<string, string> = {};
  for (const [name, kn, v] of d.entries(f.get('external_labels'), 'external_labels', 'labels.Labels')) {
    const value = d.str(v, name);
    if (!isValidLabelName(name)) d.fail(kn, 'external_labels', `${JSON.stringify(name)} is not a valid label name`);
    if (!isValidLabelValue(value)) d.fail(v, 'external_labels', `${JSON.stringify(value)} is not a valid label value`);
    ext[name] = value;
  }
  let interval = d.duration(f.get('scrape_interval'), 'scrape_interval');
  let timeout = d.duration(f.get('scrape_timeout'), 'scrape_timeout');
  let evaluation = d.duration(f.get('evaluation_interval'), 'evaluation_interval');
  if (interval === 0) interval = DEFAULT_GLOBAL.scrapeIntervalMs;
  if (timeout > interval) d.fail(f.keyNode('scrape_timeout'), 'scrape_timeout', 'global scrape timeout greater than scrape interval');
  if (timeout === 0) timeout = DEFAULT_GLOBAL.scrapeTimeoutMs > interval ? interval : DEFAULT_GLOBAL.scrapeTimeoutMs;
  if (evaluation === 0) evaluation = DEFAULT_GLOBAL.evaluationIntervalMs;
  const qlf = d.str(f.get('query_log_file'), 'query_log_file');
  return { scrapeIntervalMs: interval, scrapeTimeoutMs: timeout, evaluationIntervalMs: evaluation, queryLogFile: resolvePath(dir, qlf), externalLabels: Labels.fromObject(ext) };
}

const AM_KEYS = ['scheme', 'path_prefix', 'timeout', 'api_version', 'relabel_configs', ...HTTP_CLIENT_KEYS, ...SD_KEYS, ...UNSUPPORTED_SD_KEYS];

/** decodeAlerting decodes `alerting`. */
export function decodeAlerting(d: Decoder, node: YNodeLike, dir: string): AlertingConfig {
  const f = d.fields(node, 'config.AlertingConfig', ['alert_relabel_configs', 'alertmanagers'], 'alerting');
  const alertRelabelConfigs = decodeRelabelConfigs(d, f.get('alert_relabel_configs'), 'alert_relabel_configs', 'empty or null alert relabeling rule');
  const alertmanagers = d.seq(f.get('alertmanagers'), 'alertmanagers').map((item): AlertmanagerConfig => {
    if (d.isNull(item)) d.fail(item ?? f.node, 'alertmanagers', 'empty or null alertmanager config');
    const a = d.fields(item, 'config.AlertmanagerConfig', AM_KEYS, 'alertmanagers');
    const sd = decodeServiceDiscovery(d, a, dir);
    const httpClient = decodeHttpClient(d, a, dir);
    const relabelConfigs = decodeRelabelConfigs(d, a.get('relabel_configs'), 'relabel_configs', 'empty or null Alertmanager target relabeling rule');
    const apiVersion = a.has('api_version') ? d.str(a.get('api_version'), 'api_version') : 'v2';
    if (apiVersion !== 'v1' && apiVersion !== 'v2') d.fail(a.get('api_version'), 'api_version', `expected Alertmanager api version to be one of [v1 v2] but got ${apiVersion}`);
    if (relabelConfigs.length === 0) {
      for (const s of sd) {
        if (s.kind !== 'static') continue;
        for (const g of s.groups) for (const t of g.targets) {
          const addr = t.get('__address__');
          if (addr.includes('/')) d.fail(a.keyNode('static_configs'), 'static_configs', `${JSON.stringify(addr)} is not a valid hostname`);
        }
      }
    }
    const timeout = a.has('timeout') ? d.duration(a.get('timeout'), 'timeout') : 10_000;
    return {
      scheme: a.has('scheme') ? d.str(a.get('scheme'), 'scheme') : 'http',
      pathPrefix: d.str(a.get('path_prefix'), 'path_prefix'),
      timeoutMs: timeout,
      apiVersion,
      httpClient,
      serviceDiscovery: sd,
      relabelConfigs,
    };
  });
  return { alertRelabelConfigs, alertmanagers };
}

// Headers Prometheus's remote clients set themselves.
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'www-authenticate', 'accept-encoding', 'x-prometheus-remote-write-version', 'x-prometheus-remote-read-version', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

function decodeHeaders(d: Decoder, node: YNodeLike, what: 'remote' | 'tracing'): Record<string, string> {
  const h = d.strMap(node, 'headers');
  for (const name of Object.keys(h)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      d.fail(node, 'headers', what === 'remote' ? 'authorization header must be changed via the basic_auth, authorization, oauth2, or sigv4 parameter' : 'custom authorization header configuration is not yet supported');
    }
    if (RESERVED_HEADERS.has(lower)) d.fail(node, 'headers', `${name} is a reserved header. It must not be changed`);
  }
  return h;
}

const RW_KEYS = ['url', 'remote_timeout', 'headers', 'write_relabel_configs', 'name', 'send_exemplars', 'send_native_histograms', 'queue_config', 'metadata_config', 'sigv4', ...HTTP_CLIENT_KEYS];
const QUEUE_KEYS = ['capacity', 'max_shards', 'min_shards', 'max_samples_per_send', 'batch_send_deadline', 'min_backoff', 'max_backoff', 'retry_on_http_429'];

/** decodeRemoteWrite decodes `remote_write` and checks names are unique. */
export function decodeRemoteWrite(d: Decoder, node: YNodeLike, dir: string): RemoteWriteConfig[] {
  const names = new Set<string>();
  return d.seq(node, 'remote_write').map((item): RemoteWriteConfig => {
    if (d.isNull(item)) d.fail(item ?? node, 'remote_write', 'empty or null remote write config section');
    const f = d.fields(item, 'config.RemoteWriteConfig', RW_KEYS, 'remote_write');
    const q = d.fields(f.get('queue_config'), 'config.QueueConfig', QUEUE_KEYS, 'queue_config');
    const qi = (k: string, def: number): number => (q.has(k) && !d.isNull(q.get(k)) ? d.int(q.get(k), k, 'int') : def);
    const qd = (k: string, def: number): number => (q.has(k) && !d.isNull(q.get(k)) ? d.duration(q.get(k), k) : def);
    const m = d.fields(f.get('metadata_config'), 'config.MetadataConfig', ['send', 'send_interval', 'max_samples_per_send'], 'metadata_config');
    let sigv4: RemoteWriteConfig['sigv4'];
    if (f.has('sigv4') && !d.isNull(f.get('sigv4'))) {
      const s = d.fields(f.get('sigv4'), 'sigv4.SigV4Config', ['region', 'access_key', 'secret_key', 'profile', 'role_arn'], 'sigv4');
      sigv4 = { region: d.str(s.get('region'), 'region'), accessKey: d.str(s.get('access_key'), 'access_key'), secretKey: d.str(s.get('secret_key'), 'secret_key'), profile: d.str(s.get('profile'), 'profile'), roleArn: d.str(s.get('role_arn'), 'role_arn') };
      if ((sigv4.accessKey === '') !== (sigv4.secretKey === '')) d.fail(f.keyNode('sigv4'), 'sigv4', 'must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config');
    }
    const url = f.has('url') && !d.isNull(f.get('url')) ? decodeURL(d, f.get('url'), 'url') : undefined;
    const writeRelabelConfigs = decodeRelabelConfigs(d, f.get('write_relabel_configs'), 'write_relabel_configs', 'empty or null relabeling rule in remote write config');
    const headers = decodeHeaders(d, f.get('headers'), 'remote');
    const httpClient = decodeHttpClient(d, f, dir);
    if (url === undefined) d.fail(f.node, 'url', 'url for remote_write is empty');
    if (sigv4 !== undefined && (httpClient.basicAuth !== undefined || httpClient.authorization !== undefined || httpClient.oauth2 !== undefined)) {
      d.fail(f.keyNode('sigv4'), 'sigv4', 'at most one of basic_auth, authorization, oauth2, & sigv4 must be configured');
    }
    const name = d.str(f.get('name'), 'name');
    if (name !== '' && names.has(name)) d.fail(f.keyNode('name'), 'name', `found multiple remote write configs with job name ${JSON.stringify(name)}`);
    names.add(name);
    return {
      url,
      remoteTimeoutMs: f.has('remote_timeout') && !d.isNull(f.get('remote_timeout')) ? d.duration(f.get('remote_timeout'), 'remote_timeout') : 30_000,
      headers,
      writeRelabelConfigs,
      name,
      sendExemplars: d.bool(f.get('send_exemplars'), 'send_exemplars'),
      sendNativeHistograms: d.bool(f.get('send_native_histograms'), 'send_native_histograms'),
      httpClient,
      queue: {
        capacity: qi('capacity', 2500),
        maxShards: qi('max_shards', 200),
        minShards: qi('min_shards', 1),
        maxSamplesPerSend: qi('max_samples_per_send', 500),
        batchSendDeadlineMs: qd('batch_send_deadline', 5000),
        minBackoffMs: qd('min_backoff', 30),
        maxBackoffMs: qd('max_backoff', 5000),
        retryOnRateLimit: d.bool(q.get('retry_on_http_429'), 'retry_on_http_429'),
      },
      metadata: {
        send: m.has('send') ? d.bool(m.get('send'), 'send') : true,
        sendIntervalMs: m.has('send_interval') ? d.duration(m.get('send_interval'), 'send_interval') : 60_000,
        maxSamplesPerSend: m.has('max_samples_per_send') && !d.isNull(m.get('max_samples_per_send')) ? d.int(m.get('max_samples_per_send'), 'max_samples_per_send', 'int') : 500,
      },
      ...(sigv4 !== undefined ? { sigv4 } : {}),
    };
  });
}

const RR_KEYS = ['url', 'remote_timeout', 'headers', 'read_recent', 'name', 'required_matchers', 'filter_external_labels', ...HTTP_CLIENT_KEYS];

/** decodeRemoteRead decodes `remote_read` and checks names are unique. */
export function decodeRemoteRead(d: Decoder, node: YNodeLike, dir: string): RemoteReadConfig[] {
  const names = new Set<string>();
  return d.seq(node, 'remote_read').map((item): RemoteReadConfig => {
    if (d.isNull(item)) d.fail(item ?? node, 'remote_read', 'empty or null remote read config section');
    const f = d.fields(item, 'config.RemoteReadConfig', RR_KEYS, 'remote_read');
    const url = f.has('url') && !d.isNull(f.get('url')) ? decodeURL(d, f.get('url'), 'url') : undefined;
    const headers = decodeHeaders(d, f.get('headers'), 'remote');
    const required: Record<string, string> = {};
    for (const [k, kn, v] of d.entries(f.get('required_matchers'), 'required_matchers', 'model.LabelSet')) {
      if (!isValidLabelName(k)) d.fail(kn, 'required_matchers', `${JSON.stringify(k)} is not a valid label name`);
      required[k] = d.str(v, k);
    }
    const httpClient = decodeHttpClient(d, f, dir);
    if (url === undefined) d.fail(f.node, 'url', 'url for remote_read is empty');
    const name = d.str(f.get('name'), 'name');
    if (name !== '' && names.has(name)) d.fail(f.keyNode('name'), 'name', `found multiple remote read configs with job name ${JSON.stringify(name)}`);
    names.add(name);
    return {
      url,
      remoteTimeoutMs: f.has('remote_timeout') && !d.isNull(f.get('remote_timeout')) ? d.duration(f.get('remote_timeout'), 'remote_timeout') : 60_000,
      headers,
      readRecent: d.bool(f.get('read_recent'), 'read_recent'),
      name,
      httpClient,
      requiredMatchers: required,
      filterExternalLabels: f.has('filter_external_labels') ? d.bool(f.get('filter_external_labels'), 'filter_external_labels') : true,
    };
  });
}

/** decodeStorage decodes `storage` (tsdb.out_of_order_time_window, exemplars.max_exemplars). */
export function decodeStorage(d: Decoder, node: YNodeLike): StorageConfig {
  const f = d.fields(node, 'config.StorageConfig', ['tsdb', 'exemplars'], 'storage');
  const t = d.fields(f.get('tsdb'), 'config.TSDBConfig', ['out_of_order_time_window'], 'tsdb');
  const e = d.fields(f.get('exemplars'), 'config.ExemplarsConfig', ['max_exemplars'], 'exemplars');
  return {
    outOfOrderTimeWindowMs: d.duration(t.get('out_of_order_time_window'), 'out_of_order_time_window'),
    maxExemplars: f.has('exemplars') ? d.int(e.get('max_exemplars'), 'max_exemplars', 'int64') : 100_000,
  };
}

/** decodeTracing decodes `tracing`; absent gives undefined. */
export function decodeTracing(d: Decoder, node: YNodeLike, dir: string): TracingConfig | undefined {
  if (node === undefined) return undefined;
  const f = d.fields(node, 'config.TracingConfig', ['client_type', 'endpoint', 'sampling_fraction', 'insecure', 'tls_config', 'headers', 'compression', 'timeout'], 'tracing');
  if (d.isNull(node)) return undefined;
  const clientType = f.has('client_type') ? d.str(f.get('client_type'), 'client_type') : 'grpc';
  if (clientType !== 'http' && clientType !== 'grpc') d.fail(f.get('client_type'), 'client_type', `expected tracing client type to be to be http or grpc, but got ${clientType}`);
  const headers = decodeHeaders(d, f.get('headers'), 'tracing');
  const endpoint = d.str(f.get('endpoint'), 'endpoint');
  if (endpoint === '') d.fail(f.node, 'endpoint', 'tracing endpoint must be set');
  const compression = d.str(f.get('compression'), 'compression');
  if (compression !== '' && compression !== 'gzip') d.fail(f.keyNode('compression'), 'compression', `invalid compression type ${compression} provided, valid options: gzip`);
  return {
    clientType,
    endpoint,
    samplingFraction: d.float(f.get('sampling_fraction'), 'sampling_fraction'),
    insecure: d.bool(f.get('insecure'), 'insecure'),
    tlsConfig: decodeTls(d, f.get('tls_config'), dir),
    headers,
    compression,
    timeoutMs: d.duration(f.get('timeout'), 'timeout'),
  };
}
