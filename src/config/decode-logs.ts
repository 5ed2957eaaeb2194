/**
 * Decoding the `logs` section with file:line:col errors: retention, app tokens, listeners
 * (a mapping for one, a sequence for several), HTTP ingest and query limits.
 * @module
 */
import { isValidLabelName } from '../relabel/index.js';
import {
  DEFAULT_LOGS_CONFIG,
  DEFAULT_SYSLOG,
  DEFAULT_TCP,
  LOG_SCOPES,
  type LogScope,
  type LogsAppConfig,
  type LogsConfig,
  type LogsHttpConfig,
  type LogsLimitsConfig,
  type LogsListenerCommon,
  type LogsSyslogConfig,
  type LogsTcpConfig,
  type LogsTlsConfig,
  type LogsTokenConfig,
} from './logs-config.js';
import { resolvePath } from './resolve-path.js';
import type { Decoder, Fields, YNodeLike } from './yaml-decoder.js';

const LOGS_KEYS = ['retention', 'retention_size', 'apps', 'tokens', 'tcp', 'syslog', 'http', 'limits'];
const APP_KEYS = ['name', 'retention', 'retention_size'];
const TOKEN_KEYS = ['name', 'token', 'token_file', 'app', 'scopes', 'org_id', 'read_apps'];
const TLS_KEYS = ['cert_file', 'key_file', 'client_ca_file', 'client_auth_type'];
const COMMON_KEYS = ['name', 'listen_address', 'token', 'labels', 'timezone', 'level_label', 'max_connections', 'idle_timeout', 'tls'];
const TCP_KEYS = [...COMMON_KEYS, 'multiline', 'multiline_wait', 'max_line_bytes', 'long_lines', 'payload_fields', 'json_message'];
const SYSLOG_KEYS = [...COMMON_KEYS, 'udp', 'tcp', 'max_message_bytes'];
const HTTP_KEYS = ['labels', 'max_body_bytes', 'max_decoded_bytes', 'max_line_bytes', 'timezone', 'payload_fields', 'json_message', 'level_label', 'elastic'];
const ELASTIC_KEYS = ['prefix', 'version'];
const LIMITS_KEYS = ['query_timeout', 'max_entries_limit_per_query', 'max_query_series', 'max_query_length'];

const APP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;
const SCOPE_ALIASES: Readonly<Record<string, LogScope>> = { push: 'logs:write', query: 'logs:read' };
const MIN_TOKEN_CHARS = 16;

/** decodeLogs decodes the `logs` section; absent or null gives DEFAULT_LOGS_CONFIG. */
export function decodeLogs(d: Decoder, node: YNodeLike, dir: string): LogsConfig {
  if (d.isNull(node)) return DEFAULT_LOGS_CONFIG;
  const f = d.fields(node, 'logs.Config', LOGS_KEYS, 'logs');
  const apps = decodeApps(d, f.get('apps'));
  const tokens = decodeTokens(d, f.get('tokens'), dir);
  const tcp = decodeListeners(d, f, 'tcp', tokens, dir, (_n, lf, common) => decodeTcp(d, lf, common), DEFAULT_TCP);
  const syslog = decodeListeners(d, f, 'syslog', tokens, dir, (n, lf, common) => decodeSyslog(d, n, lf, common), DEFAULT_SYSLOG);
  return {
    retentionMs: f.has('retention') && !d.isNull(f.get('retention')) ? d.duration(f.get('retention'), 'retention') : undefined,
    retentionBytes: d.size(f.get('retention_size'), 'retention_size'),
    apps,
    tokens,
    tcp,
    syslog,
    http: decodeHttp(d, f.get('http')),
    limits: decodeLimits(d, f.get('limits')),
  };
}

function decodeApps(d: Decoder, node: YNodeLike): LogsAppConfig[] {
  const seen = new Set<string>();
  return d.seq(node, 'apps').map((item) => {
    const a = d.fields(item, 'logs.AppConfig', APP_KEYS, 'apps');
    const name = d.str(a.get('name'), 'name');
    if (!APP_RE.test(name)) d.fail(a.has('name') ? a.get('name') : a.node, 'name', `${JSON.stringify(name)} is not a valid app name (letters, digits, . _ -, up to 64, starting with a letter or digit)`);
    if (seen.has(name)) d.fail(a.get('name'), 'name', `app ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
    return {
      name,
      retentionMs: a.has('retention') && !d.isNull(a.get('retention')) ? d.duration(a.get('retention'), 'retention') : undefined,
      retentionBytes: a.has('retention_size') && !d.isNull(a.get('retention_size')) ? d.size(a.get('retention_size'), 'retention_size') : undefined,
    };
  });
}

function decodeTokens(d: Decoder, node: YNodeLike, dir: string): LogsTokenConfig[] {
  const secrets = new Set<string>();
  const names = new Set<string>();
  const orgIds = new Set<string>();
  return d.seq(node, 'tokens').map((item) => {
    if (d.isNull(item)) d.fail(item ?? node, 'tokens', 'empty or null token');
    const t = d.fields(item, 'logs.TokenConfig', TOKEN_KEYS, 'tokens');
    const token = d.str(t.get('token'), 'token');
    const file = d.str(t.get('token_file'), 'token_file');
    if (token !== '' && file !== '') d.fail(t.keyNode('token_file'), 'token_file', 'at most one of token and token_file may be set');
    if (token === '' && file === '') d.fail(t.node, 'token', 'a token needs token or token_file');
    if (token !== '' && token.length < MIN_TOKEN_CHARS) d.fail(t.get('token'), 'token', `must be at least ${MIN_TOKEN_CHARS} characters`);
    if (token !== '' && secrets.has(token)) d.fail(t.get('token'), 'token', 'the same token is listed twice');
    secrets.add(token);
    const app = d.str(t.get('app'), 'app');
    if (!APP_RE.test(app)) d.fail(t.has('app') ? t.get('app') : t.node, 'app', `${JSON.stringify(app)} is not a valid app name (letters, digits, . _ -, up to 64, starting with a letter or digit)`);
    const name = d.str(t.get('name'), 'name');
    if (name !== '') {
      if (!NAME_RE.test(name)) d.fail(t.get('name'), 'name', `${JSON.stringify(name)} is not a valid token name`);
      if (names.has(name)) d.fail(t.get('name'), 'name', `token name ${JSON.stringify(name)} is used twice`);
      names.add(name);
    }
    let scopes: LogScope[] = ['logs:write', 'logs:read'];
    if (t.has('scopes') && !d.isNull(t.get('scopes'))) {
      const items = d.seq(t.get('scopes'), 'scopes', '[]string');
      scopes = items.map((s) => {
        const v = d.str(s, 'scopes');
        const scope = SCOPE_ALIASES[v] ?? (LOG_SCOPES as readonly string[]).find((x) => x === v);
        if (scope === undefined) d.fail(s, 'scopes', `unknown scope ${JSON.stringify(v)} (want one of ${[...LOG_SCOPES, ...Object.keys(SCOPE_ALIASES)].join(', ')})`);
        return scope as LogScope;
      });
      if (scopes.length === 0) d.fail(t.get('scopes'), 'scopes', 'a token needs at least one scope');
    }
    const orgId = d.optStr(t.get('org_id'), 'org_id');
    if (orgId !== undefined) {
      if (orgId.length < MIN_TOKEN_CHARS) d.fail(t.get('org_id'), 'org_id', `must be at least ${MIN_TOKEN_CHARS} characters: it authenticates like a token`);
      if (orgIds.has(orgId)) d.fail(t.get('org_id'), 'org_id', 'the same org_id is listed twice');
      orgIds.add(orgId);
    }
    const readApps = d.strList(t.get('read_apps'), 'read_apps');
    for (const a of readApps) if (a !== '*' && !APP_RE.test(a)) d.fail(t.get('read_apps'), 'read_apps', `${JSON.stringify(a)} is not a valid app name or *`);
    return { name, token, tokenFile: file === '' ? undefined : resolvePath(dir, file), app, scopes: [...new Set(scopes)], orgId, readApps };
  });
}

/** findToken resolves a listener's `token:` reference: a token's name, else the first token of that app that may push. */
function findToken(tokens: readonly LogsTokenConfig[], ref: string): LogsTokenConfig | undefined {
  return tokens.find((t) => t.name === ref) ?? tokens.find((t) => t.app === ref && (t.scopes.includes('logs:write') || t.scopes.includes('admin')));
}

type ListenerDecoder<T> = (node: YNodeLike, f: Fields, common: LogsListenerCommon) => T;

function decodeListeners<T extends LogsListenerCommon>(
  d: Decoder,
  parent: Fields,
  key: 'tcp' | 'syslog',
  tokens: readonly LogsTokenConfig[],
  dir: string,
  decode: ListenerDecoder<T>,
  fallback: T,
): T[] {
  const node = parent.get(key);
  // Without a section the default listener is used; whether it may go unbound with tokens
  // configured depends on the flag that gives its address, so the server checks that.
  if (d.isNull(node)) return [fallback];
  const single = d.tag(node) === '!!map';
  const items = single ? [node] : d.seq(node, key, `[]logs.${key}Config`);
  const names = new Set<string>();
  const out = items.map((item, i) => {
    const lf = d.fields(item, key === 'tcp' ? 'logs.TCPConfig' : 'logs.SyslogConfig', key === 'tcp' ? TCP_KEYS : SYSLOG_KEYS, key);
    const common = decodeCommon(d, lf, key, i, tokens, dir, fallback);
    if (names.has(common.name)) d.fail(lf.keyNode('name'), 'name', `two ${key} listeners are named ${JSON.stringify(common.name)}`);
    names.add(common.name);
    if (i > 0 && common.listenAddress === undefined) d.fail(lf.node, 'listen_address', `every ${key} listener but the first needs a listen_address`);
    return decode(item, lf, common);
  });
  return out;
}

function decodeCommon(d: Decoder, f: Fields, key: string, index: number, tokens: readonly LogsTokenConfig[], dir: string, fallback: LogsListenerCommon): LogsListenerCommon {
  const name = f.has('name') ? d.str(f.get('name'), 'name') : index === 0 ? key : `${key}_${index + 1}`;
  if (!NAME_RE.test(name)) d.fail(f.get('name'), 'name', `${JSON.stringify(name)} is not a valid listener name`);
  let listenAddress: string | undefined;
  if (f.has('listen_address')) {
    listenAddress = d.str(f.get('listen_address'), 'listen_address');
    if (listenAddress !== '') checkListenAddress(d, f.get('listen_address'), listenAddress);
  }
  let token: LogsTokenConfig | undefined;
  if (f.has('token') && !d.isNull(f.get('token'))) {
    const ref = d.str(f.get('token'), 'token');
    token = findToken(tokens, ref);
    if (token === undefined) d.fail(f.get('token'), 'token', `no token is named ${JSON.stringify(ref)} and no token of app ${JSON.stringify(ref)} has scope logs:write`);
    if (!token.scopes.includes('logs:write') && !token.scopes.includes('admin')) d.fail(f.get('token'), 'token', `token ${JSON.stringify(ref)} lacks scope logs:write`);
  } else if (tokens.length > 0 && listenAddress !== undefined && listenAddress !== '') {
    d.fail(f.node, 'token', `tokens are configured, so this ${key} listener must be bound to one (token: <name or app>) or disabled (listen_address: "")`);
  }
  return {
    name,
    listenAddress,
    token,
    labels: f.has('labels') && !d.isNull(f.get('labels')) ? decodeLabels(d, f.get('labels')) : undefined,
    timezone: f.has('timezone') ? decodeTimezone(d, f.get('timezone')) : fallback.timezone,
    levelLabel: f.has('level_label') ? d.bool(f.get('level_label'), 'level_label') : fallback.levelLabel,
    maxConnections: f.has('max_connections') ? positiveInt(d, f.get('max_connections'), 'max_connections') : fallback.maxConnections,
    idleTimeoutMs: f.has('idle_timeout') ? d.duration(f.get('idle_timeout'), 'idle_timeout') : fallback.idleTimeoutMs,
    tls: f.has('tls') && !d.isNull(f.get('tls')) ? decodeListenerTls(d, f.get('tls'), dir) : undefined,
  };
}

function decodeTcp(d: Decoder, f: Fields, common: LogsListenerCommon): LogsTcpConfig {
  const longLines = f.has('long_lines') ? d.str(f.get('long_lines'), 'long_lines') : DEFAULT_TCP.longLines;
  if (longLines !== 'truncate' && longLines !== 'split') d.fail(f.get('long_lines'), 'long_lines', `want truncate or split, got ${JSON.stringify(longLines)}`);
  return {
    ...common,
    multiline: f.has('multiline') ? d.bool(f.get('multiline'), 'multiline') : DEFAULT_TCP.multiline,
    multilineWaitMs: f.has('multiline_wait') ? d.duration(f.get('multiline_wait'), 'multiline_wait') : DEFAULT_TCP.multilineWaitMs,
    maxLineBytes: f.has('max_line_bytes') ? positiveSize(d, f.get('max_line_bytes'), 'max_line_bytes') : DEFAULT_TCP.maxLineBytes,
    longLines,
    payloadFields: d.bool(f.get('payload_fields'), 'payload_fields'),
    jsonMessage: d.bool(f.get('json_message'), 'json_message'),
  };
}

function decodeSyslog(d: Decoder, node: YNodeLike, f: Fields, common: LogsListenerCommon): LogsSyslogConfig {
  const udp = f.has('udp') ? d.bool(f.get('udp'), 'udp') : DEFAULT_SYSLOG.udp;
  const tcp = f.has('tcp') ? d.bool(f.get('tcp'), 'tcp') : DEFAULT_SYSLOG.tcp;
  if (!udp && !tcp && common.listenAddress !== '') d.fail(node, 'udp', 'a syslog listener needs udp, tcp or both (or listen_address: "" to disable it)');
  if (common.tls !== undefined && !tcp) d.fail(f.keyNode('tls'), 'tls', 'TLS applies to syslog over TCP, which is off');
  return { ...common, udp, tcp, maxMessageBytes: f.has('max_message_bytes') ? positiveSize(d, f.get('max_message_bytes'), 'max_message_bytes') : DEFAULT_SYSLOG.maxMessageBytes };
}

function decodeHttp(d: Decoder, node: YNodeLike): LogsHttpConfig {
  const def = DEFAULT_LOGS_CONFIG.http;
  const f = d.fields(node, 'logs.HTTPConfig', HTTP_KEYS, 'http');
  const e = d.fields(f.get('elastic'), 'logs.ElasticConfig', ELASTIC_KEYS, 'elastic');
  let prefix = d.str(e.get('prefix'), 'prefix').replace(/\/+$/, '');
  if (prefix !== '' && !prefix.startsWith('/')) d.fail(e.get('prefix'), 'prefix', 'must start with /');
  if (/[?#\s]/.test(prefix)) d.fail(e.get('prefix'), 'prefix', 'must be a plain path');
  if (prefix === '/') prefix = '';
  const version = e.has('version') ? d.str(e.get('version'), 'version') : def.elasticVersion;
  if (!/^\d+\.\d+\.\d+$/.test(version)) d.fail(e.get('version'), 'version', `want a version like 8.17.0, got ${JSON.stringify(version)}`);
  return {
    labels: f.has('labels') ? decodeLabels(d, f.get('labels')) : def.labels,
    maxBodyBytes: f.has('max_body_bytes') ? positiveSize(d, f.get('max_body_bytes'), 'max_body_bytes') : def.maxBodyBytes,
    maxDecodedBytes: f.has('max_decoded_bytes') ? positiveSize(d, f.get('max_decoded_bytes'), 'max_decoded_bytes') : def.maxDecodedBytes,
    maxLineBytes: f.has('max_line_bytes') ? positiveSize(d, f.get('max_line_bytes'), 'max_line_bytes') : def.maxLineBytes,
    timezone: f.has('timezone') ? decodeTimezone(d, f.get('timezone')) : def.timezone,
    payloadFields: d.bool(f.get('payload_fields'), 'payload_fields'),
    jsonMessage: d.bool(f.get('json_message'), 'json_message'),
    levelLabel: f.has('level_label') ? d.bool(f.get('level_label'), 'level_label') : def.levelLabel,
    elasticPrefix: prefix,
    elasticVersion: version,
  };
}

function decodeLimits(d: Decoder, node: YNodeLike): LogsLimitsConfig {
  const def = DEFAULT_LOGS_CONFIG.limits;
  const f = d.fields(node, 'logs.LimitsConfig', LIMITS_KEYS, 'limits');
  const timeout = f.has('query_timeout') ? d.duration(f.get('query_timeout'), 'query_timeout') : def.queryTimeoutMs;
  if (timeout <= 0) d.fail(f.get('query_timeout'), 'query_timeout', 'must be positive');
  return {
    queryTimeoutMs: timeout,
    maxEntriesLimitPerQuery: f.has('max_entries_limit_per_query') ? positiveInt(d, f.get('max_entries_limit_per_query'), 'max_entries_limit_per_query') : def.maxEntriesLimitPerQuery,
    maxQuerySeries: f.has('max_query_series') ? positiveInt(d, f.get('max_query_series'), 'max_query_series') : def.maxQuerySeries,
    maxQueryLengthMs: f.has('max_query_length') ? d.duration(f.get('max_query_length'), 'max_query_length') : def.maxQueryLengthMs,
  };
}

function decodeListenerTls(d: Decoder, node: YNodeLike, dir: string): LogsTlsConfig {
  const f = d.fields(node, 'logs.TLSConfig', TLS_KEYS, 'tls');
  const file = (k: string): string | undefined => {
    const v = d.str(f.get(k), k);
    return v === '' ? undefined : resolvePath(dir, v);
  };
  const certFile = file('cert_file');
  const keyFile = file('key_file');
  if (certFile === undefined) d.fail(f.node, 'cert_file', 'a TLS listener needs cert_file');
  if (keyFile === undefined) d.fail(f.node, 'key_file', 'a TLS listener needs key_file');
  const clientCaFile = file('client_ca_file');
  const auth = f.has('client_auth_type') ? d.str(f.get('client_auth_type'), 'client_auth_type') : clientCaFile !== undefined ? 'RequireAndVerifyClientCert' : 'NoClientCert';
  if (auth !== 'NoClientCert' && auth !== 'RequireAndVerifyClientCert') d.fail(f.get('client_auth_type'), 'client_auth_type', `want NoClientCert or RequireAndVerifyClientCert, got ${JSON.stringify(auth)}`);
  if (auth === 'RequireAndVerifyClientCert' && clientCaFile === undefined) d.fail(f.keyNode('client_auth_type'), 'client_auth_type', 'RequireAndVerifyClientCert needs client_ca_file');
  return { certFile, keyFile, clientCaFile, clientAuthType: auth };
}

function decodeLabels(d: Decoder, node: YNodeLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, kn, v] of d.entries(node, 'labels', 'labels')) {
    if (!isValidLabelName(name) || name.startsWith('__')) d.fail(kn, 'labels', `${JSON.stringify(name)} is not a valid label name`);
    out[name] = d.str(v, name);
  }
  return out;
}

function decodeTimezone(d: Decoder, node: YNodeLike): string {
  const tz = d.str(node, 'timezone');
  if (!isTimeZone(tz)) d.fail(node, 'timezone', `unknown time zone ${JSON.stringify(tz)} (want UTC, local, an offset like +05:30 or an IANA name like Europe/Berlin)`);
  return tz;
}

/** isTimeZone accepts what the log parsers accept: UTC, local, fixed offsets and IANA names. */
function isTimeZone(tz: string): boolean {
  if (['UTC', 'Z', 'utc', 'Etc/UTC', 'GMT', 'local'].includes(tz)) return true;
  const m = /^[+-](\d\d):?(\d\d)?$/.exec(tz);
  if (m !== null) return Number(m[1]) <= 23 && Number(m[2] ?? '0') <= 59;
  if (tz === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function checkListenAddress(d: Decoder, node: YNodeLike, addr: string): void {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(addr);
  if (m === null || Number(m[3]) > 65535) d.fail(node, 'listen_address', `invalid listen address ${JSON.stringify(addr)}: want host:port (or "" to disable)`);
}

function positiveInt(d: Decoder, node: YNodeLike, key: string): number {
  const v = d.int(node, key, 'int');
  if (v <= 0) d.fail(node, key, `must be a positive integer, got ${v}`);
  return v;
}

function positiveSize(d: Decoder, node: YNodeLike, key: string): number {
  const v = d.size(node, key);
  if (v <= 0) d.fail(node, key, 'must be a positive size');
  return v;
}
