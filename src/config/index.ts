/**
 * Prometheus-format YAML configuration, plus vigil's own `logs` section: loading with
 * file:line:col errors, Prometheus 2.42's defaults and checks, and the promtool-style checks
 * of `vigil check config`.
 * @module
 */
export { parseConfig, loadConfigFile } from './load-config.js';
export type { ParseOptions } from './load-config.js';
export type {
  Config,
  GlobalConfig,
  ScrapeConfig,
  HttpClientConfig,
  AlertingConfig,
  AlertmanagerConfig,
  RemoteWriteConfig,
  RemoteReadConfig,
  QueueConfig,
  StorageConfig,
  TracingConfig,
} from './config.js';
export { DEFAULT_LOGS_CONFIG, DEFAULT_LOG_RETENTION_MS, DEFAULT_SYSLOG, DEFAULT_TCP, LOG_SCOPES } from './logs-config.js';
export type {
  LogScope,
  LogsAppConfig,
  LogsConfig,
  LogsHttpConfig,
  LogsLimitsConfig,
  LogsListenerCommon,
  LogsSyslogConfig,
  LogsTcpConfig,
  LogsTlsConfig,
  LogsTokenConfig,
} from './logs-config.js';
export { DEFAULT_DECODE_LIMITS, parseBase2Bytes } from './yaml-decoder.js';
export type { DecodeLimits } from './yaml-decoder.js';
export { DEFAULT_GLOBAL } from './decode-sections.js';
export { ConfigError, ConfigCheckError } from './errors.js';
export { checkConfig } from './check-config.js';
export type { CheckOptions, CheckResult } from './check-config.js';
