/**
 * The write-ahead log writer: records go into 32 KiB pages of numbered segment files, split
 * into full/first/middle/last fragments with a CRC-32C each, byte-compatible with Prometheus's
 * `wlog` (see docs in wal.md of the TSDB format reference).
 *
 * Records are opaque byte strings: the TSDB logs series and sample records (record.ts), the log
 * store may log its own. Every `log()` call reaches the operating system (one write syscall)
 * before it returns, so a process crash (`kill -9`) never loses a logged record; `fsync` follows
 * the sync policy.
 * @module
 */
import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../encoding/index.js';
import type { Registry } from '../instrument/index.js';
import { WalClosedError, WalWriteError, type CorruptionError } from './errors.js';
import { repairSegment } from './repair.js';
import { snappy } from './snappy-addon.js';
import { makeWalMetrics, type WalMetrics } from './wal-metrics.js';
import { DEFAULT_SEGMENT_SIZE, FragmentType, PAGE_SIZE, RECORD_HEADER_SIZE, SNAPPY_FLAG, listSegments, segmentName } from './segment.js';

/** SyncPolicy says when the log calls fsync. */
export const SyncPolicy = {
  /** fsync a segment when it is closed (Prometheus's behaviour): survives process crashes, not power loss. */
  Segment: 'segment',
  /** fsync before every `log()` resolves (concurrent calls share one fsync). */
  Always: 'always',
} as const;
/** One of SyncPolicy's values. */
export type SyncPolicy = (typeof SyncPolicy)[keyof typeof SyncPolicy];

/** Compression says how records are compressed before fragmenting. */
export const Compression = { None: 'none', Snappy: 'snappy' } as const;
/** One of Compression's values. */
export type Compression = (typeof Compression)[keyof typeof Compression];

/** WalOptions configure a write-ahead log. */
export interface WalOptions {
  /** Directory of the segment files; created when missing. */
  readonly dir: string;
  /** Maximum segment size in bytes, a multiple of 32 KiB (default 128 MiB). */
  readonly segmentSize?: number;
  /** Record compression (default snappy, as Prometheus 2.42). */
  readonly compression?: Compression;
  /** When to fsync (default `segment`). */
  readonly sync?: SyncPolicy;
  /** Registry for self-metrics; none when omitted. */
  readonly registry?: Registry;
  /** Prefix of the metric names (default `prometheus_tsdb_wal_`). */
  readonly metricsPrefix?: string;
}

/**
 * Wal appends records to segment files. Writing starts in a new segment after the last
 * existing one, created on the first write, so a WAL can be replayed and repaired before use.
 */
export class Wal {
  readonly dir: string;
  readonly segmentSize: number;
  readonly compression: Compression;
  readonly sync: SyncPolicy;

  #fd = -1;
  #segment: number; // index of the segment being written (or to be created)
  #segOff = 0; // bytes in the current segment file
  #closedBytes = 0; // bytes of all other segment files
  #closed = false;
  #broken: Error | undefined; // set when a failed write could not be undone
  #out: Buffer = Buffer.allocUnsafe(64 * 1024);
  #outLen = 0;
  // Async fsyncs in flight, per file descriptor (settled promises, never rejecting).
  readonly #inflight = new Map<number, Promise<void>>();
  #syncWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #syncRunning = false;
  readonly #metrics: WalMetrics | undefined;

  private constructor(opts: WalOptions) {
    const { dir, segmentSize = DEFAULT_SEGMENT_SIZE, compression = Compression.Snappy, sync = SyncPolicy.Segment } = opts;
    if (!Number.isInteger(segmentSize) || segmentSize < PAGE_SIZE || segmentSize % PAGE_SIZE !== 0) {
      throw new Error(`WalOptions.segmentSize must be a positive multiple of ${PAGE_SIZE}, got ${segmentSize}`);
    }
    if (compression !== 'none' && compression !== 'snappy') throw new Error(`WalOptions.compression: unknown "${String(compression)}"`);
    if (sync !== 'segment' && sync !== 'always') throw new Error(`WalOptions.sync: unknown "${String(sync)}"`);
    this.dir = dir;
    this.segmentSize = segmentSize;
    this.compression = compression;
    this.sync = sync;
    mkdirSync(dir, { recursive: true });
    const segs = listSegments(dir);
    for (const s of segs) this.#closedBytes += statSync(s.path).size;
    this.#segment = segs.length === 0 ? 0 : segs[segs.length - 1]!.index + 1;
    this.#metrics = opts.registry ? makeWalMetrics(opts.registry, opts.metricsPrefix ?? 'prometheus_tsdb_wal_', this) : undefined;
  }

  /** open opens (creating when needed) the WAL in `opts.dir`. Throws SegmentListError for a gap in the segment numbers. */
  static open(opts: WalOptions): Wal {
    return new Wal(opts);
  }

  /** currentSegment returns the index of the segment that the next record goes to. */
  currentSegment(): number {
    return this.#segment;
  }

  /** size returns the bytes of all segment files. */
  size(): number {
    return this.#closedBytes + this.#segOff;
  }

  /**
   * logSync writes records, in order, and returns once the operating system has them. On
   * failure (for example ENOSPC) nothing of this call stays in the log and a WalWriteError is
   * thrown; later calls may succeed once the cause is gone. Record bytes are copied.
   */
  logSync(records: readonly Uint8Array[]): void {
    this.#check();
    const startSeg = this.#segment;
    const startOff = this.#segOff;
    const hadFd = this.#fd >= 0;
    this.#outLen = 0;
    try {
      for (const rec of records) this.#encode(rec);
      this.#flushOut();
    } catch (e) {
      this.#outLen = 0;
      this.#metrics?.writesFailed.inc();
      this.#undo(startSeg, startOff, hadFd, e);
      const code = (e as NodeJS.ErrnoException).code;
      throw new WalWriteError(this.dir, this.#segment, code, `writing records failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * log writes records like logSync and resolves when they are durable under the sync policy
   * (with `always`, after an fsync shared by concurrent calls). Record bytes are copied before
   * log returns.
   */
  log(records: readonly Uint8Array[]): Promise<void> {
    try {
      this.logSync(records);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.sync !== SyncPolicy.Always) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ resolve, reject });
      this.#runSync();
    });
  }

  /**
   * fsync resolves once everything logged so far is on stable storage (concurrent calls share
   * one fsync).
   */
  fsync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ resolve, reject });
      this.#runSync();
    });
  }

  /**
   * nextSegment closes the current segment (padding its last page and fsyncing it in the
   * background) and returns the index of the segment the next record goes to. Every segment
   * below the returned index is closed afterwards.
   */
  nextSegment(): number {
    this.#check();
    // A segment that does not exist yet, or holds nothing yet, is already new.
    if (this.#fd < 0 || this.#segOff === 0) return this.#segment;
    const prevSeg = this.#segment;
    const prevOff = this.#segOff;
    try {
      this.#outLen = 0;
      this.#padPage();
      this.#flushOut();
      this.#openSegment();
    } catch (e) {
      this.#outLen = 0;
      this.#undo(prevSeg, prevOff, true, e);
      const code = (e as NodeJS.ErrnoException).code;
      throw new WalWriteError(this.dir, this.#segment, code, `starting a new segment failed: ${(e as Error).message}`, { cause: e });
    }
    return this.#segment;
  }

  /** truncate deletes the segments numbered below `index` (never the one being written). */
  truncate(index: number): void {
    this.#check();
    this.#metrics?.truncations.inc();
    try {
      for (const s of listSegments(this.dir)) {
        if (s.index >= index || s.index >= this.#segment) break;
        const size = statSync(s.path).size;
        rmSync(s.path);
        this.#closedBytes -= size;
      }
    } catch (e) {
      this.#metrics?.truncationsFailed.inc();
      throw e;
    }
  }

  /**
   * repair cuts the segment named by a CorruptionError from this directory at the error's
   * offset (keeping the intact records before it and later segments), so replay can go on.
   * Must be called before anything is written to the affected segment.
   */
  repair(err: CorruptionError): void {
    this.#check();
    if (err.dir !== this.dir) throw new Error(`repair: corruption in ${err.dir} does not belong to WAL ${this.dir}`);
    if (this.#fd >= 0 && err.segment >= this.#segment) {
      throw new Error(`repair: segment ${err.segment} is being written`);
    }
    const before = statSync(join(this.dir, segmentName(err.segment))).size;
    const after = repairSegment(this.dir, err.segment, err.offset);
    this.#closedBytes -= before - after;
  }

  /** flush is a no-op kept for symmetry: every log call already reached the operating system. */
  async flush(): Promise<void> {
    this.#check();
  }

  /** close pads the last page, fsyncs and closes the current segment, and waits for background fsyncs. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let err: unknown;
    const fd = this.#fd;
    this.#fd = -1;
    if (fd >= 0) {
      await this.#inflight.get(fd);
      if (this.#broken === undefined) {
        try {
          this.#fd = fd;
          this.#outLen = 0;
          this.#padPage();
          this.#flushOut();
          this.#timedFsync(fd);
        } catch (e) {
          err = e;
        }
        this.#fd = -1;
      }
      this.#closedBytes += this.#segOff;
      this.#segOff = 0;
      closeSync(fd);
    }
    await Promise.allSettled([...this.#inflight.values()]);
    if (err !== undefined) throw new WalWriteError(this.dir, this.#segment, (err as NodeJS.ErrnoException).code, 'closing failed', { cause: err });
  }

  #check(): void {
    if (this.#closed) throw new WalClosedError(this.dir);
    if (this.#broken) throw new WalWriteError(this.dir, this.#segment, undefined, 'log is unusable after an earlier failure', { cause: this.#broken });
  }

  // #encode appends the fragments of one record to #out, rotating segments as needed.
  #encode(record: Uint8Array): void {
    let rec = record;
    let flag = 0;
    if (this.compression === Compression.Snappy && rec.length > 0) {
      const c = snappy().compressSync(rec, { copyOutputData: true });
      if (c.length < rec.length) {
        rec = c;
        flag = SNAPPY_FLAG;
      }
    }
    const pos = this.#segOff + this.#outLen;
    if (pos > 0 && rec.length > this.#room(pos)) {
      // Records never cross segments: close this one and continue in the next.
      this.#padPage();
      this.#flushOut();
      this.#openSegment();
    } else if (this.#fd < 0) {
      this.#openSegment();
    }
    let off = 0;
    let first = true;
    do {
      let p = this.#segOff + this.#outLen;
      let rem = PAGE_SIZE - (p % PAGE_SIZE);
      if (rem <= RECORD_HEADER_SIZE) {
        this.#padPage();
        p = this.#segOff + this.#outLen;
        rem = PAGE_SIZE;
      }
      const n = Math.min(rec.length - off, rem - RECORD_HEADER_SIZE);
      const last = off + n === rec.length;
      const type = first ? (last ? FragmentType.Full : FragmentType.First) : last ? FragmentType.Last : FragmentType.Middle;
      this.#reserve(RECORD_HEADER_SIZE + n);
      const out = this.#out;
      const o = this.#outLen;
      out[o] = type | flag;
      out.writeUInt16BE(n, o + 1);
      out.writeUInt32BE(crc32c(rec, off, off + n), o + 3);
      out.set(rec.subarray(off, off + n), o + RECORD_HEADER_SIZE);
      this.#outLen = o + RECORD_HEADER_SIZE + n;
      if ((p + RECORD_HEADER_SIZE + n) % PAGE_SIZE === 0) this.#metrics?.completedPages.inc();
      off += n;
      first = false;
    } while (off < rec.length);
  }

  // #padPage appends zeros up to the next page boundary (nothing when aligned).
  #padPage(): void {
    const p = this.#segOff + this.#outLen;
    const rem = p % PAGE_SIZE === 0 ? 0 : PAGE_SIZE - (p % PAGE_SIZE);
    if (rem === 0) return;
    this.#reserve(rem);
    this.#out.fill(0, this.#outLen, this.#outLen + rem);
    this.#outLen += rem;
    this.#metrics?.completedPages.inc();
  }

  #reserve(n: number): void {
    if (this.#outLen + n <= this.#out.length) return;
    let size = this.#out.length * 2;
    while (size < this.#outLen + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.#out.copy(nb, 0, 0, this.#outLen);
    this.#out = nb;
  }

  // #room returns how many record bytes fit in the current segment from position pos on.
  #room(pos: number): number {
    const pages = this.segmentSize / PAGE_SIZE;
    const page = Math.floor(pos / PAGE_SIZE);
    if (page >= pages) return 0;
    const pageRem = PAGE_SIZE - (pos % PAGE_SIZE);
    const here = pageRem > RECORD_HEADER_SIZE ? pageRem - RECORD_HEADER_SIZE : 0;
    return here + (pages - page - 1) * (PAGE_SIZE - RECORD_HEADER_SIZE);
  }

  #openSegment(): void {
    if (this.#fd >= 0) {
      // Close the previous segment: fsync in the background, as Prometheus does.
      const fd = this.#fd;
      this.#closedBytes += this.#segOff;
      this.#segOff = 0;
      this.#fd = -1;
      this.#segment++;
      this.#backgroundClose(fd);
    }
    const path = join(this.dir, segmentName(this.#segment));
    const fd = openSync(path, 'a');
    const size = fstatSync(fd).size;
    this.#fd = fd;
    this.#segOff = size;
    this.#metrics?.segmentCurrent.set(this.#segment);
  }

  #flushOut(): void {
    if (this.#outLen === 0) return;
    let done = 0;
    while (done < this.#outLen) {
      const n = writeSync(this.#fd, this.#out, done, this.#outLen - done);
      done += n;
      this.#segOff += n;
    }
    this.#outLen = 0;
    this.#metrics?.pageFlushes.inc();
  }

  // #undo restores the state before a failed call: cut the bytes it wrote, drop a segment it created.
  #undo(startSeg: number, startOff: number, hadFd: boolean, cause: unknown): void {
    try {
      if (this.#segment !== startSeg) {
        // A rotation happened during the call: remove the new segment, reopen the old one.
        if (this.#fd >= 0) closeSync(this.#fd);
        this.#fd = -1;
        rmSync(join(this.dir, segmentName(this.#segment)), { force: true });
        this.#segment = startSeg;
        if (hadFd) {
          this.#fd = openSync(join(this.dir, segmentName(startSeg)), 'a');
          this.#closedBytes -= fstatSync(this.#fd).size;
        }
      }
      if (this.#fd >= 0) {
        ftruncateSync(this.#fd, startOff);
        this.#segOff = startOff;
        if (!hadFd && startOff === 0) {
          closeSync(this.#fd);
          this.#fd = -1;
          rmSync(join(this.dir, segmentName(startSeg)), { force: true });
        }
      }
    } catch (e) {
      this.#broken = new Error(`undoing a failed write failed: ${(e as Error).message}`, { cause });
    }
  }

  // #fsyncAsync fsyncs fd on the thread pool after any operation already in flight on it, so
  // that an fd is never closed under a running fsync.
  #fsyncAsync(fd: number, thenClose: boolean): Promise<void> {
    const prior = this.#inflight.get(fd) ?? Promise.resolve();
    const p = prior.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const start = performance.now();
          fsync(fd, (err) => {
            this.#metrics?.fsync.observe((performance.now() - start) / 1000);
            if (thenClose) closeSync(fd);
            if (err) reject(new WalWriteError(this.dir, this.#segment, err.code, `fsync failed: ${err.message}`, { cause: err }));
            else resolve();
          });
        }),
    );
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.#inflight.set(fd, tracked);
    void tracked.then(() => {
      if (this.#inflight.get(fd) === tracked) this.#inflight.delete(fd);
    });
    return p;
  }

  #backgroundClose(fd: number): void {
    // A failed fsync of a closed segment cannot be undone: its records reached the OS already.
    this.#fsyncAsync(fd, true).catch(() => this.#metrics?.writesFailed.inc());
  }

  #timedFsync(fd: number): void {
    const start = performance.now();
    fsyncSync(fd);
    this.#metrics?.fsync.observe((performance.now() - start) / 1000);
  }

  // #runSync fsyncs for all waiting log calls at once (group commit), after the background
  // fsyncs of segments closed meanwhile.
  #runSync(): void {
    if (this.#syncRunning || this.#syncWaiters.length === 0) return;
    this.#syncRunning = true;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    const others = [...this.#inflight.entries()].filter(([fd]) => fd !== this.#fd).map(([, p]) => p);
    const mine = this.#fd >= 0 ? this.#fsyncAsync(this.#fd, false) : Promise.resolve();
    Promise.all([mine, ...others]).then(
      () => {
        this.#syncRunning = false;
        for (const w of waiters) w.resolve();
        this.#runSync();
      },
      (e: unknown) => {
        this.#syncRunning = false;
        for (const w of waiters) w.reject(e as Error);
        this.#runSync();
      },
    );
  }
}
