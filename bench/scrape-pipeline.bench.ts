// The server's ingest path without HTTP: CPU µs per sample and RSS bytes per active series for
// the workload of ../shared/bench/metrics-bench.sh (50 targets × 2000 series ≈ 100 k series,
// 5 s scrapes, 10 % of pods churning every 600 s). Each target's page at each tick comes from
// ../shared/bench/targets.js (the harness's own model), rendered in a child process into a file
// first; the pages of one tick are read into one reused buffer, and every target's page then
// goes through ScrapeLoop.scrapeAndReport exactly as in the server: parse, scrape cache, target
// labels, Appender of a real Db (WAL with snappy on disk), synthetic series, staleness, commit.
//
// CPU is this process's (GC and WAL writes included) over the appends only, not the page reads.
// RSS is the whole process's at the end, minus the page buffer.
//
// Run: npx tsx bench/scrape-pipeline.bench.ts [ticks, default 36 = 3 min] [targets] [series]
//      PROFILE=out.cpuprofile … writes a CPU profile of ticks PROFILE_FROM (default 1, after the
//      first scrape that creates every series) to PROFILE_TO (default the last).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { writeFileSync } from 'node:fs';
import { Registry } from '../src/instrument/index.js';
import { Labels } from '../src/model/index.js';
import { ScrapeCache, ScrapeLoop, ScrapeMetrics, ScrapeTarget, type ScrapeResult, type Scraper } from '../src/scrape/index.js';
import { Db } from '../src/tsdb/index.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const TICKS = Number(process.argv[2] ?? 36);
const TARGETS = Number(process.argv[3] ?? 50);
const SERIES = Number(process.argv[4] ?? 2000);
const INTERVAL_MS = 5000;
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface TargetModel {
  readonly fams: unknown[];
}
const require = createRequire(import.meta.url);
const gen = require('/work/shared/bench/targets.js') as {
  buildTarget(t: number, o: { seed: number; series: number; churn: number; churnPeriod: number; tick: number }): TargetModel;
  render(target: TargetModel, k: number): { text: string; samples: number };
};

// File layout: per tick, per target: u32 length, then the page bytes.
function writePages(path: string): void {
  const targets = Array.from({ length: TARGETS }, (_, t) => gen.buildTarget(t, { seed: 1, series: SERIES, churn: 0.1, churnPeriod: 600, tick: 5 }));
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(4);
  // Start late enough in the churn cycle that pods get renamed during the run, as in the harness.
  const k0 = 1000;
  for (let k = 0; k < TICKS; k++) {
    for (let ti = 0; ti < TARGETS; ti++) {
      const page = Buffer.from(gen.render(targets[ti]!, k0 + k).text);
      len.writeUInt32LE(page.length, 0);
      writeSync(fd, len);
      writeSync(fd, page);
    }
  }
  closeSync(fd);
}

/** PageScraper hands out the page set before each scrape. */
class PageScraper implements Scraper {
  page: Buffer = Buffer.alloc(0);
  scrape(): Promise<ScrapeResult> {
    return Promise.resolve({ body: this.page, contentType: CONTENT_TYPE });
  }
}

async function main(): Promise<void> {
  if (process.env.PIPELINE_GENERATE !== undefined) {
    writePages(process.env.PIPELINE_GENERATE);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'vigil-pipeline-'));
  const file = join(scratch, 'pages.bin');
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    env: { ...process.env, PIPELINE_GENERATE: file },
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`generator failed: ${r.status ?? r.signal}`);

  const registry = new Registry();
  const db = await Db.open({ dir: join(scratch, 'data'), registry });
  const metrics = new ScrapeMetrics(registry);
  const signal = new AbortController().signal;
  const loops = Array.from({ length: TARGETS }, (_, ti) => {
    const addr = `127.0.0.1:${19100 + ti}`;
    const target = new ScrapeTarget({
      internal: Labels.fromStrings('__address__', addr, '__metrics_path__', '/metrics', '__scheme__', 'http', 'instance', addr, 'job', 'synthetic'),
      labels: Labels.fromStrings('instance', addr, 'job', 'synthetic'),
      discovered: Labels.fromStrings('__address__', addr),
      params: {},
      scrapePool: 'synthetic',
    });
    const scraper = new PageScraper();
    const loop = new ScrapeLoop({
      target,
      scraper,
      appendable: db,
      cache: new ScrapeCache(),
      metrics,
      intervalMs: INTERVAL_MS,
      timeoutMs: INTERVAL_MS,
      honorLabels: false,
      honorTimestamps: true,
      metricRelabelConfigs: [],
      sampleLimit: 0,
      labelLimits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
      onError: (e) => {
        throw e;
      },
    });
    return { loop, scraper };
  });

  const fd = openSync(file, 'r');
  let pageBuf = Buffer.allocUnsafe(16 * 2 ** 20);
  let filePos = 0;
  const lenBuf = Buffer.alloc(4);
  const readPages = (): Buffer[] => {
    // One read per page into a shared buffer: pages are views of it.
    const offs: number[] = [];
    let used = 0;
    for (let ti = 0; ti < TARGETS; ti++) {
      readSync(fd, lenBuf, 0, 4, filePos);
      const n = lenBuf.readUInt32LE(0);
      if (used + n > pageBuf.length) {
        const grown = Buffer.allocUnsafe(Math.max(pageBuf.length * 2, used + n));
        pageBuf.copy(grown, 0, 0, used);
        pageBuf = grown;
      }
      readSync(fd, pageBuf, used, n, filePos + 4);
      filePos += 4 + n;
      offs.push(used, n);
      used += n;
    }
    return loops.map((_, ti) => pageBuf.subarray(offs[2 * ti]!, offs[2 * ti]! + offs[2 * ti + 1]!));
  };

  const t0 = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - TICKS * INTERVAL_MS;
  const session = new Session();
  let cpuFirst = 0;
  let cpuSteady = 0;
  let samplesFirst = 0;
  let samplesSteady = 0;
  const appended = (): number => db.head.metrics.samplesAppended.value;
  const w0 = performance.now();
  for (let k = 0; k < TICKS; k++) {
    const pages = readPages();
    if (k === Number(process.env.PROFILE_FROM ?? 1) && process.env.PROFILE !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const a0 = appended();
    const c0 = process.cpuUsage();
    for (let ti = 0; ti < TARGETS; ti++) {
      const { loop, scraper } = loops[ti]!;
      scraper.page = pages[ti]!;
      await loop.scrapeAndReport(undefined, t0 + k * INTERVAL_MS + ti * 7, signal);
    }
    const c = process.cpuUsage(c0);
    if (k === Number(process.env.PROFILE_TO ?? TICKS - 1) && process.env.PROFILE !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(process.env.PROFILE, JSON.stringify(profile));
      delete process.env.PROFILE;
    }
    const n = appended() - a0;
    if (k === 0) {
      cpuFirst += c.user + c.system;
      samplesFirst += n;
    } else {
      cpuSteady += c.user + c.system;
      samplesSteady += n;
    }
  }
  const wall = performance.now() - w0;
  closeSync(fd);
  const pageBytes = pageBuf.length;
  pageBuf = Buffer.alloc(0);
  gc();
  const mem = process.memoryUsage();
  const series = db.head.numSeries();
  const line = {
    bench: 'scrape-pipeline',
    ticks: TICKS,
    targets: TARGETS,
    series_per_target: SERIES,
    head_series: series,
    samples: samplesFirst + samplesSteady,
    first_scrape_cpu_us_per_sample: +(cpuFirst / samplesFirst).toFixed(3),
    steady_cpu_us_per_sample: +(cpuSteady / samplesSteady).toFixed(3),
    wall_us_per_sample: +((wall * 1000) / (samplesFirst + samplesSteady)).toFixed(3),
    rss_bytes_per_series: Math.round((mem.rss - pageBytes) / series),
    heap_used_bytes_per_series: Math.round(mem.heapUsed / series),
    external_bytes_per_series: Math.round((mem.external + mem.arrayBuffers) / series),
    wal_bytes: db.head.wal?.size() ?? 0,
    head_chunk_slab_bytes_per_series: Math.round(db.head.chunks.memoryBytes() / series),
    head_closed_chunk_bytes_per_series: Math.round(db.head.arena.bytes() / series),
    postings_bytes_per_series: Math.round(db.head.postings.stats().postingsBytes / series),
    node: process.version,
    load: (await import('node:os')).loadavg()[0]!.toFixed(1),
  };
  console.log(JSON.stringify(line));
  if (process.env.HEAP_SPACES !== undefined) for (const sp of v8.getHeapSpaceStatistics()) console.log(sp.space_name, (sp.space_size / 2 ** 20).toFixed(1), 'MiB committed', (sp.space_used_size / 2 ** 20).toFixed(1), 'used');
  if (process.env.HEAPSNAP !== undefined) {
    for (const { scraper } of loops) scraper.page = Buffer.alloc(0);
    gc();
    v8.writeHeapSnapshot(process.env.HEAPSNAP);
  }
  await db.close();
  rmSync(scratch, { recursive: true, force: true });
}

await main();
