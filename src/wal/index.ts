/**
 * Write-ahead log: Prometheus-compatible segments of 32 KiB pages with CRC-32C'd record
 * fragments, replay with torn-tail detection and repair, checkpoints, and Prometheus's record
 * encoding for series, samples and tombstones. Generic over record payloads, so the TSDB and
 * the log store share it. Imports only encoding.
 * @module
 */
export { Compression, SyncPolicy, Wal } from './wal.js';
export type { WalOptions } from './wal.js';
export { WalReader } from './reader.js';
export type { WalReaderOptions } from './reader.js';
export {
  DEFAULT_SEGMENT_SIZE,
  FragmentType,
  PAGE_SIZE,
  RECORD_HEADER_SIZE,
  SNAPPY_FLAG,
  ZSTD_FLAG,
  listSegments,
  segmentName,
  segmentRange,
} from './segment.js';
export type { SegmentRef } from './segment.js';
export { repairSegment } from './repair.js';
export { checkpoint, checkpointName, deleteCheckpoints, fsyncDir, lastCheckpoint, listCheckpoints } from './checkpoint.js';
export type { CheckpointOptions, CheckpointRef, CheckpointStats } from './checkpoint.js';
export {
  RecordEncoder,
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  recordType,
} from './record.js';
export type { SeriesRecordEntry, TombstoneEntry } from './record.js';
export {
  CorruptionError,
  RecordDecodeError,
  SegmentListError,
  UnsupportedCompressionError,
  WalClosedError,
  WalWriteError,
} from './errors.js';
