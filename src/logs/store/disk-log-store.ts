/**
 * DiskLogStore: the embedded log store. Appends go to a WAL first (acknowledged entries survive
 * `kill -9`), then into per-stream heads of blocks that are compressed as they fill and cut into
 * chunks of segment files; an in-memory index maps labels to streams to chunks by time. Layout
 * under `dir`: `wal/` (WAL segments), `chunks/<app>/` (chunk segments). The chunk format is
 * drawn in docs/format/logs-chunk.md.
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Counter, Registry } from '../../instrument/index.js';
import type { Labels, Matcher } from '../../model/index.js';
import { BlockPacker } from './block-packer.js';
import { BlockFlag, Codec, decodeChunkHeader, encodeChunk, type ChunkHeader } from './chunk-format.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkSegments, type ChunkSegment } from './chunk-segments.js';
import { mergeCursors } from './cursor-merge.js';
import { CorruptChunkError, CorruptWalError, InvalidEntryError, LogStoreError, StoreClosedError, StoreFullError, StoreWriteError, isDiskFull } from './errors.js';
import { HeadBlock } from './head-block.js';
import type {
  AppendListener,
  CursorQuery,
  IndexStats,
  LogEntry,
  QueryableLogStore,
  SelectQuery,
  StreamBatch,
  StreamCursor,
} from './interface.js';
import { CorruptionError, Wal, WalReader, WalWriteError } from '../../wal/index.js';
import { hintGroups, planSearch } from './search-plan.js';
import { HeadChunk, StoreStream, type ChunkMeta, type SealedBlock } from './store-stream.js';
import { diskSource, headSources, SourceCursor, type Source } from './stream-cursor.js';
import { StreamIndex } from './stream-index.js';
import { BloomFilter } from './token-filter.js';
import { batchEntries, lineBatchOf, type LineBatch, type LineBatchAppender } from './line-batch.js';
import { decodeEntriesRecord, decodeStreamRecord, WalEncoder, WalRecordType } from './wal-records.js';

/** WalSync chooses when the WAL is fsynced. */
export type WalSync = 'segment' | 'always';

/** RetentionPolicy bounds how long and how much of an app's logs are kept (0 = no bound). */
export interface RetentionPolicy {
  readonly maxAgeMs?: number;
  readonly maxBytes?: number;
}

/** DiskLogStoreOptions configures a DiskLogStore; every field but `dir` has a default. */
export interface DiskLogStoreOptions {
  /** Directory of the store (created if missing), e.g. `<data>/logs`. */
  readonly dir: string;
  /** Raw text bytes per compressed block (default 256 KiB). */
  readonly blockBytes?: number;
  /** Raw text bytes at which a stream's head is cut into a chunk (default 1.5 MiB). */
  readonly chunkBytes?: number;
  /** A head older than this is cut (default 1 h). */
  readonly maxChunkAgeMs?: number;
  /** A head without appends for this long is cut (default 30 min). */
  readonly chunkIdleMs?: number;
  /** WAL segment size (default 64 MiB). */
  readonly walSegmentBytes?: number;
  /** WAL size past which the heads pinning its oldest segment are cut (default 512 MiB). */
  readonly walMaxBytes?: number;
  /** When the WAL is fsynced: at segment close (default; survives kill -9) or on every append. */
  readonly walSync?: WalSync;
  /** Chunk segment file size (default 128 MiB). */
  readonly segmentBytes?: number;
  /** Brotli quality 0–11 (default 4: measured best size per CPU second on container logs). */
  readonly compressionQuality?: number;
  /** Token filter bits per distinct item (default 8, about 2% false positives). */
  readonly filterBitsPerItem?: number;
  /**
   * Index the fields of JSON lines per block (default true): metric queries over `| json` with
   * label filters and grouping then read no text. Costs about 1.5 bytes per JSON line on disk
   * and some ingest CPU on the workers.
   */
  readonly jsonIndex?: boolean;
  /** Worker threads that compress and decompress blocks and build filters (default: one per core, 1–4; 0 = this thread). */
  readonly packWorkers?: number;
  /** Retention per app (`app` label; '' for streams without one), with a default. */
  readonly retention?: { readonly default?: RetentionPolicy; readonly apps?: Readonly<Record<string, RetentionPolicy>> };
  /** How often idle heads are cut, failed writes retried and retention applied (default 10 s). */
  readonly maintenanceIntervalMs?: number;
  /** Text bytes of cut heads waiting to be written past which appends wait (default 64 MiB). */
  readonly maxPendingBytes?: number;
  /** Longest accepted line in UTF-8 bytes (default 256 KiB). */
  readonly maxLineBytes?: number;
  /** Most labels per stream (default 30, as Loki). */
  readonly maxLabelNames?: number;
  readonly textCacheBytes?: number;
  readonly timesCacheBytes?: number;
  /** Self-metrics registry. */
  readonly registry?: Registry;
  /** Told about corrupt chunks and WAL records found (default: stderr). */
  readonly onCorruption?: (e: LogStoreError) => void;
  /** Wall clock (tests). */
  readonly now?: () => number;
  /**
   * Open for reading only (e.g. `vigil logs --data.dir` beside a running server): the WAL is
   * replayed into memory but nothing is created, repaired, cut or written; appends reject.
   */
  readonly readOnly?: boolean;
}

/** QueuedAppend is an append waiting for the next group commit. */
interface QueuedAppend {
  readonly batch: LineBatch;
  /** The entries as given to append (for listeners), when the batch was made from them. */
  readonly entries: readonly LogEntry[] | undefined;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** PendingStream is a stream's state as it will be once a group commit is applied. */
interface PendingStream {
  readonly s: StoreStream;
  readonly created: boolean;
  nextSeq: number;
  lastT: number;
  lastNs: number;
  /** The last entry's line is lastBuf[lastStart, lastEnd). */
  lastBuf: Uint8Array;
  lastStart: number;
  lastEnd: number;
  defWritten: boolean;
}

/** RunPlan is one run of a queued batch as the group commit writes it. */
interface RunPlan {
  readonly p: PendingStream;
  readonly q: QueuedAppend;
  readonly from: number;
  readonly to: number;
  /** keep[i − from] is 0 for a dropped duplicate; undefined when all are kept. */
  readonly keep: Uint8Array | undefined;
  readonly kept: number;
  /** Index of the run's first line in the WAL encoder. */
  readonly lineIdx: number;
}

interface Metrics {
  readonly entries: Counter;
  readonly bytes: Counter;
  readonly rejected: Counter;
  readonly chunks: Counter;
  readonly chunkBytes: Counter;
  readonly corrupt: Counter;
  readonly deletedSegments: Counter;
}

const NO_METRICS: Metrics = (() => {
  const c = (): Counter => ({ value: 0, inc() {} }) as unknown as Counter;
  return { entries: c(), bytes: c(), rejected: c(), chunks: c(), chunkBytes: c(), corrupt: c(), deletedSegments: c() };
})();

/** DiskLogStore is the compressed, indexed, WAL-backed LogStore. */
export class DiskLogStore implements QueryableLogStore, LineBatchAppender {
  readonly #dir: string;
  readonly #o: Required<Omit<DiskLogStoreOptions, 'registry' | 'retention' | 'onCorruption' | 'dir' | 'readOnly'>>;
  readonly #readOnly: boolean;
  #retention: { readonly default: RetentionPolicy; readonly apps: Readonly<Record<string, RetentionPolicy>> };
  readonly #index = new StreamIndex();
  readonly #segments: ChunkSegments;
  readonly #reader: ChunkReader;
  readonly #wal: Wal;
  readonly #walDir: string;
  readonly #packer: BlockPacker;
  readonly #enc = new WalEncoder();
  readonly #listeners = new Set<AppendListener>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #onCorruption: (e: LogStoreError) => void;
  readonly #m: Metrics;
  #nextRef = 1;
  #memoryEntries = 0;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #maintaining = false;
  #lastWalTruncate = 0;
  #lastWriteError: Error | undefined;
  #queue: QueuedAppend[] = [];
  #commitScheduled = false;
  /** Text bytes of heads cut but not yet written. */
  #pendingBytes = 0;

  private constructor(opts: DiskLogStoreOptions) {
    const {
      dir,
      blockBytes = 256 << 10,
      chunkBytes = 1536 << 10,
      maxChunkAgeMs = 3_600_000,
      chunkIdleMs = 1_800_000,
      walSegmentBytes = 64 << 20,
      walMaxBytes = 512 << 20,
      walSync = 'segment',
      segmentBytes = 128 << 20,
      compressionQuality = 4,
      filterBitsPerItem = 8,
      jsonIndex = true,
      packWorkers = Math.max(1, Math.min(4, availableParallelism())),
      retention = {},
      maintenanceIntervalMs = 10_000,
      maxPendingBytes = 64 << 20,
      maxLineBytes = 256 << 10,
      maxLabelNames = 30,
      textCacheBytes = 256 << 20,
      timesCacheBytes = 64 << 20,
      registry,
      onCorruption = (e) => process.stderr.write(`vigil logs: ${e.message}\n`),
      now = Date.now,
      readOnly = false,
    } = opts;
    if (typeof dir !== 'string' || dir === '') throw new RangeError('DiskLogStore: dir is required');
    if (!(blockBytes >= 1024)) throw new RangeError(`DiskLogStore: blockBytes must be at least 1024, got ${blockBytes}`);
    if (!(chunkBytes >= blockBytes)) throw new RangeError(`DiskLogStore: chunkBytes (${chunkBytes}) must be at least blockBytes (${blockBytes})`);
    if (!(compressionQuality >= 0 && compressionQuality <= 11)) throw new RangeError(`DiskLogStore: compressionQuality must be 0–11, got ${compressionQuality}`);
    if (!(filterBitsPerItem >= 1 && filterBitsPerItem <= 32)) throw new RangeError(`DiskLogStore: filterBitsPerItem must be 1–32, got ${filterBitsPerItem}`);
    if (!(maxLineBytes >= 1)) throw new RangeError(`DiskLogStore: maxLineBytes must be positive, got ${maxLineBytes}`);
    this.#dir = dir;
    this.#o = {
      blockBytes, chunkBytes, maxChunkAgeMs, chunkIdleMs, walSegmentBytes, walMaxBytes, walSync, segmentBytes,
      compressionQuality, filterBitsPerItem, jsonIndex, packWorkers, maintenanceIntervalMs, maxPendingBytes, maxLineBytes, maxLabelNames, textCacheBytes,
      timesCacheBytes, now,
    };
    this.#retention = { default: retention.default ?? {}, apps: retention.apps ?? {} };
    this.#readOnly = readOnly;
    this.#m = registry === undefined ? NO_METRICS : makeMetrics(registry, this);
    this.#onCorruption = (e) => {
      if (e instanceof CorruptChunkError) this.#m.corrupt.inc();
      onCorruption(e);
    };
    if (!readOnly) mkdirSync(dir, { recursive: true });
    else if (!existsSync(dir)) throw new LogStoreError(`log store directory ${dir} does not exist`);
    this.#segments = new ChunkSegments({ dir: join(dir, 'chunks'), segmentBytes, now, readOnly });
    this.#packer = new BlockPacker({ workers: packWorkers, quality: compressionQuality });
    this.#reader = new ChunkReader({ segments: this.#segments, textCacheBytes, timesCacheBytes, onCorrupt: (e) => this.#onCorruption(e), packer: this.#packer });
    this.#walDir = join(dir, 'wal');
    // Records are line text, compressed later in chunks: no snappy on the WAL's hot path.
    const segmentSize = Math.max(1, Math.round(walSegmentBytes / 32768)) * 32768;
    this.#wal = Wal.open({ dir: this.#walDir, segmentSize, compression: 'none', sync: walSync, registry, metricsPrefix: 'vigil_logs_wal_' });
  }

  /**
   * open loads the chunk index, replays the WAL into memory and starts maintenance. Corrupt
   * chunks and WAL records are reported through `onCorruption` and skipped.
   */
  static async open(opts: DiskLogStoreOptions): Promise<DiskLogStore> {
    const s = new DiskLogStore(opts);
    s.#load();
    if (s.#o.maintenanceIntervalMs > 0 && !s.#readOnly) {
      s.#timer = setInterval(() => s.#maintain(), s.#o.maintenanceIntervalMs);
      s.#timer.unref();
    }
    return s;
  }

  /** dir is the store's directory. */
  get dir(): string {
    return this.#dir;
  }

  /** memoryEntries is the number of entries held only in heads (0 right after flush()). */
  get memoryEntries(): number {
    return this.#memoryEntries;
  }

  /** streamCount is the number of streams. */
  get streamCount(): number {
    return this.#index.size;
  }

  #load(): void {
    this.#segments.load(
      (seg, offset, h) => this.#loadChunk(seg, offset, h),
      (e) => this.#onCorruption(e),
    );
    for (const s of this.#index.all()) s.chunks.sort((a, b) => a.header.seqStart - b.header.seqStart);
    const now = this.#o.now();
    let from: number | undefined;
    for (;;) {
      const r = new WalReader({ dir: this.#walDir, from });
      try {
        while (r.next()) this.#replayRecord(r.record(), r.segment(), now);
      } finally {
        r.close();
      }
      const err = r.err();
      if (err === undefined) break;
      if (!(err instanceof CorruptionError)) {
        this.#onCorruption(new CorruptWalError(this.#walDir, 0, err.message, { cause: err }));
        break;
      }
      // A torn or damaged record: keep what precedes it, report, and go on with the next segment.
      this.#onCorruption(new CorruptWalError(`${this.#walDir}/${String(err.segment).padStart(8, '0')}`, err.offset, err.detail, { cause: err }));
      try {
        if (!this.#readOnly) this.#wal.repair(err);
      } catch {
        // Read-only or vanished: the same records are skipped again next time.
      }
      from = err.segment + 1;
    }
  }

  #replayRecord(rec: Uint8Array, segment: number, now: number): void {
    try {
      if (rec[0] === WalRecordType.Stream) {
        const { ref, labels } = decodeStreamRecord(rec);
        const known = this.#index.byRef(ref);
        if (known !== undefined && !known.labels.equals(labels)) {
          this.#onCorruption(new CorruptWalError(`segment ${segment}`, 0, `stream ref ${ref} redefined from ${known.labels.toString()} to ${labels.toString()}; ignored`));
          return;
        }
        if (known === undefined && this.#index.byKey(labels.key()) === undefined) this.#addStream(ref, labels);
      } else if (rec[0] === WalRecordType.Entries) {
        this.#replayEntries(rec, segment, now);
      }
    } catch (e) {
      this.#onCorruption(new CorruptWalError(`segment ${segment}`, 0, `record does not decode: ${(e as Error).message}`, { cause: e }));
    }
  }

  #loadChunk(seg: ChunkSegment, offset: number, h: ChunkHeader): void {
    let s = this.#index.byRef(h.ref);
    if (s === undefined) {
      const byLabels = this.#index.byKey(h.labels.key());
      if (byLabels !== undefined) {
        this.#onCorruption(new CorruptChunkError(seg.path, offset, `chunk of ${h.labels.toString()} has ref ${h.ref}, stream has ref ${byLabels.ref}; chunk skipped`));
        return;
      }
      s = this.#addStream(h.ref, h.labels);
    } else if (!s.labels.equals(h.labels)) {
      this.#onCorruption(new CorruptChunkError(seg.path, offset, `chunk ref ${h.ref} belongs to ${s.labels.toString()}, header says ${h.labels.toString()}; chunk skipped`));
      return;
    }
    s.chunks.push({ seg, offset, header: h, filter: undefined });
    s.widen(h.mint, h.maxt);
    const end = h.seqStart + h.count;
    if (end > s.nextSeq) {
      s.nextSeq = end;
      s.head = new HeadChunk(end);
    }
    if (h.mint < seg.mint) seg.mint = h.mint;
    if (h.maxt > seg.maxt) seg.maxt = h.maxt;
    seg.chunks++;
  }

  #addStream(ref: number, labels: Labels): StoreStream {
    const s = new StoreStream(ref, labels);
    this.#index.add(s);
    if (ref >= this.#nextRef) this.#nextRef = ref + 1;
    return s;
  }

  #replayEntries(payload: Uint8Array, segment: number, now: number): void {
    const ref = peekRef(payload.subarray(1));
    const s = this.#index.byRef(ref);
    if (s === undefined) {
      this.#onCorruption(new CorruptWalError(`segment ${segment}`, 0, `entries for unknown stream ref ${ref}; skipped`));
      return;
    }
    const maxAge = this.#policy(s.app).maxAgeMs ?? 0;
    const cutoff = maxAge > 0 ? now - maxAge : -Infinity;
    let last: { p: Uint8Array; start: number; end: number } | undefined;
    decodeEntriesRecord(payload, (seq, t, ns, p, start, end, fields) => {
      if (seq < s.nextSeq) return;
      s.nextSeq = seq + 1;
      if (t < cutoff) return;
      this.#toHead(s, t, ns, p, start, end, fields, segment, now);
      s.lastT = t;
      s.lastNs = ns;
      last = { p, start, end };
    });
    if (last !== undefined) s.lastLine = Buffer.from(last.p.subarray(last.start, last.end));
  }

  // toHead adds one entry to a stream's head (after the WAL holds it).
  #toHead(s: StoreStream, t: number, ns: number, src: Uint8Array, start: number, end: number, fields: Record<string, string> | undefined, walSeg: number, now: number): void {
    const h = s.head;
    if (h.count === 0) {
      h.firstWalSeg = walSeg;
      h.createdAt = now;
    }
    h.lastAppendAt = now;
    h.open.append(t, ns, src, start, end, fields);
    h.count++;
    h.textBytes += end - start;
    if (t < h.mint) h.mint = t;
    if (t > h.maxt) h.maxt = t;
    s.widen(t, t);
    this.#memoryEntries++;
    if (h.open.bytes >= this.#o.blockBytes) this.#seal(h);
    if (h.textBytes >= this.#o.chunkBytes) this.#cut(s);
  }

  #policy(app: string): RetentionPolicy {
    return this.#retention.apps[app] ?? this.#retention.default;
  }

  /** setRetention replaces the retention policies (a reloaded configuration); the next maintenance round applies them. */
  setRetention(retention: NonNullable<DiskLogStoreOptions['retention']>): void {
    this.#retention = { default: retention.default ?? {}, apps: retention.apps ?? {} };
  }

  /**
   * append validates the entries, then queues them: every append made in the same tick is
   * written to the WAL with one write (group commit; a push request appends all its streams at
   * once), and resolves once that write returned. Rejects with StoreFullError when the disk is
   * full, InvalidEntryError for a bad entry; a rejected append stores nothing.
   */
  async append(stream: Labels, entries: readonly LogEntry[], signal?: AbortSignal): Promise<void> {
    this.#checkWritable(signal);
    if (entries.length === 0) return;
    this.#checkLabels(stream, 0);
    const max = this.#o.maxLineBytes;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      this.#checkTime(e.t, e.ns, i);
      if (typeof e.line !== 'string') throw new InvalidEntryError(i, 'line is not a string');
      if (e.line.length * 3 > max && (e.line.length > max || Buffer.byteLength(e.line) > max)) {
        throw new InvalidEntryError(i, `line of ${Buffer.byteLength(e.line)} bytes exceeds the limit of ${max} bytes`);
      }
    }
    await this.#enqueue(lineBatchOf(stream, entries), entries);
  }

  /**
   * appendBatch appends a LineBatch (lines as UTF-8 bytes, several streams): like append of
   * each run in order, but atomic, and without a string or object per line. The batch's
   * buffers must not change until the returned promise settles.
   */
  async appendBatch(batch: LineBatch, signal?: AbortSignal): Promise<void> {
    this.#checkWritable(signal);
    if (batch.count === 0) return;
    const max = this.#o.maxLineBytes;
    const len = batch.bytes.length;
    let from = 0;
    for (let r = 0; r < batch.runs; r++) {
      const to = batch.runEnd[r]!;
      if (to > from) this.#checkLabels(batch.runLabels[r]!, from);
      from = to;
    }
    if (from !== batch.count) throw new InvalidEntryError(from, 'entry belongs to no run');
    for (let i = 0; i < batch.count; i++) {
      this.#checkTime(batch.t[i]!, batch.ns[i]!, i);
      const s = batch.start[i]!;
      const e = batch.end[i]!;
      if (!(s >= 0 && e >= s && e <= len)) throw new InvalidEntryError(i, `line bytes [${s}, ${e}) outside the batch's ${len} bytes`);
      if (e - s > max) throw new InvalidEntryError(i, `line of ${e - s} bytes exceeds the limit of ${max} bytes`);
    }
    await this.#enqueue(batch, undefined);
  }

  #checkWritable(signal: AbortSignal | undefined): void {
    if (this.#closed) throw new StoreClosedError();
    if (this.#readOnly) throw new StoreWriteError(this.#dir, 'the log store was opened read-only');
    signal?.throwIfAborted();
  }

  #checkLabels(stream: Labels, index: number): void {
    if (stream.isEmpty()) throw new InvalidEntryError(index, 'stream has no labels');
    if (stream.length > this.#o.maxLabelNames) throw new InvalidEntryError(index, `stream has ${stream.length} labels, more than the limit of ${this.#o.maxLabelNames}`);
  }

  #checkTime(t: number, ns: number, i: number): void {
    if (!Number.isSafeInteger(t) || t < 0) throw new InvalidEntryError(i, `timestamp ${t} ms is not a non-negative integer`);
    if (!Number.isInteger(ns) || ns < 0 || ns > 999_999) throw new InvalidEntryError(i, `nanoseconds ${ns} outside 0–999999`);
  }

  async #enqueue(batch: LineBatch, entries: readonly LogEntry[] | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ batch, entries, resolve, reject });
      if (!this.#commitScheduled) {
        this.#commitScheduled = true;
        queueMicrotask(() => this.#commit());
      }
    });
    // Back-pressure: when chunks are written slower than entries arrive, the caller waits for
    // writes to finish rather than the heads and the WAL growing without bound.
    while (this.#pendingBytes > this.#o.maxPendingBytes && this.#tasks.size > 0) {
      await Promise.race([...this.#tasks]);
    }
  }

  // commit writes every queued append with one WAL write, then applies them to the heads.
  #commit(): void {
    this.#commitScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (this.#closed) {
      for (const q of batch) q.reject(new StoreClosedError());
      return;
    }
    const wal = this.#wal;
    const enc = this.#enc;
    enc.reset();
    // The records may start a new segment; the segment before the write is a safe lower bound.
    const seg = wal.currentSegment();
    // Per-stream state as it will be once this batch is applied (nothing changes on failure).
    const states = new Map<string, PendingStream>();
    const plans: RunPlan[] = [];
    let nextRef = this.#nextRef;
    for (const q of batch) {
      const b = q.batch;
      for (let r = 0; r < b.runs; r++) {
        const from = r === 0 ? 0 : b.runEnd[r - 1]!;
        const to = b.runEnd[r]!;
        if (to === from) continue;
        const labels = b.runLabels[r]!;
        const key = labels.key();
        let p = states.get(key);
        if (p === undefined) {
          const existing = this.#index.byKey(key);
          const s = existing ?? new StoreStream(nextRef++, labels);
          p = { s, created: existing === undefined, nextSeq: s.nextSeq, lastT: s.lastT, lastNs: s.lastNs, lastBuf: s.lastLine, lastStart: 0, lastEnd: s.lastLine.length, defWritten: false };
          states.set(key, p);
        }
        // Loki drops an entry equal (time and line) to the one before it in the stream.
        let keep: Uint8Array | undefined;
        let kept = to - from;
        for (let i = from; i < to; i++) {
          const t = b.t[i]!;
          const ns = b.ns[i]!;
          if (t === p.lastT && ns === p.lastNs && sameBytes(b.bytes, b.start[i]!, b.end[i]!, p.lastBuf, p.lastStart, p.lastEnd)) {
            keep ??= new Uint8Array(to - from).fill(1);
            keep[i - from] = 0;
            kept--;
            continue;
          }
          p.lastT = t;
          p.lastNs = ns;
          p.lastBuf = b.bytes;
          p.lastStart = b.start[i]!;
          p.lastEnd = b.end[i]!;
        }
        if (kept === 0) continue;
        if (!p.defWritten && p.s.defSeg !== seg) {
          enc.stream(p.s.ref, p.s.labels);
          p.defWritten = true;
        }
        const lineIdx = enc.lineCount;
        enc.entries(p.s.ref, p.nextSeq, b, from, to, keep, kept);
        plans.push({ p, q, from, to, keep, kept, lineIdx });
        p.nextSeq += kept;
      }
    }
    try {
      if (enc.lineCount > 0) wal.logSync(enc.records());
    } catch (e) {
      this.#m.rejected.inc(batch.length);
      const code = e instanceof WalWriteError ? e.code : undefined;
      const err = code === 'ENOSPC' || code === 'EDQUOT' || isDiskFull(e) ? new StoreFullError(this.#walDir, { cause: e }) : new StoreWriteError(this.#walDir, (e as Error).message, { cause: e });
      for (const q of batch) q.reject(err);
      return;
    }
    const rotated = wal.currentSegment() !== seg;
    for (const p of states.values()) {
      if (p.created) this.#index.add(p.s);
      if (p.defWritten) p.s.defSeg = rotated ? -1 : seg;
    }
    if (nextRef > this.#nextRef) this.#nextRef = nextRef;
    const now = this.#o.now();
    const raw = enc.raw;
    let bytes = 0;
    let total = 0;
    for (const { p, q, from, to, keep, kept, lineIdx } of plans) {
      const s = p.s;
      const b = q.batch;
      const fields = b.fields;
      let k = lineIdx;
      for (let i = from; i < to; i++) {
        if (keep !== undefined && keep[i - from] === 0) continue;
        const st = enc.lineStart[k]!;
        const en = enc.lineEnd[k]!;
        bytes += en - st;
        this.#toHead(s, b.t[i]!, b.ns[i]!, raw, st, en, fields === undefined ? undefined : fields[i], seg, now);
        k++;
      }
      total += kept;
    }
    for (const p of states.values()) {
      const s = p.s;
      s.nextSeq = p.nextSeq;
      s.lastT = p.lastT;
      s.lastNs = p.lastNs;
      // Keep a copy of the last line only: the batch's buffer is the caller's.
      if (p.lastBuf !== s.lastLine) s.lastLine = Buffer.from(p.lastBuf.subarray(p.lastStart, p.lastEnd));
    }
    this.#m.entries.inc(total);
    this.#m.bytes.inc(bytes);
    if (rotated) this.#walRotated();
    if (this.#listeners.size > 0) this.#notify(plans);
    for (const q of batch) q.resolve();
  }

  // notify tells the listeners about the entries just committed.
  #notify(plans: readonly RunPlan[]): void {
    for (const { p, q, from, to, keep, kept } of plans) {
      let acc: readonly LogEntry[] = q.entries ?? batchEntries(q.batch, from, to);
      if (keep !== undefined && kept < acc.length) acc = acc.filter((_, i) => keep[i] === 1);
      for (const l of this.#listeners) l(p.s.labels, acc);
    }
  }

  // walRotated runs when appends moved to a new WAL segment: past walMaxBytes, the heads that
  // pin the oldest segment are cut so it can go.
  #walRotated(): void {
    if (this.#wal.size() > this.#o.walMaxBytes) {
      let oldest = Infinity;
      for (const s of this.#index.all()) if (s.head.count > 0 && s.head.firstWalSeg < oldest) oldest = s.head.firstWalSeg;
      for (const s of this.#index.all()) if (s.head.count > 0 && s.head.firstWalSeg <= oldest) this.#cut(s);
    }
    this.#truncateWal(true);
  }

  #seal(h: HeadChunk): void {
    const raw = h.open.seal();
    h.open = new HeadBlock(Math.min(this.#o.blockBytes + (this.#o.blockBytes >> 2), 1 << 20), raw.count + (raw.count >> 2) + 16);
    const sb: SealedBlock = { count: raw.count, mint: raw.mint, maxt: raw.maxt, times: { count: raw.count, t: raw.t, ns: raw.ns }, raw, packed: undefined, items: undefined, ready: Promise.resolve() };
    sb.ready = this.#packer.pack({ text: raw.text, fields: raw.fieldsBytes, count: raw.count, escaped: raw.escaped, ascii: raw.ascii, jsonIndex: this.#o.jsonIndex }).then((p) => {
      sb.packed = {
        count: raw.count,
        mint: raw.mint,
        maxt: raw.maxt,
        tsBytes: raw.tsBytes,
        text: p.text,
        rawTextLen: raw.text.length,
        fields: p.fields,
        json: p.json,
        textBytes: raw.textBytes,
        flags: (raw.escaped ? BlockFlag.Escaped : 0) | (raw.ascii ? BlockFlag.Ascii : 0),
      };
      sb.items = p.items;
      sb.raw = undefined;
    });
    // A failed compression surfaces when the chunk is written; mark it handled here.
    sb.ready.catch(() => {});
    h.blocks.push(sb);
  }

  #cut(s: StoreStream): void {
    const h = s.head;
    if (h.count === 0 || this.#readOnly) return;
    // Size the next head like this one's blocks (a busy stream stays busy).
    const last = h.blocks[h.blocks.length - 1];
    s.head = last === undefined ? new HeadChunk(h.seqEnd) : new HeadChunk(h.seqEnd, Math.min(this.#o.blockBytes + (this.#o.blockBytes >> 2), 1 << 20), last.count + (last.count >> 2) + 16);
    s.cutting.push(h);
    this.#pendingBytes += h.textBytes;
    this.#track(this.#drain(s));
  }

  #track(p: Promise<void>): void {
    const t = p.then(
      () => {
        this.#tasks.delete(t);
      },
      (e: unknown) => {
        this.#tasks.delete(t);
        this.#lastWriteError = isDiskFull((e as { cause?: unknown }).cause) && !(e instanceof StoreFullError) ? new StoreFullError(this.#dir, { cause: e }) : (e as Error);
        if (!isDiskFull(e) && !(e instanceof LogStoreError)) this.#onCorruption(new LogStoreError(`writing a chunk failed: ${(e as Error).message}`, { cause: e }));
      },
    );
    this.#tasks.add(t);
  }

  // drain writes a stream's cutting heads to disk, in order; stops at the first failure.
  #drain(s: StoreStream): Promise<void> {
    if (s.draining !== undefined) return s.draining;
    const run = async (): Promise<void> => {
      try {
        while (s.cutting.length > 0) {
          await this.#writeChunk(s, s.cutting[0]!);
          const h = s.cutting.shift()!;
          this.#memoryEntries -= h.count;
          this.#pendingBytes -= h.textBytes;
        }
      } finally {
        s.draining = undefined;
      }
      // Under disk pressure every chunk written may free WAL space: truncate at once.
      this.#truncateWal(this.#lastWriteError instanceof StoreFullError);
    };
    s.draining = run();
    return s.draining;
  }

  async #writeChunk(s: StoreStream, h: HeadChunk): Promise<void> {
    if (h.open.count > 0) this.#seal(h);
    await Promise.all(h.blocks.map((b) => b.ready));
    // The filter is built off this thread; the blocks' item arrays go along (not needed here).
    // Kept on the head: the item arrays are handed over, and a failed write is retried.
    h.filter ??= await this.#packer.bloom(
      h.blocks.map((b) => b.items!),
      this.#o.filterBitsPerItem,
    );
    const filterBytes = h.filter;
    const filter = BloomFilter.decode(filterBytes);
    const enc = encodeChunk({ ref: s.ref, labels: s.labels, seqStart: h.seqStart, codec: Codec.Brotli, blocks: h.blocks.map((b) => b.packed!), filter: filterBytes });
    const { seg, offset } = this.#segments.append(s.app, enc.parts, enc.length, h.mint, h.maxt);
    const hb = Buffer.concat([enc.parts[0]!, enc.parts[1]!, enc.parts[2]!]);
    const header = decodeChunkHeader(hb, 0, enc.length, enc.parts[1]!.length);
    const meta: ChunkMeta = { seg, offset, header, filter };
    s.chunks.push(meta);
    this.#reader.primeTimes(meta, h.blocks.map((b) => b.times));
    this.#m.chunks.inc();
    this.#m.chunkBytes.inc(enc.length);
  }

  // truncateWal deletes WAL segments every entry of which is in chunks.
  #truncateWal(force: boolean): void {
    const now = this.#o.now();
    if (!force && now - this.#lastWalTruncate < 1000) return;
    this.#lastWalTruncate = now;
    let min = Infinity;
    for (const s of this.#index.all()) {
      if (s.head.count > 0 && s.head.firstWalSeg < min) min = s.head.firstWalSeg;
      for (const h of s.cutting) if (h.firstWalSeg < min) min = h.firstWalSeg;
    }
    try {
      this.#wal.truncate(min === Infinity ? this.#wal.currentSegment() : min);
    } catch (e) {
      this.#lastWriteError = e as Error;
    }
  }

  /**
   * flush cuts every head into chunks and waits for them to be written; afterwards the WAL holds
   * only an empty segment. Rejects (StoreFullError…) when a chunk cannot be written.
   */
  async flush(): Promise<void> {
    if (this.#closed) throw new StoreClosedError();
    if (this.#readOnly) return;
    // Appends queued in this tick belong to what is flushed.
    if (this.#queue.length > 0) this.#commit();
    for (const s of this.#index.all()) this.#cut(s);
    const drains: Promise<void>[] = [];
    for (const s of this.#index.all()) if (s.cutting.length > 0) drains.push(this.#drain(s));
    await Promise.all(drains);
    await Promise.allSettled([...this.#tasks]);
    for (const s of this.#index.all()) {
      if (s.cutting.length > 0) throw this.#lastWriteError ?? new LogStoreError('flush: chunks remain unwritten');
    }
    this.#wal.nextSegment();
    this.#truncateWal(true);
  }

  // maintain runs periodically: cuts idle and old heads, retries failed writes, applies retention.
  #maintain(): void {
    if (this.#maintaining || this.#closed) return;
    this.#maintaining = true;
    const run = async (): Promise<void> => {
      try {
        const now = this.#o.now();
        for (const s of this.#index.all()) {
          const h = s.head;
          if (h.count > 0 && (now - h.lastAppendAt >= this.#o.chunkIdleMs || now - h.createdAt >= this.#o.maxChunkAgeMs)) this.#cut(s);
          else if (s.cutting.length > 0 && s.draining === undefined) this.#track(this.#drain(s));
        }
        await this.applyRetention();
        this.#truncateWal(false);
      } finally {
        this.#maintaining = false;
      }
    };
    this.#track(run());
  }

  /**
   * applyRetention enforces each app's policy: chunks older than maxAgeMs leave the index at
   * once, and segment files are deleted once all their chunks are expired, or oldest first
   * while the app exceeds maxBytes.
   */
  async applyRetention(): Promise<void> {
    const now = this.#o.now();
    for (const app of this.#segments.apps()) {
      const p = this.#policy(app);
      const cutoff = p.maxAgeMs !== undefined && p.maxAgeMs > 0 ? now - p.maxAgeMs : -Infinity;
      const victims = new Set<ChunkSegment>();
      const segs = this.#segments.segmentsOf(app);
      for (const seg of segs) if (seg.chunks > 0 && seg.maxt < cutoff) victims.add(seg);
      if (p.maxBytes !== undefined && p.maxBytes > 0) {
        let total = this.#segments.bytesOf(app);
        for (const seg of segs) {
          if (total <= p.maxBytes) break;
          victims.add(seg);
          total -= seg.size;
        }
      }
      if (victims.size === 0 && cutoff === -Infinity) continue;
      for (const s of [...this.#index.all()]) {
        if (s.app !== app) continue;
        const keep: ChunkMeta[] = [];
        for (const c of s.chunks) {
          if (victims.has(c.seg) || c.header.maxt < cutoff) this.#reader.forget(c);
          else keep.push(c);
        }
        if (keep.length !== s.chunks.length) {
          s.chunks = keep;
          s.recomputeRange();
          if (s.isEmpty()) this.#index.remove(s);
        }
      }
      for (const v of victims) {
        await this.#segments.remove(v);
        this.#m.deletedSegments.inc();
      }
    }
  }

  subscribe(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #streams(matchers: readonly Matcher[], mint: number, maxt: number): StoreStream[] {
    return this.#index.match(matchers).filter((s) => s.mint <= maxt && s.maxt >= mint);
  }

  async cursors(q: CursorQuery, signal?: AbortSignal): Promise<readonly StreamCursor[]> {
    if (this.#closed) throw new StoreClosedError();
    const plan = planSearch(q);
    const hints = hintGroups(q);
    const { mint, maxt } = q;
    // Snapshot synchronously, so a chunk cut while filters load is seen exactly once.
    const snap = this.#streams(q.matchers, mint, maxt).map((s) => ({
      s,
      chunks: s.chunks.filter((c) => c.header.mint <= maxt && c.header.maxt >= mint),
      heads: [...s.cutting, s.head].filter((h) => h.count > 0 && h.mint <= maxt && h.maxt >= mint),
    }));
    const out: StreamCursor[] = [];
    for (const { s, chunks, heads } of snap) {
      signal?.throwIfAborted();
      const sources: Source[] = [];
      for (const c of chunks) {
        if (plan.items.length > 0) {
          const f = await this.#reader.filter(c);
          if (f !== undefined && !f.mayContainAll(plan.items)) continue;
        }
        const bs = c.header.blocks;
        for (let b = 0; b < bs.length; b++) if (bs[b]!.mint <= maxt && bs[b]!.maxt >= mint) sources.push(diskSource(this.#reader, c, b));
      }
      // Heads are not filtered: they are small and in memory, the block search is cheap there.
      for (const h of heads) sources.push(...headSources(h, mint, maxt));
      const hinted = q.hints !== undefined && !q.hints.exceptStreamsWith.some((n) => s.labels.has(n));
      // A stream with a label of a requested JSON field name: `| json` renames the field, read lines.
      const jsonFields = q.jsonFields !== undefined && !q.jsonFields.some((n) => s.labels.has(n)) ? q.jsonFields : undefined;
      if (sources.length > 0) out.push(new SourceCursor(s.labels, sources, q, { ...plan, hints: hinted ? hints : [], jsonFields }));
    }
    return out;
  }

  async *select(q: SelectQuery, signal?: AbortSignal): AsyncIterable<StreamBatch> {
    const cursors = await this.cursors({ ...q, lines: true }, signal);
    yield* mergeCursors(cursors, q.direction, q.limit, signal);
  }

  async indexStats(matchers: readonly Matcher[], mint: number, maxt: number): Promise<IndexStats> {
    let streams = 0;
    let chunks = 0;
    let entries = 0;
    let bytes = 0;
    for (const s of this.#streams(matchers, mint, maxt)) {
      streams++;
      for (const c of s.chunks) {
        if (c.header.mint > maxt || c.header.maxt < mint) continue;
        chunks++;
        entries += c.header.count;
        bytes += c.header.textBytes;
      }
      for (const h of [...s.cutting, s.head]) {
        if (h.count === 0 || h.mint > maxt || h.maxt < mint) continue;
        chunks++;
        entries += h.count;
        bytes += h.textBytes;
      }
    }
    return { streams, chunks, entries, bytes };
  }

  async labelNames(mint: number, maxt: number, matchers: readonly Matcher[] = []): Promise<readonly string[]> {
    return StreamIndex.labelNames(this.#streams(matchers, mint, maxt));
  }

  async labelValues(name: string, mint: number, maxt: number, matchers: readonly Matcher[] = []): Promise<readonly string[]> {
    return StreamIndex.labelValues(this.#streams(matchers, mint, maxt), name);
  }

  async series(matchers: readonly Matcher[], mint: number, maxt: number): Promise<readonly Labels[]> {
    return StreamIndex.sortedLabels(this.#streams(matchers, mint, maxt));
  }

  /** diskBytes reports the bytes of chunk segments and WAL segments. */
  diskBytes(): { chunks: number; wal: number } {
    let chunks = 0;
    for (const app of this.#segments.apps()) chunks += this.#segments.bytesOf(app);
    return { chunks, wal: this.#wal.size() };
  }

  /** close flushes, stops maintenance and closes every file. Later calls reject with StoreClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await Promise.allSettled([...this.#tasks]);
      await this.#wal.close();
      await this.#segments.close();
      await this.#packer.close();
    }
  }
}

// sameBytes compares a[as, ae) with b[bs, be).
function sameBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

function peekRef(p: Uint8Array): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 8 && i < p.length; i++) {
    const b = p[i]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return v;
    mul *= 0x80;
  }
  return v;
}

function makeMetrics(r: Registry, store: DiskLogStore): Metrics {
  const m: Metrics = {
    entries: r.counter({ name: 'vigil_logs_appended_entries_total', help: 'Log entries appended to the store.' }).labels(),
    bytes: r.counter({ name: 'vigil_logs_appended_bytes_total', help: 'UTF-8 bytes of log lines appended to the store.' }).labels(),
    rejected: r.counter({ name: 'vigil_logs_rejected_appends_total', help: 'Append batches rejected because the WAL could not be written.' }).labels(),
    chunks: r.counter({ name: 'vigil_logs_chunks_written_total', help: 'Chunks written to segment files.' }).labels(),
    chunkBytes: r.counter({ name: 'vigil_logs_chunk_bytes_written_total', help: 'Bytes of chunks written to segment files.' }).labels(),
    corrupt: r.counter({ name: 'vigil_logs_corrupt_chunks_total', help: 'Corrupt chunks (or parts of chunks) found and skipped.' }).labels(),
    deletedSegments: r.counter({ name: 'vigil_logs_retention_deleted_segments_total', help: 'Chunk segment files deleted by retention.' }).labels(),
  };
  r.collect((w) => {
    w.family('vigil_logs_memory_entries', 'gauge', 'Entries held only in memory (and the WAL), not yet in chunks.');
    w.sample('vigil_logs_memory_entries', [], store.memoryEntries);
    w.family('vigil_logs_streams', 'gauge', 'Streams in the log store.');
    w.sample('vigil_logs_streams', [], store.streamCount);
  });
  return m;
}
