/**
 * LineBatch: entries of one or more streams, column-wise, with the lines as UTF-8 bytes in one
 * buffer. Receivers that decode bytes (the Loki JSON push scanner) hand entries to the store in
 * this form, so that no string and no object is made per line; the store writes the bytes to
 * its WAL and heads as they are.
 * @module
 */
import type { Labels } from '../../model/index.js';
import type { EntryFields, LogEntry, LogStore } from './interface.js';

/**
 * LineBatch is a run-length list of streams over column-wise entries. Run r holds entries
 * [runEnd[r − 1], runEnd[r]) (from 0 for r = 0) of the stream `runLabels[r]`; several runs may
 * name the same stream, and then append in run order. Entry i has time t[i] ms + ns[i] ns and
 * the line bytes[start[i], end[i]), which must be valid UTF-8. Arrays may be longer than the
 * counts; only the first `count` (`runs`) slots are valid.
 */
export interface LineBatch {
  readonly count: number;
  readonly t: Float64Array;
  readonly ns: Int32Array;
  readonly bytes: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Structured fields per entry, or undefined when no entry has any. */
  readonly fields: readonly EntryFields[] | undefined;
  readonly runs: number;
  readonly runLabels: readonly Labels[];
  readonly runEnd: Int32Array;
}

/**
 * LineBatchAppender is a store that takes LineBatches directly. `appendBatch` means what
 * `append` of each run in order means, but is atomic: it resolves once every entry is durable
 * and rejects without having stored any of them.
 */
export interface LineBatchAppender {
  appendBatch(batch: LineBatch, signal?: AbortSignal): Promise<void>;
}

/** LineBatchBuilder collects a LineBatch whose lines are byte ranges of one buffer (`setBytes`). */
export class LineBatchBuilder implements LineBatch {
  count = 0;
  t: Float64Array;
  ns: Int32Array;
  bytes: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  fields: EntryFields[] | undefined;
  runs = 0;
  readonly runLabels: Labels[] = [];
  runEnd: Int32Array;

  /** The arrays start with room for `entries` entries (they grow as needed). */
  constructor(entries = 256) {
    const n = Math.max(16, entries);
    this.t = new Float64Array(n);
    this.ns = new Int32Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.runEnd = new Int32Array(16);
    this.bytes = EMPTY;
  }

  /** setBytes sets the buffer that addRange's offsets index. */
  setBytes(b: Uint8Array): void {
    this.bytes = b;
  }

  /** beginRun starts a run of `labels` (may be replaced with setRunLabels); entries added next belong to it. */
  beginRun(labels: Labels): void {
    if (this.runs === this.runEnd.length) this.runEnd = grow32(this.runEnd, this.runs * 2);
    this.runLabels[this.runs] = labels;
    this.runEnd[this.runs] = this.count;
    this.runs++;
  }

  /** setRunLabels sets the labels of the current run (when they are known only after its entries). */
  setRunLabels(labels: Labels): void {
    if (this.runs === 0) throw new Error('LineBatchBuilder: no run');
    this.runLabels[this.runs - 1] = labels;
  }

  /** addRange adds an entry whose line is bytes[start, end) of the buffer given to setBytes. */
  addRange(t: number, ns: number, start: number, end: number, fields?: EntryFields): void {
    const i = this.count;
    if (i === this.t.length) this.#grow();
    this.t[i] = t;
    this.ns[i] = ns;
    this.start[i] = start;
    this.end[i] = end;
    if (fields !== undefined) {
      this.fields ??= new Array<EntryFields>(i).fill(undefined);
      this.fields[i] = fields;
    } else if (this.fields !== undefined) {
      this.fields[i] = undefined;
    }
    this.count = i + 1;
    this.runEnd[this.runs - 1] = this.count;
  }

  #grow(): void {
    const n = this.t.length * 2;
    const t = new Float64Array(n);
    t.set(this.t);
    this.t = t;
    this.ns = grow32(this.ns, n);
    this.start = grow32(this.start, n);
    this.end = grow32(this.end, n);
  }
}

const EMPTY = new Uint8Array(0);

function grow32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** lineBatchOf makes a one-run LineBatch of entries (their lines encoded as UTF-8). */
export function lineBatchOf(stream: Labels, entries: readonly LogEntry[]): LineBatch {
  let chars = 0;
  for (let i = 0; i < entries.length; i++) chars += entries[i]!.line.length;
  const b = new LineBatchBuilder(entries.length);
  const buf = Buffer.allocUnsafe(Math.max(16, chars * 3));
  b.setBytes(buf);
  b.beginRun(stream);
  let used = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const n = e.line.length === 0 ? 0 : buf.write(e.line, used, 'utf8');
    b.addRange(e.t, e.ns, used, used + n, e.fields);
    used += n;
  }
  return b;
}

/** batchEntries decodes entries [from, to) of a batch (the slow form, for listeners and plain stores). */
export function batchEntries(batch: LineBatch, from: number, to: number): LogEntry[] {
  const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.length);
  const out: LogEntry[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const line = buf.toString('utf8', batch.start[i]!, batch.end[i]!);
    const f = batch.fields?.[i];
    out[i - from] = f === undefined ? { t: batch.t[i]!, ns: batch.ns[i]!, line } : { t: batch.t[i]!, ns: batch.ns[i]!, line, fields: f };
  }
  return out;
}

/**
 * appendLineBatch appends a batch to any LogStore: with `appendBatch` where the store has it,
 * else run by run with `append` (then not atomic: runs before a failed one stay stored).
 */
export async function appendLineBatch(store: LogStore, batch: LineBatch, signal?: AbortSignal): Promise<void> {
  const direct = (store as Partial<LineBatchAppender>).appendBatch;
  if (typeof direct === 'function') return direct.call(store, batch, signal);
  // Runs of the same stream go in one append, in order, as a receiver batching by stream would.
  const groups = new Map<string, { labels: Labels; entries: LogEntry[] }>();
  for (let r = 0; r < batch.runs; r++) {
    const labels = batch.runLabels[r]!;
    const k = labels.key();
    const g = groups.get(k);
    const es = batchEntries(batch, r === 0 ? 0 : batch.runEnd[r - 1]!, batch.runEnd[r]!);
    if (g === undefined) groups.set(k, { labels, entries: es });
    else for (const e of es) g.entries.push(e);
  }
  const results = await Promise.allSettled([...groups.values()].map((g) => store.append(g.labels, g.entries, signal)));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
