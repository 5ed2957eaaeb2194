/**
 * The Chunk contract shared by every chunk encoding, after Prometheus's tsdb/chunkenc. A chunk
 * holds the samples of one series over a time range in one compressed byte string; its first
 * two bytes are the big-endian sample count.
 * @module
 */
import type { SampleIterator } from '../../storage/index.js';

/** Encoding is the byte that names a chunk's format in chunk files (Prometheus's values). */
export const Encoding = { None: 0, XOR: 1, Histogram: 2, FloatHistogram: 3 } as const;
/** One of Encoding's values. */
export type Encoding = (typeof Encoding)[keyof typeof Encoding];

/** encodingName returns Prometheus's name of an encoding byte (`XOR`, …, or `<unknown>`). */
export function encodingName(e: number): string {
  switch (e) {
    case Encoding.None:
      return 'none';
    case Encoding.XOR:
      return 'XOR';
    case Encoding.Histogram:
      return 'histogram';
    case Encoding.FloatHistogram:
      return 'floathistogram';
    default:
      return '<unknown>';
  }
}

/** MAX_SAMPLES_PER_CHUNK is how many samples Prometheus puts in a float chunk before cutting. */
export const MAX_SAMPLES_PER_CHUNK = 120;

/**
 * Chunk is one compressed run of samples. `bytes()` is the on-disk data (sample count header
 * included, no encoding byte) and stays valid until the next append. Iterators capture the
 * sample count when created, so appending afterwards never disturbs them.
 */
export interface Chunk {
  /** The encoding byte written before the data in chunk files. */
  readonly encoding: Encoding;
  /** bytes returns the encoded data, shared with the chunk (do not modify). */
  bytes(): Uint8Array;
  /** numSamples returns the number of samples in the chunk. */
  numSamples(): number;
  /**
   * appender returns an appender that continues after the last sample. Throws a
   * ChunkDecodeError when the existing bytes cannot be decoded. Only one appender may be used
   * at a time.
   */
  appender(): ChunkAppender;
  /**
   * iterator returns an iterator over the samples, reusing `reuse` when it is an iterator of
   * the same encoding (the old iterator is then unusable).
   */
  iterator(reuse?: SampleIterator): SampleIterator;
  /** compact trims spare capacity after the last append, to save memory. */
  compact(): void;
}

/** ChunkAppender adds samples to a chunk. */
export interface ChunkAppender {
  /**
   * append adds a sample; t is Unix ms and must not be before the previous sample's (the caller
   * enforces order and duplicates, as the head does). Allocates nothing per call except when the
   * buffer grows.
   */
  append(t: number, v: number): void;
}
