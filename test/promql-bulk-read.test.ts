// The engine's bulk-read paths (SampleIterator.readFloats: range functions and instant
// selectors over a range) must answer exactly as the per-sample iterator path. The same data
// is queried through storage that offers readFloats and storage that does not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels, STALE_NAN, type Matcher } from '../src/model/index.js';
import { Engine, resultJSON } from '../src/promql/index.js';
import {
  MemoryStorage,
  ValueType,
  type FloatSink,
  type Queryable,
  type Querier,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
} from '../src/storage/index.js';

let bulkCalls = 0;

/** BulkIterator adds readFloats to an iterator, built on its own next/atT/atF. */
class BulkIterator implements SampleIterator {
  constructor(readonly inner: SampleIterator) {}
  next(): ValueType {
    return this.inner.next();
  }
  seek(t: number): ValueType {
    return this.inner.seek(t);
  }
  atT(): number {
    return this.inner.atT();
  }
  atF(): number {
    return this.inner.atF();
  }
  err(): Error | undefined {
    return this.inner.err();
  }
  readFloats(mint: number, maxt: number, sink: FloatSink): ValueType {
    bulkCalls++;
    for (let vt = this.inner.seek(mint + 1); vt !== ValueType.None; vt = this.inner.next()) {
      if (vt !== ValueType.Float) return vt;
      const t = this.inner.atT();
      if (t > maxt) break;
      sink.push(t, this.inner.atF());
    }
    return ValueType.None;
  }
}

function bulkQueryable(q: Queryable): Queryable {
  return {
    async querier(mint: number, maxt: number): Promise<Querier> {
      const inner = await q.querier(mint, maxt);
      return {
        async select(ms: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<SeriesSet> {
          const set = await inner.select(ms, hints, signal);
          return {
            next: () => set.next(),
            at: (): Series => {
              const s = set.at();
              return { labels: s.labels, iterator: () => new BulkIterator(s.iterator()) };
            },
            err: () => set.err(),
            warnings: () => set.warnings(),
          };
        },
        labelValues: (n, ms, sig) => inner.labelValues(n, ms, sig),
        labelNames: (ms, sig) => inner.labelNames(ms, sig),
        close: () => inner.close(),
      };
    },
  };
}

const QUERIES = [
  'm',
  'm offset 37s',
  'timestamp(m)',
  'sum by (i) (m)',
  'count(m)',
  'rate(m[1m])',
  'increase(m[45s])',
  'avg_over_time(m[2m])',
  'last_over_time(m[30s])',
  'count_over_time(m[1m] offset 10s)',
  'max_over_time(m[90s:20s])',
];

// Series of samples at irregular times, with gaps and staleness markers.
const sampleList = fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }).map((x) => x * 1000), fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constant(STALE_NAN))), {
  minLength: 0,
  maxLength: 40,
});

async function load(data: [number, number][][]): Promise<MemoryStorage> {
  const st = new MemoryStorage();
  const app = st.appender();
  data.forEach((samples, i) => {
    let t = 0;
    let ref: Parameters<typeof app.append>[0] = 0;
    for (const [dt, v] of samples) {
      t += dt;
      ref = app.append(ref, Labels.fromStrings('__name__', 'm', 'i', String(i)), t, v);
    }
  });
  await app.commit();
  return st;
}

describe('engine bulk reads', () => {
  it('answer as the per-sample path for any data, query, range and step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sampleList, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...QUERIES),
        // Whole seconds, as the samples: steps and window edges fall on samples.
        fc.integer({ min: 0, max: 600 }).map((x) => x * 1000),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 120 }).map((x) => x * 1000),
        async (data, q, start, steps, step) => {
          const st = await load(data);
          const plain = new Engine({ queryable: st, lookbackDeltaMs: 60_000 });
          const bulk = new Engine({ queryable: bulkQueryable(st), lookbackDeltaMs: 60_000 });
          const end = start + (steps - 1) * step;
          const a = await plain.rangeQuery(q, start, end, step);
          const b = await bulk.rangeQuery(q, start, end, step);
          expect(resultJSON(b.value)).toBe(resultJSON(a.value));
        },
      ),
      { numRuns: 300 },
    );
    expect(bulkCalls).toBeGreaterThan(50); // the bulk paths did run
  });
});
