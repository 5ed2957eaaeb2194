/**
 * PromQL engine micro-benchmarks on MemoryStorage: rate over 10k series × 1h, sum by, and
 * histogram_quantile. Prints ms per query (median of several runs). Run:
 *   npx tsx bench/promql.bench.ts
 */
import { Labels } from '../src/model/index.js';
import { MemoryStorage } from '../src/storage/index.js';
import { Engine } from '../src/promql/index.js';

const SERIES = Number(process.env.SERIES ?? 10_000);
const SCRAPE_MS = 15_000;
const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

async function build(): Promise<MemoryStorage> {
  const db = new MemoryStorage();
  const nSamples = HOUR / SCRAPE_MS + 1;
  for (let i = 0; i < SERIES; i++) {
    // One batch per series: MemoryStorage checks a batch's pending samples linearly.
    const app = db.appender();
    const l = Labels.fromStrings('__name__', 'http_requests_total', 'job', `job${i % 10}`, 'instance', `host${i}:9100`, 'method', i % 3 === 0 ? 'GET' : 'POST');
    let v = 0;
    for (let k = 0; k < nSamples; k++) {
      v += (i % 7) + 1;
      app.append(0, l, T0 + k * SCRAPE_MS, v);
    }
    await app.commit();
  }
  // 100 classic histograms with 12 buckets each.
  const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  for (let h = 0; h < 100; h++) {
    for (let b = 0; b < bounds.length; b++) {
      const app = db.appender();
      const l = Labels.fromStrings('__name__', 'http_request_duration_seconds_bucket', 'job', `job${h % 10}`, 'instance', `host${h}`, 'le', bounds[b]!);
      let v = 0;
      for (let k = 0; k < nSamples; k++) {
        v += b + 1 + (h % 3);
        app.append(0, l, T0 + k * SCRAPE_MS, v);
      }
      await app.commit();
    }
  }
  return db;
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
  process.stdout.write(`${label.padEnd(72)} ${ms[Math.floor(ms.length / 2)]!.toFixed(1).padStart(9)} ms/query\n`);
}

const tb = performance.now();
const db = await build();
process.stdout.write(`loaded ${db.samplesAppended} samples in ${db.seriesCount} series in ${(performance.now() - tb).toFixed(0)} ms\n`);
const e = new Engine({ queryable: db });
const end = T0 + HOUR;
const start = T0;
await time(`instant rate(http_requests_total[5m]) (${SERIES} series)`, () => e.instantQuery('rate(http_requests_total[5m])', end));
await time(`instant rate(http_requests_total[1h]) (${SERIES} series × 1h)`, () => e.instantQuery('rate(http_requests_total[1h])', end));
await time(`range 1h step 60s rate(http_requests_total[5m])`, () => e.rangeQuery('rate(http_requests_total[5m])', start, end, 60_000));
await time(`range 1h step 15s rate(http_requests_total[5m])`, () => e.rangeQuery('rate(http_requests_total[5m])', start, end, 15_000));
await time(`range 1h step 60s sum by (job) (rate(http_requests_total[5m]))`, () =>
  e.rangeQuery('sum by (job) (rate(http_requests_total[5m]))', start, end, 60_000),
);
await time(`instant sum by (job) (http_requests_total)`, () => e.instantQuery('sum by (job) (http_requests_total)', end));
await time(`range 1h step 60s http_requests_total (raw selector)`, () => e.rangeQuery('http_requests_total', start, end, 60_000));
await time(`range 1h step 60s histogram_quantile(0.9, sum by (le) (rate(..._bucket[5m])))`, () =>
  e.rangeQuery('histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', start, end, 60_000),
);
await time(`instant histogram_quantile(0.9, rate(..._bucket[5m])) (100 histograms)`, () =>
  e.instantQuery('histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))', end),
);
await time(`range 1h step 60s topk(5, rate(http_requests_total[5m]))`, () => e.rangeQuery('topk(5, rate(http_requests_total[5m]))', start, end, 60_000));
await time(`range 1h step 60s rate(x[5m]) / on(instance) group_left rate(x[5m])`, () =>
  e.rangeQuery('rate(http_requests_total[5m]) / on(instance,job,method) rate(http_requests_total[5m])', start, end, 60_000),
);
