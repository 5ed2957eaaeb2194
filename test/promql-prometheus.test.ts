// Differential test against the real Prometheus (Debian's 2.42): the same samples are written
// into a data directory Prometheus serves and into vigil's MemoryStorage, then a battery of
// queries runs on both, as instant and range queries, and the answers are compared.
//
// Prometheus 2.42 selects windows left-closed ([t-range, t], lookback [t-5m, t]); Prometheus 3
// (and vigil) left-open. Sample timestamps here sit at 431 ms past a 15 s grid, and query times
// at 500 ms past a whole second while ranges, offsets and subquery steps are whole seconds, so
// neither a sample nor a subquery point ever lies on a window boundary and the two semantics
// give the same answers. Values are compared with a relative tolerance of 1e-9
// (Prometheus 3 sums with Kahan compensation, 2.42 without).
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, STALE_NAN } from '../src/model/index.js';
import { MemoryStorage } from '../src/storage/index.js';
import { Engine, type Value, formatSampleValue } from '../src/promql/index.js';
import { Db } from '../src/tsdb/index.js';
import { peer } from './support/peers.js';
import { type PeerProcess, startPeer } from './support/peer-process.js';

const prometheus = peer('prometheus');
const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const STEP = 15_000;
const N = 4 * 240; // four hours of samples

interface SeriesDef {
  readonly labels: Labels;
  readonly value: (k: number) => number | undefined;
}

// A small, varied data set: counters with resets, gauges, a classic histogram, a series that goes
// stale and comes back, and label sets that exercise matching.
function dataset(): SeriesDef[] {
  const out: SeriesDef[] = [];
  const L = (o: Record<string, string>): Labels => Labels.fromObject(o);
  for (let i = 0; i < 6; i++) {
    const job = i < 3 ? 'api' : 'web';
    const inst = `host-${i % 3}:9100`;
    out.push({
      labels: L({ __name__: 'http_requests_total', job, instance: inst, code: i % 2 ? '200' : '500' }),
      value: (k) => ((k * (i + 1) * 3) % (i === 2 ? 397 : 1e12)) + 0.5 * i,
    });
    out.push({ labels: L({ __name__: 'node_load1', job, instance: inst, cpu: String(i % 2) }), value: (k) => Math.round((Math.sin(k / 17 + i) + 1.2) * 1000) / 100 });
    for (const mode of ['idle', 'user', 'system']) {
      out.push({
        labels: L({ __name__: 'node_cpu_seconds_total', job, instance: inst, cpu: String(i), mode }),
        value: (k) => k * (mode === 'idle' ? 12.1 : mode === 'user' ? 2.4 : 0.6) * (1 + i / 10),
      });
    }
  }
  const bounds = ['0.1', '0.5', '1', '5', '+Inf'];
  for (const handler of ['/a', '/b']) {
    bounds.forEach((le, b) =>
      out.push({
        labels: L({ __name__: 'http_request_duration_seconds_bucket', handler, le, job: 'api' }),
        value: (k) => k * (b + 1) * (handler === '/a' ? 2 : 3),
      }),
    );
    out.push({ labels: L({ __name__: 'http_request_duration_seconds_count', handler, job: 'api' }), value: (k) => k * 5 * (handler === '/a' ? 2 : 3) });
    out.push({ labels: L({ __name__: 'http_request_duration_seconds_sum', handler, job: 'api' }), value: (k) => k * 1.7 });
  }
  out.push({
    labels: L({ __name__: 'flappy', job: 'web' }),
    value: (k) => (k % 120 < 60 ? k : k % 120 === 60 ? STALE_NAN : undefined),
  });
  out.push({ labels: L({ __name__: 'info_metric', job: 'api', version: '1.2.3' }), value: () => 1 });
  // Many series with few distinct values and some NaNs: the order sort() leaves ties in is Go's
  // unstable pdqsort (over more than 50 elements it takes every path but heapsort).
  for (let i = 0; i < 70; i++) {
    out.push({
      labels: L({ __name__: 'tie', i: String(i).padStart(2, '0'), grp: String(i % 3) }),
      value: (k) => ((i * 7 + k) % 11 === 0 ? NaN : Math.floor(((i * 31 + k * 17) % 97) / 13)),
    });
  }
  return out;
}

const QUERIES = [
  'http_requests_total',
  'http_requests_total{code="200"}',
  'http_requests_total{job=~"a.*",code!="500"}',
  'rate(http_requests_total[5m])',
  'increase(http_requests_total[10m])',
  'irate(http_requests_total[2m])',
  'delta(node_load1[10m])',
  'idelta(node_load1[5m])',
  'deriv(node_load1[10m])',
  'predict_linear(node_load1[10m], 600)',
  'resets(http_requests_total[1h])',
  'changes(node_load1[30m])',
  'sum(rate(http_requests_total[5m]))',
  'sum by (job) (rate(http_requests_total[5m]))',
  'sum without (instance, code) (rate(http_requests_total[5m]))',
  'avg by (instance) (node_load1)',
  'max by (job) (node_load1)',
  'min(node_load1)',
  'count by (job) (node_cpu_seconds_total)',
  'count_values("v", node_load1 > 1)',
  'stddev by (job) (node_load1)',
  'stdvar(node_load1)',
  'quantile(0.9, node_load1)',
  'quantile by (job) (0.25, rate(node_cpu_seconds_total[5m]))',
  'topk(3, rate(http_requests_total[5m]))',
  'bottomk(2, node_load1)',
  'group by (job) (node_load1)',
  '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m]))',
  'node_load1 > 1.5',
  'node_load1 > bool 1.5',
  '2 * node_load1 - 1',
  'node_load1 / on(instance, job) group_left sum by (instance, job) (node_load1)',
  'node_cpu_seconds_total / ignoring(mode) group_left node_load1',
  'rate(http_requests_total[5m]) and on(job) node_load1 > 1.5',
  'node_load1 or flappy',
  'http_requests_total unless http_requests_total{code="200"}',
  'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
  'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[10m]))',
  'sum by (handler) (rate(http_request_duration_seconds_sum[5m])) / sum by (handler) (rate(http_request_duration_seconds_count[5m]))',
  'avg_over_time(node_load1[10m])',
  'min_over_time(node_load1[10m])',
  'max_over_time(node_load1[10m])',
  'sum_over_time(node_load1[10m])',
  'count_over_time(flappy[10m])',
  'stddev_over_time(node_load1[10m])',
  'quantile_over_time(0.5, node_load1[10m])',
  'last_over_time(node_load1[10m])',
  'present_over_time(flappy[5m])',
  'absent(nonexistent{job="x"})',
  'absent_over_time(flappy[1m])',
  'flappy',
  'timestamp(flappy)',
  'node_load1 offset 10m',
  'rate(http_requests_total[5m] offset 1h)',
  'node_load1 @ 1704070800',
  'max_over_time(rate(http_requests_total[5m])[30m:1m])',
  'avg_over_time(node_load1[1h:5m])',
  'label_replace(node_load1, "host", "$1", "instance", "(.*):.*")',
  'label_join(node_load1, "both", "-", "job", "cpu")',
  'abs(-node_load1)',
  'ceil(node_load1)',
  'floor(node_load1)',
  'round(node_load1, 0.5)',
  'clamp(node_load1, 1, 2)',
  'clamp_min(node_load1, 1)',
  'exp(node_load1 / 10)',
  'ln(node_load1)',
  'sqrt(node_load1)',
  'sgn(node_load1 - 1)',
  'scalar(sum(node_load1))',
  'vector(1) + 2',
  'time()',
  'hour()',
  'day_of_week(vector(time()))',
  'sort_desc(node_load1)',
  'count(http_requests_total) by (job) * on (job) group_left(version) info_metric',
  'sum by (job) (node_cpu_seconds_total) % 7',
  'node_load1 ^ 2 atan2 node_load1',
  '-(node_load1 * node_load1)',
  'rate(http_requests_total[5m] @ end())',
  'node_load1 @ start()',
  'max_over_time(node_load1[20m:2m] offset 5m)',
  'rate(http_requests_total[10m:30s])',
  'min_over_time(sum by (job) (rate(http_requests_total[1m]))[15m:1m])',
  'topk by (job) (1, node_load1)',
  'bottomk(1, sum by (instance) (node_load1))',
  'count_values by (job) ("cpus", count by (job, instance) (node_cpu_seconds_total))',
  'days_in_month(vector(1709251200))',
  'month(vector(time()))',
  'minute(timestamp(node_load1))',
  'year()',
  'node_load1 == bool on(instance, job, cpu) node_load1',
  'http_requests_total > on(job) group_left max by (job) (http_requests_total) * 0.5',
  'sum(http_requests_total) / count(http_requests_total)',
  'avg(rate(http_request_duration_seconds_bucket{le="+Inf"}[5m]))',
  'histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket[1m])))',
  'quantile(0.5, scalar(sum(node_load1)) * node_load1)',
  'node_load1 > scalar(avg(node_load1))',
  'absent(http_requests_total{job="nope"})',
  'deg(rad(node_load1))',
  'log2(node_load1) + log10(node_load1)',
  'sin(node_load1) + cos(node_load1) + tan(node_load1) + asinh(node_load1)',
  'increase(flappy[30m])',
  'flappy offset -30m',
];

let dir = '';
let prom: PeerProcess | undefined;
let engine: Engine;
const END = T0 + (N - 1) * STEP + 431;

async function promQuery(path: string, params: Record<string, string>): Promise<{ resultType: string; result: unknown } | { error: string }> {
  const body = new URLSearchParams(params);
  const res = (await (await fetch(`${prom!.url}/api/v1/${path}`, { method: 'POST', body })).json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown };
  };
  if (res.status !== 'success') return { error: res.error ?? 'error' };
  return res.data;
}

/** canon turns a result into sorted `labels → [t, v][]` rows (strings compared exactly, numbers with tolerance). */
function canonProm(d: { resultType: string; result: unknown }): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const num = (s: string): number => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));
  if (d.resultType === 'scalar') {
    const [t, v] = d.result as [number, string];
    out.set('scalar', [[Math.round(t * 1000), num(v)]]);
  } else if (d.resultType === 'vector') {
    for (const r of d.result as { metric: Record<string, string>; value: [number, string] }[]) {
      out.set(Labels.fromObject(r.metric).toString(), [[Math.round(r.value[0] * 1000), num(r.value[1])]]);
    }
  } else {
    for (const r of d.result as { metric: Record<string, string>; values: [number, string][] }[]) {
      out.set(
        Labels.fromObject(r.metric).toString(),
        r.values.map(([t, v]) => [Math.round(t * 1000), num(v)]),
      );
    }
  }
  return out;
}

function canonVigil(v: Value): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  switch (v.kind) {
    case 'scalar':
      out.set('scalar', [[v.t, v.v]]);
      break;
    case 'vector':
      for (const s of v.samples) out.set(s.labels.toString(), [[s.t, s.f]]);
      break;
    case 'matrix':
      for (const s of v.series) out.set(s.labels.toString(), Array.from(s.ts, (t, i) => [t, s.vs[i]!]));
      break;
    case 'string':
      out.set('string', []);
  }
  return out;
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function diff(want: Map<string, [number, number][]>, got: Map<string, [number, number][]>): string | undefined {
  const wk = [...want.keys()].sort();
  const gk = [...got.keys()].sort();
  if (wk.join('\n') !== gk.join('\n')) return `series differ:\n  prometheus: ${wk.join(' ')}\n  vigil:      ${gk.join(' ')}`;
  for (const k of wk) {
    const w = want.get(k)!;
    const g = got.get(k)!;
    if (w.length !== g.length) return `${k}: ${w.length} points in Prometheus, ${g.length} in vigil`;
    for (let i = 0; i < w.length; i++) {
      if (w[i]![0] !== g[i]![0] || !close(w[i]![1], g[i]![1])) return `${k}: point ${i}: Prometheus ${w[i]}, vigil ${g[i]}`;
    }
  }
  return undefined;
}

describe.skipIf(prometheus === undefined)('PromQL answers equal Prometheus 2.42 on the same data', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-promql-diff-'));
    const mem = new MemoryStorage();
    const db = await Db.open({ dir: join(dir, 'vigil'), autoCompact: false, retentionMs: 0 });
    const defs = dataset();
    for (const d of defs) {
      const app = mem.appender();
      for (let k = 0; k < N; k++) {
        const v = d.value(k);
        if (v !== undefined) app.append(0, d.labels, T0 + k * STEP + 431, v);
      }
      await app.commit();
    }
    // The TSDB takes samples in time order across series (its head refuses old ones).
    for (let k = 0; k < N; k++) {
      const dapp = db.appender();
      for (const d of defs) {
        const v = d.value(k);
        if (v !== undefined) dapp.append(0, d.labels, T0 + k * STEP + 431, v);
      }
      await dapp.commit();
      if (k % 240 === 239) await db.compact();
    }
    await db.compact();
    await db.close();
    await cp(join(dir, 'vigil'), join(dir, 'prom'), { recursive: true });
    await writeFile(join(dir, 'empty.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    prom = await startPeer(
      prometheus!,
      (port) => [`--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=100y'],
      '/-/ready',
      90_000,
    );
    engine = new Engine({ queryable: mem });
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const times = [T0 + 3_600_500, T0 + 2 * 3_600_000 + 7_500, END - 1000 + 69];
  const nonEmpty = new Set<string>();
  it.each(QUERIES)('%s', async (q) => {
    for (const t of times) {
      const p = await promQuery('query', { query: q, time: String(t / 1000) });
      const v = await engine.instantQuery(q, t).then(
        (r) => ({ ok: r.value }),
        (e: Error) => ({ error: e.message }),
      );
      if ('error' in p) {
        expect('error' in v, `instant at ${t}: Prometheus failed (${p.error}), vigil did not`).toBe(true);
        continue;
      }
      if ('error' in v) throw new Error(`instant at ${t}: vigil failed: ${v.error}`);
      const d = diff(canonProm(p), canonVigil(v.ok));
      expect(d, `instant at ${t}`).toBeUndefined();
      if (canonVigil(v.ok).size > 0) nonEmpty.add(q);
    }
    const start = T0 + 1_800_500;
    const end = T0 + 3 * 3_600_000 + 500;
    const step = 97_000;
    const p = await promQuery('query_range', { query: q, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) });
    const v = await engine.rangeQuery(q, start, end, step).then(
      (r) => ({ ok: r.value }),
      (e: Error) => ({ error: e.message }),
    );
    if ('error' in p) {
      expect('error' in v).toBe(true);
      return;
    }
    if ('error' in v) throw new Error(`range: vigil failed: ${v.error}`);
    expect(diff(canonProm(p), canonVigil(v.ok)), 'range').toBeUndefined();
  });

  // Instant results whose order is defined: compared element by element, labels and values.
  const ORDERED = [
    'sort(tie)',
    'sort_desc(tie)',
    'sort(tie * 0)',
    'sort_desc(-tie)',
    'sort(tie{grp="1"})',
    'sort_desc(tie > 3)',
    'sort(tie + on(i) group_left tie * 0)',
  ];
  it.each(ORDERED)('orders %s exactly as Prometheus', async (q) => {
    for (const t of times) {
      const p = await promQuery('query', { query: q, time: String(t / 1000) });
      if ('error' in p) throw new Error(p.error);
      const want = (p.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => `${Labels.fromObject(r.metric).toString()} ${r.value[1]}`);
      const v = (await engine.instantQuery(q, t)).value;
      if (v.kind !== 'vector') throw new Error(`expected a vector, got ${v.kind}`);
      const got = v.samples.map((x) => `${x.labels.toString()} ${formatSampleValue(x.f)}`);
      expect(want.length).toBeGreaterThan(12);
      expect(got, `at ${t}`).toEqual(want);
    }
  });

  // Samples read, as Prometheus's stats report them (totalQueryableSamples).
  const COUNTED = [
    'tie',
    'rate(http_requests_total[5m])',
    'sum by (job) (rate(http_requests_total[5m]))',
    'max_over_time(rate(http_requests_total[5m])[30m:1m])',
    'rate(http_requests_total[5m])[30m:1m]',
    'sum_over_time(max_over_time(node_load1[5m:1m])[20m:2m])',
    'node_load1 @ 1704070800',
    'rate(http_requests_total[5m] @ end())',
    'http_requests_total[10m]',
    'node_load1 + on(instance, job, cpu) node_load1 offset 1h',
    'count_over_time(flappy[30m])',
  ];
  it.each(COUNTED)('counts the samples of %s as Prometheus does', async (q) => {
    const count = async (path: string, params: Record<string, string>): Promise<number> => {
      const res = (await (await fetch(`${prom!.url}/api/v1/${path}`, { method: 'POST', body: new URLSearchParams({ ...params, stats: 'all' }) })).json()) as {
        data: { stats: { samples: { totalQueryableSamples: number } } };
      };
      return res.data.stats.samples.totalQueryableSamples;
    };
    const t = times[1]!;
    expect((await engine.instantQuery(q, t)).stats.totalQueryableSamples, 'instant').toBe(await count('query', { query: q, time: String(t / 1000) }));
    if (q.endsWith(']')) return;
    const start = T0 + 1_800_500;
    const end = T0 + 3 * 3_600_000 + 500;
    const step = 97_000;
    const r = await engine.rangeQuery(q, start, end, step);
    expect(r.stats.totalQueryableSamples, 'range').toBe(await count('query_range', { query: q, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) }));
  });

  it('compared real answers, not empty ones', () => {
    // absent() of an existing-looking selector and absent_over_time may legitimately be empty.
    expect(nonEmpty.size).toBeGreaterThanOrEqual(QUERIES.length - 3);
  });
});
