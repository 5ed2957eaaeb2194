/**
 * The loaded configuration as /api/v1/status/config shows it: YAML in the key order, default
 * values and layout that Prometheus 2.42's marshaller produces (empty fields left out, secrets
 * as `<secret>`, durations like `1m30s`, sizes like `10MiB`, source_labels in flow style).
 * @module
 */
import type { AlertmanagerConfig, Config, RemoteReadConfig, RemoteWriteConfig, ScrapeConfig } from '../config/index.js';
import type { HttpClientConfig, SDConfig, TargetGroup } from '../discovery/index.js';
import { type Labels, formatDuration } from '../model/index.js';
import type { RelabelConfig } from '../relabel/index.js';

/** YamlNode is a tree the emitter prints. */
type YamlNode =
  | { readonly kind: 'scalar'; readonly text: string }
  | { readonly kind: 'map'; readonly entries: readonly (readonly [string, YamlNode])[] }
  | { readonly kind: 'seq'; readonly items: readonly YamlNode[] }
  | { readonly kind: 'flow'; readonly items: readonly string[] };

const SECRET = '<secret>';
const DEFAULT_MAX_EXEMPLARS = 100_000;

// Values yaml.v2 would read back as something other than a string, so it quotes them.
const NON_STRING = /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:\.\d+|\d+(?:\.\d*)?)(?:[eE][-+]?\d+)?|[-+]?0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[\d_]+(?::[0-5]?\d)+(?:\.\d*)?|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?)$/;
// eslint-disable-next-line no-control-regex
const NEEDS_DOUBLE = /[\u0000-\u0008\u000b-\u001f\u007f\n\r\t\u0085\u2028\u2029\ufeff]|[\ud800-\udfff]/;

/** yamlString renders a string scalar as yaml.v2 would: plain when it can, else quoted. */
export function yamlString(s: string): string {
  if (s === '' || NON_STRING.test(s) || NEEDS_DOUBLE.test(s)) return JSON.stringify(s);
  if (plainAllowed(s)) return s;
  return "'" + s.replace(/'/g, "''") + "'";
}

function plainAllowed(s: string): boolean {
  if (s.startsWith(' ') || s.endsWith(' ')) return false;
  const first = s[0]!;
  if ('#,[]{}&*!|>\'"%@`'.includes(first)) return false;
  if ((first === '-' || first === '?' || first === ':') && (s.length === 1 || s[1] === ' ')) return false;
  if (s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false;
  if (s === '---' || s === '...') return false;
  return true;
}

const scalar = (text: string): YamlNode => ({ kind: 'scalar', text });
const str = (s: string): YamlNode => scalar(yamlString(s));
const dur = (ms: number): YamlNode => scalar(formatDuration(ms));
const bool = (b: boolean): YamlNode => scalar(b ? 'true' : 'false');
const num = (n: number): YamlNode => scalar(String(n));
const strSeq = (list: readonly string[]): YamlNode => ({ kind: 'seq', items: list.map(str) });

/** Entries builds a map's entries, leaving out what Prometheus's `omitempty` leaves out. */
class Entries {
  readonly list: [string, YamlNode][] = [];
  add(k: string, v: YamlNode | undefined): this {
    if (v !== undefined) this.list.push([k, v]);
    return this;
  }
  str(k: string, v: string | undefined): this {
    return v === undefined || v === '' ? this : this.add(k, str(v));
  }
  secret(k: string, v: string | undefined): this {
    return v === undefined || v === '' ? this : this.add(k, scalar(SECRET));
  }
  dur(k: string, ms: number): this {
    return ms === 0 ? this : this.add(k, dur(ms));
  }
  num(k: string, n: number): this {
    return n === 0 ? this : this.add(k, num(n));
  }
  flag(k: string, b: boolean): this {
    return b ? this.add(k, bool(true)) : this;
  }
  seq(k: string, items: readonly YamlNode[]): this {
    return items.length === 0 ? this : this.add(k, { kind: 'seq', items });
  }
  record(k: string, r: Readonly<Record<string, string>> | undefined): this {
    if (r === undefined || Object.keys(r).length === 0) return this;
    return this.add(k, { kind: 'map', entries: Object.keys(r).sort().map((n) => [n, str(r[n]!)] as const) });
  }
  labels(k: string, l: Labels): this {
    if (l.isEmpty()) return this;
    const entries: [string, YamlNode][] = [];
    l.forEach((n, v) => entries.push([n, str(v)]));
    return this.add(k, { kind: 'map', entries });
  }
  inline(e: Entries): this {
    this.list.push(...e.list);
    return this;
  }
  node(): YamlNode | undefined {
    return this.list.length === 0 ? undefined : { kind: 'map', entries: this.list };
  }
  map(): YamlNode {
    return { kind: 'map', entries: this.list };
  }
}

function tls(t: HttpClientConfig['tlsConfig']): YamlNode | undefined {
  if (t === undefined) return undefined;
  return new Entries()
    .str('ca_file', t.caFile)
    .str('cert_file', t.certFile)
    .str('key_file', t.keyFile)
    .str('server_name', t.serverName)
    .flag('insecure_skip_verify', t.insecureSkipVerify === true)
    .str('min_version', t.minVersion)
    .str('max_version', t.maxVersion)
    .node();
}

function httpClient(h: HttpClientConfig): Entries {
  const e = new Entries();
  if (h.basicAuth !== undefined) {
    e.add('basic_auth', new Entries().str('username', h.basicAuth.username).secret('password', h.basicAuth.password).str('password_file', h.basicAuth.passwordFile).map());
  }
  if (h.authorization !== undefined) {
    e.add('authorization', new Entries().str('type', h.authorization.type).secret('credentials', h.authorization.credentials).str('credentials_file', h.authorization.credentialsFile).map());
  }
  if (h.oauth2 !== undefined) {
    const o = h.oauth2;
    e.add(
      'oauth2',
      new Entries()
        .str('client_id', o.clientId)
        .secret('client_secret', o.clientSecret)
        .str('client_secret_file', o.clientSecretFile)
        .seq('scopes', o.scopes.map(str))
        .str('token_url', o.tokenUrl)
        .record('endpoint_params', o.endpointParams)
        .add('tls_config', tls(o.tlsConfig))
        .str('proxy_url', o.proxyUrl)
        .map(),
    );
  }
  e.add('tls_config', tls(h.tlsConfig));
  e.str('proxy_url', h.proxyUrl);
  if (h.proxyConnectHeader !== undefined && Object.keys(h.proxyConnectHeader).length > 0) {
    const ph = h.proxyConnectHeader;
    e.add('proxy_connect_header', { kind: 'map', entries: Object.keys(ph).sort().map((k) => [k, { kind: 'seq', items: ph[k]!.map(() => scalar(SECRET)) }] as const) });
  }
  e.add('follow_redirects', bool(h.followRedirects));
  e.add('enable_http2', bool(h.enableHttp2));
  return e;
}

function relabel(r: RelabelConfig): YamlNode {
  const e = new Entries();
  if (r.sourceLabels.length > 0) e.add('source_labels', { kind: 'flow', items: r.sourceLabels.map(yamlString) });
  e.add('separator', str(r.separator));
  e.add('regex', str(r.regex.source));
  e.num('modulus', r.modulus);
  e.str('target_label', r.targetLabel);
  e.add('replacement', str(r.replacement));
  e.add('action', str(r.action));
  return e.map();
}

function targetGroup(g: TargetGroup): YamlNode {
  const e = new Entries();
  e.add('targets', strSeq(g.targets.map((t) => t.get('__address__'))));
  e.labels('labels', g.labels);
  return e.map();
}

// Service discovery blocks follow the other fields, by name, static_configs last.
function sdEntries(sds: readonly SDConfig[]): Entries {
  const e = new Entries();
  const of = <K extends SDConfig['kind']>(k: K): Extract<SDConfig, { kind: K }>[] => sds.filter((s): s is Extract<SDConfig, { kind: K }> => s.kind === k);
  e.seq(
    'consul_sd_configs',
    of('consul').map((c) =>
      new Entries()
        .str('server', c.server)
        .secret('token', c.token)
        .str('datacenter', c.datacenter)
        .str('namespace', c.namespace)
        .str('partition', c.partition)
        .str('tag_separator', c.tagSeparator)
        .str('scheme', c.scheme)
        .add('allow_stale', bool(c.allowStale))
        .dur('refresh_interval', c.refreshIntervalMs)
        .seq('services', c.services.map(str))
        .seq('tags', c.tags.map(str))
        .record('node_meta', c.nodeMeta)
        .inline(httpClient(c.httpClient))
        .map(),
    ),
  );
  e.seq(
    'dns_sd_configs',
    of('dns').map((d) => new Entries().add('names', strSeq(d.names)).dur('refresh_interval', d.refreshIntervalMs).add('type', str(d.type)).add('port', num(d.port)).map()),
  );
  e.seq('file_sd_configs', of('file').map((f) => new Entries().add('files', strSeq(f.files)).dur('refresh_interval', f.refreshIntervalMs).map()));
  e.seq(
    'kubernetes_sd_configs',
    of('kubernetes').map((k) => {
      const x = new Entries().str('api_server', k.apiServer).add('role', str(k.role)).add('kubeconfig_file', str(k.kubeconfigFile ?? '')).inline(httpClient(k.httpClient));
      if (k.namespaces.ownNamespace || k.namespaces.names.length > 0) {
        x.add('namespaces', new Entries().add('own_namespace', bool(k.namespaces.ownNamespace)).add('names', strSeq(k.namespaces.names)).map());
      }
      x.seq('selectors', k.selectors.map((s) => new Entries().str('role', s.role).str('label', s.label).str('field', s.field).map()));
      if (k.attachMetadata.node) x.add('attach_metadata', new Entries().add('node', bool(true)).map());
      return x.map();
    }),
  );
  e.seq('static_configs', of('static').flatMap((s) => s.groups.map(targetGroup)));
  return e;
}

function base2Bytes(n: number): string {
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  const out: string[] = [];
  let rest = n;
  for (let i = 0; i < prefixes.length; i++) {
    if (rest % 1024 !== 0 || (i === 0 && rest === 0)) out.unshift(`${rest % 1024}${prefixes[i]}${i === 0 ? 'B' : 'iB'}`);
    rest = Math.floor(rest / 1024);
    if (rest === 0) break;
  }
  return out.join('');
}

function scrapeConfig(s: ScrapeConfig): YamlNode {
  const e = new Entries().add('job_name', str(s.jobName)).flag('honor_labels', s.honorLabels).add('honor_timestamps', bool(s.honorTimestamps));
  const params = Object.keys(s.params);
  if (params.length > 0) e.add('params', { kind: 'map', entries: params.sort().map((k) => [k, strSeq(s.params[k]!)] as const) });
  e.dur('scrape_interval', s.scrapeIntervalMs).dur('scrape_timeout', s.scrapeTimeoutMs).str('metrics_path', s.metricsPath).str('scheme', s.scheme);
  if (s.bodySizeLimitBytes > 0) e.add('body_size_limit', scalar(base2Bytes(s.bodySizeLimitBytes)));
  e.num('sample_limit', s.sampleLimit).num('target_limit', s.targetLimit).num('label_limit', s.labelLimit);
  e.num('label_name_length_limit', s.labelNameLengthLimit).num('label_value_length_limit', s.labelValueLengthLimit);
  e.inline(httpClient(s.httpClient));
  e.seq('relabel_configs', s.relabelConfigs.map(relabel));
  e.seq('metric_relabel_configs', s.metricRelabelConfigs.map(relabel));
  e.inline(sdEntries(s.serviceDiscovery));
  return e.map();
}

function alertmanager(a: AlertmanagerConfig): YamlNode {
  return new Entries()
    .inline(httpClient(a.httpClient))
    .str('scheme', a.scheme)
    .str('path_prefix', a.pathPrefix)
    .dur('timeout', a.timeoutMs)
    .add('api_version', str(a.apiVersion))
    .seq('relabel_configs', a.relabelConfigs.map(relabel))
    .inline(sdEntries(a.serviceDiscovery))
    .map();
}

function remoteWrite(w: RemoteWriteConfig): YamlNode {
  const q = w.queue;
  const e = new Entries().add('url', str(w.url)).dur('remote_timeout', w.remoteTimeoutMs).record('headers', w.headers).seq('write_relabel_configs', w.writeRelabelConfigs.map(relabel));
  e.str('name', w.name).flag('send_exemplars', w.sendExemplars).flag('send_native_histograms', w.sendNativeHistograms).inline(httpClient(w.httpClient));
  e.add(
    'queue_config',
    new Entries()
      .num('capacity', q.capacity)
      .num('max_shards', q.maxShards)
      .num('min_shards', q.minShards)
      .num('max_samples_per_send', q.maxSamplesPerSend)
      .dur('batch_send_deadline', q.batchSendDeadlineMs)
      .dur('min_backoff', q.minBackoffMs)
      .dur('max_backoff', q.maxBackoffMs)
      .flag('retry_on_http_429', q.retryOnRateLimit)
      .map(),
  );
  e.add('metadata_config', new Entries().add('send', bool(w.metadata.send)).add('send_interval', dur(w.metadata.sendIntervalMs)).num('max_samples_per_send', w.metadata.maxSamplesPerSend).map());
  if (w.sigv4 !== undefined) {
    const s = w.sigv4;
    e.add('sigv4', new Entries().str('region', s.region).str('access_key', s.accessKey).secret('secret_key', s.secretKey).str('profile', s.profile).str('role_arn', s.roleArn).map());
  }
  return e.map();
}

function remoteRead(r: RemoteReadConfig): YamlNode {
  return new Entries()
    .add('url', str(r.url))
    .dur('remote_timeout', r.remoteTimeoutMs)
    .record('headers', r.headers)
    .flag('read_recent', r.readRecent)
    .str('name', r.name)
    .inline(httpClient(r.httpClient))
    .record('required_matchers', r.requiredMatchers)
    .flag('filter_external_labels', r.filterExternalLabels)
    .map();
}

/** configYamlTree builds the YAML tree of a configuration. */
function configTree(c: Config): YamlNode {
  const g = c.global;
  const root = new Entries();
  root.add(
    'global',
    new Entries()
      .dur('scrape_interval', g.scrapeIntervalMs)
      .dur('scrape_timeout', g.scrapeTimeoutMs)
      .dur('evaluation_interval', g.evaluationIntervalMs)
      .str('query_log_file', g.queryLogFile)
      .labels('external_labels', g.externalLabels)
      .map(),
  );
  root.add(
    'alerting',
    new Entries().seq('alert_relabel_configs', c.alerting.alertRelabelConfigs.map(relabel)).seq('alertmanagers', c.alerting.alertmanagers.map(alertmanager)).node(),
  );
  root.seq('rule_files', c.ruleFiles.map(str));
  root.seq('scrape_configs', c.scrapeConfigs.map(scrapeConfig));
  const storage = new Entries();
  if (c.storage.outOfOrderTimeWindowMs > 0) {
    // Prometheus 2.42 also prints its untagged internal copy of the window, in ms.
    storage.add('tsdb', new Entries().add('outofordertimewindow', num(c.storage.outOfOrderTimeWindowMs)).dur('out_of_order_time_window', c.storage.outOfOrderTimeWindowMs).map());
  }
  // Prometheus prints `exemplars` only when configured; vigil's config holds the default then.
  if (c.storage.maxExemplars > 0 && c.storage.maxExemplars !== DEFAULT_MAX_EXEMPLARS) storage.add('exemplars', new Entries().num('max_exemplars', c.storage.maxExemplars).map());
  root.add('storage', storage.node());
  const t = c.tracing;
  if (t !== undefined) {
    root.add(
      'tracing',
      new Entries()
        .str('client_type', t.clientType)
        .str('endpoint', t.endpoint)
        .num('sampling_fraction', t.samplingFraction)
        .flag('insecure', t.insecure)
        .add('tls_config', tls(t.tlsConfig))
        .record('headers', t.headers)
        .str('compression', t.compression)
        .dur('timeout', t.timeoutMs)
        .node(),
    );
  }
  root.seq('remote_write', c.remoteWrite.map(remoteWrite));
  root.seq('remote_read', c.remoteRead.map(remoteRead));
  return root.map();
}

function emit(n: YamlNode, indent: string, out: string[]): void {
  switch (n.kind) {
    case 'scalar':
    case 'flow':
      throw new Error('internal: scalar at block position');
    case 'map':
      for (const [k, v] of n.entries) emitEntry(`${indent}${yamlString(k)}:`, v, indent, out);
      return;
    case 'seq':
      for (const item of n.items) {
        if (item.kind === 'map' && item.entries.length > 0) {
          const inner: string[] = [];
          emit(item, indent + '  ', inner);
          inner[0] = indent + '- ' + inner[0]!.slice(indent.length + 2);
          out.push(...inner);
        } else emitEntry(`${indent}-`, item, indent, out);
      }
      return;
  }
}

function emitEntry(head: string, v: YamlNode, indent: string, out: string[]): void {
  switch (v.kind) {
    case 'scalar':
      out.push(`${head} ${v.text}`);
      return;
    case 'flow':
      out.push(`${head} [${v.items.join(', ')}]`);
      return;
    case 'map':
      if (v.entries.length === 0) out.push(`${head} {}`);
      else {
        out.push(head);
        emit(v, indent + '  ', out);
      }
      return;
    case 'seq':
      if (v.items.length === 0) out.push(`${head} []`);
      else {
        out.push(head);
        // yaml.v2 does not indent a sequence under a map key.
        emit(v, head.endsWith('-') ? indent + '  ' : indent, out);
      }
      return;
  }
}

/** renderConfigYaml prints a configuration as Prometheus's /api/v1/status/config does. */
export function renderConfigYaml(c: Config): string {
  const out: string[] = [];
  emit(configTree(c), '', out);
  return out.join('\n') + '\n';
}
