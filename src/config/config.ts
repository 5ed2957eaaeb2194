/**
 * The typed configuration vigil reads from a Prometheus-format YAML file. Durations are
 * milliseconds, sizes bytes, relative file paths already resolved against the file's folder.
 * @module
 */
import type { Labels } from '../model/index.js';
import type { HttpClientConfig, SDConfig, TlsConfig } from '../discovery/index.js';
import type { RelabelConfig } from '../relabel/index.js';
import type { LogsConfig } from './logs-config.js';

export type { HttpClientConfig };

/** Config is a whole configuration file. */
export interface Config {
  /** The file it was read from, as given. */
  readonly filename: string;
  readonly global: GlobalConfig;
  /** Rule file paths and globs, resolved against the config file's folder. */
  readonly ruleFiles: readonly string[];
  readonly scrapeConfigs: readonly ScrapeConfig[];
  readonly alerting: AlertingConfig;
  readonly remoteWrite: readonly RemoteWriteConfig[];
  readonly remoteRead: readonly RemoteReadConfig[];
  readonly storage: StorageConfig;
  /** The `tracing` block, or undefined when absent. */
  readonly tracing: TracingConfig | undefined;
  /** vigil's `logs` block (not a Prometheus key): defaults when absent. */
  readonly logs: LogsConfig;
}

/** GlobalConfig is the `global` block with Prometheus 2.42's defaults applied. */
export interface GlobalConfig {
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly evaluationIntervalMs: number;
  /** Empty when unset. */
  readonly queryLogFile: string;
  readonly externalLabels: Labels;
}

/** ScrapeConfig is one scrape job, with the global defaults folded in. */
export interface ScrapeConfig {
  readonly jobName: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  /** 0 means no limit, for every limit below. */
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

/** AlertingConfig is the `alerting` block. */
export interface AlertingConfig {
  readonly alertRelabelConfigs: readonly RelabelConfig[];
  readonly alertmanagers: readonly AlertmanagerConfig[];
}

/** AlertmanagerConfig is one `alertmanagers` entry. */
export interface AlertmanagerConfig {
  readonly scheme: string;
  readonly pathPrefix: string;
  readonly timeoutMs: number;
  readonly apiVersion: 'v1' | 'v2';
  readonly httpClient: HttpClientConfig;
  readonly serviceDiscovery: readonly SDConfig[];
  readonly relabelConfigs: readonly RelabelConfig[];
}

/** RemoteWriteConfig is one `remote_write` entry. */
export interface RemoteWriteConfig {
  readonly url: string;
  readonly remoteTimeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly writeRelabelConfigs: readonly RelabelConfig[];
  readonly name: string;
  readonly sendExemplars: boolean;
  readonly sendNativeHistograms: boolean;
  readonly httpClient: HttpClientConfig;
  readonly queue: QueueConfig;
  readonly metadata: { readonly send: boolean; readonly sendIntervalMs: number; readonly maxSamplesPerSend: number };
  readonly sigv4?: { readonly region: string; readonly accessKey: string; readonly secretKey: string; readonly profile: string; readonly roleArn: string };
}

/** QueueConfig tunes a remote-write queue. */
export interface QueueConfig {
  readonly capacity: number;
  readonly maxShards: number;
  readonly minShards: number;
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadlineMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly retryOnRateLimit: boolean;
}

/** RemoteReadConfig is one `remote_read` entry. */
export interface RemoteReadConfig {
  readonly url: string;
  readonly remoteTimeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly readRecent: boolean;
  readonly name: string;
  readonly httpClient: HttpClientConfig;
  readonly requiredMatchers: Readonly<Record<string, string>>;
  readonly filterExternalLabels: boolean;
}

/** StorageConfig is the `storage` block. */
export interface StorageConfig {
  /** 0 when out-of-order ingestion is off. */
  readonly outOfOrderTimeWindowMs: number;
  readonly maxExemplars: number;
}

/** TracingConfig is the `tracing` block. */
export interface TracingConfig {
  readonly clientType: 'http' | 'grpc';
  readonly endpoint: string;
  readonly samplingFraction: number;
  readonly insecure: boolean;
  readonly tlsConfig: TlsConfig;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: string;
  readonly timeoutMs: number;
}
