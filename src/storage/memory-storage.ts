/**
 * MemoryStorage: an uncompressed in-memory Storage for tests and tools. It follows the same
 * append rules as the TSDB head (out-of-order and duplicate samples rejected), so code tested
 * against it behaves the same on the real engine.
 * @module
 */
import { type Labels, type Matcher, matchesAll, compareStrings } from '../model/index.js';
import { DuplicateSampleError, OutOfOrderSampleError } from './errors.js';
import type { Appender, Querier, SeriesRef, SeriesSet, Storage } from './interface.js';
import { ListSeries, ListSeriesSet } from './list-series.js';

interface MemSeries {
  readonly ref: SeriesRef;
  readonly labels: Labels;
  ts: number[];
  // A typed array, not number[]: V8 canonicalises NaNs stored in double arrays, which would
  // turn staleness markers into ordinary NaNs. vs[0, ts.length) hold the values.
  vs: Float64Array;
}

/** MemoryStorage keeps every sample in plain arrays. */
export class MemoryStorage implements Storage {
  readonly #byKey = new Map<string, MemSeries>();
  readonly #byRef: MemSeries[] = [];
  #appended = 0;

  /** samplesAppended counts committed samples. */
  get samplesAppended(): number {
    return this.#appended;
  }

  /** seriesCount counts series ever created. */
  get seriesCount(): number {
    return this.#byRef.length;
  }

  appender(): Appender {
    return new MemoryAppender(this);
  }

  /** @internal */
  getOrCreate(labels: Labels): MemSeries {
    const k = labels.key();
    let s = this.#byKey.get(k);
    if (s === undefined) {
      s = { ref: (this.#byRef.length + 1) as SeriesRef, labels, ts: [], vs: new Float64Array(8) };
      this.#byRef.push(s);
      this.#byKey.set(k, s);
    }
    return s;
  }

  /** @internal */
  byRef(ref: SeriesRef): MemSeries | undefined {
    return this.#byRef[ref - 1];
  }

  /** @internal */
  added(n: number): void {
    this.#appended += n;
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    const all = this.#byRef;
    const matching = (ms: readonly Matcher[]): MemSeries[] =>
      all.filter((s) => matchesAll(ms, (n) => s.labels.get(n)));
    return {
      async select(matchers): Promise<SeriesSet> {
        const out: ListSeries[] = [];
        for (const s of matching(matchers)) {
          let lo = 0;
          while (lo < s.ts.length && s.ts[lo]! < mint) lo++;
          let hi = lo;
          while (hi < s.ts.length && s.ts[hi]! <= maxt) hi++;
          if (hi > lo) out.push(new ListSeries(s.labels, s.ts.slice(lo, hi), s.vs.slice(lo, hi)));
        }
        out.sort((a, b) => a.labels.compare(b.labels));
        return new ListSeriesSet(out);
      },
      async labelValues(name, matchers) {
        const vals = new Set<string>();
        for (const s of matching(matchers)) {
          const v = s.labels.get(name);
          if (v !== '') vals.add(v);
        }
        return [...vals].sort(compareStrings);
      },
      async labelNames(matchers) {
        const names = new Set<string>();
        for (const s of matching(matchers)) s.labels.forEach((n) => names.add(n));
        return [...names].sort(compareStrings);
      },
      async close() {},
    };
  }

  async close(): Promise<void> {}
}

class MemoryAppender implements Appender {
  readonly #db: MemoryStorage;
  readonly #pending: { s: MemSeries; t: number; v: number }[] = [];
  #done = false;

  constructor(db: MemoryStorage) {
    this.#db = db;
  }

  append(ref: SeriesRef | 0, labels: Labels, t: number, v: number): SeriesRef {
    if (this.#done) throw new Error('appender used after commit or rollback');
    const s = (ref !== 0 ? this.#db.byRef(ref) : undefined) ?? this.#db.getOrCreate(labels);
    // Check against committed data and against what this batch already holds for the series.
    let lastT = s.ts.length > 0 ? s.ts[s.ts.length - 1]! : -Infinity;
    let lastV = s.ts.length > 0 ? s.vs[s.ts.length - 1]! : NaN;
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const p = this.#pending[i]!;
      if (p.s === s) {
        lastT = p.t;
        lastV = p.v;
        break;
      }
    }
    if (t < lastT) throw new OutOfOrderSampleError();
    if (t === lastT) {
      if (Object.is(lastV, v) || (Number.isNaN(lastV) && Number.isNaN(v) && sameBits(lastV, v))) return s.ref;
      throw new DuplicateSampleError();
    }
    this.#pending.push({ s, t, v });
    return s.ref;
  }

  async commit(): Promise<void> {
    if (this.#done) throw new Error('appender used after commit or rollback');
    this.#done = true;
    for (const p of this.#pending) {
      const n = p.s.ts.length;
      if (n === p.s.vs.length) {
        const grown = new Float64Array(n * 2);
        grown.set(p.s.vs);
        p.s.vs = grown;
      }
      p.s.vs[n] = p.v;
      p.s.ts.push(p.t);
    }
    this.#db.added(this.#pending.length);
  }

  async rollback(): Promise<void> {
    if (this.#done) throw new Error('appender used after commit or rollback');
    this.#done = true;
  }
}

const bitsA = new Float64Array(2);
const wordsA = new Uint32Array(bitsA.buffer);
function sameBits(a: number, b: number): boolean {
  bitsA[0] = a;
  bitsA[1] = b;
  return wordsA[0] === wordsA[2] && wordsA[1] === wordsA[3];
}
