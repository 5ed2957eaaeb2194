// TSDB ingest: CPU µs per appended sample and RSS bytes per active series, for the workload of
// ../shared/bench/metrics-bench.sh (50 targets × 2000 series = 100 k series, 5 s scrapes, 10 %
// of pods churning every 600 s), in process: the targets' exposition text is generated and split
// into samples outside the measured sections, which cover only appender.append + commit (the
// WAL write included). Refs are cached per series line, as a scrape loop's cache does.
//
// Run: npx tsx bench/tsdb-ingest.bench.ts [ticks, default 60 = 5 min of data] [targets] [series per target]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Labels } from '../src/model/index.js';
import type { SeriesRef } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const TICKS = Number(process.argv[2] ?? 60);
const TARGETS = Number(process.argv[3] ?? 50);
const SERIES = Number(process.argv[4] ?? 2000);
const INTERVAL_MS = 5000;

interface TargetModel {
  readonly fams: unknown[];
}
const require = createRequire(import.meta.url);
const gen = require('/work/shared/bench/targets.js') as {
  buildTarget(t: number, o: { seed: number; series: number; churn: number; churnPeriod: number; tick: number }): TargetModel;
  render(target: TargetModel, k: number, extra?: string): { text: string; samples: number };
};

interface Entry {
  readonly labels: Labels;
  ref: SeriesRef | 0;
}

// parseLabels reads `name{a="b",…}` of the generator's own output (no escapes in it).
function parseLabels(prefix: string, instance: string): Labels {
  const nv: string[] = ['__name__', '', 'instance', instance, 'job', 'synthetic'];
  const brace = prefix.indexOf('{');
  nv[1] = brace < 0 ? prefix : prefix.slice(0, brace);
  if (brace >= 0) {
    for (const m of prefix.slice(brace + 1, prefix.lastIndexOf('}')).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) nv.push(m[1]!, m[2]!);
  }
  return Labels.fromStrings(...nv);
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1) + ' MiB';

async function main(): Promise<void> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const targets = Array.from({ length: TARGETS }, (_, t) => gen.buildTarget(t, { seed: 1, series: SERIES, churn: 0.1, churnPeriod: 600, tick: 5 }));
  const caches = targets.map(() => new Map<string, Entry>());
  gc();
  const rssGen = process.memoryUsage().rss;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
  const db = await Db.open({ dir });
  const t0 = Date.UTC(2024, 0, 1);
  let cpuFirst = 0;
  let cpuSteady = 0;
  let samplesFirst = 0;
  let samplesSteady = 0;
  let wallSteady = 0;
  // One tick's samples of every target, prepared before the measured section.
  const entries: Entry[][] = targets.map(() => []);
  const values: Float64Array[] = targets.map(() => new Float64Array(SERIES + 100));
  for (let k = 0; k < TICKS; k++) {
    for (let ti = 0; ti < TARGETS; ti++) {
      const { text } = gen.render(targets[ti]!, k);
      const cache = caches[ti]!;
      const es = entries[ti]!;
      const vs = values[ti]!;
      es.length = 0;
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        if (text.charCodeAt(start) !== 35) {
          const sp = text.lastIndexOf(' ', end);
          // A flat copy, so the cache does not pin the whole exposition text.
          const prefix = Buffer.from(text.slice(start, sp)).toString();
          let e = cache.get(prefix);
          if (e === undefined) {
            e = { labels: parseLabels(prefix, `127.0.0.1:${19100 + ti}`), ref: 0 };
            cache.set(prefix, e);
          }
          vs[es.length] = Number(text.slice(sp + 1, end));
          es.push(e);
        }
        start = end + 1;
      }
    }
    // Leave the generator's garbage out of the measurement.
    gc();
    for (let ti = 0; ti < TARGETS; ti++) {
      const es = entries[ti]!;
      const vs = values[ti]!;
      const t = t0 + k * INTERVAL_MS + ti; // targets are scraped at slightly different times
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const app = db.appender();
      for (let i = 0; i < es.length; i++) {
        const e = es[i]!;
        e.ref = app.append(e.ref, e.labels, t, vs[i]!);
      }
      await app.commit();
      const c = process.cpuUsage(c0);
      const us = c.user + c.system;
      if (k === 0) {
        cpuFirst += us;
        samplesFirst += es.length;
      } else {
        cpuSteady += us;
        samplesSteady += es.length;
        wallSteady += performance.now() - w0;
      }
    }
  }
  // Drop the generator's per-tick garbage, then measure what stays.
  gc();
  gc();
  const mem = process.memoryUsage();
  const series = db.head.numSeries();
  let cacheEntries = 0;
  for (const c of caches) cacheEntries += c.size;
  const line = {
    bench: 'tsdb-ingest',
    ticks: TICKS,
    targets: TARGETS,
    series_per_target: SERIES,
    head_series: series,
    samples: samplesFirst + samplesSteady,
    first_scrape_us_per_sample: +(cpuFirst / samplesFirst).toFixed(3),
    steady_cpu_us_per_sample: +(cpuSteady / samplesSteady).toFixed(3),
    steady_wall_us_per_sample: +((wallSteady * 1000) / samplesSteady).toFixed(3),
    rss_bytes: mem.rss,
    rss_bytes_per_series_total: Math.round(mem.rss / series),
    rss_bytes_per_series_minus_generator: Math.round((mem.rss - rssGen + rss0) / series),
    heap_used_bytes: mem.heapUsed,
    external_bytes: mem.external + mem.arrayBuffers,
    wal_bytes: db.head.wal?.size() ?? 0,
    wal_bytes_per_sample: +((db.head.wal?.size() ?? 0) / (samplesFirst + samplesSteady)).toFixed(2),
  };
  process.stderr.write(
    `node baseline ${mb(rss0)}, generator ${mb(rssGen - rss0)}, final ${mb(mem.rss)} (heap ${mb(mem.heapUsed)}, ` +
      `external+buffers ${mb(mem.external + mem.arrayBuffers)}), ${series} series, ${cacheEntries} cached lines\n`,
  );
  console.log(JSON.stringify(line));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
