/**
 * The block index file (format v2): writer, reader, postings lists and matcher evaluation.
 * @module
 */
export { IndexCorruptionError, IndexWriteError } from './errors.js';
export {
  INDEX_HEADER_LEN,
  INDEX_TOC_LEN,
  INDEX_VERSION_V1,
  INDEX_VERSION_V2,
  MAGIC_INDEX,
  SERIES_ALIGNMENT,
} from './format.js';
export type { ChunkMetaRef, TOC } from './format.js';
export { IndexWriter } from './index-writer.js';
export { IndexReader } from './index-reader.js';
export type { SeriesEntry, SeriesInRange } from './index-reader.js';
export { ALL_POSTINGS_KEY, EMPTY_POSTINGS, intersectPostings, mergePostings, subtractPostings } from './postings.js';
export type { Postings } from './postings.js';
export { postingsForMatchers, valuesWhere } from './postings-for-matchers.js';
export type { PostingsSource } from './postings-for-matchers.js';
