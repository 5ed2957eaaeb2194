// CPU and RSS of `vigil agent` collecting host metrics and 100 containers' metrics every
// 10 s and pushing them with remote write, measured from /proc/<pid> over a window, with a
// real prometheus-node-exporter (host metrics only, scraped every 10 s as Prometheus would)
// measured beside it in the same window on the same host. The 100 containers are real
// cgroups (Docker's cgroupfs layout, /docker/<id> in every hierarchy) each holding a
// process, made here and removed at the end.
//
//   npx tsx bench/agent-metrics.bench.ts            # 60 s window after a 15 s warm-up
//   SECONDS=180 CONTAINERS=100 npx tsx bench/agent-metrics.bench.ts
//
// Needs root for the cgroups (without it the agent runs with host metrics only). Uses the
// built CLI (npm run build).
//
// Figures (2026-11-22, 2 cores shared, 100 containers, 3 322 samples per cycle, 60 s windows,
// load 1–2.8, alternating pairs on the same tree): before this round's cuts 1.28/1.10 % of one
// core, RSS 78.7/74.9 MB; after (one read() per cgroup file, label order shared by encoder and
// staleness, snappy in JavaScript and no addon, young generation kept small) 1.08/1.02 %,
// RSS 64.8/65.5 MB. About 20 ms of a cycle is system time opening ≈ 1 640 cgroup and sysfs
// files. node_exporter 1.5 in the same windows, host metrics only, scraped every 10 s: 0.13 %
// of one core, RSS 19.4–19.5 MB.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeContainers } from './support/agent-load-cgroups.js';
import { freePort, loadAverage, procCpuSeconds, procRssBytes } from './support/agent-load-proc.js';

const WINDOW_S = Number(process.env.SECONDS ?? 60);
const WARMUP_S = Number(process.env.WARMUP ?? 15);
const CONTAINERS = Number(process.env.CONTAINERS ?? 100);
// VIGIL_BENCH_DIST=<dir> runs the CLI compiled into <dir> (tsc -p tsconfig.build.json --outDir <dir>) instead of bin/vigil.js.
const BIN = resolve(import.meta.dirname, '../bin/vigil.js');

/** entryScript returns the script to run: bin/vigil.js, or an equivalent entry into VIGIL_BENCH_DIST. */
function entryScript(dir: string): string {
  const dist = process.env.VIGIL_BENCH_DIST;
  if (dist === undefined) return BIN;
  const mainJs = resolve(dist, 'cli/main.js');
  if (!existsSync(mainJs)) throw new Error(`no ${mainJs}: tsc -p tsconfig.build.json --outDir ${dist}`);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'vigil-entry.mjs');
  writeFileSync(entry, `import { main } from ${JSON.stringify(mainJs)};\nmain(process.argv.slice(2)).then((c) => { if (typeof c === "number") process.exitCode = c; });\n`);
  return entry;
}

async function main(): Promise<void> {
  if (process.env.VIGIL_BENCH_DIST === undefined && !existsSync(BIN)) throw new Error('build first: npm run build');
  const root = process.getuid?.() === 0;
  const containers = makeContainers(root ? CONTAINERS : 0);
  if (!root) process.stdout.write('not root: no containers, host metrics only\n');

  // A receiver that accepts remote write and counts what it gets.
  let requests = 0;
  let bytes = 0;
  const rx = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      requests++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const rxPort = (rx.address() as AddressInfo).port;

  const dataDir = join(tmpdir(), `vigil-agent-bench-${process.pid}`);
  const agentPort = await freePort();
  const nodeFlags = (process.env.AGENT_NODE_FLAGS ?? '').split(' ').filter((x) => x !== '');
  const agent = spawn(
    process.execPath,
    [...nodeFlags, entryScript(dataDir), 'agent', '--web.listen-address', `127.0.0.1:${agentPort}`, '--data.dir', dataDir, '--push.interval', '10s', '--remote-write.url', `http://127.0.0.1:${rxPort}/api/v1/write`, '--no-collector.docker', '--log.level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...(process.env.AGENT_MALLOC_ARENA_MAX !== undefined ? { MALLOC_ARENA_MAX: process.env.AGENT_MALLOC_ARENA_MAX } : {}) } },
  );
  const nePath = ['/usr/bin/prometheus-node-exporter'].find((p) => existsSync(p));
  let ne: ChildProcess | undefined;
  let nePort = 0;
  if (nePath !== undefined) {
    nePort = await freePort();
    ne = spawn(nePath, [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
  }
  const neScraper = setInterval(() => {
    if (ne !== undefined) void fetch(`http://127.0.0.1:${nePort}/metrics`).then((r) => r.arrayBuffer(), () => undefined);
  }, 10_000);

  try {
    process.stdout.write(`warming up ${WARMUP_S} s (${containers.ids.length} containers)…\n`);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const heap = async (): Promise<string> => {
      const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
      const g = (n: string): string => ((Number(new RegExp(`^${n} (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20).toFixed(1));
      return `heap used ${g('nodejs_heap_size_used_bytes')} MB of ${g('nodejs_heap_size_total_bytes')} MB, external ${g('nodejs_external_memory_bytes')} MB`;
    };
    const heap0 = await heap();
    const a0 = procCpuSeconds(agent.pid!);
    const n0 = ne !== undefined ? procCpuSeconds(ne.pid!) : 0;
    const r0 = requests;
    const b0 = bytes;
    const rssA: number[] = [];
    const rssN: number[] = [];
    for (let s = 0; s < WINDOW_S; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      rssA.push(procRssBytes(agent.pid!));
      if (ne !== undefined) rssN.push(procRssBytes(ne.pid!));
    }
    const a1 = procCpuSeconds(agent.pid!);
    const heap1 = await heap();
    const n1 = ne !== undefined ? procCpuSeconds(ne.pid!) : 0;
    const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
    const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    const load = loadAverage();
    process.stdout.write(`window ${WINDOW_S} s, ${containers.ids.length} containers, push every 10 s, load ${load}\n`);
    process.stdout.write(
      `vigil agent:    CPU ${((100 * (a1 - a0)) / WINDOW_S).toFixed(2)} % of one core (${(((a1 - a0) * 1000) / (WINDOW_S / 10)).toFixed(0)} ms per 10 s cycle), RSS avg ${mb(avg(rssA))} MB max ${mb(Math.max(...rssA))} MB (first 20 s ${mb(avg(rssA.slice(0, 20)))}, last 20 s ${mb(avg(rssA.slice(-20)))}), ${requests - r0} requests, ${((bytes - b0) / 1024).toFixed(0)} KiB pushed\n`,
    );
    process.stdout.write(`vigil agent V8: at start ${heap0}; at end ${heap1}\n`);
    if (ne !== undefined) {
      process.stdout.write(`node_exporter:  CPU ${((100 * (n1 - n0)) / WINDOW_S).toFixed(2)} % of one core (scraped every 10 s, host metrics only), RSS avg ${mb(avg(rssN))} MB max ${mb(Math.max(...rssN))} MB\n`);
    }
  } finally {
    clearInterval(neScraper);
    agent.kill('SIGTERM');
    ne?.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    rx.close();
    containers.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
