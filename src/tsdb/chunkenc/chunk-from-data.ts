/**
 * Chunk construction by encoding byte, for readers of chunk files.
 * @module
 */
import { Encoding, type Chunk } from './chunk.js';
import { UnknownEncodingError } from './errors.js';
import { XORChunk } from './xor-chunk.js';

/** chunkFromData wraps encoded data (no copy) as a chunk of the given encoding. */
export function chunkFromData(encoding: number, data: Uint8Array): Chunk {
  switch (encoding) {
    case Encoding.XOR:
      return XORChunk.fromBytes(data);
    default:
      throw new UnknownEncodingError(encoding);
  }
}

/** newChunk returns an empty, appendable chunk of the given encoding. */
export function newChunk(encoding: number): Chunk {
  switch (encoding) {
    case Encoding.XOR:
      return new XORChunk();
    default:
      throw new UnknownEncodingError(encoding);
  }
}
