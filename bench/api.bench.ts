// The Prometheus API layer's own costs: remote-write decoding and ingestion, JSON encoding of
// large results, and request overhead over HTTP (with Prometheus 2.42 beside it when installed).
// Run: npx tsx bench/api.bench.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSync } from 'snappy';
import { HttpServer, Router, WriteRequestDecoder, mountPrometheusApi, prompbType, valueChunks } from '../src/api/index.js';
import { Labels } from '../src/model/index.js';
import { Engine, type Value, resultJSON } from '../src/promql/index.js';
import { type Appendable, type Appender, MemoryStorage, type SeriesRef } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

// ---- remote write ---------------------------------------------------------------------------
function writeRequest(series: number, samplesPerSeries: number, t0: number): Buffer {
  const t = prompbType('WriteRequest');
  const timeseries = [];
  for (let s = 0; s < series; s++) {
    const labels = [
      { name: '__name__', value: `http_requests_total` },
      { name: 'code', value: String(200 + (s % 5)) },
      { name: 'handler', value: `/api/v${s % 7}/items` },
      { name: 'instance', value: `10.0.${s % 255}.${(s * 7) % 255}:9100` },
      { name: 'job', value: 'app' },
      { name: 'pod', value: `app-${s}` },
    ];
    const samples = [];
    for (let i = 0; i < samplesPerSeries; i++) samples.push({ value: s * 1000 + i * 3.5, timestamp: t0 + i * 15_000 });
    timeseries.push({ labels, samples });
  }
  return Buffer.from(t.encode(t.fromObject({ timeseries })).finish());
}

class CountingAppendable implements Appendable {
  n = 0;
  appender(): Appender {
    const self = this;
    return {
      append(ref: SeriesRef | 0): SeriesRef {
        self.n++;
        return (ref === 0 ? 1 : ref) as SeriesRef;
      },
      async commit() {},
      async rollback() {},
    };
  }
}

function benchDecode(): void {
  // Prometheus ships 500-2000 samples per request; one sample per series per request is typical.
  const req = writeRequest(2000, 1, 1_700_000_000_000);
  const dec = new WriteRequestDecoder();
  let n = 0;
  // Without a series cache: every label string is decoded (a sender's first request).
  const visitor = { series: () => true, sample: () => void n++, skipped: () => {} };
  const t0 = cpu();
  let rounds = 0;
  while (cpu() - t0 < 2) {
    dec.decode(req, visitor);
    rounds++;
  }
  const s = cpu() - t0;
  console.log(`remote-write decode, labels decoded (2000 series × 1 sample per request): ${fmt(n / s)} samples/CPU-s, ${fmt((req.length * rounds) / s)}B/s protobuf`);
  const t = prompbType('WriteRequest');
  const t1 = cpu();
  let m = 0;
  while (cpu() - t1 < 2) {
    const msg = t.decode(req) as unknown as { timeseries: { samples: unknown[] }[] };
    for (const ts of msg.timeseries) m += ts.samples.length;
  }
  console.log(`  protobufjs full decode of the same, for reference: ${fmt(m / (cpu() - t1))} samples/CPU-s`);
}

async function benchIngest(): Promise<void> {
  const dbDir = mkdtempSync(join(tmpdir(), 'vigil-apibench-db-'));
  const db = await Db.open({ dir: dbDir, autoCompact: false });
  for (const [name, appendable] of [
    ['counting appender', new CountingAppendable()],
    ['MemoryStorage', new MemoryStorage()],
    ['the TSDB (head + WAL)', db],
  ] as const) {
    const router = new Router();
    const st = new MemoryStorage();
    mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st, appendable });
    const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    const url = `http://127.0.0.1:${(await srv.listen()).port}/api/v1/write`;
    const bodies: Buffer[] = [];
    const T0 = Date.now() - 3_600_000;
    for (let r = 0; r < 200; r++) bodies.push(compressSync(writeRequest(2000, 1, T0 + r * 15_000)));
    const c0 = cpu();
    const w0 = performance.now();
    let samples = 0;
    for (const body of bodies) {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body });
      if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
      samples += 2000;
    }
    const c = cpu() - c0;
    const w = (performance.now() - w0) / 1000;
    console.log(`remote-write over HTTP into ${name}: ${fmt(samples / w)} samples/s wall, ${fmt(samples / c)} samples/CPU-s (client included), ${(w / bodies.length * 1000).toFixed(2)} ms per 2000-sample request`);
    await srv.close();
  }
  await db.close();
  rmSync(dbDir, { recursive: true, force: true });
}

// ---- JSON encoding --------------------------------------------------------------------------
function matrix(series: number, points: number): Value {
  const out = [];
  for (let s = 0; s < series; s++) {
    const ts = new Float64Array(points);
    const vs = new Float64Array(points);
    for (let i = 0; i < points; i++) {
      ts[i] = 1_700_000_000_000 + i * 15_000;
      vs[i] = Math.round(Math.sin(s + i) * 1e6) / 1e3;
    }
    out.push({ labels: Labels.fromStrings('__name__', 'x', 'instance', `host-${s}:9100`, 'job', 'node'), ts, vs });
  }
  return { kind: 'matrix', series: out };
}

function benchEncode(): void {
  const v = matrix(1000, 1000);
  let bytes = 0;
  const t0 = cpu();
  for (let r = 0; r < 3; r++) for (const c of valueChunks(v)) bytes += c.length;
  const s = cpu() - t0;
  console.log(`JSON encoding, 1000 series × 1000 points (chunked): ${fmt(3e6 / s)} points/CPU-s, ${(bytes / s / 1e6).toFixed(0)} MB/s`);
  const t1 = cpu();
  for (let r = 0; r < 3; r++) resultJSON(v);
  console.log(`  engine's one-string encoder, for reference: ${fmt(3e6 / (cpu() - t1))} points/CPU-s`);
}

// ---- request overhead, side by side with Prometheus -----------------------------------------
async function latency(url: string, n: number): Promise<{ p50: number; p99: number; rps: number }> {
  for (let i = 0; i < 500; i++) await (await fetch(url)).arrayBuffer();
  const times: number[] = [];
  const w0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await (await fetch(url, { headers: { 'Accept-Encoding': 'gzip' } })).arrayBuffer();
    times.push(performance.now() - t);
  }
  const wall = (performance.now() - w0) / 1000;
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n / 2)]!, p99: times[Math.floor(n * 0.99)]!, rps: n / wall };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function benchOverhead(): Promise<void> {
  const st = new MemoryStorage();
  const app = st.appender();
  const now = Date.now();
  for (let s = 0; s < 1000; s++) for (let i = 0; i < 20; i++) app.append(0, Labels.fromStrings('__name__', `m${s % 50}`, 'i', String(s)), now - 300_000 + i * 15_000, i);
  await app.commit();
  const router = new Router();
  mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  // Server-side time per request, from arrival to the last byte handed to the socket.
  let serverMs = 0;
  let served = 0;
  srv.server.prependListener('request', (_req, res) => {
    const t = performance.now();
    res.on('finish', () => {
      serverMs += performance.now() - t;
      served++;
    });
  });
  const vigil = `http://127.0.0.1:${(await srv.listen()).port}`;
  const paths = ['/api/v1/query?query=1%2B1', '/api/v1/status/buildinfo', '/api/v1/labels', '/api/v1/label/__name__/values'];
  const rows: string[] = [];
  for (const p of paths) {
    serverMs = 0;
    served = 0;
    const v = await latency(vigil + p, 1000);
    rows.push(`  ${p.padEnd(34)} vigil p50 ${v.p50.toFixed(2)} ms, p99 ${v.p99.toFixed(2)} ms, ${v.rps.toFixed(0)} req/s (server side ${(serverMs / served).toFixed(3)} ms)`);
  }
  await srv.close();
  let prom = '';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-apibench-'));
  writeFileSync(join(dir, 'p.yml'), 'global: {}\n');
  const child = spawn('prometheus', [`--config.file=${join(dir, 'p.yml')}`, `--storage.tsdb.path=${join(dir, 'd')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  child.on('error', () => {});
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).status === 200) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error('no prometheus');
      await new Promise((r) => setTimeout(r, 100));
    }
    prom = `http://127.0.0.1:${port}`;
    for (let i = 0; i < paths.length; i++) {
      const v = await latency(prom + paths[i], 1000);
      rows[i] += ` | Prometheus 2.42 p50 ${v.p50.toFixed(2)} ms, p99 ${v.p99.toFixed(2)} ms, ${v.rps.toFixed(0)} req/s`;
    }
  } catch {
    rows.push('  (Prometheus not available: vigil only)');
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('request latency over loopback, sequential, gzip accepted (Prometheus holds no data):');
  for (const r of rows) console.log(r);
}

benchDecode();
await benchIngest();
benchEncode();
await benchOverhead();
