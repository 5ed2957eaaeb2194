// Log gateway throughput, parse included: lines/s and MB/s of the stream decoder alone, of the
// TCP receiver (newline-delimited, mixed formats), of the syslog receiver (TCP), and of the
// Loki push endpoint (JSON bodies of 1000 lines, 4 requests in flight). Data comes from
// ../shared/bench/logs/gen-logs.js (`--format raw` for TCP, `--format loki` for push). Senders
// run in a child process; "per core" divides by the receiving process's CPU seconds.
//   npx tsx bench/logs-receive.bench.ts          (LINES=300000 by default)
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

const GEN = '/work/shared/bench/logs/gen-logs.js';
const PUSH = '/work/shared/bench/logs/push-logs.js';
const LINES = Number(process.env.LINES ?? 300_000);

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-logs-'));
const raw = join(dir, 'raw.txt');
const loki = join(dir, 'batches.ndjson');
const common = ['--lines', String(LINES), '--streams', '200', '--seed', '42', '--truth', join(dir, 'truth.json')];
execFileSync('node', [GEN, ...common, '--format', 'raw', '--out', raw], { stdio: 'ignore' });
execFileSync('node', [GEN, ...common, '--format', 'loki', '--batch', '1000', '--out', loki], { stdio: 'ignore' });
const rawBytes = readFileSync(raw);
const rawLines = rawBytes.toString('latin1').split('\n').length - 1;

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
const expected = new Map<boolean, number>();
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
    const t0 = performance.now();
    for (let i = 0; i < rawBytes.length; i += 65536) d.write(rawBytes.subarray(i, i + 65536), 0, sink);
    d.end(0, sink);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  expected.set(multiline, n);
  report(`parse: stream decoder, multiline ${multiline ? 'on ' : 'off'} (${n} entries)`, rawLines, rawBytes.length, best);
}

// ---- 2. TCP receiver
async function tcp(store: LogStore & { entries?: number }, multiline: boolean, label: string, quiet = false): Promise<void> {
  const r = new TcpReceiver({ store, port: 0, host: '127.0.0.1', multiline, multilineWaitMs: 20 });
  const ac = new AbortController();
  const run = r.run(ac.signal);
  const { port } = await r.ready();
  const count = (): number => (store instanceof MemoryLogStore ? store.entryCount : (store as unknown as CountingStore).entries);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn('node', ['-e', `const s=require('net').connect(${port},'127.0.0.1');require('fs').createReadStream(${JSON.stringify(raw)}).pipe(s);`], { stdio: 'ignore' });
  await new Promise<void>((res) => child.on('exit', () => res()));
  const want = expected.get(multiline)!;
  const deadline = Date.now() + 120_000;
  while (count() < want && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
  if (count() < want) console.log(`  ${label}: only ${count()} of ${want} entries stored`);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  ac.abort();
  await run;
  if (!quiet) report(`tcp: ${label} (${count()} entries)`, rawLines, rawBytes.length, wall, cpu);
}

await tcp(new CountingStore() as unknown as LogStore, false, 'warm-up', true);
await tcp(new CountingStore() as unknown as LogStore, false, 'multiline off, counting store');
await tcp(new CountingStore() as unknown as LogStore, true, 'multiline on, counting store');
await tcp(new MemoryLogStore(), true, 'multiline on, MemoryLogStore');
{
  // End to end into the disk store (WAL, compression), for reference.
  const disk = await DiskLogStore.open({ dir: join(dir, 'store') });
  const wrapper = {
    entries: 0,
    async append(l: Labels, e: readonly LogEntry[]): Promise<void> {
      await disk.append(l, e);
      wrapper.entries += e.length;
    },
  };
  await tcp(wrapper as unknown as LogStore, true, 'multiline on, DiskLogStore');
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
