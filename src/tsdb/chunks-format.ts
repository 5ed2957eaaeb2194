/**
 * Chunk segment files of a block (chunks.md):
 *
 * ```
 * ┌──────────────────────────────┬──────────────────┬──────────────────┬─────────────────────────────┐
 * │ magic(0x85BD40DD) <4 byte>   │ version(1) <1 b> │ padding(0) <3 b> │ chunk 1 … chunk N           │
 * └──────────────────────────────┴──────────────────┴──────────────────┴─────────────────────────────┘
 * chunk: len <uvarint> │ encoding <1 byte> │ data <len bytes> │ CRC32C(encoding, data) <4 byte>
 * ```
 * Files are `chunks/000001`, `000002`, …, at most 512 MiB each; a chunk ref is the file's
 * 0-based position (upper 32 bits) and the chunk's byte offset in it (lower 32 bits).
 * @module
 */

/** MAGIC_CHUNKS opens every chunk segment file. */
export const MAGIC_CHUNKS = 0x85bd40dd;
/** CHUNKS_FORMAT_V1 is the segment format version. */
export const CHUNKS_FORMAT_V1 = 1;
/** SEGMENT_HEADER_SIZE is magic, version and padding. */
export const SEGMENT_HEADER_SIZE = 8;
/** DEFAULT_CHUNK_SEGMENT_SIZE is Prometheus's segment size cap: 512 MiB. */
export const DEFAULT_CHUNK_SEGMENT_SIZE = 512 * 1024 * 1024;
/** MAX_CHUNK_LEN_FIELD is the longest length field (a uvarint of a 32-bit length). */
export const MAX_CHUNK_LEN_FIELD = 5;
/** CHUNKS_DIRNAME is the chunks directory inside a block. */
export const CHUNKS_DIRNAME = 'chunks';

const TWO32 = 2 ** 32;

/** chunkRef packs a segment position and an offset into a block chunk ref. */
export function chunkRef(segment: number, offset: number): number {
  return segment * TWO32 + offset;
}

/** chunkRefSegment returns the 0-based segment position of a chunk ref. */
export function chunkRefSegment(ref: number): number {
  return Math.floor(ref / TWO32);
}

/** chunkRefOffset returns the byte offset of a chunk ref in its segment. */
export function chunkRefOffset(ref: number): number {
  return ref % TWO32;
}

/** segmentName returns the file name of the segment at 0-based position i (`000001` for 0). */
export function segmentName(i: number): string {
  return String(i + 1).padStart(6, '0');
}
