import { describe, expect, it } from 'vitest';
import { RecordingStorage } from '../../test/support/recording-storage.js';
import { Registry } from '../instrument/index.js';
import { Labels } from '../model/index.js';
import { populateLabels } from '../relabel/index.js';
import { ScrapeCache, ScrapeLoop, ScrapeMetrics, type ScrapeResult, ScrapeTarget, type Scraper, TargetLimitError, formatInterval } from './index.js';

function target(addr = '127.0.0.1:9100', intervalMs = 100): ScrapeTarget {
  const p = populateLabels(Labels.fromStrings('__address__', addr), { jobName: 'job', scheme: 'http', metricsPath: '/metrics', scrapeIntervalMs: intervalMs, scrapeTimeoutMs: intervalMs, params: {} }, []);
  return new ScrapeTarget({ internal: p.internal!, labels: p.labels!, discovered: p.discovered, params: {}, scrapePool: 'job' });
}

class FakeScraper implements Scraper {
  calls = 0;
  constructor(readonly pages: (n: number) => string | Error) {}
  async scrape(): Promise<ScrapeResult> {
    const p = this.pages(this.calls++);
    if (p instanceof Error) throw p;
    return { body: Buffer.from(p), contentType: 'text/plain; version=0.0.4' };
  }
}

function loopFor(scraper: Scraper, store: RecordingStorage, t = target(), intervalMs = 100, extraMetrics = false): ScrapeLoop {
  return new ScrapeLoop({
    extraMetrics,
    target: t,
    scraper,
    appendable: store,
    cache: new ScrapeCache(),
    metrics: new ScrapeMetrics(new Registry()),
    intervalMs,
    timeoutMs: intervalMs,
    honorLabels: false,
    honorTimestamps: true,
    metricRelabelConfigs: [],
    sampleLimit: 0,
    labelLimits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await wait(5);
  }
}

describe('ScrapeLoop', () => {
  it('scrapes every interval and reports the synthetic series, one commit per scrape', async () => {
    const store = new RecordingStorage();
    const scraper = new FakeScraper(() => '# TYPE m counter\nm_total 5\n');
    const loop = loopFor(scraper, store);
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => scraper.calls >= 3);
    shutdown.abort();
    await run;
    const ups = store.valuesOf('up');
    expect(ups.length).toBeGreaterThanOrEqual(2);
    expect(ups.every((s) => s.v === 1)).toBe(true);
    expect(store.commits).toBe(ups.length);
    const ts = ups.map((s) => s.t);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
    expect(store.valuesOf('scrape_samples_scraped')[0]!.v).toBe(1);
    expect(store.valuesOf('scrape_samples_post_metric_relabeling')[0]!.v).toBe(1);
    expect(store.valuesOf('scrape_series_added').map((s) => s.v).slice(0, 2)).toEqual([1, 0]);
    expect(typeof store.valuesOf('scrape_duration_seconds')[0]!.v).toBe('number');
    expect(store.valuesOf('up')[0]!.series).toBe('{__name__="up", instance="127.0.0.1:9100", job="job"}');
    expect(loop.target.health).toBe('up');
    expect(loop.target.metadata('m')?.type).toBe('counter');
    // Shut down: no staleness markers.
    expect(store.samples.some((s) => s.v === 'stale')).toBe(false);
  });

  it('writes staleness markers two intervals after being stopped', async () => {
    const store = new RecordingStorage();
    let lastScrapeAt = 0;
    const scraper = new FakeScraper(() => {
      lastScrapeAt = Date.now();
      return 'm 1\n';
    });
    const loop = loopFor(scraper, store);
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => scraper.calls >= 1 && store.commits >= 1);
    await loop.stop();
    const calls = scraper.calls;
    await run; // resolves after the end-of-run markers
    // Two intervals (100 ms) past the last scrape's tick, and a tenth more: counted from the
    // scrape itself (the tick, or a little after it on a busy machine), not from the stop,
    // which may come late in an interval.
    expect(Date.now() - lastScrapeAt).toBeGreaterThanOrEqual(150);
    expect(scraper.calls).toBe(calls);
    const stale = store.samples.filter((s) => s.v === 'stale').map((s) => s.series.slice(0, s.series.indexOf(',')));
    expect(stale.sort()).toEqual(['{__name__="m"', '{__name__="scrape_duration_seconds"', '{__name__="scrape_samples_post_metric_relabeling"', '{__name__="scrape_samples_scraped"', '{__name__="scrape_series_added"', '{__name__="up"'].sort());
  });

  it('reports a failing target down with its error and marks its series stale', async () => {
    const store = new RecordingStorage();
    const scraper = new FakeScraper((n) => (n === 0 ? 'm 1\n' : new Error('server returned HTTP status 500 Internal Server Error')));
    const loop = loopFor(scraper, store);
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => store.valuesOf('up').length >= 2);
    shutdown.abort();
    await run;
    expect(store.valuesOf('up').map((s) => s.v).slice(0, 2)).toEqual([1, 0]);
    expect(store.valuesOf('m').map((s) => s.v).slice(0, 2)).toEqual([1, 'stale']);
    expect(loop.target.health).toBe('down');
    expect(loop.target.lastError?.message).toBe('server returned HTTP status 500 Internal Server Error');
  });

  it('reports the extra scrape metrics when asked', async () => {
    const store = new RecordingStorage();
    const scraper = new FakeScraper(() => 'm 1\n');
    const loop = loopFor(scraper, store, target(), 100, true);
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => store.valuesOf('up').length >= 1);
    shutdown.abort();
    await run;
    expect(store.valuesOf('scrape_timeout_seconds')[0]!.v).toBe(0.1);
    expect(store.valuesOf('scrape_sample_limit')[0]!.v).toBe(0);
    expect(store.valuesOf('scrape_body_size_bytes')[0]!.v).toBe(4);
  });

  it('keeps scraping when storage fails to commit', async () => {
    const store = new RecordingStorage();
    let failures = 0;
    const flaky = {
      appender: () => {
        const a = store.appender();
        return { ...a, commit: async () => (++failures <= 2 ? Promise.reject(new Error('disk full')) : a.commit()) };
      },
    };
    const errors: string[] = [];
    const loop = new ScrapeLoop({
      target: target(),
      scraper: new FakeScraper(() => 'm 1\n'),
      appendable: flaky,
      cache: new ScrapeCache(),
      metrics: new ScrapeMetrics(new Registry()),
      intervalMs: 50,
      timeoutMs: 50,
      honorLabels: false,
      honorTimestamps: true,
      metricRelabelConfigs: [],
      sampleLimit: 0,
      labelLimits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
      onError: (e) => errors.push(e.message),
    });
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => store.valuesOf('up').length >= 1);
    shutdown.abort();
    await run;
    expect(errors).toEqual(['scrape commit for http://127.0.0.1:9100/metrics failed: disk full', 'scrape commit for http://127.0.0.1:9100/metrics failed: disk full']);
  });

  it('fails every scrape with a forced error', async () => {
    const store = new RecordingStorage();
    const scraper = new FakeScraper(() => 'm 1\n');
    const loop = loopFor(scraper, store);
    loop.setForcedError(new TargetLimitError(3, 2));
    const shutdown = new AbortController();
    const run = loop.run(shutdown.signal);
    await until(() => store.valuesOf('up').length >= 1);
    shutdown.abort();
    await run;
    expect(scraper.calls).toBe(0);
    expect(store.valuesOf('up')[0]!.v).toBe(0);
    expect(loop.target.lastError?.message).toBe('target_limit exceeded (number of targets: 3, limit: 2)');
  });

  it('spreads first scrapes by a stable offset within the interval', () => {
    const a = target('10.0.0.1:9100');
    const b = target('10.0.0.2:9100');
    const now = 1_700_000_000_123;
    for (const t of [a, b]) {
      const o = t.offsetMs(15_000, 0, now);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThanOrEqual(15_000);
      // The phase within the interval is fixed: scrapes land on the same point of each interval.
      expect((now + o) % 15_000).toBe((now + 5_000 + t.offsetMs(15_000, 0, now + 5_000)) % 15_000);
    }
    expect(a.offsetMs(15_000, 0, now)).not.toBe(b.offsetMs(15_000, 0, now));
    expect(a.offsetMs(15_000, 12345, now)).not.toBe(a.offsetMs(15_000, 0, now));
  });

  it('formats intervals like Go durations', () => {
    expect([100, 1000, 15_000, 60_000, 90_500, 3_600_000].map(formatInterval)).toEqual(['100ms', '1s', '15s', '1m0s', '1m30.5s', '1h0m0s']);
  });
});
