// Agent log forwarding cost: CPU and RSS of the agent process (and of the journalctl it runs)
// while it forwards LINES_PER_SEC lines per second, half appended to a file, half written to a
// real systemd-journald (a namespace instance from ../shared/recipes/journal-fixture.sh, rate
// limit off), to a counting HTTP server that decompresses and counts every line.
//
//   npx tsx bench/agent-logs.bench.ts [seconds=30] [lines/s=5000] [compression=gzip] [sources=both|file|journal]
//
// Needs root (journald). Prints delivered lines/s, CPU % of one core and RSS.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { uncompressSync } from 'snappy';
import { LOGS_FEATURES, countEntries } from './support/ndjson-count.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = resolve(ROOT, '../shared/recipes/journal-fixture.sh');
const SECONDS = Number(process.argv[2] ?? 30);
const RATE = Number(process.argv[3] ?? 5000);
const COMPRESSION = (process.argv[4] ?? 'gzip') as 'gzip' | 'snappy' | 'none';
const SOURCES = (process.argv[5] ?? 'both') as 'both' | 'file' | 'journal';
const FILE_SHARE = SOURCES === 'both' ? 0.5 : SOURCES === 'file' ? 1 : 0;
const WARMUP_S = 5;
const TICK_MS = 100;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-logs-'));
const ns = `vigilbench${process.pid}`;
const nsConf = `/etc/systemd/journald@${ns}.conf`;

// Counting server.
let lines = 0;
let bodyBytes = 0;
const server = createServer((req: IncomingMessage, res) => {
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    let body = Buffer.concat(parts);
    bodyBytes += body.length;
    const enc = req.headers['content-encoding'];
    if (enc === 'gzip') body = gunzipSync(body);
    else if (enc === 'snappy') body = Buffer.from(uncompressSync(body) as Uint8Array);
    const n = countEntries(body);
    lines += n;
    res.writeHead(200, { 'content-type': 'application/json', 'vigil-logs-features': LOGS_FEATURES });
    res.end(`{"accepted":${n}}`);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// journald without its rate limit (2 500 entries/s is over the default 10 000 per 30 s).
writeFileSync(nsConf, '[Journal]\nRateLimitBurst=0\n');
const up = execFileSync(FIXTURE, ['journald-up', join(dir, 'jd'), ns], { encoding: 'utf8' });
const env = Object.fromEntries(up.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));

const file = join(dir, 'app.log');
writeFileSync(file, '');
const opts = {
  dataDir: join(dir, 'data'),
  ship: { url, compression: COMPRESSION, drainMs: 0 },
  files: [{ include: [file], startAt: 'beginning', multiline: false }],
  // VIGIL_BENCH_JOURNALD='{"reader":"journalctl"}' (JSON) adds JournalFollower options.
  journald: { directory: env.JOURNAL_DIR, matches: ['SYSLOG_IDENTIFIER=bench'], ...(JSON.parse(process.env.VIGIL_BENCH_JOURNALD ?? '{}') as object) },
};
// VIGIL_BENCH_PROF=<dir> writes a CPU profile of the agent there. VIGIL_BENCH_DIST=<dir> runs
// the agent from compiled JavaScript (`tsc -p tsconfig.build.json --outDir <dir>`) instead of
// through tsx, whose loader adds memory and start-up work that a deployed agent does not have.
const prof = process.env.VIGIL_BENCH_PROF === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', process.env.VIGIL_BENCH_PROF];
const dist = process.env.VIGIL_BENCH_DIST;
let childArgs: string[];
if (dist === undefined) childArgs = ['--import', 'tsx', resolve(ROOT, 'test/agent-logs-child.ts')];
else {
  const script = join(dir, 'agent-child.mjs');
  writeFileSync(
    script,
    `import { LogForwarder } from ${JSON.stringify(resolve(dist, 'agent/index.js'))};\n` +
      `import { LogfmtLogger, Registry } from ${JSON.stringify(resolve(dist, 'instrument/index.js'))};\n` +
      'const fwd = new LogForwarder({ ...JSON.parse(process.argv[2]), logger: new LogfmtLogger({ level: "warn" }), registry: new Registry() });\n' +
      'const ac = new AbortController(); process.on("SIGTERM", () => ac.abort()); process.stderr.write("agent-ready\\n");\n' +
      'const v8 = await import("node:v8"); setInterval(() => { const m = process.memoryUsage(); const sp = v8.getHeapSpaceStatistics().map((x) => `${x.space_name}=${(x.physical_space_size / 1048576).toFixed(1)}`).join(" "); process.stderr.write(`mem rss=${(m.rss / 1048576).toFixed(1)} heapUsed=${(m.heapUsed / 1048576).toFixed(1)} heapTotal=${(m.heapTotal / 1048576).toFixed(1)} external=${(m.external / 1048576).toFixed(1)} arrayBuffers=${(m.arrayBuffers / 1048576).toFixed(1)} ${sp}\\n`); }, 5000).unref();\n' +
      'await fwd.run(ac.signal);\n',
  );
  childArgs = [script];
}
// VIGIL_BENCH_NODE_FLAGS adds V8/Node flags to the agent (e.g. --max-semi-space-size=2).
const nodeFlags = (process.env.VIGIL_BENCH_NODE_FLAGS ?? '').split(' ').filter((x) => x !== '');
const child = spawn(process.execPath, [...nodeFlags, ...prof, ...childArgs, JSON.stringify(opts)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
let childErr = '';
child.stderr.on('data', (b: Buffer) => (childErr += b.toString()));
let childExit: number | null | undefined;
child.once('exit', (code) => (childExit = code));
while (!childErr.includes('agent-ready')) {
  if (childExit !== undefined) {
    process.stderr.write(`agent exited (${childExit}) before it was ready:\n${childErr}\n`);
    execFileSync(FIXTURE, ['journald-down', join(dir, 'jd')]);
    if (existsSync(nsConf)) rmSync(nsConf);
    rmSync(dir, { recursive: true, force: true });
    server.close();
    process.exit(1);
  }
  await sleep(50);
}

// Writers: LINES/2 per second each, in 100 ms ticks.
// journald shuts down its side of a stdout stream after the header: keep ours open (half-open).
const journal = connect({ path: env.JOURNAL_STDOUT!, allowHalfOpen: true });
await new Promise<void>((r) => journal.once('connect', () => r()));
journal.write('bench\n\n6\n0\n0\n0\n0\n');
let seq = 0;
const fileTick = Math.round(RATE * FILE_SHARE * (TICK_MS / 1000));
const journalTick = Math.round(RATE * (1 - FILE_SHARE) * (TICK_MS / 1000));
const sample = (i: number, src: string): string =>
  `2026-11-22T02:00:00.${String(i % 1000).padStart(3, '0')}Z INFO ${src} request handled method=GET path=/api/items/${i} status=200 duration_ms=${i % 97} user=u${i % 13} seq=${i}`;
const writer = setInterval(() => {
  let f = '';
  let j = '';
  for (let k = 0; k < fileTick; k++) f += sample(++seq, 'file') + '\n';
  for (let k = 0; k < journalTick; k++) j += sample(++seq, 'journal') + '\n';
  if (f !== '') appendFileSync(file, f);
  if (j !== '') journal.write(j);
}, TICK_MS);

function procStat(pid: number): { cpuS: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuS: ticks / 100, rssMB: Number(rss?.[1] ?? 0) / 1024 };
}
function journalctlPid(): number | undefined {
  const out = execFileSync('sh', ['-c', `pgrep -P ${child.pid} journalctl || true`], { encoding: 'utf8' }).trim();
  return out === '' ? undefined : Number(out.split('\n')[0]);
}

/** CPU seconds of the main thread and of the other threads (libuv pool: gzip, fsync; V8: GC, compiler), by name. */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of execFileSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' }).trim().split('\n')) {
    try {
      const comm = Number(tid) === pid ? 'main thread' : `other threads (${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9]+$/, '')})`;
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // thread gone
    }
  }
  return out;
}

await sleep(WARMUP_S * 1000);
const jpid = journalctlPid();
const th0 = threads(child.pid!);
const a0 = procStat(child.pid!);
const j0 = jpid !== undefined ? procStat(jpid) : { cpuS: 0, rssMB: 0 };
const l0 = lines;
const b0 = bodyBytes;
const t0 = performance.now();
let rssMax = 0;
for (let s = 0; s < SECONDS; s++) {
  await sleep(1000);
  rssMax = Math.max(rssMax, procStat(child.pid!).rssMB);
}
const wall = (performance.now() - t0) / 1000;
const a1 = procStat(child.pid!);
const th1 = threads(child.pid!);
const j1 = jpid !== undefined ? procStat(jpid) : { cpuS: 0, rssMB: 0 };
const delivered = (lines - l0) / wall;
clearInterval(writer);
await sleep(3000);
const written = seq;
const backlog = written - lines;

const agentCpu = ((a1.cpuS - a0.cpuS) / wall) * 100;
const jctlCpu = ((j1.cpuS - j0.cpuS) / wall) * 100;
process.stdout.write(
  [
    `agent log forwarding, ${RATE} lines/s offered (${SOURCES === 'both' ? 'half file, half journald' : SOURCES === 'file' ? 'file' : 'journald'}), journal reader ${(opts.journald as { reader?: string }).reader ?? 'files'}, ${COMPRESSION}, ${dist === undefined ? 'via tsx' : 'compiled'}${nodeFlags.length > 0 ? ' ' + nodeFlags.join(' ') : ''}, ${wall.toFixed(1)} s measured after ${WARMUP_S} s warm-up`,
    `  delivered            ${delivered.toFixed(0)} lines/s, ${((bodyBytes - b0) / wall / 1024).toFixed(1)} KiB/s on the wire; written ${written}, not delivered 3 s after stopping: ${backlog}`,
    `  agent (node)         CPU ${agentCpu.toFixed(2)} % of one core, RSS ${a1.rssMB.toFixed(1)} MB (max ${rssMax.toFixed(1)} MB)`,
    `  agent threads        ${[...th1].map(([k, v]) => `${k} ${(((v - (th0.get(k) ?? 0)) / wall) * 100).toFixed(2)} %`).join(', ')}`,
    `  journalctl (child)   CPU ${jctlCpu.toFixed(2)} % of one core, RSS ${j1.rssMB.toFixed(1)} MB`,
    `  together             CPU ${(agentCpu + jctlCpu).toFixed(2)} % of one core, ${(((a1.cpuS - a0.cpuS + j1.cpuS - j0.cpuS) / (lines - l0)) * 1e6).toFixed(2)} µs CPU per line`,
    `  load average         ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    ...(childErr.includes('mem rss=') ? [`  agent memory         ${childErr.slice(childErr.lastIndexOf('mem rss=') + 4).split('\n')[0]}`] : []),
  ].join('\n') + '\n',
);

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
journal.destroy();
server.close();
execFileSync(FIXTURE, ['journald-down', join(dir, 'jd')]);
if (existsSync(nsConf)) rmSync(nsConf);
rmSync(dir, { recursive: true, force: true });

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
