import { describe, expect, it } from 'vitest';
import { Labels, STALE_NAN } from '../model/index.js';
import { MemoryStorage } from '../storage/index.js';
import {
  BadQueryError,
  Engine,
  type EngineOptions,
  QueryCanceledError,
  QueryError,
  QueryTimeoutError,
  TooManySamplesError,
  type Value,
  formatSampleValue,
  formatTimestamp,
  queryResponseJSON,
  resultJSON,
} from './index.js';
import { parseSeriesLine } from './promqltest/index.js';

/** load stores `metric{…} values…` lines sampled every intervalMs from 0. */
async function load(intervalMs: number, ...lines: string[]): Promise<MemoryStorage> {
  const db = new MemoryStorage();
  for (const l of lines) {
    const s = parseSeriesLine(l);
    const app = db.appender();
    s.values.forEach((v, i) => {
      if (v.kind === 'float') app.append(0, s.labels, i * intervalMs, v.v);
    });
    await app.commit();
  }
  return db;
}

function engine(db: MemoryStorage, o: Partial<EngineOptions> = {}): Engine {
  return new Engine({ queryable: db, ...o });
}

/** vec renders an instant vector as sorted `labels value` strings. */
function vec(v: Value): string[] {
  if (v.kind !== 'vector') throw new Error(`expected vector, got ${v.kind}`);
  return v.samples.map((s) => `${s.labels.toString()} ${s.f}`).sort();
}

const M = 60_000;

describe('selection semantics', async () => {
  const db = await load(M, 'a{x="1"} 1 2 3 _ _ _ _ _ _ 10', 'b{x="1"} 1 stale 3', 'c{x="1"} 0+10x10');
  const e = engine(db);
  const cases: readonly { name: string; q: string; t: number; want: string[] }[] = [
    { name: 'newest sample within lookback', q: 'a', t: 3 * M, want: ['{__name__="a", x="1"} 3'] },
    { name: 'lookback is 5m, left-open', q: 'a', t: 7 * M, want: [] },
    { name: 'just inside lookback', q: 'a', t: 7 * M - 1, want: ['{__name__="a", x="1"} 3'] },
    { name: 'staleness marker ends the series', q: 'b', t: 1 * M, want: [] },
    { name: 'series returns after a marker', q: 'b', t: 2 * M, want: ['{__name__="b", x="1"} 3'] },
    { name: 'offset', q: 'c offset 2m', t: 5 * M, want: ['{__name__="c", x="1"} 30'] },
    { name: 'negative offset', q: 'c offset -2m', t: 5 * M, want: ['{__name__="c", x="1"} 70'] },
    { name: '@ pins the time', q: 'c @ 120', t: 9 * M, want: ['{__name__="c", x="1"} 20'] },
    { name: 'range window is left-open', q: 'count_over_time(c[2m])', t: 4 * M, want: ['{x="1"} 2'] },
    { name: 'rate extrapolates', q: 'rate(c[5m])', t: 10 * M, want: ['{x="1"} 0.16666666666666666'] },
    { name: 'increase', q: 'increase(c[5m])', t: 10 * M, want: ['{x="1"} 50'] },
    { name: 'subquery', q: 'max_over_time(c[5m:1m])', t: 10 * M, want: ['{x="1"} 100'] },
    { name: 'aggregation by', q: 'sum by (x) ({__name__=~"a|c"})', t: 2 * M, want: ['{x="1"} 23'] },
    { name: 'vector matching', q: 'c / on(x) a', t: 2 * M, want: ['{x="1"} 6.666666666666667'] },
    { name: 'comparison filters, keeps the name', q: 'c > 40', t: 5 * M, want: ['{__name__="c", x="1"} 50'] },
    { name: 'bool comparison drops the name', q: 'c > bool 60', t: 5 * M, want: ['{x="1"} 0'] },
    { name: 'or matches on all labels but the name', q: 'a or c', t: 3 * M, want: ['{__name__="a", x="1"} 3'] },
    { name: 'or adds unmatched right-hand series', q: 'a or label_replace(c, "x", "2", "", "")', t: 3 * M, want: ['{__name__="a", x="1"} 3', '{__name__="c", x="2"} 30'] },
    { name: 'unless', q: 'c unless on(x) a', t: 3 * M, want: [] },
    { name: 'absent', q: 'absent(nope{job="x"})', t: 0, want: ['{job="x"} 1'] },
    { name: 'label_replace', q: 'label_replace(c, "y", "$1$1", "x", "(.*)")', t: 0, want: ['{__name__="c", x="1", y="11"} 0'] },
    { name: 'histogram_quantile over buckets', q: 'histogram_quantile(0.5, label_replace(c/1, "le", "+Inf", "x", ".*") or label_replace(c/2, "le", "1", "x", ".*"))', t: 2 * M, want: ['{x="1"} 1'] },
  ];
  it.each(cases)('$name', async ({ q, t, want }) => {
    expect(vec((await e.instantQuery(q, t)).value)).toEqual(want);
  });

  it('returns a scalar and a string', async () => {
    expect((await e.instantQuery('1 + 2 * 3', 1000)).value).toEqual({ kind: 'scalar', t: 1000, v: 7 });
    expect((await e.instantQuery('"hi"', 1000)).value).toEqual({ kind: 'string', t: 1000, v: 'hi' });
  });

  it('gives rules a vector, turning a scalar into one unlabelled sample', async () => {
    expect(await e.vectorQuery('2 * 3', 1000)).toEqual({ kind: 'vector', samples: [{ labels: Labels.EMPTY, t: 1000, f: 6 }] });
    expect((await e.vectorQuery('c', 0)).samples.length).toBe(1);
    await expect(e.vectorQuery('"s"', 0)).rejects.toThrow('rule result is not a vector or scalar');
  });

  it('returns raw samples for a range selector', async () => {
    const v = (await e.instantQuery('c[2m]', 3 * M)).value;
    expect(v.kind).toBe('matrix');
    if (v.kind !== 'matrix') return;
    expect(Array.from(v.series[0]!.ts)).toEqual([2 * M, 3 * M]);
    expect(Array.from(v.series[0]!.vs)).toEqual([20, 30]);
  });

  it('evaluates range queries into a matrix sorted by labels', async () => {
    const v = (await e.rangeQuery('label_replace(c, "x", "2", "", "") or a', 0, 4 * M, 2 * M)).value;
    expect(v.kind).toBe('matrix');
    if (v.kind !== 'matrix') return;
    expect(v.series.map((s) => s.labels.toString())).toEqual(['{__name__="a", x="1"}', '{__name__="c", x="2"}']);
    expect(Array.from(v.series[1]!.vs)).toEqual([0, 20, 40]);
  });

  it('warns that sort does nothing in a range query', async () => {
    const r = await e.rangeQuery('sort(c)', 0, 2 * M, M);
    expect(r.warnings).toEqual(['PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)']);
  });

  it('notes a rate over a metric that does not look like a counter', async () => {
    const r = await e.instantQuery('rate(c[5m])', 10 * M);
    expect(r.infos).toEqual(['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "c" (1:6)']);
  });
});

describe('errors and limits', async () => {
  const db = await load(M, 'm{a="1", g="x"} 1 2 3', 'm{a="2", g="x"} 4 5 6', 'n{g="x"} 1 1 1');
  const e = engine(db);
  it('reports many-to-many matching with both series', async () => {
    await expect(e.instantQuery('n + on(g) m', M)).rejects.toThrow(
      'found duplicate series for the match group {g="x"} on the right hand-side of the operation: [{__name__="m", a="1", g="x"}, {__name__="m", a="2", g="x"}];many-to-many matching not allowed: matching labels must be unique on one side',
    );
  });
  it('asks for group_left on many-to-one', async () => {
    await expect(e.instantQuery('m + on(g) n', M)).rejects.toThrow('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
  });
  it('allows many-to-one with group_left', async () => {
    expect(vec((await e.instantQuery('m + on(g) group_left n', M)).value)).toEqual(['{a="1", g="x"} 3', '{a="2", g="x"} 6']);
  });
  it('refuses two series with the same labels', async () => {
    await expect(e.instantQuery('label_replace(m, "a", "", "", "")', M)).rejects.toThrow('vector cannot contain metrics with the same labelset');
  });
  it('checks range query parameters', async () => {
    await expect(e.rangeQuery('m', 0, 11_001_000, 1000)).rejects.toThrow(
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
    // Prometheus divides durations as integers: 11,000.999 steps are 11,000.
    await expect(e.rangeQuery('m', 0, 11_000_999, 1000)).resolves.toBeDefined();
    // A step below a millisecond is 0 ms to Prometheus's evaluator, which divides by it.
    await expect(e.rangeQuery('m', 0, 10, 0.5)).rejects.toThrow('unexpected error: runtime error: integer divide by zero');
    await expect(e.rangeQuery('m', 10, 0, 1000)).rejects.toBeInstanceOf(BadQueryError);
    await expect(e.rangeQuery('m', 0, 10, 0)).rejects.toBeInstanceOf(BadQueryError);
    await expect(e.rangeQuery('m[5m]', 0, 10, 1)).rejects.toThrow('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });
  it('limits the samples held in memory', async () => {
    const small = engine(db, { maxSamples: 3 });
    await expect(small.rangeQuery('m', 0, 2 * M, M)).rejects.toBeInstanceOf(TooManySamplesError);
    await expect(small.rangeQuery('m', 0, 2 * M, M)).rejects.toThrow('query processing would load too many samples into memory in query execution');
  });
  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(e.instantQuery('m', M, { signal: ac.signal })).rejects.toBeInstanceOf(QueryCanceledError);
  });
  it('reports bad regexes in label_replace as execution errors', async () => {
    await expect(e.instantQuery('label_replace(m, "x", "", "a", "(")', M)).rejects.toBeInstanceOf(QueryError);
  });
});

describe('name removal', async () => {
  const db = await load(M, 'x_total{a="1"} 0+1x10', 'y_total{a="1"} 0+2x10');
  it('drops names at once by default, so label_replace no longer sees them', async () => {
    const v = (await engine(db).instantQuery('label_replace(rate(x_total[5m]), "n", "$1", "__name__", "(.+)")', 10 * M)).value;
    expect(vec(v)).toEqual(['{a="1"} 0.016666666666666666']);
  });
  it('fails on series that collide once their names are gone, in both modes', async () => {
    for (const delayedNameRemoval of [false, true]) {
      await expect(engine(db, { delayedNameRemoval }).instantQuery('sum by (__name__) (rate({a="1"}[5m]))', 10 * M)).rejects.toThrow(
        'vector cannot contain metrics with the same labelset',
      );
    }
  });
  it('lets label_replace see the name with delayed removal', async () => {
    const v = (await engine(db, { delayedNameRemoval: true }).instantQuery('label_replace(rate(x_total[5m]), "n", "$1", "__name__", "(.+)")', 10 * M)).value;
    expect(vec(v)).toEqual(['{a="1", n="x_total"} 0.016666666666666666']);
  });
});

describe('responsiveness', () => {
  it('answers a fast query while a slow one runs, and times the slow one out', async () => {
    const db = new MemoryStorage();
    for (let i = 0; i < 300; i++) {
      const app = db.appender();
      const l = Labels.fromStrings('__name__', 'big', 'i', String(i));
      for (let k = 0; k < 400; k++) app.append(0, l, k * 15_000, k);
      await app.commit();
    }
    const small = await db.appender();
    small.append(0, Labels.fromStrings('__name__', 'small'), 0, 1);
    await small.commit();
    const e = engine(db, { sliceMs: 2 });
    const slow = e.rangeQuery('sum(count_over_time(big[1h:1s]))', 0, 6_000_000, 15_000, { timeoutMs: 100 });
    const fast = e.instantQuery('small', 1000);
    const first = await Promise.race([fast.then(() => 'fast'), slow.then(() => 'slow', () => 'slow')]);
    expect(first).toBe('fast');
    await expect(slow).rejects.toBeInstanceOf(QueryTimeoutError);
  });
});

describe('JSON encoding', () => {
  it.each([
    [0, '0'],
    [1500, '1.500'],
    [1001, '1.001'],
    [1010, '1.010'],
    [-1500, '-1.500'],
    [1435781451781, '1435781451.781'],
  ])('timestamp %d → %s', (t, want) => {
    expect(formatTimestamp(t)).toBe(want);
  });

  it.each([
    [1, '1'],
    [0.1, '0.1'],
    [-0, '-0'],
    [1e-7, '1e-07'],
    [1.5e21, '1.5e+21'],
    [123456789012, '123456789012'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [STALE_NAN, 'NaN'],
  ])('value %d → %s', (v, want) => {
    expect(formatSampleValue(v)).toBe(want);
  });

  it('encodes results like the Prometheus API', () => {
    const v: Value = { kind: 'vector', samples: [{ labels: Labels.fromStrings('__name__', 'up', 'job', 'a"b'), t: 1500, f: 1 }] };
    expect(resultJSON(v)).toBe('{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a\\"b"},"value":[1.500,"1"]}]}');
    expect(queryResponseJSON({ kind: 'scalar', t: 2000, v: 0.5 }, ['w'])).toBe(
      '{"status":"success","data":{"resultType":"scalar","result":[2,"0.5"]},"warnings":["w"]}',
    );
    // Scalars and strings are encoded by Go's encoding/json in Prometheus: `1.5`, not `1.500`,
    // and the scalar value always in 'f' layout (Prometheus 2.42, query=1e300 at time=1.5).
    expect(resultJSON({ kind: 'scalar', t: 1500, v: 1e300 })).toBe(`{"resultType":"scalar","result":[1.5,"1${'0'.repeat(300)}"]}`);
    expect(resultJSON({ kind: 'string', t: 1500, v: 'a' })).toBe('{"resultType":"string","result":[1.5,"a"]}');
    const m: Value = {
      kind: 'matrix',
      series: [{ labels: Labels.fromStrings('a', 'b'), ts: Float64Array.of(1000, 2000), vs: Float64Array.of(1, 2) }],
    };
    expect(resultJSON(m)).toBe('{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"2"]]}]}');
  });
});

describe('bad input', async () => {
  const db = await load(15_000, 'x{a="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"} 0+1x100');
  const e = engine(db, { timeoutMs: 5000 });
  it('refuses a subquery that would need billions of steps, at once', async () => {
    const t = performance.now();
    await expect(e.instantQuery('max_over_time(x[100y:1s])', 1_500_000)).rejects.toBeInstanceOf(TooManySamplesError);
    expect(performance.now() - t).toBeLessThan(1000);
  });
  it('evaluates a range of a hundred years over what exists', async () => {
    const v = (await e.instantQuery('count_over_time(x[100y])', 1_500_000)).value;
    expect(v.kind === 'vector' && v.samples.map((s) => s.f)).toEqual([101]);
  });
  it('matches regexes in linear time (no catastrophic backtracking)', async () => {
    const t = performance.now();
    const v = (await e.instantQuery('x{a=~"(a+)+b"}', 1_500_000)).value;
    expect(vec(v)).toEqual([]);
    expect(performance.now() - t).toBeLessThan(1000);
  });
  it('stops a query that touches too much with the sample limit', async () => {
    await expect(engine(db, { maxSamples: 50 }).rangeQuery('{__name__=~".+"}', 0, 1_500_000, 15_000)).rejects.toBeInstanceOf(TooManySamplesError);
  });
  describe('a fine subquery over many series', async () => {
    // 100 series sampled every 15 s for an hour; [1h:1ms] asks for 3.6 M steps of each.
    const many = new MemoryStorage();
    for (let i = 0; i < 100; i++) {
      const app = many.appender();
      const l = Labels.fromStrings('__name__', 'm', 'i', String(i));
      for (let k = 0; k <= 240; k++) app.append(0, l, k * 15_000, k);
      await app.commit();
    }
    it('stops at the sample limit within the steps, not after them', async () => {
      const t = performance.now();
      await expect(engine(many).instantQuery('max_over_time(m[1h:1ms])', 3_600_000)).rejects.toBeInstanceOf(TooManySamplesError);
      expect(performance.now() - t).toBeLessThan(3000);
    });
    it('honours the timeout within the steps', async () => {
      const t = performance.now();
      await expect(engine(many, { maxSamples: 1e12 }).instantQuery('max_over_time(m[1h:1ms])', 3_600_000, { timeoutMs: 300 })).rejects.toBeInstanceOf(
        QueryTimeoutError,
      );
      expect(performance.now() - t).toBeLessThan(1500);
    });
  });
  it('rejects deeply nested queries with a parse error', async () => {
    await expect(e.instantQuery('('.repeat(10_000) + 'x' + ')'.repeat(10_000), 0)).rejects.toThrow(/nesting too deep/);
    await expect(e.instantQuery(Array(5000).fill('x').join(' + '), 0)).rejects.toThrow(/nesting too deep/);
  });
});

describe('self-metrics', () => {
  it('counts queries, samples and errors', async () => {
    const { Registry } = await import('../instrument/index.js');
    const registry = new Registry();
    const db = await load(M, 'm 1 2 3');
    const e = engine(db, { registry });
    const r = await e.rangeQuery('sum_over_time(m[5m])', 0, 2 * M, M);
    expect(r.stats.samplesRead).toBeGreaterThan(0);
    await expect(e.instantQuery('m + on(x) group_left m', 0)).resolves.toBeDefined();
    await expect(e.instantQuery('label_replace(m, "a", "", "", "(")', 0)).rejects.toBeInstanceOf(QueryError);
    const text = registry.expose();
    expect(text).toMatch(/^prometheus_engine_queries 0$/m);
    expect(text).toMatch(/^prometheus_engine_query_samples_total [1-9]/m);
    expect(text).toMatch(/^vigil_promql_query_errors_total\{reason="execution"\} 1$/m);
    expect(text).toMatch(/^vigil_promql_query_duration_seconds_count\{kind="range"\} 1$/m);
  });
});
