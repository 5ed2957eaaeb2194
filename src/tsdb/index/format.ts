/**
 * Constants and the table of contents of the index file format v2 (index.md):
 *
 * ```
 * ┌────────────────────────────┬─────────────────────┐
 * │ magic(0xBAAAD700) <4b>     │ version(2) <1 byte> │
 * ├────────────────────────────┴─────────────────────┤
 * │ symbol table, series, label indices, postings,    │
 * │ label offset table, postings offset table         │
 * ├──────────────────────────────────────────────────┤
 * │ TOC: six section offsets <8b BE each> │ CRC32C <4b>│
 * └──────────────────────────────────────────────────┘
 * ```
 * @module
 */

/** MAGIC_INDEX opens every index file. */
export const MAGIC_INDEX = 0xbaaad700;
/** INDEX_VERSION_V1 is the legacy format (series refs are offsets, symbols referenced by offset). */
export const INDEX_VERSION_V1 = 1;
/** INDEX_VERSION_V2 is the format Prometheus 2.x writes. */
export const INDEX_VERSION_V2 = 2;
/** INDEX_HEADER_LEN is magic plus version. */
export const INDEX_HEADER_LEN = 5;
/** INDEX_TOC_LEN is six 8-byte offsets plus a CRC32C. */
export const INDEX_TOC_LEN = 6 * 8 + 4;
/** SERIES_ALIGNMENT: series entries start at multiples of 16, and a series ref is offset / 16. */
export const SERIES_ALIGNMENT = 16;

/** TOC holds the absolute offsets of the index sections (0: absent). */
export interface TOC {
  readonly symbols: number;
  readonly series: number;
  readonly labelIndices: number;
  readonly labelIndicesTable: number;
  readonly postings: number;
  readonly postingsTable: number;
}

/** ChunkMetaRef is a chunk as the index lists it: time range (inclusive, ms) and chunk file ref. */
export interface ChunkMetaRef {
  readonly mint: number;
  readonly maxt: number;
  /** Segment sequence (upper 32 bits, 0-based) and byte offset in it (lower 32 bits). */
  readonly ref: number;
}
