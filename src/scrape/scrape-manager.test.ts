import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { peer } from '../../test/support/peers.js';
import { RecordingStorage } from '../../test/support/recording-storage.js';
import { DEFAULT_HTTP_CLIENT_CONFIG, type TargetGroup } from '../discovery/index.js';
import { Registry } from '../instrument/index.js';
import { Labels, MatchType, Matcher } from '../model/index.js';
import { newRelabelConfig } from '../relabel/index.js';
import { type NewScraper, type ScrapeOptions, ScrapeManager, type ScrapeResult, activeTargetStatus, droppedTargetStatus, globalUrl, formatTime } from './index.js';

function job(name: string, over: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return {
    jobName: name,
    scrapeIntervalMs: 100,
    scrapeTimeoutMs: 100,
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

function group(source: string, ...addrs: string[]): TargetGroup {
  return { source, targets: addrs.map((a) => Labels.fromStrings('__address__', a)), labels: Labels.fromStrings('zone', 'a') };
}

// Fake scrapers: each target serves `page(url)`; the log records which URLs were scraped.
function fakeScrapers(page: (url: string) => string = () => '# HELP m A metric.\n# TYPE m gauge\nm 1\n'): { newScraper: NewScraper; log: string[]; created: string[] } {
  const log: string[] = [];
  const created: string[] = [];
  const newScraper: NewScraper = ({ target, timeoutMs }) => {
    created.push(`${target.url}@${timeoutMs}`);
    return {
      async scrape(): Promise<ScrapeResult> {
        log.push(target.url);
        return { body: Buffer.from(page(target.url)), contentType: undefined };
      },
    };
  };
  return { newScraper, log, created };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await wait(5);
  }
}

function setup(page?: (url: string) => string): { m: ScrapeManager; store: RecordingStorage; registry: Registry; log: string[]; created: string[]; shutdown: AbortController; done: Promise<void> } {
  const store = new RecordingStorage();
  const registry = new Registry();
  const { newScraper, log, created } = fakeScrapers(page);
  const m = new ScrapeManager({ appendable: store, registry, reloadIntervalMs: 0, newScraper });
  const shutdown = new AbortController();
  const done = m.run(shutdown.signal);
  return { m, store, registry, log, created, shutdown, done };
}

describe('ScrapeManager', () => {
  it('builds deduplicated targets from target groups and scrapes them', async () => {
    const { m, store, log, shutdown, done } = setup();
    const drop = newRelabelConfig({ source_labels: ['__address__'], regex: '.*:9999', action: 'drop' });
    await m.applyConfig([job('node', { relabelConfigs: [drop] })]);
    m.sync(new Map([['node', [group('g1', 'a:9100', 'b:9100', 'a:9100'), group('g2', 'a:9100', 'c:9999')]]]));
    await until(() => new Set(log).size === 2 && store.valuesOf('up').length >= 2);
    const active = m.targetsActive().get('node')!;
    expect(active.map((t) => t.url).sort()).toEqual(['http://a:9100/metrics', 'http://b:9100/metrics']);
    expect(active[0]!.labels.toString()).toMatch(/^\{instance="[ab]:9100", job="node", zone="a"\}$/);
    expect(m.targetsDropped().get('node')!.map((d) => d.discoveredLabels.get('__address__'))).toEqual(['c:9999']);
    expect(store.valuesOf('m')[0]!.series).toMatch(/^\{__name__="m", instance="[ab]:9100", job="node", zone="a"\}$/);
    shutdown.abort();
    await done;
  });

  it('stops loops of vanished targets, which then mark their series stale', async () => {
    const { m, store, log, shutdown, done } = setup();
    await m.applyConfig([job('node')]);
    m.sync(new Map([['node', [group('g', 'a:1', 'b:1')]]]));
    await until(() => new Set(log).size === 2 && store.valuesOf('m').length >= 2);
    m.sync(new Map([['node', [group('g', 'a:1')]]]));
    await until(() => m.targetsActive().get('node')!.length === 1);
    await until(() => store.samples.some((s) => s.v === 'stale' && s.series.includes('instance="b:1"')), 2000);
    expect(store.samples.some((s) => s.v === 'stale' && s.series.includes('instance="a:1"'))).toBe(false);
    shutdown.abort();
    await done;
  });

  it('reloads only changed jobs and stops removed ones', async () => {
    const { m, log, created, shutdown, done } = setup();
    await m.applyConfig([job('a'), job('b')]);
    m.sync(new Map([
      ['a', [group('g', 'a:1')]],
      ['b', [group('g', 'b:1')]],
    ]));
    await until(() => log.includes('http://a:1/metrics') && log.includes('http://b:1/metrics'));
    expect(created).toEqual(['http://a:1/metrics@100', 'http://b:1/metrics@100'].sort((x, y) => created.indexOf(x) - created.indexOf(y)));
    await m.applyConfig([job('a', { scrapeTimeoutMs: 50 }), job('b')]);
    expect(created.filter((c) => c.startsWith('http://b:1'))).toEqual(['http://b:1/metrics@100']);
    // Pool a keeps its target; its loop is new (new timeout label only comes with the next sync).
    expect(created.filter((c) => c.startsWith('http://a:1')).length).toBe(2);
    await m.applyConfig([job('a', { scrapeTimeoutMs: 50 })]);
    expect(m.scrapePools()).toEqual(['a']);
    shutdown.abort();
    await done;
  });

  it('fails every target of a pool over target_limit', async () => {
    const { m, shutdown, done } = setup();
    await m.applyConfig([job('node', { targetLimit: 2 })]);
    m.sync(new Map([['node', [group('g', 'a:1', 'b:1', 'c:1')]]]));
    await until(() => (m.targetsActive().get('node') ?? []).length === 3 && m.targetsActive().get('node')!.every((t) => t.health !== 'unknown'));
    for (const t of m.targetsActive().get('node')!) expect(t.lastError?.message).toBe('target_limit exceeded (number of targets: 3, limit: 2)');
    shutdown.abort();
    await done;
  });

  it('serves target status and metadata as plain data', async () => {
    const { m, shutdown, done } = setup((url) => (url.includes('a:1') ? '# HELP m A metric.\n# TYPE m gauge\nm 1\n' : '# HELP m Other help.\n# TYPE m gauge\nm 1\n# TYPE n counter\nn_total 2\n'));
    await m.applyConfig([job('node')]);
    m.sync(new Map([['node', [group('g', 'a:1', 'b:1')]]]));
    await until(() => (m.targetsActive().get('node') ?? []).length === 2 && m.targetsActive().get('node')!.every((t) => t.health === 'up'));
    const t = m.targetsActive().get('node')!.find((x) => x.url.includes('a:1'))!;
    const s = activeTargetStatus(t, { listenAddress: '0.0.0.0:9700', host: 'vigil.example:9700', scheme: 'https' });
    expect(s).toMatchObject({
      discoveredLabels: { __address__: 'a:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '100ms', __scrape_timeout__: '100ms', job: 'node', zone: 'a' },
      labels: { instance: 'a:1', job: 'node', zone: 'a' },
      scrapePool: 'node',
      scrapeUrl: 'http://a:1/metrics',
      globalUrl: 'http://a:1/metrics',
      lastError: '',
      health: 'up',
      scrapeInterval: '100ms',
      scrapeTimeout: '100ms',
    });
    expect(s.lastScrape).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(m.metricMetadata()).toEqual({
      m: expect.arrayContaining([
        { type: 'gauge', help: 'A metric.', unit: '' },
        { type: 'gauge', help: 'Other help.', unit: '' },
      ]),
      n: [{ type: 'counter', help: '', unit: '' }],
    });
    expect(Object.keys(m.metricMetadata({ limit: 1 }))).toHaveLength(1);
    expect(m.metricMetadata({ limit: 0 })).toEqual({});
    expect(m.metricMetadata({ metric: 'n' })).toEqual({ n: [{ type: 'counter', help: '', unit: '' }] });
    const tm = m.targetMetadata({ matchTarget: [new Matcher(MatchType.Equal, 'instance', 'b:1')], metric: 'n' });
    expect(tm.map((x) => [x.target.get('instance'), x.metric, x.type])).toEqual([['b:1', 'n', 'counter']]);
    expect(droppedTargetStatus({ discoveredLabels: Labels.fromStrings('__address__', 'x') })).toEqual({ discoveredLabels: { __address__: 'x' } });
    shutdown.abort();
    await done;
  });

  it('exposes Prometheus self-metrics that promtool accepts', async () => {
    const { m, registry, log, shutdown, done } = setup();
    await m.applyConfig([job('node')]);
    m.sync(new Map([['node', [group('g', 'a:1')]]]));
    await until(() => log.length >= 3);
    const text = registry.expose();
    expect(text).toContain('prometheus_target_scrape_pool_targets{scrape_job="node"} 1');
    expect(text).toContain('prometheus_target_scrape_pools_total 1');
    expect(text).toMatch(/prometheus_target_interval_length_seconds\{interval="100ms",quantile="0.5"\} 0\.\d+/);
    expect(text).toMatch(/prometheus_target_scrape_pool_sync_total\{scrape_job="node"\} [1-9]/);
    expect(text).toContain('prometheus_target_metadata_cache_entries{scrape_job="node"} 1');
    const promtool = peer('promtool');
    if (promtool !== undefined) {
      const out = execFileSync('sh', ['-c', `${promtool} check metrics; echo rc=$?`], { input: text, encoding: 'utf8' });
      expect(out).toMatch(/rc=0/);
    }
    shutdown.abort();
    await done;
  });

  it('stops everything when its signal aborts', async () => {
    const { m, log, shutdown, done } = setup();
    await m.applyConfig([job('node')]);
    m.sync(new Map([['node', [group('g', 'a:1')]]]));
    await until(() => log.length >= 1);
    shutdown.abort();
    await done;
    const n = log.length;
    await wait(250);
    expect(log.length).toBe(n);
    expect(m.scrapePools()).toEqual([]);
  });

  it('takes updates from an async iterable and throttles reloads', async () => {
    const store = new RecordingStorage();
    const { newScraper, log } = fakeScrapers();
    const m = new ScrapeManager({ appendable: store, registry: new Registry(), reloadIntervalMs: 300, newScraper });
    const shutdown = new AbortController();
    const t0 = Date.now();
    async function* updates(): AsyncIterable<ReadonlyMap<string, readonly TargetGroup[]>> {
      yield new Map([['node', [group('g', 'a:1')]]]);
      await wait(20);
      yield new Map([['node', [group('g', 'a:1', 'b:1')]]]);
      await wait(400);
      yield new Map([['node', [group('g', 'c:1')]]]);
    }
    const done = m.run(shutdown.signal, updates());
    await m.applyConfig([job('node')]); // reloads at once; the quick updates after it wait for the interval
    await until(() => log.includes('http://a:1/metrics') && log.includes('http://b:1/metrics'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await until(() => log.includes('http://c:1/metrics'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(590);
    shutdown.abort();
    await done;
  });

  it('rewrites local URLs for globalUrl and prints Go times', () => {
    const opts = { listenAddress: '0.0.0.0:9700', host: 'vigil.example:9700', scheme: 'https' };
    expect(globalUrl('http://localhost:9700/metrics', opts)).toBe('https://vigil.example:9700/metrics');
    expect(globalUrl('http://127.0.0.1:9100/metrics', opts)).toBe('http://vigil.example:9100/metrics');
    expect(globalUrl('http://node-1:9100/metrics', opts)).toBe('http://node-1:9100/metrics');
    expect(formatTime(0)).toBe('0001-01-01T00:00:00Z');
    expect(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5, 120))).toBe('2024-01-02T03:04:05.12Z');
    expect(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('2024-01-02T03:04:05Z');
  });
});

describe('sameScrapeOptions', () => {
  it('sees changes inside label sets and regexes', async () => {
    const { sameScrapeOptions } = await import('./index.js');
    const { newRelabelConfig } = await import('../relabel/index.js');
    const sd = (addr: string) => [{ kind: 'static' as const, groups: [group('g', addr)] }];
    expect(sameScrapeOptions(job('a', { serviceDiscovery: sd('x:1') }), job('a', { serviceDiscovery: sd('x:1') }))).toBe(true);
    expect(sameScrapeOptions(job('a', { serviceDiscovery: sd('x:1') }), job('a', { serviceDiscovery: sd('x:2') }))).toBe(false);
    const r = (re: string) => [newRelabelConfig({ regex: re, action: 'drop', source_labels: ['a'] })];
    expect(sameScrapeOptions(job('a', { relabelConfigs: r('x') }), job('a', { relabelConfigs: r('x') }))).toBe(true);
    expect(sameScrapeOptions(job('a', { relabelConfigs: r('x') }), job('a', { relabelConfigs: r('y') }))).toBe(false);
  });
});
