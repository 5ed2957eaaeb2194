/**
 * Chunk encodings behind the Chunk/ChunkAppender contract: the XOR (Gorilla) float chunk,
 * byte-compatible with Prometheus's tsdb/chunkenc.
 * @module
 */
export { Encoding, MAX_SAMPLES_PER_CHUNK, encodingName } from './chunk.js';
export type { Chunk, ChunkAppender } from './chunk.js';
export { chunkFromData, newChunk } from './chunk-from-data.js';
export { XORChunk } from './xor-chunk.js';
export { XORIterator } from './xor-iterator.js';
export { ChunkDecodeError, OutOfOrderChunkSampleError, UnknownEncodingError } from './errors.js';
