// The agent's remote-write sender against real receivers: Prometheus 2.42 started with
// --web.enable-remote-write-receiver, and vigil's own server (`POST /api/v1/write`). What the
// agent pushes is queried back through each one's HTTP API: every series with its exact
// value, the external labels, and staleness markers ending a series that disappeared.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCollector, MetricBatch, MetricType, RemoteWriteSender, type RemoteWriteError } from '../src/agent/index.js';
import { StalenessTracker } from '../src/agent/remote-write/index.js';
import { Registry } from '../src/instrument/index.js';
import { type PeerProcess, startPeer } from './support/peer-process.js';
import { peer, required } from './support/peers.js';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

const prometheusBin = peer('prometheus');
const BIN = resolve(import.meta.dirname, '../bin/vigil.js');

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(base: string, q: string, tSec: number): Promise<PromVector['data']['result']> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${tSec}`);
  const body = (await res.json()) as PromVector;
  expect(body.status, JSON.stringify(body)).toBe('success');
  return body.data.result;
}

/** hostBatch collects a real host batch (a few collectors) plus a series that will disappear. */
async function hostBatch(withDoomed: boolean): Promise<MetricBatch> {
  const b = new MetricBatch();
  await new HostCollector({ enable: { filesystem: false, hwmon: false, thermal_zone: false, netclass: false, os: false, time: false } }).collect(b);
  if (withDoomed) b.add(b.family('vigil_test_doomed', MetricType.gauge, 'A series that goes away.', ['container']), 42, ['gone']);
  return b;
}

/** pushAndCheck pushes two cycles to a receiver and checks what it answers. */
async function pushAndCheck(writeUrl: string, apiBase: string): Promise<void> {
  const registry = new Registry();
  const errors: RemoteWriteError[] = [];
  const sender = new RemoteWriteSender({ url: writeUrl, registry, externalLabels: { instance: hostname(), job: 'vigil-agent' }, maxSamplesPerSend: 100, onError: (e) => errors.push(e) });
  const staleness = new StalenessTracker();
  const t1 = Math.floor(Date.now() / 1000) * 1000 - 4000;
  const t2 = t1 + 2000;
  const b1 = await hostBatch(true);
  expect(staleness.track(b1)).toBeUndefined();
  sender.enqueue(b1, t1);
  const b2 = await hostBatch(false);
  const stale = staleness.track(b2);
  expect(stale?.samples).toBe(1);
  sender.enqueue(b2, t2);
  sender.enqueue(stale!, t2);
  expect(await sender.flush(20_000)).toBe(0);
  expect(errors).toEqual([]);
  expect(registry.expose()).toContain(`vigil_remote_write_samples_total ${b1.samples + b2.samples + 1}`);

  // Every series of the second cycle, with its exact value and the external labels.
  const got = await query(apiBase, '{job="vigil-agent",__name__=~"node_.+"}', t2 / 1000);
  const byKey = new Map(got.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), Number(r.value[1])]));
  let checked = 0;
  for (const f of b2.families()) {
    for (let i = 0; i < f.size; i++) {
      const m: Record<string, string> = { __name__: f.name, instance: hostname(), job: 'vigil-agent' };
      f.labelNames.forEach((n, j) => {
        const v = f.labelValue(i, j);
        if (v !== '') m[n] = v;
      });
      const v = byKey.get(JSON.stringify(Object.entries(m).sort()));
      expect(v, `${f.name} ${JSON.stringify(m)}`).toBe(f.value(i));
      checked++;
    }
  }
  expect(checked).toBe(got.length);
  expect(checked).toBeGreaterThan(100);
  // The series that disappeared is present at t1 and ended by its staleness marker at t2.
  expect(await query(apiBase, 'vigil_test_doomed', t1 / 1000)).toHaveLength(1);
  expect(await query(apiBase, 'vigil_test_doomed', (t2 + 1000) / 1000)).toEqual([]);
}

describe.skipIf(prometheusBin === undefined)('remote write to a real Prometheus 2.42', () => {
  let dir = '';
  let prom: PeerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-rw-prom-'));
    writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
    prom = await startPeer(
      prometheusBin!,
      (port) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.enable-remote-write-receiver', `--web.listen-address=127.0.0.1:${port}`],
      '/-/ready',
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('stores every pushed series with its value, labels and staleness', async () => {
    await pushAndCheck(`${prom!.url}/api/v1/write`, prom!.url);
  });
});

describe.skipIf(!required(existsSync(BIN), `a built ${BIN} (npm run build)`))("remote write to vigil's own receiver", () => {
  let server: VigilProcess | undefined;

  beforeAll(async () => {
    server = await startVigil('server');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('stores every pushed series with its value, labels and staleness', async () => {
    await pushAndCheck(`${server!.url}/api/v1/write`, server!.url);
  });
});
