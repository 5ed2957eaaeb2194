/**
 * The log store: the LogStore contract, an in-memory implementation and the compressed,
 * indexed, WAL-backed disk store.
 * @module
 */
export { compareEntryTime } from './interface.js';
export type {
  AppendListener,
  CursorQuery,
  Direction,
  EntryBatch,
  EntryFields,
  FieldColumn,
  IndexStats,
  LineFilter,
  LineHints,
  LogEntry,
  LogStore,
  QueryableLogStore,
  SelectQuery,
  StreamBatch,
  StreamCursor,
} from './interface.js';
export { MemoryLogStore } from './memory-log-store.js';
export { DiskLogStore } from './disk-log-store.js';
export type { DiskLogStoreOptions, RetentionPolicy, WalSync } from './disk-log-store.js';
export { mergeCursors } from './cursor-merge.js';
export { appendLineBatch, batchEntries, LineBatchBuilder, lineBatchOf } from './line-batch.js';
export type { LineBatch, LineBatchAppender } from './line-batch.js';
export {
  CorruptChunkError,
  CorruptWalError,
  InvalidEntryError,
  LimitError,
  LogStoreError,
  StoreClosedError,
  StoreFullError,
  StoreWriteError,
} from './errors.js';
export { flattenJson, sanitizeKey } from './json-flatten.js';
