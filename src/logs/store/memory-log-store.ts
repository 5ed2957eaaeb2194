/**
 * MemoryLogStore: an in-memory LogStore for tests and the gateway until the real store is
 * wired. Entries of a stream are kept sorted by time.
 * @module
 */
import { compareStrings, matchesAll, type Labels, type Matcher } from '../../model/index.js';
import { compareEntryTime, type LogEntry, type LogStore, type SelectQuery, type StreamBatch } from './interface.js';

interface MemStream {
  readonly labels: Labels;
  readonly entries: LogEntry[];
}

/** MemoryLogStore keeps every entry in arrays. */
export class MemoryLogStore implements LogStore {
  readonly #streams = new Map<string, MemStream>();
  #count = 0;

  /** entryCount returns the number of entries stored. */
  get entryCount(): number {
    return this.#count;
  }

  async append(stream: Labels, entries: readonly LogEntry[]): Promise<void> {
    const k = stream.key();
    let s = this.#streams.get(k);
    if (s === undefined) {
      s = { labels: stream, entries: [] };
      this.#streams.set(k, s);
    }
    for (const e of entries) {
      const last = s.entries[s.entries.length - 1];
      if (last === undefined || compareEntryTime(last, e) <= 0) {
        s.entries.push(e);
      } else {
        let lo = 0;
        let hi = s.entries.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareEntryTime(s.entries[mid]!, e) <= 0) lo = mid + 1;
          else hi = mid;
        }
        s.entries.splice(lo, 0, e);
      }
    }
    this.#count += entries.length;
  }

  #matching(matchers: readonly Matcher[], mint: number, maxt: number): MemStream[] {
    return [...this.#streams.values()].filter(
      (s) => matchesAll(matchers, (n) => s.labels.get(n)) && s.entries.some((e) => e.t >= mint && e.t <= maxt),
    );
  }

  async *select(q: SelectQuery): AsyncIterable<StreamBatch> {
    const all: { labels: Labels; e: LogEntry }[] = [];
    for (const s of this.#matching(q.matchers, q.mint, q.maxt)) {
      for (const e of s.entries) {
        if (e.t < q.mint || e.t > q.maxt) continue;
        if (q.filter && !q.filter(e.line)) continue;
        all.push({ labels: s.labels, e });
      }
    }
    const dir = q.direction === 'forward' ? 1 : -1;
    all.sort((a, b) => dir * compareEntryTime(a.e, b.e) || a.labels.compare(b.labels));
    const picked = q.limit > 0 ? all.slice(0, q.limit) : all;
    const byStream = new Map<string, { labels: Labels; entries: LogEntry[] }>();
    for (const p of picked) {
      const k = p.labels.key();
      let b = byStream.get(k);
      if (b === undefined) {
        b = { labels: p.labels, entries: [] };
        byStream.set(k, b);
      }
      b.entries.push(p.e);
    }
    yield* byStream.values();
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
