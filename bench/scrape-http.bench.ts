// HTTP fetch cost alone: CPU µs per sample for fetching targets.js pages with the scraper's
// HttpClient/TargetScraper (keep-alive, pooled body buffers), without parsing or appending.
//   npx tsx bench/scrape-http.bench.ts [targets] [series] [rounds]
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { DEFAULT_HTTP_CLIENT_CONFIG } from '../src/discovery/index.js';
import { HttpClient, TargetScraper } from '../src/scrape/index.js';

const nTargets = Number(process.argv[2] ?? 50);
const nSeries = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 20);

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
  const child = spawn(process.execPath, ['/work/shared/bench/targets.js', '--port', String(port), '--targets', String(nTargets), '--series', String(nSeries), '--tick', '1', '--layout', 'paths', '--churn', '0'], { stdio: 'ignore' });
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

const port = await freePort();
const child = await startTargets(port);
const client = new HttpClient(DEFAULT_HTTP_CLIENT_CONFIG);
const scrapers = Array.from({ length: nTargets }, (_, i) => new TargetScraper({ url: `http://127.0.0.1:${port}/metrics/${i}`, client, timeoutMs: 30_000, bodySizeLimitBytes: 0 }));
const signal = new AbortController().signal;
let bytes = 0;
const once = async (): Promise<void> => {
  for (const s of scrapers) {
    const r = await s.scrape(signal);
    bytes += r.body.length;
    r.release?.();
  }
};
await once();
bytes = 0;
const c0 = process.cpuUsage();
for (let i = 0; i < rounds; i++) await once();
const c = process.cpuUsage(c0);
const samples = rounds * nTargets * nSeries;
console.log(JSON.stringify({ bench: 'scrape-http', targets: nTargets, rounds, bytes_per_scrape: Math.round(bytes / rounds / nTargets), cpu_us_per_sample: +((c.user + c.system) / samples).toFixed(3), user_us: +(c.user / samples).toFixed(3), sys_us: +(c.system / samples).toFixed(3), cpu_ms_per_scrape: +((c.user + c.system) / 1000 / rounds / nTargets).toFixed(3) }));
client.close();
child.kill();
