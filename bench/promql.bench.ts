/**
 * PromQL engine micro-benchmarks: rate over 10k series × 1h, sum by, histogram_quantile, topk and
 * vector matching. Prints the median ms per query. The store is, with STORE=…:
 *   fake (default)  typed arrays behind a Queryable: the engine's own cost
 *   memory          MemoryStorage (its select copies samples: a store cost, not the engine's)
 *   tsdb            vigil's TSDB head (XOR chunks), as the server runs it
 *   npx tsx bench/promql.bench.ts
 *   SERIES=10000 STORE=tsdb npx tsx bench/promql.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, type Matcher, matchesAll } from '../src/model/index.js';
import { ListSeries, ListSeriesSet, MemoryStorage, type Queryable, type Querier } from '../src/storage/index.js';
import { Engine } from '../src/promql/index.js';
import { Db } from '../src/tsdb/index.js';

const SERIES = Number(process.env.SERIES ?? 10_000);
const STORE = process.env.STORE ?? 'fake';
const SCRAPE_MS = 15_000;
const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
const N_SAMPLES = HOUR / SCRAPE_MS + 1;
const BOUNDS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** Series definitions: 10k counters and 100 classic histograms of 12 buckets. */
function definitions(): { labels: Labels; value: (k: number) => number }[] {
  const out: { labels: Labels; value: (k: number) => number }[] = [];
  for (let i = 0; i < SERIES; i++) {
    const l = Labels.fromStrings('__name__', 'http_requests_total', 'job', `job${i % 10}`, 'instance', `host${i}:9100`, 'method', i % 3 === 0 ? 'GET' : 'POST');
    out.push({ labels: l, value: (k) => (k + 1) * ((i % 7) + 1) });
  }
  for (let h = 0; h < 100; h++) {
    BOUNDS.forEach((le, b) => {
      const l = Labels.fromStrings('__name__', 'http_request_duration_seconds_bucket', 'job', `job${h % 10}`, 'instance', `host${h}`, 'le', le);
      out.push({ labels: l, value: (k) => (k + 1) * (b + 1 + (h % 3)) });
    });
  }
  return out;
}

function fake(defs: ReturnType<typeof definitions>): Queryable {
  const all = defs.map((d) => {
    const ts = new Float64Array(N_SAMPLES);
    const vs = new Float64Array(N_SAMPLES);
    for (let k = 0; k < N_SAMPLES; k++) {
      ts[k] = T0 + k * SCRAPE_MS;
      vs[k] = d.value(k);
    }
    return new ListSeries(d.labels, ts, vs);
  });
  all.sort((a, b) => a.labels.compare(b.labels));
  return {
    async querier(): Promise<Querier> {
      return {
        async select(ms: readonly Matcher[]) {
          return new ListSeriesSet(all.filter((s) => matchesAll(ms, (n) => s.labels.get(n))));
        },
        async labelValues() {
          return [];
        },
        async labelNames() {
          return [];
        },
        async close() {},
      };
    },
  };
}

interface BatchAppender {
  append(ref: 0, labels: Labels, t: number, v: number): unknown;
  commit(): Promise<void>;
}

async function fill(app: () => BatchAppender, defs: ReturnType<typeof definitions>, timeMajor: boolean): Promise<void> {
  if (timeMajor) {
    for (let k = 0; k < N_SAMPLES; k++) {
      const a = app();
      for (const d of defs) a.append(0, d.labels, T0 + k * SCRAPE_MS, d.value(k));
      await a.commit();
    }
    return;
  }
  for (const d of defs) {
    const a = app();
    for (let k = 0; k < N_SAMPLES; k++) a.append(0, d.labels, T0 + k * SCRAPE_MS, d.value(k));
    await a.commit();
  }
}

async function time(label: string, f: () => Promise<unknown>, runs = 5): Promise<void> {
  await f(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(`${label.padEnd(74)} ${ms[Math.floor(ms.length / 2)]!.toFixed(1).padStart(9)} ms/query\n`);
}

const tb = performance.now();
const defs = definitions();
let store: Queryable;
let db: Db | undefined;
const dir = mkdtempSync(join(tmpdir(), 'vigil-promql-bench-'));
if (STORE === 'memory') {
  const m = new MemoryStorage();
  await fill(() => m.appender(), defs, false);
  store = m;
} else if (STORE === 'tsdb') {
  db = await Db.open({ dir, autoCompact: false, noLockfile: true });
  const d = db;
  await fill(() => d.appender(), defs, true);
  store = d;
} else {
  store = fake(defs);
}
process.stdout.write(`${STORE} store: ${defs.length} series × ${N_SAMPLES} samples loaded in ${(performance.now() - tb).toFixed(0)} ms\n`);
const e = new Engine({ queryable: store });
const end = T0 + HOUR;
const start = T0;
await time(`instant rate(http_requests_total[5m]) (${SERIES} series)`, () => e.instantQuery('rate(http_requests_total[5m])', end));
await time(`instant rate(http_requests_total[1h]) (${SERIES} series × 1h)`, () => e.instantQuery('rate(http_requests_total[1h])', end));
await time(`range 1h step 60s rate(http_requests_total[5m])`, () => e.rangeQuery('rate(http_requests_total[5m])', start, end, 60_000));
await time(`range 1h step 15s rate(http_requests_total[5m])`, () => e.rangeQuery('rate(http_requests_total[5m])', start, end, 15_000));
await time(`range 1h step 60s sum by (job) (rate(http_requests_total[5m]))`, () => e.rangeQuery('sum by (job) (rate(http_requests_total[5m]))', start, end, 60_000));
await time(`instant sum by (job) (http_requests_total)`, () => e.instantQuery('sum by (job) (http_requests_total)', end));
await time(`range 1h step 60s http_requests_total (raw selector)`, () => e.rangeQuery('http_requests_total', start, end, 60_000));
await time(`range 1h step 60s histogram_quantile(0.9, sum by (le) (rate(…_bucket[5m])))`, () =>
  e.rangeQuery('histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', start, end, 60_000),
);
await time(`instant histogram_quantile(0.9, rate(…_bucket[5m])) (100 histograms)`, () =>
  e.instantQuery('histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))', end),
);
await time(`range 1h step 60s topk(5, rate(http_requests_total[5m]))`, () => e.rangeQuery('topk(5, rate(http_requests_total[5m]))', start, end, 60_000));
await time(`range 1h step 60s rate(x[5m]) / on(instance, job, method) rate(x[5m])`, () =>
  e.rangeQuery('rate(http_requests_total[5m]) / on(instance,job,method) rate(http_requests_total[5m])', start, end, 60_000),
);
await db?.close();
rmSync(dir, { recursive: true, force: true });
