import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../../model/index.js';
import { DiskLogStore, MemoryLogStore, type QueryableLogStore } from '../store/index.js';
import { LogQLEngine } from './engine.js';
import { LimitExceededError, QueryError, QueryTimeoutError } from './errors.js';
import type { QueryValue } from './query-result.js';

const A = Labels.fromStrings('app', 'web', 'pod', 'a');
const B = Labels.fromStrings('app', 'web', 'pod', 'b');
const C = Labels.fromStrings('app', 'db', 'pod', 'c');
const D = Labels.fromStrings('app', 'misc', 'pod', 'd');

async function load(s: QueryableLogStore): Promise<void> {
  await s.append(A, [
    { t: 1000, ns: 0, line: '{"level":"info","status":200,"latency":"120ms","size":"1KB","msg":"ok","user":{"id":7,"name":"al"},"tags":["x"]}' },
    { t: 2000, ns: 0, line: '{"level":"error","status":500,"latency":"1.5s","size":"2KiB","msg":"boom"}' },
    { t: 3000, ns: 0, line: 'not json at all' },
  ]);
  await s.append(B, [
    { t: 1500, ns: 0, line: 'level=info status=404 latency=20ms msg="not found"' },
    { t: 2500, ns: 0, line: 'level=error status=503 latency=2s msg="unavailable"' },
  ]);
  await s.append(C, [
    { t: 1200, ns: 0, line: '10.0.0.5 - GET /api/v1/x 200' },
    { t: 2200, ns: 0, line: '192.168.1.9 - POST /login 401' },
  ]);
  await s.append(D, [
    { t: 1100, ns: 0, line: '{"_entry":"packed line","k":"v"}' },
    { t: 1300, ns: 0, line: '\u001b[31mred\u001b[0m text' },
  ]);
}

type Entry = { labels: Record<string, string>; t: number; line: string };

function flat(v: QueryValue): Entry[] {
  if (v.kind !== 'streams') throw new Error(`expected streams, got ${v.kind}`);
  const out: Entry[] = [];
  for (const s of v.streams) for (const e of s.entries) out.push({ labels: s.labels.toObject(), t: e.t, line: e.line });
  return out.sort((a, b) => a.t - b.t);
}

function samples(v: QueryValue): Record<string, number> {
  if (v.kind === 'scalar') return { scalar: v.v };
  if (v.kind !== 'vector') throw new Error(`expected vector, got ${v.kind}`);
  const o: Record<string, number> = {};
  for (const s of v.samples) o[s.labels.toString()] = s.v;
  return o;
}

describe.each([
  { name: 'memory', make: async () => ({ store: new MemoryLogStore() as QueryableLogStore, done: async () => {} }) },
  {
    name: 'disk',
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-logql-'));
      const store = await DiskLogStore.open({ dir, maintenanceIntervalMs: 0, packWorkers: 0 });
      return {
        store: store as QueryableLogStore,
        done: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
])('LogQL engine over the $name store', ({ make }) => {
  let store: QueryableLogStore;
  let done: () => Promise<void>;
  let eng: LogQLEngine;
  beforeAll(async () => {
    ({ store, done } = await make());
    await load(store);
    eng = new LogQLEngine({ store, maxEntriesLimitPerQuery: 1000 });
  });
  afterAll(async () => {
    await done();
  });

  const logs = async (query: string, extra: { direction?: 'forward' | 'backward'; limit?: number; apps?: string[] } = {}): Promise<Entry[]> =>
    flat(
      (
        await eng.rangeQuery({
          query,
          start: { ms: 0, ns: 0 },
          end: { ms: 10_000, ns: 0 },
          stepMs: 1000,
          direction: extra.direction ?? 'forward',
          limit: extra.limit ?? 100,
          allowedApps: extra.apps,
        })
      ).value,
    );
  const instant = async (query: string, t = 4000): Promise<Record<string, number>> => samples((await eng.instantQuery({ query, time: { ms: t, ns: 0 }, direction: 'backward', limit: 100 })).value);

  it.each([
    { q: '{app="web"} |= "error"', lines: [2000, 2500] },
    { q: '{app="web"} != "error" |~ "(?i)LEVEL"', lines: [1000, 1500] },
    { q: '{app="web"} |= "status" or "json"', lines: [1000, 1500, 2000, 2500, 3000] },
    { q: '{pod="c"} |= ip("10.0.0.0/8")', lines: [1200] },
    { q: '{pod="c"} != ip("10.0.0.0/8")', lines: [2200] },
    { q: '{pod="b"} |> "level=<_> status=4<_>"', lines: [1500] },
    { q: '{app="web"} | json | level="error"', lines: [2000] },
    { q: '{app="web"} | json | user_name="al"', lines: [1000] },
    { q: '{pod="b"} | logfmt | status >= 500', lines: [2500] },
    { q: '{pod="b"} | logfmt | latency > 1s', lines: [2500] },
    // Typed label filters let entries already in error through (Loki): the line at 3000 is not JSON.
    { q: '{pod="a"} | json | size > 1500B', lines: [2000, 3000] },
    { q: '{pod="a"} | json | size > 1500B or status == 200', lines: [1000, 2000, 3000] },
    { q: '{pod="a"} | json | __error__="" | size > 1500B', lines: [2000] },
    { q: '{pod="c"} | pattern "<ip> - <method> <path> <status>" | method="GET"', lines: [1200] },
    { q: '{pod="c"} | regexp "(?P<ip>\\\\S+) - (?P<method>\\\\w+)" | ip = ip("192.168.0.0/16")', lines: [2200] },
    { q: '{pod="a"} | json | __error__=""', lines: [1000, 2000] },
    { q: '{pod="a"} | json | __error__="JSONParserErr"', lines: [3000] },
  ])('$q', async ({ q, lines }) => {
    expect((await logs(q)).map((e) => e.t)).toEqual(lines);
  });

  it('adds extracted labels, renaming clashes with stream labels', async () => {
    const [e] = await logs('{pod="a"} | json | level="info"');
    expect(e!.labels).toEqual({ app: 'web', pod: 'a', level: 'info', status: '200', latency: '120ms', size: '1KB', msg: 'ok', user_id: '7', user_name: 'al' });
    const [f] = await logs('{pod="b"} | logfmt | pod_extracted="" | level="info" | label_format pod2=pod');
    expect(f!.labels.pod2).toBe('b');
    expect(f!.labels.pod).toBeUndefined();
  });

  it('marks parse errors in __error__ and keeps the line', async () => {
    const r = await logs('{pod="a"} | json');
    const bad = r.find((e) => e.t === 3000)!;
    expect(bad.labels.__error__).toBe('JSONParserErr');
    expect(bad.line).toBe('not json at all');
  });

  it('formats lines and labels with templates', async () => {
    expect((await logs('{pod="b"} | logfmt | line_format "{{.level | ToUpper}} {{.status}} {{ if gt (int .status) 500 }}bad{{ else }}ok{{ end }}"')).map((e) => e.line)).toEqual([
      'INFO 404 ok',
      'ERROR 503 bad',
    ]);
    const r = await logs('{pod="b"} | logfmt | label_format code="{{.status}}-{{ .level | trunc 3 }}", lvl=level | keep code, lvl');
    expect(r.map((e) => e.labels)).toEqual([
      { code: '404-inf', lvl: 'info' },
      { code: '503-err', lvl: 'error' },
    ]);
    const d = await logs('{pod="b"} | logfmt | drop latency, msg, level="info"');
    expect(d.map((e) => Object.keys(e.labels).sort())).toEqual([
      ['app', 'pod', 'status'],
      ['app', 'level', 'pod', 'status'],
    ]);
  });

  it('unpacks packed lines and strips colors', async () => {
    const u = await logs('{pod="d"} | unpack | k="v"');
    expect(u.map((e) => e.line)).toEqual(['packed line']);
    const c = await logs('{pod="d"} |= "red" | decolorize');
    expect(c.map((e) => e.line)).toEqual(['red text']);
  });

  it('returns the newest entries first with a limit over all streams', async () => {
    const r = await eng.rangeQuery({ query: '{app="web"}', start: { ms: 0, ns: 0 }, end: { ms: 10_000, ns: 0 }, stepMs: 1000, direction: 'backward', limit: 3 });
    const v = r.value;
    if (v.kind !== 'streams') throw new Error('streams expected');
    expect(v.streams.flatMap((s) => s.entries.map((e) => e.t)).sort()).toEqual([2000, 2500, 3000]);
    for (const s of v.streams) for (let i = 1; i < s.entries.length; i++) expect(s.entries[i]!.t).toBeLessThan(s.entries[i - 1]!.t);
  });

  it('bounds log queries to [start, end)', async () => {
    const r = await eng.rangeQuery({ query: '{app="web"}', start: { ms: 1500, ns: 0 }, end: { ms: 2500, ns: 0 }, stepMs: 1000, direction: 'forward', limit: 100 });
    expect(flat(r.value).map((e) => e.t)).toEqual([1500, 2000]);
  });

  it.each([
    { q: 'count_over_time({app="web"}[10s])', want: { '{app="web", pod="a"}': 3, '{app="web", pod="b"}': 2 } },
    { q: 'sum(count_over_time({app="web"}[10s]))', want: { '{}': 5 } },
    { q: 'sum(rate({app="web"}[10s]))', want: { '{}': 0.5 } },
    { q: 'sum by (app) (bytes_over_time({app="db"}[10s]))', want: { '{app="db"}': 57 } },
    { q: 'sum by (level) (count_over_time({app="web"} | json | __error__="" [10s]))', want: { '{level="error"}': 1, '{level="info"}': 1 } },
    // Extracted labels stay on the series (one per line here), as in Loki: group to fold them.
    { q: 'sum_over_time({pod="b"} | logfmt | unwrap status [10s])', want: { '{app="web", latency="20ms", level="info", msg="not found", pod="b"}': 404, '{app="web", latency="2s", level="error", msg="unavailable", pod="b"}': 503 } },
    { q: 'sum by (pod) (sum_over_time({pod="b"} | logfmt | unwrap status [10s]))', want: { '{pod="b"}': 907 } },
    { q: 'avg_over_time({pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 453.5 } },
    { q: 'min_over_time({pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 404 } },
    { q: 'first_over_time({pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 404 } },
    { q: 'last_over_time({pod="b"} | logfmt | unwrap status [10s]) without (level, msg, latency)', want: { '{app="web", pod="b"}': 503 } },
    { q: 'quantile_over_time(0.5, {pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 453.5 } },
    { q: 'stddev_over_time({pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 49.5 } },
    { q: 'stdvar_over_time({pod="b"} | logfmt | unwrap status [10s]) by (pod)', want: { '{pod="b"}': 2450.25 } },
    { q: 'max_over_time({pod="b"} | logfmt | unwrap duration(latency) [10s]) by (pod)', want: { '{pod="b"}': 2 } },
    { q: 'max_over_time({pod="a"} | json | unwrap bytes(size) | __error__="" [10s]) by (app)', want: { '{app="web"}': 2048 } },
    { q: 'sum by (pod) (rate({pod="b"} | logfmt | unwrap status [10s]))', want: { '{pod="b"}': 90.7 } },
    { q: 'absent_over_time({app="nope", pod=~"x.*"}[1m])', want: { '{app="nope"}': 1 } },
    { q: 'absent_over_time({app="web"}[1m])', want: {} },
    { q: 'count_over_time({app="web"}[1s] offset 1s)', want: { '{app="web", pod="a"}': 1, '{app="web", pod="b"}': 1 } },
    { q: 'topk(1, count_over_time({app=~".+"}[10s]))', want: { '{app="web", pod="a"}': 3 } },
    { q: 'bottomk(1, count_over_time({app="web"}[10s]))', want: { '{app="web", pod="b"}': 2 } },
    { q: 'count(count_over_time({app=~".+"}[10s]))', want: { '{}': 4 } },
    { q: 'max by (app) (count_over_time({app=~".+"}[10s]))', want: { '{app="db"}': 2, '{app="misc"}': 2, '{app="web"}': 3 } },
    { q: 'avg without (pod) (count_over_time({app="web"}[10s]))', want: { '{app="web"}': 2.5 } },
    { q: 'sum(count_over_time({app="web"}[10s])) / sum(count_over_time({app="db"}[10s]))', want: { '{}': 2.5 } },
    { q: 'count_over_time({app="web"}[10s]) > 2', want: { '{app="web", pod="a"}': 3 } },
    { q: 'count_over_time({app="web"}[10s]) > bool 2', want: { '{app="web", pod="a"}': 1, '{app="web", pod="b"}': 0 } },
    { q: '2 < count_over_time({app="web"}[10s])', want: { '{app="web", pod="a"}': 3 } },
    {
      q: 'count_over_time({app="web"}[10s]) / on (app) group_left sum by (app) (count_over_time({app="web"}[10s]))',
      want: { '{app="web", pod="a"}': 0.6, '{app="web", pod="b"}': 0.4 },
    },
    { q: 'count_over_time({pod="a"}[10s]) and count_over_time({app="web"}[10s])', want: { '{app="web", pod="a"}': 3 } },
    { q: 'count_over_time({app="web"}[10s]) unless count_over_time({pod="a"}[10s])', want: { '{app="web", pod="b"}': 2 } },
    { q: 'count_over_time({app="nope"}[10s]) or vector(0)', want: { '{}': 0 } },
    { q: 'label_replace(count_over_time({pod="c"}[10s]), "short", "$1", "pod", "(.)")', want: { '{app="db", pod="c", short="c"}': 2 } },
    { q: 'vector(1) + 2 * 3', want: { '{}': 7 } },
    { q: '1 + 2 ^ 3', want: { scalar: 9 } },
  ])('$q', async ({ q, want }) => {
    const got = await instant(q);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expect(got[k]).toBeCloseTo(v, 9);
  });

  it('fails a metric query on a pipeline error, naming the filter that skips it', async () => {
    await expect(instant('sum_over_time({pod="a"} | json | unwrap latency [10s])')).rejects.toThrow(QueryError);
    await expect(instant('count_over_time({pod="a"} | json [10s])')).rejects.toThrow(/__error__!="JSONParserErr"/);
    expect(await instant('sum_over_time({pod="a"} | json | unwrap latency | __error__="" [10s])')).toEqual({});
  });

  it('evaluates range queries step by step with (t - range, t] windows', async () => {
    const r = await eng.rangeQuery({ query: 'count_over_time({app="web"}[1s])', start: { ms: 1000, ns: 0 }, end: { ms: 3000, ns: 0 }, stepMs: 1000, direction: 'backward', limit: 100 });
    const v = r.value;
    if (v.kind !== 'matrix') throw new Error('matrix expected');
    expect(v.series.map((s) => [s.labels.toString(), s.t, s.v])).toEqual([
      ['{app="web", pod="a"}', [1000, 2000, 3000], [1, 1, 1]],
      ['{app="web", pod="b"}', [2000, 3000], [1, 1]],
    ]);
  });

  it('orders instant results of sort_desc and topk by value', async () => {
    const r = await eng.instantQuery({ query: 'sort_desc(count_over_time({app=~".+"}[10s]))', time: { ms: 4000, ns: 0 }, direction: 'backward', limit: 100 });
    if (r.value.kind !== 'vector') throw new Error('vector expected');
    expect(r.value.samples.map((s) => s.v)).toEqual([3, 2, 2, 2]);
  });

  it('scopes every selector to the allowed apps', async () => {
    expect((await logs('{app=~".+"}', { apps: ['db'] })).map((e) => e.labels.app)).toEqual(['db', 'db']);
    expect(await logs('{app=~".+"}', { apps: [] })).toEqual([]);
    const r = await eng.instantQuery({ query: 'sum(count_over_time({pod=~".+"}[10s]))', time: { ms: 4000, ns: 0 }, direction: 'backward', limit: 100, allowedApps: ['web', 'misc'] });
    expect(samples(r.value)).toEqual({ '{}': 7 });
  });

  it('enforces limits with clear errors', async () => {
    await expect(logs('{app="web"}', { limit: 5000 })).rejects.toThrow(LimitExceededError);
    await expect(logs('{app="web"}', { limit: 5000 })).rejects.toThrow(/max entries limit per query exceeded, limit > max_entries_limit \(5000 > 1000\)/);
    const small = new LogQLEngine({ store, maxQuerySeries: 1 });
    await expect(small.instantQuery({ query: 'count_over_time({app="web"}[10s])', time: { ms: 4000, ns: 0 }, direction: 'backward', limit: 10 })).rejects.toThrow(/maximum of series \(1\)/);
    await expect(
      eng.rangeQuery({ query: 'count_over_time({app="web"}[1s])', start: { ms: 0, ns: 0 }, end: { ms: 100_000_000, ns: 0 }, stepMs: 1, direction: 'forward', limit: 10 }),
    ).rejects.toThrow(/maximum resolution/);
    await expect(eng.instantQuery({ query: '{app="web"}', time: { ms: 4000, ns: 0 }, direction: 'backward', limit: 10 })).rejects.toThrow(/not supported as an instant query/);
  });

  it('gives rules a vector', async () => {
    const v = await eng.evaluate('sum by (app) (count_over_time({app=~".+"}[10s]))', 4000);
    expect(v.map((s) => [s.labels.toString(), s.v])).toEqual([
      ['{app="db"}', 2],
      ['{app="misc"}', 2],
      ['{app="web"}', 5],
    ]);
  });
});

describe('LogQL engine time budget', () => {
  it('stops a query that runs too long', async () => {
    const slow = new MemoryLogStore();
    await slow.append(A, [{ t: 1, ns: 0, line: 'x' }]);
    const orig = slow.cursors.bind(slow);
    slow.cursors = async (q, signal) => {
      await new Promise((r) => setTimeout(r, 200));
      signal?.throwIfAborted();
      return orig(q, signal);
    };
    const eng = new LogQLEngine({ store: slow, timeoutMs: 20 });
    await expect(eng.instantQuery({ query: 'count_over_time({app="web"}[1m])', time: { ms: 10, ns: 0 }, direction: 'backward', limit: 10 })).rejects.toThrow(QueryTimeoutError);
  });
});

describe('metric queries answered from the JSON field index agree with parsing', () => {
  const J = Labels.fromStrings('app', 'j', 'pod', 'x');
  const K = Labels.fromStrings('app', 'j', 'pod', 'y', 'level', 'stream-level');
  const levels = ['info', 'warn', 'error', 'debug'];
  function lines(n: number, seed: number): { t: number; ns: number; line: string }[] {
    let x = seed;
    const rnd = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % m;
    };
    return Array.from({ length: n }, (_, i) => {
      const o: Record<string, unknown> = { level: levels[rnd(4)], status: 200 + 100 * rnd(4), latency: (rnd(1000) / 100).toFixed(2), request_id: `r${seed}-${i}`, user: { id: rnd(5), name: `u"${rnd(3)}` } };
      if (rnd(10) === 0) delete o.level;
      return { t: 1000 + i * 10, ns: i, line: JSON.stringify(o) };
    });
  }
  const queries = [
    'sum by (level) (count_over_time({app="j"} | json [1m]))',
    'sum(count_over_time({app="j"} | json | level="error" [1m]))',
    'sum by (status) (rate({app="j"} | json | status >= 300 and level!="debug" [1m]))',
    'sum by (user_name) (count_over_time({app="j"} | json | user_id="3" or user_id="4" [1m]))',
    'avg_over_time({app="j"} | json | unwrap latency [1m]) by (level)',
    'max_over_time({app="j"} | json | level=~"w.*" | unwrap status [1m]) by (user_id)',
    'sum by (request_id) (count_over_time({app="j"} | json | status=500 [1m]))',
    'absent_over_time({app="j"} | json | level="fatal" [1m])',
  ];

  it.each([0, 1])('with %i packing workers', async (workers) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-jsonidx-'));
    const disk = await DiskLogStore.open({ dir, maintenanceIntervalMs: 0, packWorkers: workers, blockBytes: 4096, chunkBytes: 16384 });
    const mem = new MemoryLogStore();
    // Batches out of order (as concurrent pushes deliver them): blocks overlap in time.
    const jl = lines(400, 7);
    for (const s of [disk, mem]) {
      for (const part of [jl.slice(200, 300), jl.slice(0, 100), jl.slice(300), jl.slice(100, 200)]) await s.append(J, part);
      await s.append(K, lines(100, 9));
    }
    await disk.flush();
    // The index is there: a cursor asking for fields gets columns, not lines.
    let columnBatches = 0;
    for (const c of await disk.cursors({ matchers: [new Matcher(MatchType.Equal, 'pod', 'x')], mint: 0, maxt: 1e9, direction: 'forward', lines: true, jsonFields: ['level'] })) {
      for (let b = await c.next(); b !== undefined; b = await c.next()) if (b.columns !== undefined) columnBatches++;
    }
    expect(columnBatches).toBeGreaterThan(0);
    const a = new LogQLEngine({ store: disk });
    const b = new LogQLEngine({ store: mem });
    for (const query of queries) {
      const q = { query, time: { ms: 30_000, ns: 0 }, direction: 'backward' as const, limit: 100 };
      const [x, y] = [await a.instantQuery(q), await b.instantQuery(q)];
      expect(samples(x.value), query).toEqual(samples(y.value));
      const r = { query, start: { ms: 0, ns: 0 }, end: { ms: 8000, ns: 0 }, stepMs: 500, direction: 'backward' as const, limit: 100 };
      expect((await a.rangeQuery(r)).value, query).toEqual((await b.rangeQuery(r)).value);
    }
    await disk.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
