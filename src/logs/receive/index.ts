/**
 * Log receivers: TCP lines, syslog (UDP/TCP), and HTTP ingest (vigil NDJSON/text, Loki push,
 * Elasticsearch bulk), with app tokens. They parse what arrives and append it to a LogStore.
 * @module
 */
export { IngestError, ReceiverOptionError } from './errors.js';
export type { IngestErrorKind } from './errors.js';
export type { ListenerAuthOptions, TlsOptions } from './listener-options.js';
export { StreamBatcher } from './stream-batcher.js';
export { SyslogFramer } from './syslog-framer.js';
export type { FrameSink } from './syslog-framer.js';
export { SyslogReceiver } from './syslog-receiver.js';
export type { SyslogReceiverOptions } from './syslog-receiver.js';
export type { StreamBatcherOptions } from './stream-batcher.js';
export { TcpReceiver } from './tcp-receiver.js';
export type { TcpReceiverOptions } from './tcp-receiver.js';
export { Scope, TokenStore } from './token-store.js';
export type { AppToken, AppTokenConfig, AuthResult, HeaderLookup, TokenStoreOptions } from './token-store.js';
