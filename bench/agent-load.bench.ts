// The agent's combined load of issue 7 in ONE `vigil agent` process: host metrics and 100
// real containers' cgroups collected every 10 s and pushed with remote write, while 5 000 log
// lines/s are forwarded (half appended to a file, half written to a real systemd-journald
// namespace), all to one counting server on 127.0.0.1 (remote write answered 204, log batches
// gunzipped and their lines counted). A real prometheus-node-exporter runs beside it in the
// same window, scraped every 10 s. Figures over WINDOW seconds after WARMUP seconds: agent CPU
// % of one core (and by thread), RSS peak and steady, the journalctl child's CPU/RSS if the
// agent runs one, node_exporter's CPU/RSS, delivered lines/s, pushes.
//
//   npm run build && npx tsx bench/agent-load.bench.ts
//   WINDOW=120 WARMUP=30 CONTAINERS=100 RATE=5000 npx tsx bench/agent-load.bench.ts
//
// Knobs (environment):
//   VIGIL_BENCH_DIST=<dir>       run the CLI compiled into <dir> (tsc -p tsconfig.build.json --outDir <dir>) instead of dist/
//   AGENT_NODE_FLAGS="…"         Node/V8 flags for the agent process (default: the deploy/ units' --no-concurrent-recompilation)
//   AGENT_ENV="K=V K2=V2"        more environment for the agent (default: the deploy/ units' MALLOC_ARENA_MAX=2)
//   AGENT_BARE=1                 run the agent as `vigil agent` by hand: neither default above
//   VIGIL_BENCH_PROF=<dir>       --cpu-prof of the agent into <dir> (written when it stops)
//   AGENT_ARGS="…"               more agent flags
//   AGENT_STDOUT=<file>          the agent's stdout into <file> (for V8 traces such as --trace-opt --trace-deopt)
//   BENCH_LOGS_FEATURES=…        Vigil-Logs-Features the counting server announces (default `defaults`, as vigil's gateway; empty: as an older one)
//
// Needs root (cgroups, journald). Prints figures; never a pass/fail test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeContainers } from './support/agent-load-cgroups.js';
import { journaldUp, startWriter, type BenchJournald } from './support/agent-load-logs.js';
import { Series, childPid, freePort, loadAverage, mb, procCpuSeconds, procRssBytes, threadCpuSeconds } from './support/agent-load-proc.js';
import { LOGS_FEATURES, countEntries } from './support/ndjson-count.js';

const WINDOW_S = Number(process.env.WINDOW ?? 120);
const WARMUP_S = Number(process.env.WARMUP ?? 30);
const CONTAINERS = Number(process.env.CONTAINERS ?? 100);
const RATE = Number(process.env.RATE ?? 5000);
const ROOT = resolve(import.meta.dirname, '..');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dist = process.env.VIGIL_BENCH_DIST;
  const mainJs = dist !== undefined ? resolve(dist, 'cli/main.js') : resolve(ROOT, 'dist/cli/main.js');
  if (!existsSync(mainJs)) throw new Error(`build first: ${dist !== undefined ? `tsc -p tsconfig.build.json --outDir ${dist}` : 'npm run build'}`);
  const root = process.getuid?.() === 0;
  if (!root) process.stdout.write('not root: no containers, no journald (file lines only)\n');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-load-'));
  const containers = makeContainers(CONTAINERS);
  let journald: BenchJournald | undefined;
  let agent: ChildProcess | undefined;
  let ne: ChildProcess | undefined;
  let writer: Awaited<ReturnType<typeof startWriter>> | undefined;
  let neScraper: NodeJS.Timeout | undefined;

  // One counting server for both push paths.
  let rwRequests = 0;
  let rwBytes = 0;
  let logLines = 0;
  let logBytes = 0;
  let logRequests = 0;
  const rx = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (req.url?.startsWith('/api/v1/write') === true) {
        rwRequests++;
        rwBytes += body.length;
        res.writeHead(204).end();
        return;
      }
      logBytes += body.length;
      logRequests++;
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      const n = countEntries(text);
      logLines += n;
      res.writeHead(200, { 'content-type': 'application/json', 'vigil-logs-features': LOGS_FEATURES }).end(`{"accepted":${n}}`);
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;

  try {
    if (root) journald = journaldUp(dir, `vigilload${process.pid}`);
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const agentPort = await freePort();
    // The same entry as bin/vigil.js, pointed at the chosen build.
    const entry = join(dir, 'vigil-entry.mjs');
    writeFileSync(
      entry,
      `import { main } from ${JSON.stringify(mainJs)};\n` +
        'main(process.argv.slice(2)).then((c) => { if (typeof c === "number") process.exitCode = c; }, (e) => { process.stderr.write(`vigil: ${e instanceof Error ? e.message : String(e)}\\n`); process.exitCode = 1; });\n',
    );
    // By default the agent starts as deploy/ starts it (systemd, fleet and the DaemonSet); the
    // semi-space setting of those units the agent applies itself.
    const bare = process.env.AGENT_BARE === '1';
    const nodeFlags = (process.env.AGENT_NODE_FLAGS ?? (bare ? '' : '--no-concurrent-recompilation')).split(' ').filter((x) => x !== '');
    const prof = process.env.VIGIL_BENCH_PROF === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', process.env.VIGIL_BENCH_PROF];
    const extraEnv = Object.fromEntries((process.env.AGENT_ENV ?? (bare ? '' : 'MALLOC_ARENA_MAX=2')).split(' ').filter((x) => x.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const args = [
      ...nodeFlags,
      ...prof,
      entry,
      'agent',
      '--server', url,
      '--web.listen-address', `127.0.0.1:${agentPort}`,
      '--data.dir', join(dir, 'data'),
      '--push.interval', '10s',
      '--no-collector.docker',
      '--no-logs.docker',
      '--logs.file', file,
      '--logs.file.start-at', 'beginning',
      ...(journald !== undefined ? ['--logs.journald.directory', journald.directory] : ['--no-logs.journald']),
      '--log.level', 'warn',
      ...(process.env.AGENT_ARGS ?? '').split(' ').filter((x) => x !== ''),
    ];
    let agentErr = '';
    const agentOut = process.env.AGENT_STDOUT === undefined ? 'ignore' : openSync(process.env.AGENT_STDOUT, 'w');
    agent = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', agentOut, 'pipe'], env: { ...process.env, ...extraEnv } });
    agent.stderr!.on('data', (b: Buffer) => (agentErr = (agentErr + b.toString()).slice(-4000)));
    const agentPid = agent.pid!;

    const nePath = ['/usr/bin/prometheus-node-exporter'].find((p) => existsSync(p));
    let nePort = 0;
    if (nePath !== undefined) {
      nePort = await freePort();
      ne = spawn(nePath, [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
      neScraper = setInterval(() => void fetch(`http://127.0.0.1:${nePort}/metrics`).then((r) => r.arrayBuffer(), () => undefined), 10_000);
    }
    writer = await startWriter({ file, journald, rate: RATE, fileShare: 0.5 });

    process.stdout.write(`warming up ${WARMUP_S} s (${containers.ids.length} containers, ${RATE} lines/s)…\n`);
    await sleep(WARMUP_S * 1000);
    if (agent.exitCode !== null) throw new Error(`agent exited (${agent.exitCode}):\n${agentErr}`);
    const heap = async (): Promise<string> => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
        const g = (n: string): string => mb(Number(new RegExp(`^${n} (\\S+)$`, 'm').exec(text)?.[1] ?? 0));
        const spaces = [...text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]} ${mb(Number(m[2]))}`).join(', ');
        return `heap used ${g('nodejs_heap_size_used_bytes')} of ${g('nodejs_heap_size_total_bytes')} MB (${spaces}), external ${g('nodejs_external_memory_bytes')} MB`;
      } catch (e) {
        return `(no /metrics: ${e instanceof Error ? e.message : String(e)})`;
      }
    };
    const heap0 = await heap();
    const jpid = childPid(agentPid, 'journalctl');
    const a0 = procCpuSeconds(agentPid);
    const th0 = threadCpuSeconds(agentPid);
    const j0 = jpid !== undefined ? procCpuSeconds(jpid) : 0;
    const n0 = ne !== undefined ? procCpuSeconds(ne.pid!) : 0;
    const jd0 = journald !== undefined ? procCpuSeconds(journald.pid) : 0;
    const r0 = rwRequests;
    const rb0 = rwBytes;
    const l0 = logLines;
    const lb0 = logBytes;
    const lr0 = logRequests;
    const w0 = writer.written();
    const t0 = performance.now();
    const rssA = new Series();
    const rssJ = new Series();
    const rssN = new Series();
    for (let s = 0; s < WINDOW_S; s++) {
      await sleep(1000);
      rssA.push(procRssBytes(agentPid));
      if (jpid !== undefined) rssJ.push(procRssBytes(jpid));
      if (ne !== undefined) rssN.push(procRssBytes(ne.pid!));
    }
    const wall = (performance.now() - t0) / 1000;
    const a1 = procCpuSeconds(agentPid);
    const th1 = threadCpuSeconds(agentPid);
    const j1 = jpid !== undefined ? procCpuSeconds(jpid) : 0;
    const n1 = ne !== undefined ? procCpuSeconds(ne.pid!) : 0;
    const jd1 = journald !== undefined ? procCpuSeconds(journald.pid) : 0;
    const heap1 = await heap();
    const offered = (writer.written() - w0) / wall;
    const delivered = (logLines - l0) / wall;
    writer.stop();
    await sleep(3000);
    const backlog = writer.written() - logLines;
    const pct = (cpu: number): string => ((100 * cpu) / wall).toFixed(2);
    const cycles = wall / 10;
    const steady = (s: Series): string => `steady ${mb(s.avg(Math.floor(s.xs.length / 2)))} MB (second half avg), peak ${mb(s.max)} MB`;
    process.stdout.write(
      [
        `agent load: host + ${containers.ids.length} containers every 10 s (remote write) and ${RATE} lines/s (half file, half journald), ${wall.toFixed(0)} s window after ${WARMUP_S} s warm-up, load ${loadAverage()}${nodeFlags.length > 0 ? `, node flags ${nodeFlags.join(' ')}` : ''}${Object.keys(extraEnv).length > 0 ? `, env ${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}${dist !== undefined ? `, build ${dist}` : ''}, log server features "${LOGS_FEATURES}"`,
        `  vigil agent       CPU ${pct(a1 - a0)} % of one core (${(((a1 - a0) * 1000) / cycles).toFixed(0)} ms per 10 s), RSS ${steady(rssA)}, first 10 s ${mb(rssA.avg(0, 10))} MB`,
        `  agent threads     ${[...th1].map(([k, v]) => `${k} ${pct(v - (th0.get(k) ?? 0))} %`).join(', ')}`,
        `  journalctl child  ${jpid === undefined ? 'none' : `CPU ${pct(j1 - j0)} % of one core, RSS ${steady(rssJ)}`}`,
        `  agent together    CPU ${pct(a1 - a0 + j1 - j0)} % of one core, RSS ${mb(rssA.max + rssJ.max)} MB peak`,
        `  node_exporter     ${ne === undefined ? 'not installed' : `CPU ${pct(n1 - n0)} % of one core (host metrics only, scraped every 10 s), RSS ${steady(rssN)}`}`,
        `  journald          ${journald === undefined ? 'none' : `CPU ${pct(jd1 - jd0)} % (the writer's side, not the agent's)`}`,
        `  logs              offered ${offered.toFixed(0)} lines/s, delivered ${delivered.toFixed(0)} lines/s, ${((logBytes - lb0) / wall / 1024).toFixed(1)} KiB/s gzip in ${((logRequests - lr0) / wall).toFixed(2)} batches/s; not delivered 3 s after stopping: ${backlog}`,
        `  remote write      ${rwRequests - r0} requests, ${((rwBytes - rb0) / 1024).toFixed(0)} KiB in the window`,
        `  agent V8          at start ${heap0}; at end ${heap1}`,
      ].join('\n') + '\n',
    );
  } finally {
    if (neScraper !== undefined) clearInterval(neScraper);
    writer?.stop();
    if (agent !== undefined && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    ne?.kill('SIGTERM');
    rx.closeAllConnections();
    rx.close();
    journald?.down();
    containers.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
