/**
 * Decoding and validating the inline HTTP client fields of Prometheus's common config.
 * @module
 */
import { DEFAULT_HTTP_CLIENT_CONFIG } from '../discovery/index.js';
import type { HttpClientConfig, OAuth2Config, TlsConfig } from '../discovery/index.js';
import { checkGoURL } from './go-url.js';
import type { Decoder, Fields, YNodeLike } from './yaml-decoder.js';
import { resolvePath } from './resolve-path.js';

/** The keys HTTPClientConfig inlines into its parent. */
export const HTTP_CLIENT_KEYS = [
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'proxy_url',
  'proxy_connect_header',
  'tls_config',
  'follow_redirects',
  'enable_http2',
] as const;

const TLS_VERSIONS = new Set(['TLS10', 'TLS11', 'TLS12', 'TLS13']);

/** decodeTls decodes a `tls_config` block. */
export function decodeTls(d: Decoder, node: YNodeLike, dir: string): TlsConfig {
  const f = d.fields(node, 'config.TLSConfig', ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version', 'max_version'], 'tls_config');
  const version = (k: string): string | undefined => {
    if (!f.has(k)) return undefined;
    const v = d.str(f.get(k), k);
    if (!TLS_VERSIONS.has(v)) d.fail(f.get(k), k, `unknown TLS version: ${v}`);
    return v;
  };
  const file = (k: string): string | undefined => {
    const v = d.str(f.get(k), k);
    return v === '' ? undefined : resolvePath(dir, v);
  };
  const out: { -readonly [K in keyof TlsConfig]: TlsConfig[K] } = {};
  const ca = file('ca_file');
  const cert = file('cert_file');
  const key = file('key_file');
  if (ca !== undefined) out.caFile = ca;
  if (cert !== undefined) out.certFile = cert;
  if (key !== undefined) out.keyFile = key;
  const sn = d.str(f.get('server_name'), 'server_name');
  if (sn !== '') out.serverName = sn;
  if (d.bool(f.get('insecure_skip_verify'), 'insecure_skip_verify')) out.insecureSkipVerify = true;
  const min = version('min_version');
  const max = version('max_version');
  if (min !== undefined) out.minVersion = min;
  if (max !== undefined) out.maxVersion = max;
  return out;
}

/** decodeURL decodes a URL field with Go's url.Parse checks. */
export function decodeURL(d: Decoder, node: YNodeLike, key: string): string {
  const s = d.str(node, key);
  const e = checkGoURL(s);
  if (e !== undefined) d.fail(node, key, e);
  return s;
}

/**
 * decodeHttpClient reads the inline HTTP client fields of a struct and applies
 * HTTPClientConfig.Validate: conflicting auth settings are errors, bearer_token(_file) become
 * authorization with type Bearer.
 */
export function decodeHttpClient(d: Decoder, f: Fields, dir: string): HttpClientConfig {
  const str = (k: string): string => d.str(f.get(k), k);
  let basicAuth: HttpClientConfig['basicAuth'];
  if (f.has('basic_auth') && !d.isNull(f.get('basic_auth'))) {
    const b = d.fields(f.get('basic_auth'), 'config.BasicAuth', ['username', 'password', 'password_file'], 'basic_auth');
    const pf = d.str(b.get('password_file'), 'password_file');
    const pw = d.str(b.get('password'), 'password');
    basicAuth = { username: d.str(b.get('username'), 'username'), ...(pw !== '' ? { password: pw } : {}), ...(pf !== '' ? { passwordFile: resolvePath(dir, pf) } : {}) };
    if (pw !== '' && pf !== '') d.fail(f.keyNode('basic_auth'), 'basic_auth', 'at most one of basic_auth password & password_file must be configured');
  }
  let authorization: { type: string; credentials?: string; credentialsFile?: string } | undefined;
  if (f.has('authorization') && !d.isNull(f.get('authorization'))) {
    const a = d.fields(f.get('authorization'), 'config.Authorization', ['type', 'credentials', 'credentials_file'], 'authorization');
    const cred = d.str(a.get('credentials'), 'credentials');
    const credFile = d.str(a.get('credentials_file'), 'credentials_file');
    authorization = { type: d.str(a.get('type'), 'type'), ...(cred !== '' ? { credentials: cred } : {}), ...(credFile !== '' ? { credentialsFile: resolvePath(dir, credFile) } : {}) };
  }
  let oauth2: OAuth2Config | undefined;
  if (f.has('oauth2') && !d.isNull(f.get('oauth2'))) {
    const o = d.fields(f.get('oauth2'), 'config.OAuth2', ['client_id', 'client_secret', 'client_secret_file', 'scopes', 'token_url', 'endpoint_params', 'tls_config', 'proxy_url'], 'oauth2');
    const secret = d.str(o.get('client_secret'), 'client_secret');
    const secretFile = d.str(o.get('client_secret_file'), 'client_secret_file');
    const proxy = o.has('proxy_url') ? decodeURL(d, o.get('proxy_url'), 'proxy_url') : '';
    oauth2 = {
      clientId: d.str(o.get('client_id'), 'client_id'),
      ...(secret !== '' ? { clientSecret: secret } : {}),
      ...(secretFile !== '' ? { clientSecretFile: resolvePath(dir, secretFile) } : {}),
      scopes: d.strList(o.get('scopes'), 'scopes'),
      tokenUrl: d.str(o.get('token_url'), 'token_url'),
      endpointParams: d.strMap(o.get('endpoint_params'), 'endpoint_params'),
      tlsConfig: decodeTls(d, o.get('tls_config'), dir),
      ...(proxy !== '' ? { proxyUrl: proxy } : {}),
    };
  }
  const bearer = str('bearer_token');
  const bearerFile = str('bearer_token_file');
  const proxyUrl = f.has('proxy_url') ? decodeURL(d, f.get('proxy_url'), 'proxy_url') : '';
  const pch: Record<string, string[]> = {};
  for (const [k, , v] of d.entries(f.get('proxy_connect_header'), 'proxy_connect_header', 'config.Header')) pch[k] = d.strList(v, 'proxy_connect_header');
  const tlsConfig = decodeTls(d, f.get('tls_config'), dir);
  const followRedirects = f.has('follow_redirects') ? d.bool(f.get('follow_redirects'), 'follow_redirects') : DEFAULT_HTTP_CLIENT_CONFIG.followRedirects;
  const enableHttp2 = f.has('enable_http2') ? d.bool(f.get('enable_http2'), 'enable_http2') : DEFAULT_HTTP_CLIENT_CONFIG.enableHttp2;

  // HTTPClientConfig.Validate, check by check.
  const at = (k: string): YNodeLike => (f.has(k) ? f.keyNode(k) : f.node);
  if (bearer !== '' && bearerFile !== '') d.fail(at('bearer_token_file'), 'bearer_token_file', 'at most one of bearer_token & bearer_token_file must be configured');
  if ((basicAuth !== undefined || oauth2 !== undefined) && (bearer !== '' || bearerFile !== '')) {
    d.fail(at(bearer !== '' ? 'bearer_token' : 'bearer_token_file'), bearer !== '' ? 'bearer_token' : 'bearer_token_file', 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
  }
  if (authorization !== undefined) {
    if (bearer !== '' || bearerFile !== '') d.fail(at('authorization'), 'authorization', 'authorization is not compatible with bearer_token & bearer_token_file');
    if (authorization.credentials !== undefined && authorization.credentialsFile !== undefined) {
      d.fail(at('authorization'), 'authorization', 'at most one of authorization credentials & credentials_file must be configured');
    }
    authorization.type = authorization.type.trim();
    if (authorization.type === '') authorization.type = 'Bearer';
    if (authorization.type.toLowerCase() === 'basic') d.fail(at('authorization'), 'authorization', 'authorization type cannot be set to "basic", use "basic_auth" instead');
    if (basicAuth !== undefined || oauth2 !== undefined) d.fail(at('authorization'), 'authorization', 'at most one of basic_auth, oauth2 & authorization must be configured');
  } else if (bearer !== '') {
    authorization = { type: 'Bearer', credentials: bearer };
  } else if (bearerFile !== '') {
    authorization = { type: 'Bearer', credentialsFile: resolvePath(dir, bearerFile) };
  }
  if (oauth2 !== undefined) {
    const k = at('oauth2');
    if (basicAuth !== undefined) d.fail(k, 'oauth2', 'at most one of basic_auth, oauth2 & authorization must be configured');
    if (oauth2.clientId === '') d.fail(k, 'oauth2', 'oauth2 client_id must be configured');
    if (oauth2.clientSecret === undefined && oauth2.clientSecretFile === undefined) d.fail(k, 'oauth2', 'either oauth2 client_secret or client_secret_file must be configured');
    if (oauth2.tokenUrl === '') d.fail(k, 'oauth2', 'oauth2 token_url must be configured');
    if (oauth2.clientSecret !== undefined && oauth2.clientSecretFile !== undefined) d.fail(k, 'oauth2', 'at most one of oauth2 client_secret & client_secret_file must be configured');
  }
  if (Object.keys(pch).length > 0 && proxyUrl === '') {
    d.fail(at('proxy_connect_header'), 'proxy_connect_header', 'if proxy_connect_header is configured proxy_url must also be configured');
  }
  return {
    ...(basicAuth !== undefined ? { basicAuth } : {}),
    ...(authorization !== undefined ? { authorization } : {}),
    ...(oauth2 !== undefined ? { oauth2 } : {}),
    ...(Object.keys(tlsConfig).length > 0 ? { tlsConfig } : {}),
    ...(proxyUrl !== '' ? { proxyUrl } : {}),
    ...(Object.keys(pch).length > 0 ? { proxyConnectHeader: pch } : {}),
    followRedirects,
    enableHttp2,
  };
}

/** isDefaultHttpClient tells whether nothing differs from Prometheus's default client settings. */
export function isDefaultHttpClient(h: HttpClientConfig): boolean {
  return (
    h.basicAuth === undefined &&
    h.authorization === undefined &&
    h.oauth2 === undefined &&
    h.tlsConfig === undefined &&
    h.proxyUrl === undefined &&
    h.proxyConnectHeader === undefined &&
    h.followRedirects === DEFAULT_HTTP_CLIENT_CONFIG.followRedirects &&
    h.enableHttp2 === DEFAULT_HTTP_CLIENT_CONFIG.enableHttp2
  );
}
