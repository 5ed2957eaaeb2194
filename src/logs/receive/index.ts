/**
 * Log receivers: TCP lines, syslog (UDP/TCP), and HTTP ingest (vigil NDJSON/text, Loki push,
 * Elasticsearch bulk), with app tokens. They parse what arrives and append it to a LogStore.
 * @module
 */
export { docToEntry, parseBulk } from './elastic-bulk.js';
export type { BulkDoc, BulkItem, BulkResult } from './elastic-bulk.js';
export { IngestError, ReceiverOptionError } from './errors.js';
export { decodeContentEncoding, readBody, unsnappy } from './http-body.js';
export { HttpIngest } from './http-ingest.js';
export { IdempotencyCache } from './idempotency-cache.js';
export type { ElasticOptions, HttpIngestOptions, IngestRequest, IngestResponse } from './http-ingest.js';
export { parseLabelString } from './label-string.js';
export { PushRequest, decodePushJson, decodePushProto } from './loki-push.js';
export type { PushSink } from './loki-push.js';
export { ReceiveMetrics } from './receive-metrics.js';
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
