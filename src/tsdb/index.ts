/**
 * The TSDB: chunk encodings, block files, compaction, head, WAL-backed DB and retention.
 * Implements storage's interfaces. Shared file: each engineer adds their own export lines.
 * @module
 */

// Blocks, chunk files, meta, tombstones, compaction (engineer D).
export { Block } from './block-reader.js';
export { BlockQuerier, BlockSeries, BlockSeriesIterator } from './block-querier.js';
export type { BlockReaders } from './block-querier.js';
export { BlockWriter, writeBlock, INDEX_FILENAME, TMP_CREATION_SUFFIX, syncDir } from './block-writer.js';
export type { BlockWriterOptions, ChunkMeta } from './block-writer.js';
export { BlockCorruptionError, BlockWriteError, ChunkReadError } from './block-errors.js';
export {
  CHUNKS_DIRNAME,
  DEFAULT_CHUNK_SEGMENT_SIZE,
  MAGIC_CHUNKS,
  SEGMENT_HEADER_SIZE,
  chunkRef,
  chunkRefOffset,
  chunkRefSegment,
  segmentName,
} from './chunks-format.js';
export { ChunkReader } from './chunks-reader.js';
export type { ChunkReaderOptions } from './chunks-reader.js';
export { ChunkWriter } from './chunks-writer.js';
export { META_FILENAME, META_VERSION, formatMeta, isULID, newULID, parseMeta, readMeta, ulidTime, writeMeta } from './meta.js';
export type { BlockCompaction, BlockDesc, BlockMeta, BlockStats } from './meta.js';
export {
  MAGIC_TOMBSTONES,
  TOMBSTONES_FILENAME,
  Tombstones,
  decodeTombstones,
  encodeTombstones,
  isDeleted,
  readTombstones,
  writeTombstones,
} from './tombstones.js';
export type { Interval } from './tombstones.js';
// Chunk encodings and the index, re-exported for the DB and the CLI.
export { Encoding, MAX_SAMPLES_PER_CHUNK, XORChunk, XORIterator, chunkFromData, encodingName, newChunk } from './chunkenc/index.js';
export type { Chunk, ChunkAppender } from './chunkenc/index.js';
export {
  IndexReader,
  IndexWriter,
  intersectPostings,
  mergePostings,
  postingsForMatchers,
  subtractPostings,
  EMPTY_POSTINGS,
  ALL_POSTINGS_KEY,
} from './index/index.js';
export type { ChunkMetaRef, Postings, PostingsSource } from './index/index.js';
export { compact } from './compact.js';
export type { CompactOptions } from './compact.js';
export {
  DEFAULT_BLOCK_DURATION_MS,
  DEFAULT_MAX_BLOCK_DURATION_MS,
  compactionRanges,
  exponentialBlockRanges,
  planCompaction,
  splitByRange,
} from './compact-planner.js';
// Head, WAL-backed DB, retention and self-metrics (engineer E).
export { Db, LOCK_FILENAME, SPILL_DIRNAME, TMP_DELETION_SUFFIX, WAL_DIRNAME } from './db.js';
export { DEFAULT_RETENTION_MS, resolveDbOptions } from './options.js';
export type { DbOptions, ResolvedDbOptions } from './options.js';
export { DEFAULT_CHUNK_RANGE_MS, Head, hashLabels } from './head.js';
export type { HeadBlockSeries, HeadOptions } from './head.js';
export { HeadAppender } from './head-append.js';
export { HeadQuerier, HeadSeries, HeadSeriesIterator } from './head-read.js';
export { replayWal } from './head-replay.js';
export type { ReplayStats } from './head-replay.js';
export { AppendResult, CLOSED_STRIDE, SeriesFlag, SeriesTable, computeChunkEndTime, freeClosed, rangeForTimestamp, readClosed } from './head-series.js';
export type { ChunkStores } from './head-series.js';
export { CHUNK_ARENA_BUFFER_SIZE, ChunkArena } from './head-chunk-arena.js';
export { HeadChunks } from './head-chunks.js';
export { ChunkSpill, DEFAULT_SPILL_FILE_SIZE } from './head-spill.js';
export { MemPostings } from './postings-memory.js';
export { blocksBeyondRetention } from './retention.js';
export type { RetentionBlock, RetentionResult } from './retention.js';
export { DbMetrics, HeadMetrics, SummaryLike } from './tsdb-metrics.js';
export type { DbStats, HeadStats } from './tsdb-metrics.js';
export { AppenderDoneError, DbClosedError, InvalidSeriesError, LockedError, OptionsError, WalReplayError } from './errors.js';
export { Backfiller, compatibleBlockDuration } from './backfill.js';
export type { BackfillOptions } from './backfill.js';
export { listBlockDirs, openBlocks } from './block-list.js';
export type { OpenedBlocks } from './block-list.js';
export { analyzeBlock, blockTable, formatBase2Bytes, formatGoDuration, formatUTCTime, tabulate } from './analyze.js';
export { dumpSeriesSet } from './dump.js';
