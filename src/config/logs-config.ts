/**
 * The typed `logs:` section of vigil's configuration file: retention, app tokens, the TCP and
 * syslog listeners, HTTP ingest and query limits. Durations are milliseconds, sizes bytes,
 * file paths resolved against the config file's folder.
 * @module
 */

/** LOG_SCOPES are the scopes a token may grant (`push` and `query` are accepted as aliases of the first two). */
export const LOG_SCOPES = ['logs:write', 'logs:read', 'metrics:write', 'metrics:read', 'admin'] as const;

/** LogScope is one of LOG_SCOPES. */
export type LogScope = (typeof LOG_SCOPES)[number];

/** DEFAULT_LOG_RETENTION_MS is how long logs are kept when neither the config nor a flag says (30 days). */
export const DEFAULT_LOG_RETENTION_MS = 30 * 24 * 3_600_000;

/** LogsConfig is the `logs` section; an absent section gives DEFAULT_LOGS_CONFIG. */
export interface LogsConfig {
  /** Default retention per app; undefined when the file does not set it (0 keeps logs forever). */
  readonly retentionMs: number | undefined;
  /** Default size bound per app in bytes (0: none). */
  readonly retentionBytes: number;
  /** Per-app overrides. */
  readonly apps: readonly LogsAppConfig[];
  readonly tokens: readonly LogsTokenConfig[];
  /** TCP listeners (one by default). */
  readonly tcp: readonly LogsTcpConfig[];
  /** Syslog listeners (one by default). */
  readonly syslog: readonly LogsSyslogConfig[];
  readonly http: LogsHttpConfig;
  readonly limits: LogsLimitsConfig;
}

/** LogsAppConfig overrides retention for one app (the `app` label). */
export interface LogsAppConfig {
  readonly name: string;
  /** undefined: the default retention. */
  readonly retentionMs: number | undefined;
  /** undefined: the default size bound. */
  readonly retentionBytes: number | undefined;
}

/** LogsTokenConfig is one app token. */
export interface LogsTokenConfig {
  /** A name listeners refer to it by ('' when unnamed: then they refer to it by its app). */
  readonly name: string;
  /** The secret, '' when it comes from tokenFile. */
  readonly token: string;
  /** File holding the secret (read at start and on every reload; surrounding whitespace trimmed). */
  readonly tokenFile: string | undefined;
  readonly app: string;
  readonly scopes: readonly LogScope[];
  /** An `X-Scope-OrgID` value that authenticates as this token. */
  readonly orgId: string | undefined;
  /** Other apps this token may query; `*` for all. */
  readonly readApps: readonly string[];
}

/** LogsTlsConfig turns a listener into TLS. */
export interface LogsTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | undefined;
  /** Whether clients must present a certificate signed by clientCaFile. */
  readonly clientAuthType: 'NoClientCert' | 'RequireAndVerifyClientCert';
}

/** LogsListenerCommon holds what every stream listener has. */
export interface LogsListenerCommon {
  /** Name in self-metrics (`receiver` label). */
  readonly name: string;
  /** host:port; '' disables; undefined: the flag's value (the first listener) or an error. */
  readonly listenAddress: string | undefined;
  /** The token this listener's traffic counts as (its app labels what arrives). */
  readonly token: LogsTokenConfig | undefined;
  /** Labels added to every entry. */
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Zone of timestamps written without one: `UTC`, `local`, `+05:30` or an IANA name. */
  readonly timezone: string;
  readonly levelLabel: boolean;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly tls: LogsTlsConfig | undefined;
}

/** LogsTcpConfig is one newline-delimited TCP listener. */
export interface LogsTcpConfig extends LogsListenerCommon {
  readonly multiline: boolean;
  readonly multilineWaitMs: number;
  readonly maxLineBytes: number;
  readonly longLines: 'truncate' | 'split';
  readonly payloadFields: boolean;
  readonly jsonMessage: boolean;
}

/** LogsSyslogConfig is one syslog listener (UDP and TCP on one port). */
export interface LogsSyslogConfig extends LogsListenerCommon {
  readonly udp: boolean;
  readonly tcp: boolean;
  readonly maxMessageBytes: number;
}

/** LogsHttpConfig configures the HTTP ingest endpoints on the main port. */
export interface LogsHttpConfig {
  readonly labels: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
  readonly maxDecodedBytes: number;
  readonly maxLineBytes: number;
  readonly timezone: string;
  readonly payloadFields: boolean;
  readonly jsonMessage: boolean;
  readonly levelLabel: boolean;
  /** Path prefix of the Elasticsearch-compatible endpoints ('' = the root). */
  readonly elasticPrefix: string;
  /** Version `GET /` reports to Elasticsearch clients. */
  readonly elasticVersion: string;
}

/** LogsLimitsConfig bounds queries (Loki's limits_config names). */
export interface LogsLimitsConfig {
  readonly queryTimeoutMs: number;
  readonly maxEntriesLimitPerQuery: number;
  readonly maxQuerySeries: number;
  /** 0: no bound. */
  readonly maxQueryLengthMs: number;
}

const LISTENER_DEFAULTS = { labels: undefined, token: undefined, listenAddress: undefined, timezone: 'UTC', levelLabel: true, maxConnections: 1024, idleTimeoutMs: 600_000, tls: undefined } as const;

/** DEFAULT_TCP is the TCP listener used when the file configures none. */
export const DEFAULT_TCP: LogsTcpConfig = {
  ...LISTENER_DEFAULTS,
  name: 'tcp',
  multiline: true,
  multilineWaitMs: 500,
  maxLineBytes: 256 << 10,
  longLines: 'truncate',
  payloadFields: false,
  jsonMessage: false,
};

/** DEFAULT_SYSLOG is the syslog listener used when the file configures none. */
export const DEFAULT_SYSLOG: LogsSyslogConfig = { ...LISTENER_DEFAULTS, name: 'syslog', udp: true, tcp: true, maxMessageBytes: 256 << 10 };

/** DEFAULT_LOGS_CONFIG is the `logs` section when the file has none. */
export const DEFAULT_LOGS_CONFIG: LogsConfig = {
  retentionMs: undefined,
  retentionBytes: 0,
  apps: [],
  tokens: [],
  tcp: [DEFAULT_TCP],
  syslog: [DEFAULT_SYSLOG],
  http: {
    labels: {},
    maxBodyBytes: 32 << 20,
    maxDecodedBytes: 128 << 20,
    maxLineBytes: 256 << 10,
    timezone: 'UTC',
    payloadFields: false,
    jsonMessage: false,
    levelLabel: true,
    elasticPrefix: '',
    elasticVersion: '8.17.0',
  },
  limits: { queryTimeoutMs: 120_000, maxEntriesLimitPerQuery: 5000, maxQuerySeries: 500, maxQueryLengthMs: 721 * 3_600_000 },
};
