/**
 * Errors of the chunk encodings.
 * @module
 */

/** ChunkDecodeError reports chunk bytes that end early or hold an impossible value. */
export class ChunkDecodeError extends Error {
  override readonly name = 'ChunkDecodeError';
  /** Bit offset in the chunk's bytes (header included) where decoding failed. */
  readonly bitOffset: number;
  /** Index of the sample being decoded (0-based). */
  readonly sample: number;

  constructor(detail: string, bitOffset: number, sample: number) {
    super(`corrupt chunk: ${detail} (sample ${sample}, bit ${bitOffset})`);
    this.bitOffset = bitOffset;
    this.sample = sample;
  }
}

/** UnknownEncodingError reports a chunk encoding byte that vigil cannot decode. */
export class UnknownEncodingError extends Error {
  override readonly name = 'UnknownEncodingError';
  readonly encoding: number;

  constructor(encoding: number) {
    super(`unsupported chunk encoding ${encoding}`);
    this.encoding = encoding;
  }
}

/** OutOfOrderChunkSampleError reports an append older than the chunk's last sample. */
export class OutOfOrderChunkSampleError extends Error {
  override readonly name = 'OutOfOrderChunkSampleError';
  readonly t: number;
  readonly lastT: number;

  constructor(t: number, lastT: number) {
    super(`chunk append at ${t} before the last sample at ${lastT}`);
    this.t = t;
    this.lastT = lastT;
  }
}
