// vigil's agent and a real prometheus-node-exporter (Debian's 1.5) on this host, scraped in
// one run: the same series for the collectors both have, and the node_exporter queries the
// seeds use (CPU, memory, disk usage, disk and network IO rates) give the same answers when
// vigil's PromQL engine evaluates them over both scrapes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, LabelsBuilder } from '../src/model/index.js';
import { Engine } from '../src/promql/index.js';
import { MemoryStorage } from '../src/storage/index.js';
import { EntryKind, PromParser } from '../src/textparse/index.js';
import { type PeerProcess, startPeer } from './support/peer-process.js';
import { peer, required } from './support/peers.js';

const nodeBin = peer('prometheus-node-exporter');
const BIN = resolve(import.meta.dirname, '../bin/vigil.js');
// Debian builds node_exporter 1.5 with this mount-point default; vigil has upstream's, so the agent is given Debian's.
const DEBIAN_MOUNTS = '^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';

interface Scrape {
  readonly text: string;
  readonly t: number;
}

async function scrape(url: string): Promise<Scrape> {
  const t = Date.now();
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { text: await res.text(), t };
}

function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

async function load(storage: MemoryStorage, s: Scrape, job: string): Promise<void> {
  const p = new PromParser(Buffer.from(s.text));
  const app = storage.appender();
  const b = new LabelsBuilder();
  for (let e = p.next(); e !== EntryKind.EOF; e = p.next()) {
    if (e !== EntryKind.Series) continue;
    const ls: Labels = b.reset(p.labels()).set('job', job).labels();
    app.append(0, ls, s.t, p.value());
  }
  await app.commit();
}

describe.skipIf(nodeBin === undefined || !required(existsSync(BIN), `a built ${BIN} (npm run build)`))('vigil agent beside a real node_exporter', () => {
  let ne: PeerProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentUrl = '';
  let dir = '';
  const storage = new MemoryStorage();
  let first: [Scrape, Scrape];
  let second: [Scrape, Scrape];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-agent-peer-'));
    ne = await startPeer(nodeBin!, (p) => [`--web.listen-address=127.0.0.1:${p}`]);
    agent = spawn(process.execPath, [BIN, 'agent', '--web.listen-address', '127.0.0.1:0', '--data.dir', dir, '--no-collector.docker', `--collector.filesystem.mount-points-exclude=${DEBIAN_MOUNTS}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    agent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 300 && agentUrl === ''; i++) {
      const m = /listen=([\d.]+:\d+)/.exec(out);
      if (m !== null) agentUrl = `http://${m[1]}/metrics`;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(agentUrl, out).not.toBe('');
    // Both scraped at the same moments, 5 s apart.
    first = (await Promise.all([scrape(`${ne.url}/metrics`), scrape(agentUrl)])) as [Scrape, Scrape];
    await new Promise((r) => setTimeout(r, 5000));
    second = (await Promise.all([scrape(`${ne.url}/metrics`), scrape(agentUrl)])) as [Scrape, Scrape];
    for (const [s, job] of [[first[0], 'ne'], [first[1], 'vigil'], [second[0], 'ne'], [second[1], 'vigil']] as const) await load(storage, s, job);
  }, 60_000);

  afterAll(async () => {
    await ne?.stop();
    if (agent !== undefined && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('has every node_exporter series of the shared collectors', () => {
    const ne1 = series(second[0].text);
    // node_network_info carries current node_exporter's adminstate label, which 1.5 did not have.
    const vg = new Map([...series(second[1].text)].map(([k, v]) => [k.replace(/adminstate="[^"]*",/, ''), v]));
    const shared = /^node_(cpu_seconds_total|cpu_guest_seconds_total|memory_|load(1|5|15)$|boot_time_seconds|context_switches_total|forks_total|intr_total|procs_|vmstat_|disk_(?!info)|filesystem_|network_(receive|transmit)_|network_(up|info|mtu_bytes|carrier|speed_bytes|flags|iface_id)|uname_info|entropy_|filefd_|pressure_|time_clocksource|os_info)/;
    const missing: string[] = [];
    for (const k of ne1.keys()) {
      const name = k.replace(/\{.*$/, '');
      if (!shared.test(name)) continue;
      // node_exporter 1.5 keeps zram devices; current node_exporter (and vigil) leave them out by default.
      if (k.includes('device="zram')) continue;
      if (!vg.has(k)) missing.push(k);
    }
    expect(missing).toEqual([]);
    // Values that do not move between two reads in the same moment.
    for (const k of ['node_boot_time_seconds', 'node_memory_MemTotal_bytes', 'node_filefd_maximum']) expect(vg.get(k), k).toBe(ne1.get(k));
    const uname = [...ne1.keys()].find((k) => k.startsWith('node_uname_info'))!;
    expect(vg.has(uname)).toBe(true);
  });

  const queries = [
    { name: 'CPU busy', q: '1 - avg by (job) (irate(node_cpu_seconds_total{mode="idle"}[2m]))', abs: 0.06, rel: 0 },
    { name: 'memory used', q: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', abs: 0.02, rel: 0 },
    { name: 'root filesystem used', q: '1 - node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}', abs: 0.005, rel: 0 },
    { name: 'disk read rate', q: 'sum by (job) (rate(node_disk_read_bytes_total{device!~"zram.*"}[2m]))', abs: 512 * 1024, rel: 0.25 },
    { name: 'disk write rate', q: 'sum by (job) (rate(node_disk_written_bytes_total{device!~"zram.*"}[2m]))', abs: 512 * 1024, rel: 0.25 },
    { name: 'disk busy', q: 'sum by (job) (rate(node_disk_io_time_seconds_total{device!~"zram.*"}[2m]))', abs: 0.1, rel: 0.25 },
    { name: 'network receive rate', q: 'sum by (job) (rate(node_network_receive_bytes_total{device!="lo"}[2m]))', abs: 64 * 1024, rel: 0.25 },
  ];

  it.each(queries)('$name: $q', async ({ q, abs, rel }) => {
    const engine = new Engine({ queryable: storage });
    const t = Math.max(second[0].t, second[1].t);
    const r = await engine.instantQuery(q, t);
    expect(r.value.kind).toBe('vector');
    if (r.value.kind !== 'vector') return;
    const by = new Map(r.value.samples.map((s) => [s.labels.get('job'), s.f]));
    const a = by.get('ne');
    const b = by.get('vigil');
    expect(a, `node_exporter answer to ${q}`).toBeDefined();
    expect(b, `vigil answer to ${q}`).toBeDefined();
    if (process.env.VIGIL_TEST_VERBOSE) process.stderr.write(`${q}: node_exporter ${a} vigil ${b}\n`);
    expect(Math.abs(a! - b!), `node_exporter ${a} vs vigil ${b}`).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(a!)));
  });
});
