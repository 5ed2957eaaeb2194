// Scrape cost end to end: CPU seconds per million samples for HTTP fetch (from targets.js run as
// a separate process) → parse → cache / relabel → Appender, into a counting Appender and into
// MemoryStorage, with a warm cache (steady state) and a cold one (every series new).
//   npx tsx bench/scrape.bench.ts [targets] [series]
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { DEFAULT_HTTP_CLIENT_CONFIG } from '../src/discovery/index.js';
import { Registry } from '../src/instrument/index.js';
import { Labels as L } from '../src/model/index.js';
import { newRelabelConfig } from '../src/relabel/index.js';
import { type AppendSettings, HttpClient, ScrapeCache, ScrapeMetrics, TargetScraper, appendScrape } from '../src/scrape/index.js';
import { type Appendable, type Appender, MemoryStorage, type SeriesRef } from '../src/storage/index.js';

const TARGETS_JS = '/work/shared/bench/targets.js';
const nTargets = Number(process.argv[2] ?? 10);
const nSeries = Number(process.argv[3] ?? 2000);

/** CountingAppendable counts samples and hands out refs, storing nothing. */
class CountingAppendable implements Appendable {
  samples = 0;
  #next = 1;
  appender(): Appender {
    return {
      append: (ref: SeriesRef | 0): SeriesRef => {
        this.samples++;
        return ref !== 0 ? ref : (this.#next++ as SeriesRef);
      },
      commit: async () => {},
      rollback: async () => {},
    };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function startTargets(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [TARGETS_JS, '--port', String(port), '--targets', String(nTargets), '--series', String(nSeries), '--tick', '1', '--layout', 'paths', '--churn', '0'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('targets.js did not start');
}

interface Target {
  readonly scraper: TargetScraper;
  settings: AppendSettings;
}

function makeTargets(port: number, client: HttpClient, registry: Registry): Target[] {
  const metrics = new ScrapeMetrics(registry);
  // A typical metric_relabel_configs rule, evaluated for every new series.
  const mrc = [newRelabelConfig({ source_labels: ['__name__'], regex: 'go_gc_.*', action: 'drop' })];
  return Array.from({ length: nTargets }, (_, i) => ({
    scraper: new TargetScraper({ url: `http://127.0.0.1:${port}/metrics/${i}`, client, timeoutMs: 10_000, bodySizeLimitBytes: 0 }),
    settings: {
      cache: new ScrapeCache(),
      metrics,
      targetLabels: L.fromStrings('instance', `target-${i}`, 'job', 'synthetic'),
      honorLabels: false,
      honorTimestamps: true,
      metricRelabelConfigs: mrc,
      sampleLimit: 0,
      labelLimits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
    },
  }));
}

let clock = Date.now();
async function round(targets: readonly Target[], store: Appendable, cold: boolean): Promise<number> {
  const t = (clock += 1000);
  let n = 0;
  const signal = new AbortController().signal;
  await Promise.all(
    targets.map(async (tg) => {
      if (cold) tg.settings = { ...tg.settings, cache: new ScrapeCache() };
      const res = await tg.scraper.scrape(signal);
      const app = store.appender();
      const r = appendScrape(app, res.body, res.contentType, t, tg.settings, t);
      res.release?.();
      if (r.error !== undefined) throw r.error;
      n += r.total;
      await app.commit();
    }),
  );
  return n;
}

async function measure(name: string, targets: readonly Target[], store: Appendable, cold: boolean, rounds: number): Promise<string[]> {
  for (let i = 0; i < 2; i++) await round(targets, store, cold);
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let samples = 0;
  for (let i = 0; i < rounds; i++) samples += await round(targets, store, cold);
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const wall = Number(process.hrtime.bigint() - w0) / 1e9;
  return [name, cold ? 'cold' : 'warm', String(samples), (cpu / (samples / 1e6)).toFixed(3), ((samples / cpu) / 1e6).toFixed(2), wall.toFixed(2)];
}

async function main(): Promise<void> {
  if (!existsSync(TARGETS_JS)) throw new Error(`${TARGETS_JS} not found`);
  const port = await freePort();
  const child = await startTargets(port);
  const client = new HttpClient(DEFAULT_HTTP_CLIENT_CONFIG);
  try {
    const rows: string[][] = [['appender', 'cache', 'samples', 'cpu-s per 1M samples', 'M samples per cpu-s', 'wall s']];
    rows.push(await measure('counting', makeTargets(port, client, new Registry()), new CountingAppendable(), false, 25));
    rows.push(await measure('MemoryStorage', makeTargets(port, client, new Registry()), new MemoryStorage(), false, 25));
    rows.push(await measure('counting', makeTargets(port, client, new Registry()), new CountingAppendable(), true, 5));
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log(`(${nTargets} targets × ${nSeries} series from targets.js in another process; CPU of this process only; node ${process.version}; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
  } finally {
    client.close();
    child.kill();
  }
}

await main();
