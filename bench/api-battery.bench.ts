// The bench's 26-query battery and the metadata calls Grafana makes, end to end over HTTP,
// vigil (its TSDB opening the very blocks Prometheus serves) side by side with Prometheus 2.42
// on the same machine in the same sitting. Prints medians per call, sums and ratios.
// Run: npx tsx bench/api-battery.bench.ts   (TARGETS=5 SERIES=1000 HOURS=2 REPS=5 by default)
// Measured 2026-11-22 (2 shared cores, load ≈ 3): battery sum vigil 688 ms, Prometheus 783 ms,
// ratio 0.88, worst single ratio 1.23 (q02_count_job 269 vs 218 ms); metadata calls 0.4–1.0×.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpServer, Router, mountPrometheusApi } from '../src/api/index.js';
import { Engine } from '../src/promql/index.js';
import { Db } from '../src/tsdb/index.js';

const BENCH = process.env.VIGIL_BENCH_DIR ?? '/work/shared/bench';
const TARGETS = Number(process.env.TARGETS ?? 5);
const SERIES = Number(process.env.SERIES ?? 1000);
const HOURS = Number(process.env.HOURS ?? 2);
const REPS = Number(process.env.REPS ?? 5);
const START = 1704067200;
const END = START + HOURS * 3600;
const queries = JSON.parse(readFileSync(join(BENCH, 'queries.json'), 'utf8')) as { id: string; type: string; query: string }[];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function median(url: string): Promise<{ ms: number; ok: boolean }> {
  const times: number[] = [];
  let ok = true;
  await (await fetch(url)).arrayBuffer(); // warm-up
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers: { 'Accept-Encoding': 'gzip' } });
    await r.arrayBuffer();
    ok &&= r.status === 200;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, ok };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-apibattery-'));
let prom: ReturnType<typeof spawn> | undefined;
let db: Db | undefined;
let srv: HttpServer | undefined;
try {
  const om = join(dir, 'data.om');
  console.log(`dataset: ${TARGETS} targets × ${SERIES} series, ${HOURS} h at 15 s`);
  execFileSync(process.execPath, [join(BENCH, 'gen-dataset.js'), '--targets', String(TARGETS), '--series', String(SERIES), '--hours', String(HOURS), '--interval', '15', '--start', String(START), '--out', om], { stdio: ['ignore', 'ignore', 'inherit'] });
  const blocks = join(dir, 'prom');
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', om, blocks]);
  rmSync(om);
  cpSync(blocks, join(dir, 'vigil'), { recursive: true });
  writeFileSync(join(dir, 'p.yml'), 'global: {}\n');
  const port = await freePort();
  prom = spawn('prometheus', [`--config.file=${join(dir, 'p.yml')}`, `--storage.tsdb.path=${blocks}`, '--storage.tsdb.retention.time=100y', `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const promUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${promUrl}/-/ready`)).status === 200) break;
    } catch {
      /* starting */
    }
    if (i > 300) throw new Error('Prometheus did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  db = await Db.open({ dir: join(dir, 'vigil'), noLockfile: true, autoCompact: false, retentionMs: 0 });
  const router = new Router();
  // As `vigil server` does: the query path is warmed up at mount, so the first calls are not timed in V8's interpreter.
  mountPrometheusApi(router, { engine: new Engine({ queryable: db }), queryable: db, now: () => END * 1000, warmUp: true });
  srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  const vigilUrl = `http://127.0.0.1:${(await srv.listen()).port}`;
  await new Promise((r) => setTimeout(r, 2500)); // let the warm-up (≤ 2 s) finish

  const qs = (q: string): string => encodeURIComponent(q);
  const calls: { id: string; path: string }[] = [
    ...queries.map((q) => ({
      id: q.id,
      path: q.type === 'range' ? `/api/v1/query_range?query=${qs(q.query)}&start=${END - 3600}&end=${END}&step=60` : `/api/v1/query?query=${qs(q.query)}&time=${END}`,
    })),
    { id: 'm_labels', path: `/api/v1/labels?start=${START}&end=${END}` },
    { id: 'm_names', path: `/api/v1/label/__name__/values?start=${START}&end=${END}` },
    { id: 'm_values_match', path: `/api/v1/label/pod/values?match[]=${qs('container_memory_working_set_bytes')}&start=${END - 3600}&end=${END}` },
    { id: 'm_series', path: `/api/v1/series?match[]=${qs('http_requests_total{code="200"}')}&start=${END - 3600}&end=${END}` },
  ];
  let sumV = 0;
  let sumP = 0;
  let worst = 0;
  console.log(`${'call'.padEnd(22)} ${'vigil ms'.padStart(10)} ${'prom ms'.padStart(10)} ${'ratio'.padStart(7)}`);
  for (const c of calls) {
    const p = await median(promUrl + c.path);
    const v = await median(vigilUrl + c.path);
    const ratio = v.ms / p.ms;
    if (c.id.startsWith('q')) {
      sumV += v.ms;
      sumP += p.ms;
      worst = Math.max(worst, ratio);
    }
    console.log(`${c.id.padEnd(22)} ${v.ms.toFixed(1).padStart(10)} ${p.ms.toFixed(1).padStart(10)} ${ratio.toFixed(2).padStart(7)}${v.ok ? '' : '  (vigil error)'}${p.ok ? '' : '  (prometheus error)'}`);
  }
  console.log(`battery (26 queries): sum of medians vigil ${sumV.toFixed(0)} ms, Prometheus ${sumP.toFixed(0)} ms, ratio ${(sumV / sumP).toFixed(2)}; worst single ratio ${worst.toFixed(2)}`);
} finally {
  await srv?.close();
  await db?.close();
  prom?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dir, { recursive: true, force: true });
}
