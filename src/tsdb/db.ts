/**
 * The DB: a Prometheus-shaped data directory (`wal/`, block directories, `lock`) behind
 * storage's Storage interface. On open it loads the blocks (skipping and reporting corrupt
 * ones), replays the WAL into the head and starts the compaction loop: when the head spans
 * more than 1.5 block ranges its oldest range becomes a block, the head and WAL are truncated,
 * blocks are compacted with Prometheus's leveled planner, and retention deletes whole blocks.
 * @module
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeQueriers, type Appender, type Querier, type Storage } from '../storage/index.js';
import { Wal } from '../wal/index.js';
import { Block } from './block-reader.js';
import { TMP_CREATION_SUFFIX, writeBlock } from './block-writer.js';
import { compact } from './compact.js';
import { planCompaction } from './compact-planner.js';
import { DbClosedError, LockedError } from './errors.js';
import { Head } from './head.js';
import { replayWal, type ReplayStats } from './head-replay.js';
import { rangeForTimestamp } from './head-series.js';
import { isULID } from './meta.js';
import { resolveDbOptions, type DbOptions, type ResolvedDbOptions } from './options.js';
import { blocksBeyondRetention } from './retention.js';
import { DbMetrics } from './tsdb-metrics.js';

/** TMP_DELETION_SUFFIX marks a block directory being deleted. */
export const TMP_DELETION_SUFFIX = '.tmp-for-deletion';
/** LOCK_FILENAME is the lock file of a data directory. */
export const LOCK_FILENAME = 'lock';
/** WAL_DIRNAME is the WAL directory inside a data directory. */
export const WAL_DIRNAME = 'wal';
/** SPILL_DIRNAME holds the head's spilled chunks (a cache, emptied on start). */
export const SPILL_DIRNAME = 'vigil_head_spill';

/** Db is the time-series database over one data directory. */
export class Db implements Storage {
  readonly dir: string;
  readonly head: Head;
  readonly replay: ReplayStats;
  readonly #opts: ResolvedDbOptions;
  readonly #metrics: DbMetrics;
  #blocks: Block[];
  readonly #warnings: string[];
  #timer: NodeJS.Timeout | undefined;
  #compaction: Promise<void> | undefined;
  #kicked = false;
  readonly #abort = new AbortController();
  #closed = false;

  private constructor(opts: ResolvedDbOptions, blocks: Block[], warnings: string[], init: (db: Db) => { head: Head; replay: ReplayStats }) {
    this.dir = opts.dir;
    this.#opts = opts;
    this.#blocks = blocks;
    this.#warnings = warnings;
    this.#metrics = new DbMetrics({
      ...(opts.registry !== undefined ? { registry: opts.registry } : {}),
      stats: {
        blocksLoaded: () => this.#blocks.length,
        blocksBytes: () => this.#blocks.reduce((n, b) => n + b.size(), 0),
        lowestTimestamp: () => Math.min(this.#blocks[0]?.minTime ?? Infinity, this.head.minTime()),
        retentionLimitBytes: () => this.#opts.retentionBytes,
      },
    });
    const { head, replay } = init(this);
    this.head = head;
    this.replay = replay;
  }

  /**
   * open opens (creating when needed) the data directory. Throws LockedError when another live
   * process holds it, OptionsError for bad options, WalReplayError for a WAL that cannot be read
   * at all; corrupt blocks and torn WAL segments are reported through `onWarning` and `warnings()`.
   */
  static async open(options: DbOptions): Promise<Db> {
    const opts = resolveDbOptions(options);
    const dir = opts.dir;
    mkdirSync(dir, { recursive: true });
    if (!opts.noLockfile) takeLock(dir);
    const warnings: string[] = [];
    const warn = (m: string): void => {
      warnings.push(m);
      opts.onWarning(m);
    };
    try {
      removeLeftovers(dir);
      const blocks = await loadBlocks(dir, warn);
      const db = new Db(opts, blocks, warnings, (self) => {
        const minValidTime = blocks.length > 0 ? Math.max(...blocks.map((b) => b.maxTime)) : -Infinity;
        const wal = Wal.open({
          dir: join(dir, WAL_DIRNAME),
          compression: opts.walCompression,
          sync: opts.walSync,
          ...(opts.walSegmentSize !== undefined ? { segmentSize: opts.walSegmentSize } : {}),
          ...(opts.registry !== undefined ? { registry: opts.registry } : {}),
        });
        const head = new Head({
          chunkRangeMs: opts.minBlockDurationMs,
          wal,
          minValidTime,
          ...(opts.registry !== undefined ? { registry: opts.registry } : {}),
          ...(Number.isFinite(opts.headChunksInMemoryMs) ? { spillDir: join(dir, SPILL_DIRNAME) } : {}),
          onCommit: () => self.#afterCommit(),
        });
        const replay = replayWal(head, wal, warn);
        // Series whose samples all lie in blocks already carry nothing: drop them now.
        if (Number.isFinite(minValidTime)) head.truncateMemory(minValidTime);
        return { head, replay };
      });
      db.#metrics.corruptBlocks.inc(warnings.filter((w) => w.startsWith('block ')).length);
      if (opts.autoCompact) {
        db.#timer = setInterval(() => db.#kick(), opts.compactionIntervalMs);
        db.#timer.unref();
        db.#kick();
      }
      return db;
    } catch (e) {
      if (!opts.noLockfile) releaseLock(dir);
      throw e;
    }
  }

  /** warnings returns the problems found while opening and since (corrupt blocks, repaired WAL…). */
  warnings(): readonly string[] {
    return this.#warnings;
  }

  /** blocks returns the loaded blocks in time order. */
  blocks(): readonly Block[] {
    return this.#blocks;
  }

  appender(): Appender {
    this.#check();
    return this.head.appender();
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    this.#check();
    const qs: Querier[] = [];
    for (const b of this.#blocks) if (b.overlapsClosedInterval(mint, maxt)) qs.push(b.querier(mint, maxt));
    qs.push(this.head.querier(mint, maxt));
    return mergeQueriers(qs);
  }

  /**
   * compact runs one full cycle now (head → blocks, block compaction, retention) and resolves
   * when it is done; concurrent calls share the cycle in progress or run one after it.
   */
  compact(): Promise<void> {
    this.#check();
    this.#kicked = true;
    this.#startCycle();
    return this.#compaction!;
  }

  #afterCommit(): void {
    if (this.#opts.autoCompact && this.head.compactable()) this.#kick();
  }

  #kick(): void {
    if (this.#closed) return;
    this.#kicked = true;
    if (this.#compaction === undefined) this.#startCycle();
  }

  #startCycle(): void {
    if (this.#compaction !== undefined) return;
    this.#compaction = (async () => {
      try {
        while (this.#kicked && !this.#closed) {
          this.#kicked = false;
          await this.#cycle();
        }
      } finally {
        this.#compaction = undefined;
      }
    })();
    // Failures are recorded as warnings and metrics inside the cycle; this only guards the chain.
    this.#compaction.catch(() => undefined);
  }

  async #cycle(): Promise<void> {
    const signal = this.#abort.signal;
    this.#metrics.compactionsTriggered.inc();
    this.#spill();
    try {
      while (this.head.compactable() && !signal.aborted) {
        const mint = this.head.minTime();
        const maxt = rangeForTimestamp(mint, this.head.chunkRange);
        await this.#compactHead(mint, maxt);
      }
      for (;;) {
        if (signal.aborted) return;
        const plan = planCompaction(this.#blocks, this.#opts.blockRanges);
        if (plan.length === 0) break;
        await this.#compactBlocks(plan);
      }
      await this.#retention();
    } catch (e) {
      this.#warn(`compaction failed: ${(e as Error).message}`);
      throw e;
    }
  }

  // #spill moves older closed head chunks to disk; a failure (disk full) keeps them in memory.
  #spill(): void {
    const keep = this.#opts.headChunksInMemoryMs;
    if (!Number.isFinite(keep) || this.head.maxTime() === -Infinity) return;
    try {
      this.head.spillBefore(this.head.maxTime() - keep);
    } catch (e) {
      this.#warn(`spilling head chunks failed, they stay in memory: ${(e as Error).message}`);
    }
  }

  async #compactHead(mint: number, maxt: number): Promise<void> {
    const start = performance.now();
    const series = this.head.seriesForBlock(mint, maxt);
    this.#metrics.populatingBlock.set(1);
    let meta;
    try {
      meta = await writeBlock({ dir: this.dir, mint, maxt, series });
    } catch (e) {
      this.#metrics.compactionsFailed.inc();
      throw e;
    } finally {
      this.#metrics.populatingBlock.set(0);
    }
    this.#metrics.compactions.inc();
    this.#metrics.compactionDuration.observe((performance.now() - start) / 1000);
    if (meta !== undefined) await this.#addBlock(meta.ulid);
    this.head.truncateMemory(maxt);
    try {
      await this.head.truncateWal(maxt, this.#abort.signal);
    } catch (e) {
      // The WAL keeps more than needed; the next truncation tries again.
      this.#warn(`WAL truncation failed: ${(e as Error).message}`);
    }
  }

  async #compactBlocks(plan: readonly Block[]): Promise<void> {
    const start = performance.now();
    let meta;
    try {
      meta = await compact(plan, { dir: this.dir, signal: this.#abort.signal });
    } catch (e) {
      this.#metrics.compactionsFailed.inc();
      throw e;
    }
    this.#metrics.compactions.inc();
    this.#metrics.compactionDuration.observe((performance.now() - start) / 1000);
    if (meta !== undefined) await this.#addBlock(meta.ulid);
    await this.#deleteBlocks(plan);
  }

  async #addBlock(ulid: string): Promise<void> {
    try {
      const b = await Block.open(join(this.dir, ulid));
      this.#blocks = [...this.#blocks, b].sort((x, y) => x.minTime - y.minTime);
      this.#metrics.reloads.inc();
    } catch (e) {
      this.#metrics.reloadsFailed.inc();
      throw e;
    }
  }

  async #deleteBlocks(blocks: readonly Block[]): Promise<void> {
    const gone = new Set(blocks);
    this.#blocks = this.#blocks.filter((b) => !gone.has(b));
    for (const b of blocks) {
      // Queries still reading the block finish first; then it disappears atomically.
      await b.close();
      const tmp = b.dir + TMP_DELETION_SUFFIX;
      await rename(b.dir, tmp);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async #retention(): Promise<void> {
    const { retentionMs, retentionBytes } = this.#opts;
    if (retentionMs === 0 && retentionBytes === 0) return;
    const { byTime, bySize } = blocksBeyondRetention(this.#blocks, {
      retentionMs,
      retentionBytes,
      headBytes: this.head.wal?.size() ?? 0,
    });
    if (byTime.length > 0) this.#metrics.timeRetentions.inc();
    if (bySize.length > 0) this.#metrics.sizeRetentions.inc();
    if (byTime.length + bySize.length > 0) await this.#deleteBlocks([...byTime, ...bySize]);
  }

  #warn(m: string): void {
    this.#warnings.push(m);
    if (this.#warnings.length > 1000) this.#warnings.splice(0, this.#warnings.length - 1000);
    this.#opts.onWarning(m);
  }

  #check(): void {
    if (this.#closed) throw new DbClosedError(this.dir);
  }

  /** close stops background work, flushes and closes the WAL, closes blocks and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#abort.abort();
    await this.#compaction?.catch(() => undefined);
    let err: unknown;
    try {
      await this.head.close();
    } catch (e) {
      err = e;
    }
    for (const b of this.#blocks) await b.close();
    if (!this.#opts.noLockfile) releaseLock(this.dir);
    if (err !== undefined) throw err;
  }
}

// loadBlocks opens every block directory; corrupt ones are reported and skipped, and parents of
// a compaction that finished (left behind by a crash before their deletion) are deleted.
async function loadBlocks(dir: string, warn: (m: string) => void): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const name of readdirSync(dir)) {
    if (!isULID(name)) continue;
    const p = join(dir, name);
    if (!statSync(p).isDirectory()) continue;
    try {
      blocks.push(await Block.open(p));
    } catch (e) {
      warn(`block ${p} skipped: ${(e as Error).message}`);
    }
  }
  const parents = new Set<string>();
  for (const b of blocks) for (const p of b.meta.compaction.parents ?? []) parents.add(p.ulid);
  const keep: Block[] = [];
  for (const b of blocks) {
    if (parents.has(b.ulid) || b.meta.compaction.deletable === true) {
      await b.close();
      rmSync(b.dir, { recursive: true, force: true });
    } else {
      keep.push(b);
    }
  }
  return keep.sort((a, b) => a.minTime - b.minTime);
}

// removeLeftovers deletes directories of block writes and deletions a crash interrupted.
function removeLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.endsWith(TMP_CREATION_SUFFIX) || name.endsWith(TMP_DELETION_SUFFIX)) {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

function takeLock(dir: string): void {
  const p = join(dir, LOCK_FILENAME);
  let pid = NaN;
  try {
    pid = Number.parseInt(readFileSync(p, 'utf8'), 10);
  } catch {
    // No lock file (or unreadable): free.
  }
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new LockedError(dir, pid);
  // Prometheus holds its lock with flock(2) and writes no pid: look for that holder too.
  const holder = flockHolder(p);
  if (holder !== undefined && holder !== process.pid && alive(holder)) throw new LockedError(dir, holder);
  writeFileSync(p, String(process.pid));
}

// flockHolder returns the pid holding a flock on `path`, read from Linux's /proc/locks.
function flockHolder(path: string): number | undefined {
  let ino: number;
  let major: number;
  let minor: number;
  let locks: string;
  try {
    const st = statSync(path);
    ino = st.ino;
    // Linux dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
    major = (st.dev >>> 8) & 0xfff;
    minor = (st.dev & 0xff) | ((st.dev >>> 12) & 0xfff00);
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of locks.split('\n')) {
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m !== null && Number(m[4]) === ino && Number.parseInt(m[2]!, 16) === major && Number.parseInt(m[3]!, 16) === minor) return Number(m[1]);
  }
  return undefined;
}

function releaseLock(dir: string): void {
  try {
    unlinkSync(join(dir, LOCK_FILENAME));
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
