/**
 * The log store: the LogStore contract, an in-memory implementation, and (later) the
 * compressed, indexed on-disk store.
 * @module
 */
export { compareEntryTime } from './interface.js';
export type { Direction, LineFilter, LogEntry, LogStore, SelectQuery, StreamBatch } from './interface.js';
export { MemoryLogStore } from './memory-log-store.js';
