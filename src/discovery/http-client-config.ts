/**
 * The HTTP client settings of Prometheus's common config (basic_auth, authorization, oauth2,
 * tls_config, proxy_url…), shared by scrape jobs and the service-discovery providers that speak
 * HTTP. Declared here because discovery consumes it; config produces it.
 * @module
 */

/** TlsConfig is a `tls_config` block; file paths are absolute once loaded. */
export interface TlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify?: boolean;
  /** `TLS10`…`TLS13`. */
  readonly minVersion?: string;
  readonly maxVersion?: string;
}

/** OAuth2Config is an `oauth2` block (client credentials flow). */
export interface OAuth2Config {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly clientSecretFile?: string;
  readonly scopes: readonly string[];
  readonly tokenUrl: string;
  readonly endpointParams: Readonly<Record<string, string>>;
  readonly tlsConfig?: TlsConfig;
  readonly proxyUrl?: string;
}

/** HttpClientConfig is how to reach an HTTP endpoint; bearer_token(_file) arrive as authorization type Bearer. */
export interface HttpClientConfig {
  readonly basicAuth?: { readonly username: string; readonly password?: string; readonly passwordFile?: string };
  readonly authorization?: { readonly type: string; readonly credentials?: string; readonly credentialsFile?: string };
  readonly oauth2?: OAuth2Config;
  readonly tlsConfig?: TlsConfig;
  readonly proxyUrl?: string;
  readonly proxyConnectHeader?: Readonly<Record<string, readonly string[]>>;
  readonly followRedirects: boolean;
  readonly enableHttp2: boolean;
}

/** DEFAULT_HTTP_CLIENT_CONFIG is Prometheus's default: follow redirects, HTTP/2 on. */
export const DEFAULT_HTTP_CLIENT_CONFIG: HttpClientConfig = { followRedirects: true, enableHttp2: true };
