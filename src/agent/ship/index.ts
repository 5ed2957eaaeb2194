/**
 * The agent's log shipper: batches with gzip, a disk-backed queue with a size cap, retries
 * with exponential backoff and jitter, HTTPS with CA verification and a token, and
 * acknowledged positions persisted atomically so sources resume without gaps or repeats.
 * @module
 */
export { LokiJsonEncoder, ShipStream, VigilNdjsonEncoder, rfc3339Nanos, unixNanos } from './batch-encoder.js';
export type { BatchEncoder } from './batch-encoder.js';
export { BatchFormat, BodyCompression, DiskQueue, decodeRecord, encodeRecord } from './disk-queue.js';
export type { DiskQueueOptions, DropReport, Positions, QueuedBatch, SealedBatch } from './disk-queue.js';
export { DeliveryError, QueueRecordError, ShipOptionError, StateFileError } from './errors.js';
export { HttpTransport, retryableStatus } from './http-transport.js';
export type { HttpTransportOptions, PostRequest, PostResult, TlsClientOptions } from './http-transport.js';
export { MemorySink } from './memory-sink.js';
export type { SunkEntry } from './memory-sink.js';
export { ParsedStreams } from './parsed-streams.js';
export type { ParsedStreamsOptions } from './parsed-streams.js';
export { Shipper } from './shipper.js';
export type { LogSink } from './log-sink.js';
export type { ShipState, ShipperOptions } from './shipper.js';
export { StateFile } from './state-file.js';
