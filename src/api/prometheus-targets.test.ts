import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_CLIENT_CONFIG, type TargetGroup } from '../discovery/index.js';
import { Registry } from '../instrument/index.js';
import { Labels } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { newRelabelConfig } from '../relabel/index.js';
import { type NewScraper, type ScrapeOptions, ScrapeManager } from '../scrape/index.js';
import { MemoryStorage } from '../storage/index.js';
import { HttpServer, Router, mountPrometheusApi } from './index.js';

function job(name: string, over: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return {
    jobName: name,
    scrapeIntervalMs: 50,
    scrapeTimeoutMs: 50,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    sampleLimit: 0,
    targetLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
    bodySizeLimitBytes: 0,
    relabelConfigs: [],
    metricRelabelConfigs: [],
    httpClient: DEFAULT_HTTP_CLIENT_CONFIG,
    serviceDiscovery: [],
    ...over,
  };
}

const group = (...addrs: string[]): TargetGroup => ({ source: '0', targets: addrs.map((a) => Labels.fromStrings('__address__', a)), labels: Labels.EMPTY });

// Every target serves two families; target b describes `temp` differently.
const newScraper: NewScraper = ({ target }) => ({
  async scrape() {
    const help = target.url.includes('b:') ? 'Temperature in C.' : 'Temperature.';
    return { body: Buffer.from(`# HELP temp ${help}\n# TYPE temp gauge\ntemp 20\n# HELP req_total Requests.\n# TYPE req_total counter\nreq_total 1\n`), contentType: undefined };
  },
});

let base = '';
let close: () => Promise<void>;
const shutdown = new AbortController();
let running: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const storage = new MemoryStorage();
  const m = new ScrapeManager({ appendable: storage, registry: new Registry(), reloadIntervalMs: 0, newScraper });
  running = m.run(shutdown.signal);
  const drop = newRelabelConfig({ source_labels: ['__address__'], regex: 'z:.*', action: 'drop' });
  await m.applyConfig([job('node', { relabelConfigs: [drop] }), job('app')]);
  m.sync(
    new Map([
      ['node', [group('a:1', 'b:1', 'z:1')]],
      ['app', [group('c:1')]],
    ]),
  );
  const deadline = Date.now() + 20_000;
  // Wait for discovery to hand over all three targets and for each to have been scraped once.
  const pending = () => {
    const ts = [...m.targetsActive().values()].flat();
    return ts.length < 3 || ts.some((t) => t.health !== 'up');
  };
  while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const router = new Router();
  mountPrometheusApi(router, { engine: new Engine({ queryable: storage }), queryable: storage, targets: m });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  base = `http://127.0.0.1:${(await srv.listen()).port}`;
  close = () => srv.close();
});

afterAll(async () => {
  shutdown.abort();
  await running;
  await close();
});

async function data(path: string): Promise<unknown> {
  const body = (await (await fetch(base + path)).json()) as { status: string; data: unknown };
  expect(body.status).toBe('success');
  return body.data;
}

describe('/api/v1/targets', () => {
  it('lists active targets by pool in Prometheus 3 shape, dropped ones with counts', async () => {
    const d = (await data('/api/v1/targets')) as {
      activeTargets: Record<string, unknown>[];
      droppedTargets: Record<string, unknown>[];
      droppedTargetCounts: Record<string, number>;
    };
    // Pools in name order; Prometheus leaves the order inside a pool unspecified.
    expect(d.activeTargets.map((t) => t['scrapePool'])).toEqual(['app', 'node', 'node']);
    expect(d.activeTargets.map((t) => t['scrapeUrl']).sort()).toEqual(['http://a:1/metrics', 'http://b:1/metrics', 'http://c:1/metrics']);
    expect(Object.keys(d.activeTargets[0]!)).toEqual([
      'discoveredLabels',
      'labels',
      'scrapePool',
      'scrapeUrl',
      'globalUrl',
      'lastError',
      'lastScrape',
      'lastScrapeDuration',
      'health',
      'scrapeInterval',
      'scrapeTimeout',
    ]);
    expect(d.activeTargets[0]).toMatchObject({ labels: { instance: 'c:1', job: 'app' }, scrapePool: 'app', health: 'up', lastError: '', scrapeInterval: '50ms' });
    expect(d.droppedTargets).toEqual([{ discoveredLabels: expect.objectContaining({ __address__: 'z:1', job: 'node' }), scrapePool: 'node' }]);
    expect(d.droppedTargetCounts).toEqual({ app: 0, node: 1 });
  });

  it.each([
    ['?state=active', 3, 0],
    ['?state=dropped', 0, 1],
    ['?state=Any', 3, 1],
    ['?state=nonsense', 0, 0],
    ['?scrapePool=app', 1, 0],
    ['?scrapePool=node&state=dropped', 0, 1],
  ])('filters %s', async (q, active, dropped) => {
    const d = (await data('/api/v1/targets' + q)) as { activeTargets: unknown[]; droppedTargets: unknown[] };
    expect([d.activeTargets.length, d.droppedTargets.length]).toEqual([active, dropped]);
  });

  it('lists scrape pools', async () => {
    expect(await data('/api/v1/scrape_pools')).toEqual({ scrapePools: ['app', 'node'] });
  });
});

describe('metadata', () => {
  it('/api/v1/metadata merges what targets say, per metric', async () => {
    expect(await data('/api/v1/metadata')).toEqual({
      req_total: [{ type: 'counter', help: 'Requests.', unit: '' }],
      temp: [
        { type: 'gauge', help: 'Temperature.', unit: '' },
        { type: 'gauge', help: 'Temperature in C.', unit: '' },
      ],
    });
    expect(await data('/api/v1/metadata?limit=1')).toEqual({ req_total: [{ type: 'counter', help: 'Requests.', unit: '' }] });
    expect(await data('/api/v1/metadata?limit=0')).toEqual({});
    expect(await data('/api/v1/metadata?metric=temp&limit_per_metric=1')).toEqual({ temp: [{ type: 'gauge', help: 'Temperature.', unit: '' }] });
  });

  it('/api/v1/targets/metadata lists per target, limit counting targets', async () => {
    const all = (await data('/api/v1/targets/metadata')) as { target: Record<string, string>; metric: string }[];
    expect(all).toHaveLength(6);
    const one = (await data(`/api/v1/targets/metadata?match_target=${encodeURIComponent('{instance="b:1"}')}&metric=temp`)) as unknown[];
    // With `metric` given, Prometheus leaves the metric field out.
    expect(one).toEqual([{ target: { instance: 'b:1', job: 'node' }, type: 'gauge', help: 'Temperature in C.', unit: '' }]);
    expect(((await data('/api/v1/targets/metadata?limit=1')) as unknown[]).length).toBe(2);
  });
});
