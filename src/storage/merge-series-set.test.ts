import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { ChainSampleIterator, ListSeries, ListSeriesSet, MemoryStorage, MergeSeriesSet, ValueType, mergeQueriers, type SeriesSet } from './index.js';

function set(...series: [Labels, [number, number][]][]): SeriesSet {
  return new ListSeriesSet(series.map(([l, s]) => new ListSeries(l, s.map((x) => x[0]), s.map((x) => x[1]))));
}
function drain(ss: SeriesSet): [string, [number, number][]][] {
  const out: [string, [number, number][]][] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    const s: [number, number][] = [];
    while (it.next() !== ValueType.None) s.push([it.atT(), it.atF()]);
    out.push([ss.at().labels.toString(), s]);
  }
  return out;
}
const a = Labels.fromStrings('n', 'a');
const b = Labels.fromStrings('n', 'b');
const c = Labels.fromStrings('n', 'c');

describe('MergeSeriesSet', () => {
  it.each([
    { name: 'no sets', sets: [], want: [] },
    { name: 'one set passes through', sets: [set([a, [[1, 1]]])], want: [['{n="a"}', [[1, 1]]]] },
    {
      name: 'disjoint series interleave in label order',
      sets: [set([a, [[1, 1]]], [c, [[3, 3]]]), set([b, [[2, 2]]])],
      want: [['{n="a"}', [[1, 1]]], ['{n="b"}', [[2, 2]]], ['{n="c"}', [[3, 3]]]],
    },
    {
      name: 'equal series are chained and deduplicated, first set winning',
      sets: [set([a, [[1, 1], [3, 3], [5, 5]]]), set([a, [[2, 20], [3, 30], [6, 60]]]), set([a, [[0, 0]]])],
      want: [['{n="a"}', [[0, 0], [1, 1], [2, 20], [3, 3], [5, 5], [6, 60]]]],
    },
  ])('$name', ({ sets, want }) => {
    expect(drain(new MergeSeriesSet(sets))).toEqual(want);
  });

  it('merges random sample sets like a sorted union', () => {
    const samples = fc.uniqueArray(fc.integer({ min: 0, max: 100 })).map((ts) => ts.sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.array(samples, { minLength: 1, maxLength: 4 }), fc.integer({ min: -5, max: 105 }), (parts, seekTo) => {
        const its = parts.map((ts, k) => new ListSeries(a, ts, ts.map((t) => t * 10 + k)).iterator());
        const chain = new ChainSampleIterator(its);
        const want = new Map<number, number>();
        parts.forEach((ts, k) => ts.forEach((t) => (want.has(t) ? undefined : want.set(t, t * 10 + k))));
        const sorted = [...want.entries()].sort((x, y) => x[0] - y[0]);
        const got: [number, number][] = [];
        while (chain.next() !== ValueType.None) got.push([chain.atT(), chain.atF()]);
        expect(got).toEqual(sorted);
        // seek from the start
        const its2 = parts.map((ts, k) => new ListSeries(a, ts, ts.map((t) => t * 10 + k)).iterator());
        const chain2 = new ChainSampleIterator(its2);
        const first = sorted.find(([t]) => t >= seekTo);
        if (first === undefined) expect(chain2.seek(seekTo)).toBe(ValueType.None);
        else {
          expect(chain2.seek(seekTo)).toBe(ValueType.Float);
          expect([chain2.atT(), chain2.atF()]).toEqual(first);
          const rest: [number, number][] = [];
          while (chain2.next() !== ValueType.None) rest.push([chain2.atT(), chain2.atF()]);
          expect(rest).toEqual(sorted.filter(([t]) => t > first[0]));
        }
      }),
    );
  });

  it('reports the first error', () => {
    const bad: SeriesSet = new ListSeriesSet([], [], new Error('boom'));
    const m = new MergeSeriesSet([set([a, [[1, 1]]]), bad]);
    expect(m.next()).toBe(false);
    expect(m.err()?.message).toBe('boom');
  });
});

describe('mergeQueriers', () => {
  it('unions selects, label values and names', async () => {
    const s1 = new MemoryStorage();
    const s2 = new MemoryStorage();
    const app1 = s1.appender();
    app1.append(0, Labels.fromStrings('__name__', 'x', 'job', 'a'), 1, 1);
    app1.append(0, Labels.fromStrings('__name__', 'x', 'job', 'b'), 1, 2);
    await app1.commit();
    const app2 = s2.appender();
    app2.append(0, Labels.fromStrings('__name__', 'x', 'job', 'a'), 2, 3);
    app2.append(0, Labels.fromStrings('__name__', 'x', 'zone', 'z'), 2, 4);
    await app2.commit();
    const q = mergeQueriers([await s1.querier(0, 10), await s2.querier(0, 10)]);
    const got = drain(await q.select([new Matcher(MatchType.Equal, '__name__', 'x')]));
    expect(got).toEqual([
      ['{__name__="x", job="a"}', [[1, 1], [2, 3]]],
      ['{__name__="x", job="b"}', [[1, 2]]],
      ['{__name__="x", zone="z"}', [[2, 4]]],
    ]);
    expect(await q.labelValues('job', [])).toEqual(['a', 'b']);
    expect(await q.labelNames([])).toEqual(['__name__', 'job', 'zone']);
    await q.close();
  });
});
