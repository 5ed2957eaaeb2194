/**
 * DB options with Prometheus's defaults (`--storage.tsdb.*` flags).
 * @module
 */
import type { Registry } from '../instrument/index.js';
import type { Compression, SyncPolicy } from '../wal/index.js';
import { DEFAULT_BLOCK_DURATION_MS, compactionRanges } from './compact-planner.js';
import { OptionsError } from './errors.js';

/** DEFAULT_RETENTION_MS is Prometheus's default time retention, 15 days. */
export const DEFAULT_RETENTION_MS = 15 * 24 * 3_600_000;

/** DbOptions configure a DB. Only `dir` is required. */
export interface DbOptions {
  /** The data directory (`--storage.tsdb.path`). */
  readonly dir: string;
  /**
   * Time retention in ms (`--storage.tsdb.retention.time`); 0 disables it. Default: 15 days
   * when no size retention is set either, else 0.
   */
  readonly retentionMs?: number;
  /** Size retention in bytes (`--storage.tsdb.retention.size`); 0 (default) disables it. */
  readonly retentionBytes?: number;
  /** Block range of blocks cut from the head, and the head's chunk range (default 2h). */
  readonly minBlockDurationMs?: number;
  /** Largest compacted block (default: 10 % of time retention, at most 31 days). */
  readonly maxBlockDurationMs?: number;
  /** WAL segment size in bytes (default 128 MiB). */
  readonly walSegmentSize?: number;
  /** WAL record compression (default snappy, `--storage.tsdb.wal-compression`). */
  readonly walCompression?: Compression;
  /** WAL fsync policy (default: at segment close). */
  readonly walSync?: SyncPolicy;
  /** Do not create or check the `lock` file (`--storage.tsdb.no-lockfile`). */
  readonly noLockfile?: boolean;
  /** Registry for the `prometheus_tsdb_*` self-metrics. */
  readonly registry?: Registry;
  /** How often the DB checks for head compaction, block compaction and retention (default 1 minute). */
  readonly compactionIntervalMs?: number;
  /** Run compaction and retention automatically (default true; tests may call `compact()` themselves). */
  readonly autoCompact?: boolean;
  /** Receives notes about problems that did not stop the DB (corrupt blocks, repaired WAL…). */
  readonly onWarning?: (message: string) => void;
  /**
   * How much of the head's closed chunks stays in memory, by age from the newest sample, ms
   * (default 1h); older ones move to spill files under `<dir>/vigil_head_spill`, as Prometheus
   * keeps closed head chunks in memory-mapped files. 0 spills every closed chunk; Infinity
   * keeps all in memory.
   */
  readonly headChunksInMemoryMs?: number;
}

/** ResolvedDbOptions are DbOptions with every default applied. */
export interface ResolvedDbOptions {
  readonly dir: string;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly minBlockDurationMs: number;
  readonly blockRanges: readonly number[];
  readonly walSegmentSize: number | undefined;
  readonly walCompression: Compression;
  readonly walSync: SyncPolicy;
  readonly noLockfile: boolean;
  readonly registry: Registry | undefined;
  readonly compactionIntervalMs: number;
  readonly autoCompact: boolean;
  readonly onWarning: (message: string) => void;
  readonly headChunksInMemoryMs: number;
}

/** resolveDbOptions applies defaults and validates; throws OptionsError naming the bad option. */
export function resolveDbOptions(o: DbOptions): ResolvedDbOptions {
  const {
    dir,
    retentionBytes = 0,
    minBlockDurationMs = DEFAULT_BLOCK_DURATION_MS,
    maxBlockDurationMs,
    walSegmentSize,
    walCompression = 'snappy',
    walSync = 'segment',
    noLockfile = false,
    registry,
    compactionIntervalMs = 60_000,
    autoCompact = true,
    onWarning = () => undefined,
    headChunksInMemoryMs = 3_600_000,
  } = o;
  if (typeof dir !== 'string' || dir === '') throw new OptionsError('dir', 'must be a non-empty path');
  const nonNeg = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new OptionsError(name, `must be a non-negative number, got ${v}`);
  };
  nonNeg('retentionMs', o.retentionMs);
  nonNeg('retentionBytes', retentionBytes);
  nonNeg('maxBlockDurationMs', maxBlockDurationMs);
  if (Number.isNaN(headChunksInMemoryMs) || headChunksInMemoryMs < 0) throw new OptionsError('headChunksInMemoryMs', `must be ≥ 0, got ${headChunksInMemoryMs}`);
  if (!Number.isInteger(minBlockDurationMs) || minBlockDurationMs <= 0) {
    throw new OptionsError('minBlockDurationMs', `must be a positive integer, got ${minBlockDurationMs}`);
  }
  if (!Number.isFinite(compactionIntervalMs) || compactionIntervalMs <= 0) {
    throw new OptionsError('compactionIntervalMs', `must be positive, got ${compactionIntervalMs}`);
  }
  const retentionMs = o.retentionMs ?? (retentionBytes > 0 ? 0 : DEFAULT_RETENTION_MS);
  const blockRanges = compactionRanges({
    minBlockDurationMs,
    ...(maxBlockDurationMs !== undefined ? { maxBlockDurationMs } : {}),
    retentionMs,
  });
  return {
    dir,
    retentionMs,
    retentionBytes,
    minBlockDurationMs,
    blockRanges,
    walSegmentSize,
    walCompression,
    walSync,
    noLockfile,
    registry,
    compactionIntervalMs,
    autoCompact,
    onWarning,
    headChunksInMemoryMs,
  };
}
