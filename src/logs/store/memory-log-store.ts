/**
 * MemoryLogStore: an in-memory LogStore for tests and the gateway until the real store is
 * wired. Entries of a stream are appended as they come (O(1) per entry) and put in time order,
 * stably, the first time a query reads a stream that received an out-of-order entry.
 * @module
 */
import { compareStrings, matchesAll, type Labels, type Matcher } from '../../model/index.js';
import { mergeCursors } from './cursor-merge.js';
import {
  compareEntryTime,
  type AppendListener,
  type CursorQuery,
  type EntryBatch,
  type EntryFields,
  type IndexStats,
  type LogEntry,
  type QueryableLogStore,
  type SelectQuery,
  type StreamBatch,
  type StreamCursor,
} from './interface.js';

interface MemStream {
  readonly labels: Labels;
  readonly entries: LogEntry[];
  /** False once an entry older than the last one was appended, until the next query sorts. */
  sorted: boolean;
  /** Time of the newest entry appended while sorted. */
  lastT: number;
  lastNs: number;
}

/** MemoryLogStore keeps every entry in arrays. */
export class MemoryLogStore implements QueryableLogStore {
  readonly #streams = new Map<string, MemStream>();
  readonly #listeners = new Set<AppendListener>();
  #count = 0;

  /** entryCount returns the number of entries stored. */
  get entryCount(): number {
    return this.#count;
  }

  async append(stream: Labels, entries: readonly LogEntry[]): Promise<void> {
    const k = stream.key();
    let s = this.#streams.get(k);
    if (s === undefined) {
      s = { labels: stream, entries: [], sorted: true, lastT: -Infinity, lastNs: 0 };
      this.#streams.set(k, s);
    }
    const list = s.entries;
    let sorted = s.sorted;
    let lastT = s.lastT;
    let lastNs = s.lastNs;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      list.push(e);
      if (!sorted) continue;
      if (e.t > lastT || (e.t === lastT && e.ns >= lastNs)) {
        lastT = e.t;
        lastNs = e.ns;
      } else {
        sorted = false;
      }
    }
    s.sorted = sorted;
    s.lastT = lastT;
    s.lastNs = lastNs;
    this.#count += entries.length;
    for (const l of this.#listeners) l(stream, entries);
  }

  /** Puts a stream's entries in time order (stable: equal times keep their append order). */
  #ordered(s: MemStream): MemStream {
    if (!s.sorted) {
      s.entries.sort(compareEntryTime);
      s.sorted = true;
      const last = s.entries[s.entries.length - 1]!;
      s.lastT = last.t;
      s.lastNs = last.ns;
    }
    return s;
  }

  #matching(matchers: readonly Matcher[], mint: number, maxt: number): MemStream[] {
    const out: MemStream[] = [];
    for (const s of this.#streams.values()) {
      if (matchesAll(matchers, (n) => s.labels.get(n)) && s.entries.some((e) => e.t >= mint && e.t <= maxt)) out.push(this.#ordered(s));
    }
    return out;
  }

  async *select(q: SelectQuery, signal?: AbortSignal): AsyncIterable<StreamBatch> {
    const cursors = await this.cursors({ ...q, lines: true }, signal);
    yield* mergeCursors(cursors, q.direction, q.limit, signal);
  }

  async cursors(q: CursorQuery, _signal?: AbortSignal): Promise<readonly StreamCursor[]> {
    const out: StreamCursor[] = [];
    for (const s of this.#matching(q.matchers, q.mint, q.maxt)) {
      const picked: LogEntry[] = [];
      for (const e of s.entries) {
        if (e.t < q.mint || e.t > q.maxt) continue;
        if (q.needles !== undefined && !q.needles.every((n) => e.line.includes(n))) continue;
        if (q.foldedNeedles !== undefined && !q.foldedNeedles.every((n) => foldAscii(e.line).includes(foldAscii(n)))) continue;
        if (q.filter && !q.filter(e.line)) continue;
        picked.push(e);
      }
      if (q.direction === 'backward') picked.reverse();
      if (picked.length > 0) out.push(new ArrayCursor(s.labels, picked, q.lines));
    }
    return out;
  }

  async indexStats(matchers: readonly Matcher[], mint: number, maxt: number): Promise<IndexStats> {
    let entries = 0;
    let bytes = 0;
    const ss = this.#matching(matchers, mint, maxt);
    for (const s of ss) {
      for (const e of s.entries) {
        if (e.t < mint || e.t > maxt) continue;
        entries++;
        bytes += Buffer.byteLength(e.line);
      }
    }
    return { streams: ss.length, chunks: ss.length, entries, bytes };
  }

  async flush(): Promise<void> {}

  subscribe(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async labelNames(mint: number, maxt: number, matchers: readonly Matcher[] = []): Promise<readonly string[]> {
    const names = new Set<string>();
    for (const s of this.#matching(matchers, mint, maxt)) s.labels.forEach((n) => names.add(n));
    return [...names].sort(compareStrings);
  }

  async labelValues(name: string, mint: number, maxt: number, matchers: readonly Matcher[] = []): Promise<readonly string[]> {
    const vals = new Set<string>();
    for (const s of this.#matching(matchers, mint, maxt)) {
      const v = s.labels.get(name);
      if (v !== '') vals.add(v);
    }
    return [...vals].sort(compareStrings);
  }

  async series(matchers: readonly Matcher[], mint: number, maxt: number): Promise<readonly Labels[]> {
    return this.#matching(matchers, mint, maxt)
      .map((s) => s.labels)
      .sort((a, b) => a.compare(b));
  }

  async close(): Promise<void> {}
}

function foldAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** ArrayCursor serves a ready list of entries as one batch. */
class ArrayCursor implements StreamCursor {
  #done = false;
  constructor(
    readonly labels: Labels,
    readonly entries: readonly LogEntry[],
    readonly withLines: boolean,
  ) {}

  async next(): Promise<EntryBatch | undefined> {
    if (this.#done) return undefined;
    this.#done = true;
    const n = this.entries.length;
    const t = new Float64Array(n);
    const ns = new Int32Array(n);
    const bytes = new Int32Array(n);
    const lines: string[] = [];
    let fields: EntryFields[] | undefined;
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      t[i] = e.t;
      ns[i] = e.ns;
      bytes[i] = Buffer.byteLength(e.line);
      if (this.withLines) lines.push(e.line);
      if (e.fields !== undefined) {
        fields ??= new Array<EntryFields>(n).fill(undefined);
        fields[i] = e.fields;
      }
    }
    return { count: n, t, ns, bytes, lines: this.withLines ? lines : undefined, fields };
  }
}
