/**
 * DiskQueue: the shipper's durable buffer of sealed batches, kept in a segmented write-ahead
 * log (src/wal: 32 KiB pages, CRC-32C per fragment), one record per batch:
 *
 * ```
 * ┌────────────┬─────────────┬─────────────────┬───────────┬────────────────┬─────────────────┬───────────────────┬──────────┐
 * │ version u8 │ seq uvarint │ entries uvarint │ format u8 │ compression u8 │ posLen uvarint  │ positions (JSON)  │ body     │
 * │ = 1        │             │                 │           │                │                 │ posLen bytes      │ the rest │
 * └────────────┴─────────────┴─────────────────┴───────────┴────────────────┴─────────────────┴───────────────────┴──────────┘
 * ```
 *
 * `positions` maps each source that has entries in the batch to its position after them
 * (`null` when the source is forgotten). Batches are sent oldest first; an acknowledged batch
 * leaves the queue and whole segments of acknowledged batches are deleted. When the queue
 * grows past `maxBytes` its oldest segment is dropped, counting its batches and entries.
 * Bodies stay in memory only for the segment being written and the segment being sent; a
 * backlog is read back from disk a segment at a time.
 * @module
 */
import { readUvarint, putUvarint, uvarintSize } from '../../encoding/index.js';
import type { Counter, Gauge, Registry } from '../../instrument/index.js';
import { CorruptionError, PAGE_SIZE, SyncPolicy, Wal, WalReader, listSegments, repairSegment } from '../../wal/index.js';
import { QueueRecordError, ShipOptionError } from './errors.js';

/** BatchFormat names the wire format of a batch body. */
export const BatchFormat = {
  /** vigil's `POST /api/vigil/logs` NDJSON envelopes `{ts, labels, line, fields}`. */
  VigilNdjson: 0,
  /** Loki's `POST /loki/api/v1/push` JSON, entries with structured metadata. */
  LokiJson: 1,
} as const;
/** One of BatchFormat's values. */
export type BatchFormat = (typeof BatchFormat)[keyof typeof BatchFormat];

/** BodyCompression names the Content-Encoding of a batch body. */
export const BodyCompression = { None: 0, Gzip: 1, Snappy: 2 } as const;
/** One of BodyCompression's values. */
export type BodyCompression = (typeof BodyCompression)[keyof typeof BodyCompression];

/** Positions maps source ids to their JSON-serializable positions (`null`: forget the source). */
export type Positions = Readonly<Record<string, unknown>>;

/** SealedBatch is a batch ready to be queued and sent. */
export interface SealedBatch {
  readonly seq: number;
  readonly entries: number;
  readonly format: BatchFormat;
  readonly compression: BodyCompression;
  readonly positions: Positions;
  readonly body: Buffer;
}

/** QueuedBatch is a batch in the queue; its body may be on disk only (see DiskQueue.body). */
export interface QueuedBatch {
  readonly seq: number;
  readonly entries: number;
  readonly format: BatchFormat;
  readonly compression: BodyCompression;
  readonly positions: Positions;
  /** The WAL segment holding it. */
  readonly segment: number;
  readonly bodyBytes: number;
}

/** DiskQueueOptions configure a DiskQueue. */
export interface DiskQueueOptions {
  /** Directory of the queue's segment files; created when missing. */
  readonly dir: string;
  /** Largest size of the queue on disk (default 256 MiB); past it the oldest segment is dropped. */
  readonly maxBytes?: number;
  /** Segment file size, a multiple of 32 KiB (default: maxBytes / 8, at most 8 MiB, at least 128 KiB). */
  readonly segmentBytes?: number;
  /** fsync every appended batch (default true); false survives process crashes but not power loss. */
  readonly fsync?: boolean;
  /** Batches with seq ≤ ackedSeq found on disk were already delivered and are skipped. */
  readonly ackedSeq?: number;
  readonly registry?: Registry;
}

/** DropReport tells what one append had to drop to stay under the size cap. */
export interface DropReport {
  readonly batches: number;
  readonly entries: number;
}

interface Slot {
  readonly b: QueuedBatch;
  body: Buffer | undefined;
}

const VERSION = 1;
const MIN_SEGMENT = 4 * PAGE_SIZE;
const MAX_DEFAULT_SEGMENT = 8 << 20;

/** DiskQueue holds sealed batches until they are acknowledged. Not safe for concurrent appends. */
export class DiskQueue {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly #wal: Wal;
  readonly #slots: Slot[] = [];
  #head = 0;
  #lastSeq: number;
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly #m: { batches: Gauge; bytes: Gauge; droppedBatches: Counter; droppedEntries: Counter; corrupt: Counter } | undefined;
  #droppedBatches = 0;
  #droppedEntries = 0;

  private constructor(opts: DiskQueueOptions) {
    const { dir, maxBytes = 256 << 20, fsync = true, ackedSeq = 0 } = opts;
    if (!Number.isInteger(maxBytes) || maxBytes < 2 * MIN_SEGMENT) throw new ShipOptionError('maxBytes', `must be an integer ≥ ${2 * MIN_SEGMENT}, got ${maxBytes}`);
    const def = Math.max(MIN_SEGMENT, Math.min(MAX_DEFAULT_SEGMENT, Math.floor(maxBytes / 8 / PAGE_SIZE) * PAGE_SIZE));
    const segmentBytes = opts.segmentBytes ?? def;
    if (!Number.isInteger(segmentBytes) || segmentBytes < MIN_SEGMENT || segmentBytes % PAGE_SIZE !== 0) {
      throw new ShipOptionError('segmentBytes', `must be a multiple of ${PAGE_SIZE} and ≥ ${MIN_SEGMENT}, got ${segmentBytes}`);
    }
    if (segmentBytes * 2 > maxBytes) throw new ShipOptionError('segmentBytes', `must be at most half of maxBytes (${maxBytes}), got ${segmentBytes}`);
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = segmentBytes;
    this.#lastSeq = ackedSeq;
    const r = opts.registry;
    this.#m =
      r === undefined
        ? undefined
        : {
            batches: r.gauge({ name: 'vigil_agent_ship_queue_batches', help: 'Batches in the disk queue waiting for acknowledgement.' }).labels(),
            bytes: r.gauge({ name: 'vigil_agent_ship_queue_bytes', help: 'Size of the disk queue segment files.' }).labels(),
            droppedBatches: r.counter({ name: 'vigil_agent_ship_dropped_batches_total', help: 'Batches dropped unsent because the disk queue was full.' }).labels(),
            droppedEntries: r.counter({ name: 'vigil_agent_ship_dropped_entries_total', help: 'Log entries dropped unsent because the disk queue was full.' }).labels(),
            corrupt: r.counter({ name: 'vigil_agent_ship_queue_corruptions_total', help: 'Damaged disk queue segments cut at their last intact batch on start.' }).labels(),
          };
    this.#replay(ackedSeq);
    this.#wal = Wal.open({ dir, segmentSize: segmentBytes, compression: 'none', sync: fsync ? SyncPolicy.Always : SyncPolicy.Segment });
    // Segments whose batches were all delivered before the restart are no longer needed.
    this.#wal.truncate(this.#slots.length > 0 ? this.#slots[0]!.b.segment : this.#wal.currentSegment());
    this.#gauges();
  }

  /** open opens (creating when needed) the queue in `opts.dir` and loads the undelivered batches. */
  static open(opts: DiskQueueOptions): DiskQueue {
    return new DiskQueue(opts);
  }

  /** lastSeq is the sequence number of the newest batch ever queued (or the acknowledged one). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** length is the number of batches waiting. */
  get length(): number {
    return this.#slots.length - this.#head;
  }

  /** bytes is the size of the queue's files. */
  get bytes(): number {
    return this.#wal.size();
  }

  /** dropped counts what the size cap dropped since open. */
  get dropped(): DropReport {
    return { batches: this.#droppedBatches, entries: this.#droppedEntries };
  }

  /** pending lists the waiting batches, oldest first. */
  *pending(): IterableIterator<QueuedBatch> {
    for (let i = this.#head; i < this.#slots.length; i++) yield this.#slots[i]!.b;
  }

  /** head returns the oldest waiting batch. */
  head(): QueuedBatch | undefined {
    return this.#slots[this.#head]?.b;
  }

  /**
   * append queues a batch (its seq must be above lastSeq) and resolves once it is durable. When
   * the queue is then over its size cap, the oldest segment is dropped (never the batch at the
   * head while `inFlight` is its seq) and what was lost is reported.
   */
  async append(batch: SealedBatch, inFlight = -1): Promise<DropReport> {
    if (this.#closed) throw new Error(`disk queue ${this.dir} is closed`);
    if (batch.seq <= this.#lastSeq) throw new Error(`disk queue: batch ${batch.seq} is not after ${this.#lastSeq}`);
    const rec = encodeRecord(batch);
    if (rec.length > this.segmentBytes - PAGE_SIZE) throw new ShipOptionError('maxBatchBytes', `a batch of ${rec.length} bytes does not fit a queue segment of ${this.segmentBytes} bytes`);
    await this.#wal.log([rec]);
    this.#lastSeq = batch.seq;
    const segment = this.#wal.currentSegment();
    const b: QueuedBatch = { seq: batch.seq, entries: batch.entries, format: batch.format, compression: batch.compression, positions: batch.positions, segment, bodyBytes: batch.body.length };
    this.#slots.push({ b, body: batch.body });
    const dropped = this.#enforceCap(inFlight);
    this.#trimMemory();
    this.#gauges();
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
    return dropped;
  }

  /** body returns a batch's body, reading its segment back from disk when it is not in memory. */
  body(b: QueuedBatch): Buffer {
    const slot = this.#find(b.seq);
    if (slot === undefined) throw new Error(`disk queue: batch ${b.seq} is not queued`);
    if (slot.body !== undefined) return slot.body;
    this.#load(b.segment);
    if (slot.body === undefined) throw new QueueRecordError(this.dir, b.segment, 0, `batch ${b.seq} is missing from its segment`);
    return slot.body;
  }

  /**
   * ack removes the batch `seq` (normally the head) after the server acknowledged it and deletes
   * segments that hold nothing undelivered any more. Unknown seqs (dropped meanwhile) are ignored.
   */
  ack(seq: number): QueuedBatch | undefined {
    let i = this.#head;
    while (i < this.#slots.length && this.#slots[i]!.b.seq < seq) i++;
    const slot = this.#slots[i];
    if (slot === undefined || slot.b.seq !== seq) return undefined;
    if (i === this.#head) {
      this.#slots[i] = undefined as unknown as Slot;
      this.#head++;
    } else {
      this.#slots.splice(i, 1);
    }
    this.#compact();
    const next = this.#slots[this.#head];
    this.#wal.truncate(next === undefined ? this.#wal.currentSegment() : next.b.segment);
    this.#trimMemory();
    this.#gauges();
    return slot.b;
  }

  /** wait resolves when a batch is queued (at once when one is waiting) or the signal aborts. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** close closes the log (the queued batches stay on disk for the next open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
    await this.#wal.close();
  }

  #find(seq: number): Slot | undefined {
    // Batches are in seq order: binary search.
    let lo = this.#head;
    let hi = this.#slots.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#slots[mid]!;
      if (s.b.seq === seq) return s;
      if (s.b.seq < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#slots.length) {
      this.#slots.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #enforceCap(inFlight: number): DropReport {
    let batches = 0;
    let entries = 0;
    while (this.#wal.size() > this.maxBytes) {
      const segs = listSegments(this.dir);
      const oldest = segs[0];
      if (oldest === undefined || oldest.index >= this.#wal.currentSegment()) break;
      const keep: Slot[] = [];
      while (this.#head < this.#slots.length && this.#slots[this.#head]!.b.segment <= oldest.index) {
        const s = this.#slots[this.#head]!;
        if (s.b.seq === inFlight) keep.push(s);
        else {
          batches++;
          entries += s.b.entries;
        }
        this.#head++;
      }
      // The batch being sent stays (in memory) so its acknowledgement still finds it.
      for (let k = keep.length - 1; k >= 0; k--) this.#slots[--this.#head] = keep[k]!;
      this.#wal.truncate(oldest.index + 1);
    }
    this.#compact();
    if (batches > 0) {
      this.#droppedBatches += batches;
      this.#droppedEntries += entries;
      this.#m?.droppedBatches.inc(batches);
      this.#m?.droppedEntries.inc(entries);
    }
    return { batches, entries };
  }

  // Bodies are kept only for the segment being written and the segment of the head.
  #trimMemory(): void {
    const cur = this.#wal.currentSegment();
    const headSeg = this.#slots[this.#head]?.b.segment ?? cur;
    for (let i = this.#head; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      if (s.body !== undefined && s.b.segment !== cur && s.b.segment !== headSeg) s.body = undefined;
    }
  }

  #load(segment: number): void {
    const r = new WalReader({ dir: this.dir, from: segment, to: segment });
    try {
      while (r.next()) {
        const rec = decodeRecord(r.record(), this.dir, segment, r.offset(), true);
        const slot = this.#find(rec.seq);
        if (slot !== undefined && slot.body === undefined) slot.body = rec.body;
      }
      const err = r.err();
      if (err !== undefined) throw err;
    } finally {
      r.close();
    }
  }

  #replay(ackedSeq: number): void {
    let from: number | undefined;
    for (;;) {
      const r = new WalReader({ dir: this.dir, from });
      let err: Error | undefined;
      try {
        while (r.next()) {
          const seg = r.segment();
          const rec = decodeRecord(r.record(), this.dir, seg, r.offset(), false);
          if (rec.seq <= this.#lastSeq) continue;
          this.#lastSeq = rec.seq;
          if (rec.seq <= ackedSeq) continue;
          this.#slots.push({ b: { seq: rec.seq, entries: rec.entries, format: rec.format, compression: rec.compression, positions: rec.positions, segment: seg, bodyBytes: rec.bodyBytes }, body: undefined });
        }
        err = r.err();
      } finally {
        r.close();
      }
      if (err === undefined) return;
      if (!(err instanceof CorruptionError)) throw err;
      // A torn or damaged segment: keep what is intact before the damage and go on after it.
      this.#m?.corrupt.inc();
      repairSegment(this.dir, err.segment, err.offset);
      from = err.segment + 1;
    }
  }

  #gauges(): void {
    if (this.#m === undefined) return;
    this.#m.batches.set(this.length);
    this.#m.bytes.set(this.#wal.size());
  }
}

interface DecodedRecord {
  readonly seq: number;
  readonly entries: number;
  readonly format: BatchFormat;
  readonly compression: BodyCompression;
  readonly positions: Positions;
  readonly bodyBytes: number;
  readonly body: Buffer | undefined;
}

/** encodeRecord lays a batch out as one queue record. */
export function encodeRecord(b: SealedBatch): Buffer {
  const pos = Buffer.from(JSON.stringify(b.positions));
  const head = 1 + uvarintSize(b.seq) + uvarintSize(b.entries) + 2 + uvarintSize(pos.length);
  const out = Buffer.allocUnsafe(head + pos.length + b.body.length);
  let o = 0;
  out[o++] = VERSION;
  o = putUvarint(out, o, b.seq);
  o = putUvarint(out, o, b.entries);
  out[o++] = b.format;
  out[o++] = b.compression;
  o = putUvarint(out, o, pos.length);
  o += pos.copy(out, o);
  b.body.copy(out, o);
  return out;
}

/** decodeRecord reads a queue record; with `withBody` the body is copied out. */
export function decodeRecord(rec: Uint8Array, dir: string, segment: number, offset: number, withBody: boolean): DecodedRecord {
  const fail = (detail: string, cause?: unknown): never => {
    throw new QueueRecordError(dir, segment, offset, detail, cause === undefined ? undefined : { cause });
  };
  if (rec.length < 6) fail(`record of ${rec.length} bytes is too short`);
  if (rec[0] !== VERSION) fail(`unknown record version ${rec[0]}`);
  const cur = { off: 1 };
  let seq = 0;
  let entries = 0;
  let posLen = 0;
  try {
    seq = readUvarint(rec, cur);
    entries = readUvarint(rec, cur);
  } catch (e) {
    fail('bad varint in the record header', e);
  }
  const format = rec[cur.off++];
  const compression = rec[cur.off++];
  if (format !== BatchFormat.VigilNdjson && format !== BatchFormat.LokiJson) fail(`unknown batch format ${format}`);
  if (compression !== BodyCompression.None && compression !== BodyCompression.Gzip && compression !== BodyCompression.Snappy) fail(`unknown compression ${compression}`);
  try {
    posLen = readUvarint(rec, cur);
  } catch (e) {
    fail('bad varint in the record header', e);
  }
  if (cur.off + posLen > rec.length) fail(`positions of ${posLen} bytes run past the record's ${rec.length} bytes`);
  let positions: Positions = {};
  try {
    const v: unknown = JSON.parse(Buffer.from(rec.buffer, rec.byteOffset + cur.off, posLen).toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('positions are not a JSON object');
    positions = v as Positions;
  } catch (e) {
    if (e instanceof QueueRecordError) throw e;
    fail('positions are not valid JSON', e);
  }
  const bodyStart = cur.off + posLen;
  const body = withBody ? Buffer.from(rec.subarray(bodyStart)) : undefined;
  return { seq, entries, format: format as BatchFormat, compression: compression as BodyCompression, positions, bodyBytes: rec.length - bodyStart, body };
}
