// The whole metrics ingestion path as cli wires it: Prometheus YAML → config → discovery manager
// → scrape manager → Appender, against a local target with relabeling, metric relabeling,
// params and basic auth.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { DiscoveryManager, type SDConfig, StaticDiscoverer } from '../src/discovery/index.js';
import { Registry } from '../src/instrument/index.js';
import { type ScrapeOptions, ScrapeManager, activeTargetStatus } from '../src/scrape/index.js';
import { RecordingStorage } from './support/recording-storage.js';

let server: http.Server;
let port = 0;
const seen: { url: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
    res.end('# TYPE requests counter\n# HELP requests Requests served.\nrequests_total{path="/a"} 7\nrequests_created{path="/a"} 1.7e9\n# TYPE go_goroutines gauge\ngo_goroutines 9\n# EOF\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('config → discovery → scrape → storage', () => {
  it('scrapes what the config describes', async () => {
    const cfg = parseConfig(
      `global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: app
    metrics_path: /custom
    params:
      module: [m1]
    basic_auth:
      username: scraper
      password: pw
    static_configs:
      - targets: ['127.0.0.1:${port}']
        labels:
          team: core
      - targets: ['127.0.0.1:1']
        labels:
          team: dropme
    relabel_configs:
      - source_labels: [team]
        regex: dropme
        action: drop
      - target_label: env
        replacement: test
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
`,
      '/tmp/prometheus.yml',
    );
    // config's ScrapeConfig is scrape's ScrapeOptions: the contract is structural.
    const jobs: readonly ScrapeOptions[] = cfg.scrapeConfigs;
    const store = new RecordingStorage();
    const m = new ScrapeManager({ appendable: store, registry: new Registry(), reloadIntervalMs: 0 });
    await m.applyConfig(jobs);
    const dm = new DiscoveryManager({
      jobs: new Map(jobs.map((j) => [j.jobName, j.serviceDiscovery])),
      newDiscoverer: (c: SDConfig) => {
        if (c.kind !== 'static') throw new Error(`unexpected SD ${c.kind}`);
        return new StaticDiscoverer({ groups: c.groups });
      },
      updateIntervalMs: 0,
    });
    const shutdown = new AbortController();
    const done = m.run(shutdown.signal, dm.run(shutdown.signal));
    const deadline = Date.now() + 10_000;
    while (store.valuesOf('up').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const targets = m.targetsActive().get('app')!;
    const status = targets.map((t) => activeTargetStatus(t));
    const dropped = m.targetsDropped().get('app')!.map((d) => d.discoveredLabels.get('team'));
    const metadata = m.metricMetadata();
    shutdown.abort();
    await done;

    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ scrapeUrl: `http://127.0.0.1:${port}/custom?module=m1`, health: 'up', labels: { env: 'test', instance: `127.0.0.1:${port}`, job: 'app', team: 'core' } });
    expect(dropped).toEqual(['dropme']);
    expect(seen[0]).toEqual({ url: '/custom?module=m1', auth: 'Basic ' + Buffer.from('scraper:pw').toString('base64') });
    const names = new Set(store.samples.map((s) => s.series.slice(0, s.series.indexOf(','))));
    expect([...names].sort()).toEqual(
      ['requests_created', 'requests_total', 'scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up'].map((n) => `{__name__="${n}"`),
    );
    expect(store.valuesOf('requests_total')[0]!.series).toBe(`{__name__="requests_total", env="test", instance="127.0.0.1:${port}", job="app", path="/a", team="core"}`);
    expect(store.valuesOf('scrape_samples_scraped')[0]!.v).toBe(3);
    expect(store.valuesOf('scrape_samples_post_metric_relabeling')[0]!.v).toBe(2);
    expect(metadata).toEqual({ requests: [{ type: 'counter', help: 'Requests served.', unit: '' }], go_goroutines: [{ type: 'gauge', help: '', unit: '' }] });
  });
});
