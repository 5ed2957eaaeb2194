// Remote write and read with a real Prometheus 2.42: Prometheus scrapes itself and sends
// everything to vigil's /api/v1/write; vigil must then hold the very samples Prometheus has.
// Prometheus also reads from vigil's /api/v1/read, so a series only vigil holds shows up in
// Prometheus's query answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, Router, mountPrometheusApi } from '../src/api/index.js';
import { Registry } from '../src/instrument/index.js';
import { Labels } from '../src/model/index.js';
import { Engine } from '../src/promql/index.js';
import { MemoryStorage } from '../src/storage/index.js';
import { type PeerProcess, startPeer } from './support/peer-process.js';
import { peer } from './support/peers.js';

const prometheusBin = peer('prometheus');

interface QueryBody {
  data: { result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] };
}

async function query(base: string, q: string, t: number): Promise<QueryBody['data']['result']> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${t}`);
  const body = (await r.json()) as QueryBody & { status: string; error?: string };
  if (body.status !== 'success') throw new Error(`${q}: ${body.error}`);
  return body.data.result;
}

const sortByLabels = <T extends { metric: Record<string, string> }>(r: T[]): T[] => r.sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1));

describe.skipIf(prometheusBin === undefined)('remote write and read with Prometheus 2.42', () => {
  let dir = '';
  let prom: PeerProcess | undefined;
  let vigil = '';
  let srv: HttpServer | undefined;
  const storage = new MemoryStorage();
  const registry = new Registry();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-rw-peer-'));
    const router = new Router();
    mountPrometheusApi(router, { engine: new Engine({ queryable: storage }), queryable: storage, appendable: storage, registry });
    srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    vigil = `http://127.0.0.1:${(await srv.listen()).port}`;
    // A series only vigil has, carrying Prometheus's external label so its remote-read
    // matchers select it.
    const app = storage.appender();
    const now = Date.now();
    for (let i = 0; i < 30; i++) app.append(0, Labels.fromStrings('__name__', 'vigil_only_metric', 'replica', 'p1', 'source', 'vigil'), now - 60_000 + i * 2000, i);
    await app.commit();
    const writeConfig = (port: number): void =>
      writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  external_labels: {replica: p1}',
        'scrape_configs:',
        '  - job_name: prometheus',
        `    static_configs: [{targets: ['127.0.0.1:${port}']}]`,
        'remote_write:',
        `  - url: ${vigil}/api/v1/write`,
        '    queue_config: {batch_send_deadline: 500ms, max_samples_per_send: 500, min_backoff: 50ms, max_backoff: 500ms}',
        'remote_read:',
        `  - url: ${vigil}/api/v1/read`,
        '    read_recent: true',
        // Only queries that ask for source="vigil" read from vigil, so Prometheus's other
        // answers come from its own storage alone.
        '    required_matchers: {source: vigil}',
        '',
      ].join('\n'),
    );
    prom = await startPeer(
      prometheusBin!,
      (port) => {
        // Prometheus scrapes itself: the config needs the port startPeer picked.
        writeConfig(port);
        return [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
      },
      '/-/ready',
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await srv?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('receives every sample Prometheus scraped, with its external labels', async () => {
    // Let a few scrapes happen and be shipped.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await query(vigil, 'count_over_time(up{job="prometheus"}[1m])', Date.now() / 1000);
      if (r.length > 0 && Number(r[0]!.value![1]) >= 5) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    // Compare raw samples of stable series over a window both sides have complete.
    const t = Math.floor(Date.now() / 1000) - 2;
    for (const q of ['up[4s]', 'scrape_samples_scraped[4s]', 'prometheus_build_info[4s]', 'prometheus_tsdb_head_chunks_created_total[4s]']) {
      const fromProm = sortByLabels(await query(prom!.url, q, t));
      const fromVigil = sortByLabels(await query(vigil, q, t));
      expect(fromProm.length, q).toBeGreaterThan(0);
      // The series vigil got over remote write carry the external label.
      expect(fromVigil.map((s) => s.metric['replica'])).toEqual(fromVigil.map(() => 'p1'));
      const strip = (r: typeof fromVigil): unknown => r.map((s) => ({ metric: { ...s.metric, replica: undefined }, values: s.values }));
      expect(strip(fromVigil), q).toEqual(strip(fromProm));
    }
    expect(registry.expose()).toMatch(/vigil_remote_write_samples_received_total [1-9]/);
  }, 60_000);

  it('answers Prometheus remote reads', async () => {
    const r = await query(prom!.url, 'vigil_only_metric{source="vigil"}', Date.now() / 1000);
    expect(r).toHaveLength(1);
    expect(r[0]!.metric).toMatchObject({ __name__: 'vigil_only_metric', source: 'vigil' });
    expect(r[0]!.value![1]).toBe('29');
    const range = await query(prom!.url, 'count_over_time(vigil_only_metric{source="vigil"}[2m])', Date.now() / 1000);
    expect(await query(prom!.url, 'vigil_only_metric', Date.now() / 1000)).toEqual([]);
    expect(range[0]!.value![1]).toBe('30');
  });
});
