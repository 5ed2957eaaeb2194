/**
 * Push: the agent's samples to a Prometheus remote-write 1.0 receiver (protobuf + snappy),
 * batched, retried with backoff, through a bounded in-memory queue.
 * @module
 */
export { RemoteWriteSender, parseRetryAfter } from './remote-write-sender.js';
export type { RemoteWriteSenderOptions } from './remote-write-sender.js';
export { WriteRequestEncoder } from './write-request-encoder.js';
export type { EncodeOptions, EncodedRequest } from './write-request-encoder.js';
export { ProtoWriter, fieldLen, uvarintLen } from './proto-writer.js';
export { RemoteWriteError } from './errors.js';
export { StalenessTracker } from './staleness.js';
export { compressSnappyBlock, maxCompressedLength } from './snappy-block.js';
