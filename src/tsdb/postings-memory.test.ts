import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType, matchesAll } from '../model/index.js';
import { postingsForMatchers } from './index/index.js';
import { MemPostings } from './index.js';

const m = (type: MatchType, name: string, value: string): Matcher => new Matcher(type, name, value);

function build(series: readonly Labels[]): MemPostings {
  const p = new MemPostings();
  series.forEach((l, i) => p.add(i + 1, l));
  return p;
}

const SERIES = [
  Labels.fromStrings('__name__', 'up', 'job', 'api', 'instance', 'a:1'),
  Labels.fromStrings('__name__', 'up', 'job', 'api', 'instance', 'b:1'),
  Labels.fromStrings('__name__', 'up', 'job', 'db'),
  Labels.fromStrings('__name__', 'cpu', 'job', 'api', 'mode', 'idle'),
  Labels.fromStrings('__name__', 'cpu', 'mode', 'user'),
];

describe('MemPostings with postingsForMatchers', () => {
  it.each([
    { name: 'equal', ms: [m('=', '__name__', 'up')], want: [1, 2, 3] },
    { name: 'intersection', ms: [m('=', '__name__', 'up'), m('=', 'job', 'api')], want: [1, 2] },
    { name: 'not equal subtracts', ms: [m('=', '__name__', 'up'), m('!=', 'job', 'api')], want: [3] },
    { name: 'empty value selects series without the label', ms: [m('=', '__name__', 'up'), m('=', 'instance', '')], want: [3] },
    { name: 'not empty requires the label', ms: [m('!=', 'instance', '')], want: [1, 2] },
    { name: 'set regex', ms: [m('=~', 'job', 'api|db')], want: [1, 2, 3, 4] },
    { name: 'prefix regex', ms: [m('=~', 'instance', 'a.*')], want: [1] },
    { name: 'anchored regex', ms: [m('=~', 'job', 'ap')], want: [] },
    { name: 'negative regex', ms: [m('=~', '__name__', '.+'), m('!~', 'job', 'a.*')], want: [3, 5] },
    { name: 'regex matching empty', ms: [m('=~', 'mode', 'idle|'), m('=', '__name__', 'cpu')], want: [4] },
    { name: 'only empty-matching matchers start from all', ms: [m('!=', 'job', 'api')], want: [3, 5] },
    { name: 'unknown label name', ms: [m('=', 'nope', 'x')], want: [] },
  ])('$name', ({ ms, want }) => {
    expect([...postingsForMatchers(build(SERIES), ms)]).toEqual(want);
  });

  it('lists label names and sorted values', () => {
    const p = build(SERIES);
    expect(p.labelNames()).toEqual(['__name__', 'instance', 'job', 'mode']);
    expect(p.sortedLabelValues('job')).toEqual(['api', 'db']);
    expect(p.sortedLabelValues('nope')).toEqual([]);
  });

  it('deletes series without changing lists already handed out', () => {
    const p = build(SERIES);
    const before = p.postings('__name__', ['up']);
    p.delete(new Set([1, 3]), (ref) => SERIES[ref - 1]!);
    expect([...before]).toEqual([1, 2, 3]);
    expect([...p.postings('__name__', ['up'])]).toEqual([2]);
    expect(p.sortedLabelValues('job')).toEqual(['api']);
    expect([...p.all()]).toEqual([2, 4, 5]);
    p.add(9, SERIES[0]!);
    expect([...p.postings('job', ['api'])]).toEqual([2, 4, 9]);
  });

  it('agrees with brute force on random series and matchers', () => {
    const names = ['a', 'b', 'c'];
    const values = ['', 'x', 'y', 'xy', 'z'];
    const labelsArb = fc
      .tuple(...names.map(() => fc.constantFrom(...values)))
      .map((vs) => Labels.fromStrings('__name__', 'm', ...names.flatMap((n, i) => [n, vs[i]!])));
    const matcherArb = fc
      .tuple(
        fc.constantFrom<MatchType>('=', '!=', '=~', '!~'),
        fc.constantFrom(...names),
        fc.constantFrom('', 'x', 'y', 'x.*', '.*', '.+', 'x|y', 'x|', 'z?'),
      )
      .map(([t, n, v]) => m(t, n, v));
    fc.assert(
      fc.property(fc.array(labelsArb, { maxLength: 40 }), fc.array(matcherArb, { minLength: 1, maxLength: 3 }), (series, ms) => {
        const got = [...postingsForMatchers(build(series), ms)];
        const want = series.map((l, i) => (matchesAll(ms, (n) => l.get(n)) ? i + 1 : 0)).filter((r) => r > 0);
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
