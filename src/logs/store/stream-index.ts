/**
 * The in-memory stream index: label pairs → streams (postings), refs → streams, and matcher
 * evaluation with the usual shortcuts (intersect the smallest `=` postings, expand set regexes).
 * @module
 */
import { compareStrings, MatchType, type Labels, type Matcher } from '../../model/index.js';
import type { StoreStream } from './store-stream.js';

/** StreamIndex finds streams by labels and ref. */
export class StreamIndex {
  readonly #byKey = new Map<string, StoreStream>();
  readonly #byRef = new Map<number, StoreStream>();
  readonly #postings = new Map<string, Map<string, Set<StoreStream>>>();

  /** size is the number of streams. */
  get size(): number {
    return this.#byRef.size;
  }

  /** byKey returns the stream with exactly these labels (by Labels.key()). */
  byKey(key: string): StoreStream | undefined {
    return this.#byKey.get(key);
  }

  /** byRef returns the stream with this ref. */
  byRef(ref: number): StoreStream | undefined {
    return this.#byRef.get(ref);
  }

  /** all iterates every stream. */
  all(): IterableIterator<StoreStream> {
    return this.#byRef.values();
  }

  /** add indexes a new stream. */
  add(s: StoreStream): void {
    this.#byKey.set(s.labels.key(), s);
    this.#byRef.set(s.ref, s);
    s.labels.forEach((n, v) => {
      let byValue = this.#postings.get(n);
      if (byValue === undefined) {
        byValue = new Map();
        this.#postings.set(n, byValue);
      }
      let set = byValue.get(v);
      if (set === undefined) {
        set = new Set();
        byValue.set(v, set);
      }
      set.add(s);
    });
  }

  /** remove drops a stream from the index. */
  remove(s: StoreStream): void {
    this.#byKey.delete(s.labels.key());
    this.#byRef.delete(s.ref);
    s.labels.forEach((n, v) => {
      const byValue = this.#postings.get(n);
      const set = byValue?.get(v);
      if (set === undefined) return;
      set.delete(s);
      if (set.size === 0) byValue!.delete(v);
      if (byValue!.size === 0) this.#postings.delete(n);
    });
  }

  /**
   * match returns the streams whose labels satisfy every matcher (Prometheus semantics: an
   * absent label has the value ''), in no particular order.
   */
  match(matchers: readonly Matcher[]): StoreStream[] {
    let best: Iterable<StoreStream> | undefined;
    let bestSize = Infinity;
    for (const m of matchers) {
      if (m.matchesEmpty()) continue;
      const cand = this.#candidates(m);
      if (cand === undefined) continue;
      if (cand.size < bestSize) {
        best = cand;
        bestSize = cand.size;
      }
    }
    const out: StoreStream[] = [];
    for (const s of best ?? this.#byRef.values()) {
      let ok = true;
      for (const m of matchers) {
        if (!m.matches(s.labels.get(m.name))) {
          ok = false;
          break;
        }
      }
      if (ok) out.push(s);
    }
    return out;
  }

  // candidates returns a superset of the streams a non-empty-matching matcher accepts, when
  // the postings can give one cheaply.
  #candidates(m: Matcher): { size: number; [Symbol.iterator](): Iterator<StoreStream> } | undefined {
    const byValue = this.#postings.get(m.name);
    if (byValue === undefined) return new Set();
    if (m.type === MatchType.Equal) return byValue.get(m.value) ?? new Set();
    const set = m.setMatches();
    if (set !== undefined) {
      const out = new Set<StoreStream>();
      for (const v of set) for (const s of byValue.get(v) ?? []) out.add(s);
      return out;
    }
    if (m.type === MatchType.Regexp) {
      // Regex over the label's values: a union of the postings of matching values.
      const out = new Set<StoreStream>();
      for (const [v, ss] of byValue) if (m.matches(v)) for (const s of ss) out.add(s);
      return out;
    }
    return undefined;
  }

  /** labelNames returns the sorted label names of the given streams. */
  static labelNames(streams: Iterable<StoreStream>): string[] {
    const names = new Set<string>();
    for (const s of streams) s.labels.forEach((n) => names.add(n));
    return [...names].sort(compareStrings);
  }

  /** labelValues returns the sorted values of `name` over the given streams. */
  static labelValues(streams: Iterable<StoreStream>, name: string): string[] {
    const vals = new Set<string>();
    for (const s of streams) {
      const v = s.labels.get(name);
      if (v !== '') vals.add(v);
    }
    return [...vals].sort(compareStrings);
  }

  /** sortedLabels returns the label sets of streams, sorted. */
  static sortedLabels(streams: Iterable<StoreStream>): Labels[] {
    return [...streams].map((s) => s.labels).sort((a, b) => a.compare(b));
  }
}
