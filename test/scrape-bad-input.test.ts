// Misbehaving targets: malformed text, a 1 GB body, a target that never answers, a 1 MB label
// value, invalid UTF-8, duplicate series, an error status. Each gets a clear lastError and up 0
// where Prometheus gives 0, while a good target in the same pool keeps being scraped.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_CLIENT_CONFIG, type TargetGroup } from '../src/discovery/index.js';
import { Registry } from '../src/instrument/index.js';
import { Labels } from '../src/model/index.js';
import { type ScrapeOptions, type ScrapeTarget, ScrapeManager } from '../src/scrape/index.js';
import { RecordingStorage } from './support/recording-storage.js';

const PAGES: Record<string, (res: http.ServerResponse) => void> = {
  '/ok': (res) => res.end('# TYPE good gauge\ngood 1\n'),
  '/malformed': (res) => res.end('good 1\nbad{label=unquoted} 1\n'),
  '/bigvalue': (res) => res.end(`big{v="${'x'.repeat(1024 * 1024)}"} 1\n`),
  '/badutf8': (res) => res.end(Buffer.concat([Buffer.from('bad{v="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 1\n')])),
  '/duplicate': (res) => res.end('dup 1\ndup 2\n'),
  '/status500': (res) => {
    res.writeHead(500);
    res.end('oops');
  },
  '/hang': () => {},
  '/huge': (res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    const line = Buffer.from(`padding_metric{l="${'y'.repeat(200)}"} 1\n`.repeat(256));
    let sent = 0;
    const pump = (): void => {
      while (sent < 1024 ** 3 && !res.destroyed) {
        sent += line.length;
        if (!res.write(line)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  },
};

let server: http.Server;
let addr = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const page = PAGES[req.url ?? ''];
    if (page !== undefined) page(res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function job(name: string, over: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return {
    jobName: name,
    scrapeIntervalMs: 1000,
    scrapeTimeoutMs: 500,
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
    bodySizeLimitBytes: 10 * 1024 * 1024,
    relabelConfigs: [],
    metricRelabelConfigs: [],
    httpClient: DEFAULT_HTTP_CLIENT_CONFIG,
    serviceDiscovery: [],
    ...over,
  };
}

function groups(paths: readonly string[]): TargetGroup[] {
  return [{ source: 'bad', targets: paths.map((p) => Labels.fromStrings('__address__', addr, '__metrics_path__', p, 'case', p.slice(1))), labels: Labels.EMPTY }];
}

describe('misbehaving targets', () => {
  it('each fails clearly while the good target keeps being scraped', async () => {
    const store = new RecordingStorage();
    const registry = new Registry();
    const m = new ScrapeManager({ appendable: store, registry, reloadIntervalMs: 0 });
    await m.applyConfig([job('bad'), job('limited', { labelValueLengthLimit: 4096 })]);
    const shutdown = new AbortController();
    const done = m.run(shutdown.signal);
    m.sync(new Map([
      ['bad', groups(Object.keys(PAGES))],
      ['limited', groups(['/bigvalue'])],
    ]));
    const rssBefore = process.memoryUsage().rss;
    const targets = (): ScrapeTarget[] => [...m.targetsActive().values()].flat();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const ok = store.valuesOf('up').filter((s) => s.series.includes('case="ok"'));
      if (ok.length >= 3 && targets().length === 9 && targets().every((t) => t.health !== 'unknown')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = targets();
    shutdown.abort();
    await done;
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);

    const status = (job: string, c: string): { up: (number | 'stale')[]; err: string; warnings: readonly string[] } => {
      const t = seen.find((x) => x.scrapePool === job && x.labels.get('case') === c)!;
      const up = store.valuesOf('up').filter((s) => s.series.includes(`case="${c}"`) && s.series.includes(`job="${job}"`)).map((s) => s.v);
      return { up, err: t.lastError?.message ?? '', warnings: t.lastWarnings };
    };
    const ok = status('bad', 'ok');
    expect(ok.up.length).toBeGreaterThanOrEqual(3);
    expect(ok.up.every((v) => v === 1)).toBe(true);
    expect(ok.err).toBe('');

    const cases: readonly [string, string, number, RegExp | string][] = [
      ['bad', 'malformed', 0, /^2:11: parse error: expected quoted label value, got "u" in line "bad\{label=unquoted\} 1"$/],
      ['bad', 'huge', 0, 'body size limit exceeded'],
      ['bad', 'hang', 0, `Get "http://${addr}/hang": context deadline exceeded`],
      ['bad', 'badutf8', 0, /^1:7: parse error: invalid UTF-8 in label value/],
      ['bad', 'status500', 0, 'server returned HTTP status 500 Internal Server Error'],
      // Prometheus takes a 1 MB label value when no limit is set, and duplicate samples only count.
      ['bad', 'bigvalue', 1, ''],
      ['bad', 'duplicate', 1, ''],
      ['limited', 'bigvalue', 0, /^label_value_length_limit exceeded \(metric: big, label name: v, value: "x{50}", length: 1048576, limit: 4096\)$/],
    ];
    for (const [jobName, c, up, err] of cases) {
      const s = status(jobName, c);
      expect({ c, jobName, up: s.up[0] }).toEqual({ c, jobName, up });
      if (typeof err === 'string') expect({ c, err: s.err }).toEqual({ c, err });
      else expect(s.err).toMatch(err);
    }
    expect(status('bad', 'duplicate').warnings).toEqual([
      `Error on ingesting samples with different value but same timestamp: 1 dropped (first: {__name__="dup", case="duplicate", instance="${addr}", job="bad"})`,
    ]);
    const metrics = registry.expose();
    expect(metrics).toMatch(/prometheus_target_scrapes_sample_duplicate_timestamp_total [1-9]/);
    expect(metrics).toMatch(/prometheus_target_scrapes_exceeded_body_size_limit_total [1-9]/);
    // The malformed page's first series was appended and rolled back: nothing of it is stored.
    expect(store.samples.some((s) => s.series.startsWith('{__name__="good"') && s.series.includes('case="malformed"') && s.v === 1)).toBe(false);
  });
});
