// The live side of the data directory against the real Prometheus 2.42 (Debian package):
// Prometheus opens a directory vigil wrote (blocks cut from the head, a checkpoint, WAL segments
// with snappy records) and serves the same samples, replaying vigil's WAL; and vigil replays the
// WAL Prometheus wrote (kill -9, no clean shutdown) and returns what Prometheus ingested.
import { createServer, type Server } from 'node:http';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType, STALE_NAN, formatFloatF, isStaleNaN } from '../src/model/index.js';
import { ValueType } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';
import { peer } from './support/peers.js';
import { startPeer } from './support/peer-process.js';

const prometheus = peer('prometheus');
const ALL = [new Matcher(MatchType.Regexp, '__name__', '.+')];
const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z, ms

type Rows = Record<string, [number, string][]>;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-walinterop-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

// apiFloat formats a value as Prometheus 2.42's HTTP API does.
function apiFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  const a = Math.abs(v);
  if (a !== 0 && Number.isFinite(v) && (a < 1e-6 || a >= 1e21)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    return `${mant}e${exp.startsWith('-') ? '-' : '+'}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return formatFloatF(v);
}

async function vigilRows(db: Db, mint: number, maxt: number, ms = ALL): Promise<Rows> {
  const q = await db.querier(mint, maxt);
  const ss = await q.select(ms);
  const out: Rows = {};
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    const rows: [number, string][] = [];
    // Prometheus's range selection leaves staleness markers out.
    while (it.next() !== ValueType.None) if (!isStaleNaN(it.atF())) rows.push([it.atT(), apiFloat(it.atF())]);
    expect(it.err()).toBeUndefined();
    if (rows.length > 0) out[s.labels.toString()] = rows;
  }
  await q.close();
  return out;
}

async function promRows(url: string, selector: string, timeMs: number): Promise<Rows> {
  const q = encodeURIComponent(selector);
  const res = (await (await fetch(`${url}/api/v1/query?query=${q}&time=${timeMs / 1000}`)).json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  if (res.status !== 'success') throw new Error(`Prometheus query failed: ${res.error}`);
  const out: Rows = {};
  for (const r of res.data.result) out[Labels.fromObject(r.metric).toString()] = r.values.map(([t, v]) => [Math.round(t * 1000), v]);
  return out;
}

describe.skipIf(prometheus === undefined)('WAL and head interop with Prometheus 2.42', () => {
  it('Prometheus opens a data directory vigil wrote, replays its WAL and serves the same samples', { timeout: 120_000 }, async () => {
    const vdir = join(dir, 'vigil');
    const db = await Db.open({ dir: vdir, autoCompact: false, walSegmentSize: 32 * 1024, retentionMs: 0 });
    // 5 h of 15 s samples: blocks are cut for the oldest ranges, the rest stays in the WAL.
    const names = ['node_cpu_seconds_total', 'node_load1', 'http_requests_total'];
    for (let t = T0; t < T0 + 5 * 3600_000; t += 15_000) {
      const app = db.appender();
      for (let i = 0; i < 30; i++) {
        const name = names[i % 3]!;
        const l = Labels.fromStrings('__name__', name, 'instance', `host-${i}:9100`, 'job', 'node', 'mode', i % 2 ? 'idle' : 'user');
        const k = (t - T0) / 15_000;
        const v = name === 'node_load1' ? Math.round(Math.sin(k / 10 + i) * 1000) / 100 : k * (i + 1) + 0.25;
        // One series ends with a staleness marker half way.
        if (i === 7 && t > T0 + 2.5 * 3600_000) {
          if (t < T0 + 2.5 * 3600_000 + 15_000) app.append(0, l, t, STALE_NAN);
          continue;
        }
        app.append(0, l, t, v);
      }
      await app.commit();
      if ((t - T0) % 3600_000 === 0) await db.compact();
    }
    await db.compact();
    expect(db.blocks().length).toBeGreaterThan(0);
    const wal = await readdir(join(vdir, 'wal'));
    expect(wal.some((f) => f.startsWith('checkpoint.'))).toBe(true);
    const end = T0 + 5 * 3600_000;
    const want = await vigilRows(db, end - 6 * 3600_000 + 1, end);
    // Most samples live only in the WAL (checkpoint + segments): Prometheus must replay them.
    const blockEnd = Math.max(...db.blocks().map((b) => b.maxTime));
    const inWal = Object.values(want).reduce((n, rows) => n + rows.filter(([t]) => t >= blockEnd).length, 0);
    expect(inWal).toBeGreaterThan(10_000);
    await db.close();

    const pdir = join(dir, 'prom-from-vigil');
    await cp(vdir, pdir, { recursive: true });
    await writeFile(join(dir, 'empty.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    const p = await startPeer(
      prometheus!,
      (port) => [`--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${pdir}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=100y'],
      '/-/ready',
      90_000,
    );
    try {
      const got = await promRows(p.url, '{__name__=~"node_.+|http_.+"}[6h]', end);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expect({ k, rows: got[k] }).toEqual({ k, rows: want[k] });
      // Prometheus replayed the WAL without complaint.
      expect(p.output()).not.toMatch(/[Cc]orrupt|WAL.*error|unknown series/);
    } finally {
      await p.stop();
    }
  });

  it('vigil replays the WAL Prometheus wrote (killed without shutdown) and returns what it ingested', { timeout: 120_000 }, async () => {
    // A target that serves samples with explicit timestamps in the recent past, so that every
    // scrape adds the same known samples (later scrapes only repeat them).
    const now = Date.now();
    const ts = Array.from({ length: 12 }, (_, i) => Math.floor(now / 1000) * 1000 - (12 - i) * 60_000);
    const body =
      '# TYPE wal_interop_total counter\n' +
      ts.flatMap((t, i) => [`wal_interop_total{shard="a"} ${i * 3} ${t}`, `wal_interop_total{shard="b"} ${i * 0.5} ${t}`]).join('\n') +
      '\n# TYPE wal_interop_gauge gauge\n' +
      ts.map((t, i) => `wal_interop_gauge ${Math.round(Math.cos(i) * 1e6) / 1e3} ${t}`).join('\n') +
      '\n';
    // A target answers with its latest samples only per scrape; serve one sample per scrape, in order.
    let scrape = 0;
    const server: Server = createServer((_req, res) => {
      const i = Math.min(scrape++, ts.length - 1);
      const lines = body.split('\n').filter((l) => l.startsWith('#') || l.endsWith(` ${ts[i]}`));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(lines.join('\n') + '\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tport = (server.address() as { port: number }).port;
    const pdir = join(dir, 'prom-wal');
    await writeFile(
      join(dir, 'scrape.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: interop\n    static_configs:\n      - targets: ['127.0.0.1:${tport}']\n`,
    );
    const p = await startPeer(
      prometheus!,
      (port) => [`--config.file=${join(dir, 'scrape.yml')}`, `--storage.tsdb.path=${pdir}`, `--web.listen-address=127.0.0.1:${port}`],
      '/-/ready',
      90_000,
    );
    let want: Rows;
    try {
      // Wait until every sample went in.
      const deadline = Date.now() + 60_000;
      for (;;) {
        want = await promRows(p.url, '{__name__=~"wal_interop_.+"}[1h]', now);
        const n = Object.values(want).reduce((a, r) => a + r.length, 0);
        if (n === 3 * ts.length) break;
        if (Date.now() > deadline) throw new Error(`Prometheus ingested ${n} of ${3 * ts.length} samples`);
        await new Promise((r) => setTimeout(r, 500));
      }
      p.child.kill('SIGKILL');
      await new Promise((r) => p.child.once('exit', r));
    } finally {
      await p.stop();
      server.close();
    }
    const vdir = join(dir, 'vigil-from-prom');
    await cp(pdir, vdir, { recursive: true });
    const db = await Db.open({ dir: vdir, autoCompact: false });
    try {
      expect(db.replay.corruptions.length).toBeLessThanOrEqual(1); // a torn tail from the kill is allowed
      expect(db.replay.series).toBeGreaterThan(3);
      const got = await vigilRows(db, now - 3600_000 + 1, now, [new Matcher(MatchType.Regexp, '__name__', 'wal_interop_.+')]);
      expect(got).toEqual(want!);
      // The synthetic scrape series Prometheus wrote are there too.
      const up = await vigilRows(db, now - 3600_000, Date.now() + 60_000, [new Matcher(MatchType.Equal, '__name__', 'up')]);
      expect(Object.keys(up).length).toBe(1);
    } finally {
      await db.close();
    }
  });
});
