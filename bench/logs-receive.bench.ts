// Log gateway throughput, parse included: lines/s and MB/s of the stream decoder alone, of the
// TCP receiver (newline-delimited: socket → framing → format detection and parse → multi-line
// grouping → store.append), of the syslog receiver (TCP), and of the Loki push endpoint (JSON
// bodies of 1000 lines, 4 requests in flight). Data comes from ../shared/bench/logs/gen-logs.js
// (`--format raw` for TCP, `--format loki` for push). Two TCP inputs: `app` is the generator's
// container lines as they are (JSON lines, Spring Boot text with Java stack traces, nginx access
// logs, klog, logfmt); `mixed` wraps its events, one in seven each, in the envelopes a gateway
// receives: CRI, Docker json-file, `journalctl -o short-precise` (continuations indented),
// `journalctl -o json` (multi-line MESSAGE), dockerd logfmt (`time=… level=… msg=…`), the rest
// left as they are. Senders run in a child process; "per CPU-s" divides by the receiving
// process's CPU seconds (user + system, GC included), over REPS runs (min / median / max).
//   npx tsx bench/logs-receive.bench.ts          (LINES=300000, REPS=5 by default)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogStreamDecoder, type ParsedLine } from '../src/logs/parse/index.js';
import { HttpIngest, SyslogReceiver, TcpReceiver } from '../src/logs/receive/index.js';
import { DiskLogStore, MemoryLogStore, type LogEntry, type LogStore } from '../src/logs/store/index.js';
import type { Labels } from '../src/model/index.js';
import { mixFormats } from './support/mixed-logs.js';

const GEN = '/work/shared/bench/logs/gen-logs.js';
const PUSH = '/work/shared/bench/logs/push-logs.js';
const LINES = Number(process.env.LINES ?? 300_000);
const REPS = Number(process.env.REPS ?? 5);

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-logs-'));
const raw = join(dir, 'raw.txt');
const loki = join(dir, 'batches.ndjson');
const common = ['--lines', String(LINES), '--streams', '200', '--seed', '42', '--truth', join(dir, 'truth.json')];
execFileSync('node', [GEN, ...common, '--format', 'raw', '--out', raw], { stdio: 'ignore' });
execFileSync('node', [GEN, ...common, '--format', 'loki', '--batch', '1000', '--out', loki], { stdio: 'ignore' });
const rawBytes = readFileSync(raw);
const rawLines = rawBytes.toString('latin1').split('\n').length - 1;
const mixed = join(dir, 'mixed.txt');
writeFileSync(mixed, mixFormats(rawBytes.toString('utf8')));
const mixedBytes = readFileSync(mixed);
const mixedLines = mixedBytes.toString('latin1').split('\n').length - 1;

class CountingStore {
  entries = 0;
  lastAt = 0;
  async append(_l: Labels, e: readonly LogEntry[]): Promise<void> {
    this.entries += e.length;
    this.lastAt = performance.now();
  }
}

function report(name: string, lines: number, bytes: number, wallS: number, cpuS?: number): void {
  const cpu = cpuS === undefined ? '' : `, ${(lines / cpuS / 1000).toFixed(0)}k lines per CPU-s (${cpuS.toFixed(2)} CPU-s)`;
  console.log(`${name.padEnd(44)} ${(lines / wallS / 1000).toFixed(0).padStart(5)}k lines/s  ${(bytes / wallS / 1e6).toFixed(1).padStart(6)} MB/s${cpu}`);
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

// ---- 1. decoder only
const inputs = { app: { file: raw, bytes: rawBytes, lines: rawLines }, mixed: { file: mixed, bytes: mixedBytes, lines: mixedLines } } as const;
type InputName = keyof typeof inputs;
const expected = new Map<string, number>();
for (const [name, input] of Object.entries(inputs)) {
  for (const multiline of [false, true]) {
    let best = Infinity;
    let n = 0;
    for (let rep = 0; rep < 3; rep++) {
      const d = new LogStreamDecoder({ multiline });
      n = 0;
      const sink = (p: ParsedLine): void => {
        n++;
        p.toEntry();
      };
      const now = Date.now(); // year-less timestamps (journalctl -o short) are read relative to the arrival time
      const t0 = performance.now();
      for (let i = 0; i < input.bytes.length; i += 65536) d.write(input.bytes.subarray(i, i + 65536), now, sink);
      d.end(now, sink);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    expected.set(`${name} ${multiline}`, n);
    report(`parse: ${name}, multiline ${multiline ? 'on ' : 'off'} (${n} entries)`, input.lines, input.bytes.length, best);
  }
}

// ---- 2. TCP receiver
/** One run: returns wall and CPU seconds until the store holds every entry. */
async function tcpRun(store: LogStore, count: () => number, input: InputName, multiline: boolean): Promise<{ wall: number; cpu: number; n: number }> {
  const r = new TcpReceiver({ store, port: 0, host: '127.0.0.1', multiline, multilineWaitMs: 20 });
  const ac = new AbortController();
  const run = r.run(ac.signal);
  const { port } = await r.ready();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn('node', ['-e', `const s=require('net').connect(${port},'127.0.0.1');require('fs').createReadStream(${JSON.stringify(inputs[input].file)}).pipe(s);`], { stdio: 'ignore' });
  await new Promise<void>((res) => child.on('exit', () => res()));
  const want = expected.get(`${input} ${multiline}`)!;
  const deadline = Date.now() + 120_000;
  while (count() < want && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
  if (count() < want) console.log(`  ${input}: only ${count()} of ${want} entries stored`);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  ac.abort();
  await run;
  return { wall, cpu, n: count() };
}

const fmtK = (x: number): string => `${(x / 1000).toFixed(0)}k`;

/** REPS runs into a fresh store each; prints lines per CPU-s and per wall-s as min / median / max. */
async function tcp(mk: () => { store: LogStore; count: () => number }, input: InputName, multiline: boolean, label: string, reps = REPS): Promise<void> {
  const perCpu: number[] = [];
  const perWall: number[] = [];
  let n = 0;
  for (let i = 0; i < reps; i++) {
    const { store, count } = mk();
    const r = await tcpRun(store, count, input, multiline);
    n = r.n;
    perCpu.push(inputs[input].lines / r.cpu);
    perWall.push(inputs[input].lines / r.wall);
  }
  const mmm = (a: number[]): string => {
    const s = [...a].sort((x, y) => x - y);
    return `${fmtK(s[0]!)} / ${fmtK(s[s.length >> 1]!)} / ${fmtK(s[s.length - 1]!)}`;
  };
  const mb = (inputs[input].bytes.length / inputs[input].lines) * [...perCpu].sort((x, y) => x - y)[perCpu.length >> 1]! / 1e6;
  console.log(`tcp ${input}: ${label} (${n} entries, ${reps} runs)`.padEnd(64) + ` lines per CPU-s ${mmm(perCpu)} (median ${mb.toFixed(0)} MB), per wall-s ${mmm(perWall)}`);
}

const counting = (): { store: LogStore; count: () => number } => {
  const store = new CountingStore();
  return { store: store as unknown as LogStore, count: () => store.entries };
};
const memory = (): { store: LogStore; count: () => number } => {
  const store = new MemoryLogStore();
  return { store, count: () => store.entryCount };
};

{
  const warm = counting(); // warm-up, not reported
  await tcpRun(warm.store, warm.count, 'app', false);
}
for (const input of ['app', 'mixed'] as const) {
  await tcp(counting, input, false, 'multiline off, counting store');
  await tcp(counting, input, true, 'multiline on, counting store');
  await tcp(memory, input, true, 'multiline on, MemoryLogStore');
}
{
  // End to end into the disk store (WAL, compression), for reference.
  const disk = await DiskLogStore.open({ dir: join(dir, 'store') });
  let entries = 0;
  const wrapper = {
    async append(l: Labels, e: readonly LogEntry[]): Promise<void> {
      await disk.append(l, e);
      entries += e.length;
    },
  };
  await tcp(() => ({ store: wrapper as unknown as LogStore, count: () => entries }), 'mixed', true, 'multiline on, DiskLogStore', 1);
  await disk.close();
}

// ---- 3. syslog over TCP (RFC 5424 frames around the same lines)
{
  const lines = rawBytes.toString('utf8').split('\n').slice(0, -1);
  const ts = new Date().toISOString();
  const framed = Buffer.from(lines.map((l) => `<134>1 ${ts} node-1 app 42 - - ${l}\n`).join(''));
  const file = join(dir, 'syslog.txt');
  writeFileSync(file, framed);
  const store = new CountingStore();
  const r = new SyslogReceiver({ store: store as unknown as LogStore, port: 0, host: '127.0.0.1', udp: false });
  const ac = new AbortController();
  const run = r.run(ac.signal);
  const { tcp: addr } = await r.ready();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn('node', ['-e', `const s=require('net').connect(${addr!.port},'127.0.0.1');require('fs').createReadStream(${JSON.stringify(file)}).pipe(s);`], { stdio: 'ignore' });
  await new Promise<void>((res) => child.on('exit', () => res()));
  while (store.entries < lines.length) await new Promise((res) => setTimeout(res, 5));
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  ac.abort();
  await run;
  report(`syslog tcp: RFC 5424, newline framing`, lines.length, framed.length, wall, cpu);
}

// ---- 4. Loki push, JSON, 4 in flight
for (const [label, mk] of [
  ['counting store', (): LogStore => new CountingStore() as unknown as LogStore],
  ['MemoryLogStore', (): LogStore => new MemoryLogStore()],
] as const) {
  const store = mk();
  const ingest = new HttpIngest({ store });
  const server = createServer({ keepAlive: true }, ingest.listener());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await new Promise<string>((res) => {
    let s = '';
    const child = spawn('node', [PUSH, '--url', url, '--file', loki, '--concurrency', '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => (s += d.toString()));
    child.on('exit', () => res(s));
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  const push = JSON.parse(out.trim().split('\n').pop()!) as { wall_secs?: number; batches_ok: number; batches_failed: number; bytes_sent: number };
  const lineBytes = readFileSync(loki, 'utf8').split('\n').filter((l) => l !== '').reduce((n, l) => n + (JSON.parse(l) as { streams: { values: [string, string][] }[] }).streams.reduce((m, st) => m + st.values.reduce((k, v) => k + Buffer.byteLength(v[1]), 0), 0), 0);
  const pushWall = push.wall_secs ?? wall;
  report(`loki push: JSON, 1000/batch, 4 in flight, ${label}`, LINES, lineBytes, pushWall, cpu);
  if (push.batches_failed > 0) console.log(`  ${push.batches_failed} batches failed`);
  await new Promise<void>((res) => server.close(() => res()));
}

rmSync(dir, { recursive: true, force: true });
