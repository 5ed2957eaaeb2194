/**
 * MemoryLogStore: an in-memory LogStore for tests and the gateway until the real store is
 * wired. Entries of a stream are appended as they come (O(1) per entry) and put in time order,
 * stably, the first time a query reads a stream that received an out-of-order entry.
 * @module
 */
import { compareStrings, matchesAll, type Labels, type Matcher } from '../../model/index.js';
import { mergeCursors } from './cursor-merge.js';
import {
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
  // Entries column-wise (no object kept per entry): times, lines and fields by position.
  t: number[];
  ns: number[];
  lines: string[];
  fields: EntryFields[];
  /** Entries with fields (0: `fields` holds only undefined). */
  withFields: number;
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
      s = { labels: stream, t: [], ns: [], lines: [], fields: [], withFields: 0, sorted: true, lastT: -Infinity, lastNs: 0 };
      this.#streams.set(k, s);
    }
    const { t, ns, lines, fields } = s;
    let sorted = s.sorted;
    let lastT = s.lastT;
    let lastNs = s.lastNs;
    let withFields = s.withFields;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      t.push(e.t);
      ns.push(e.ns);
      lines.push(e.line);
      fields.push(e.fields);
      if (e.fields !== undefined) withFields++;
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
    s.withFields = withFields;
    this.#count += entries.length;
    for (const l of this.#listeners) l(stream, entries);
  }

  /** Puts a stream's entries in time order (stable: equal times keep their append order). */
  #ordered(s: MemStream): MemStream {
    if (s.sorted) return s;
    const { t, ns, lines, fields } = s;
    const order = Array.from({ length: t.length }, (_, i) => i);
    order.sort((a, b) => t[a]! - t[b]! || ns[a]! - ns[b]! || a - b);
    s.t = order.map((i) => t[i]!);
    s.ns = order.map((i) => ns[i]!);
    s.lines = order.map((i) => lines[i]!);
    s.fields = order.map((i) => fields[i]);
    s.sorted = true;
    s.lastT = s.t[s.t.length - 1]!;
    s.lastNs = s.ns[s.ns.length - 1]!;
    return s;
  }

  #matching(matchers: readonly Matcher[], mint: number, maxt: number): MemStream[] {
    const out: MemStream[] = [];
    for (const s of this.#streams.values()) {
      if (matchesAll(matchers, (n) => s.labels.get(n)) && anyIn(s.t, mint, maxt)) out.push(this.#ordered(s));
    }
    return out;
  }

  async *select(q: SelectQuery, signal?: AbortSignal): AsyncIterable<StreamBatch> {
    const cursors = await this.cursors({ ...q, lines: true }, signal);
    yield* mergeCursors(cursors, q.direction, q.limit, signal);
  }

  async cursors(q: CursorQuery, _signal?: AbortSignal): Promise<readonly StreamCursor[]> {
    const out: StreamCursor[] = [];
    const folded = q.foldedNeedles?.map(foldAscii);
    for (const s of this.#matching(q.matchers, q.mint, q.maxt)) {
      const picked: number[] = [];
      for (let i = 0; i < s.t.length; i++) {
        const t = s.t[i]!;
        if (t < q.mint || t > q.maxt) continue;
        const line = s.lines[i]!;
        if (q.needles !== undefined && !q.needles.every((n) => line.includes(n))) continue;
        if (folded !== undefined && !folded.every((n) => foldAscii(line).includes(n))) continue;
        if (q.filter && !q.filter(line)) continue;
        picked.push(i);
      }
      if (q.direction === 'backward') picked.reverse();
      if (picked.length > 0) out.push(new ArrayCursor(s, picked, q.lines));
    }
    return out;
  }

  async indexStats(matchers: readonly Matcher[], mint: number, maxt: number): Promise<IndexStats> {
    let entries = 0;
    let bytes = 0;
    const ss = this.#matching(matchers, mint, maxt);
    for (const s of ss) {
      for (let i = 0; i < s.t.length; i++) {
        const t = s.t[i]!;
        if (t < mint || t > maxt) continue;
        entries++;
        bytes += Buffer.byteLength(s.lines[i]!);
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

function anyIn(t: readonly number[], mint: number, maxt: number): boolean {
  for (let i = 0; i < t.length; i++) if (t[i]! >= mint && t[i]! <= maxt) return true;
  return false;
}

function foldAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** ArrayCursor serves picked entries of a stream (positions, in the query's direction) as one batch. */
class ArrayCursor implements StreamCursor {
  readonly labels: Labels;
  // The stream's columns as they are now: a later sort replaces them, appends only add to them.
  readonly #s: Pick<MemStream, 't' | 'ns' | 'lines' | 'fields' | 'withFields'>;
  readonly #picked: readonly number[];
  readonly #withLines: boolean;
  #done = false;

  constructor(s: MemStream, picked: readonly number[], withLines: boolean) {
    this.labels = s.labels;
    this.#s = { t: s.t, ns: s.ns, lines: s.lines, fields: s.fields, withFields: s.withFields };
    this.#picked = picked;
    this.#withLines = withLines;
  }

  async next(): Promise<EntryBatch | undefined> {
    if (this.#done) return undefined;
    this.#done = true;
    const s = this.#s;
    const picked = this.#picked;
    const n = picked.length;
    const t = new Float64Array(n);
    const ns = new Int32Array(n);
    const bytes = new Int32Array(n);
    const lines: string[] = [];
    let fields: EntryFields[] | undefined;
    for (let k = 0; k < n; k++) {
      const i = picked[k]!;
      t[k] = s.t[i]!;
      ns[k] = s.ns[i]!;
      const line = s.lines[i]!;
      bytes[k] = Buffer.byteLength(line);
      if (this.#withLines) lines.push(line);
      const f = s.withFields > 0 ? s.fields[i] : undefined;
      if (f !== undefined) {
        fields ??= new Array<EntryFields>(n).fill(undefined);
        fields[k] = f;
      }
    }
    return { count: n, t, ns, bytes, lines: this.#withLines ? lines : undefined, fields };
  }
}
