import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RecordedSample, RecordingStorage } from '../../test/support/recording-storage.js';
import { Registry } from '../instrument/index.js';
import { Labels } from '../model/index.js';
import { newRelabelConfig } from '../relabel/index.js';
import { type AppendResult, type AppendSettings, ScrapeCache, ScrapeMetrics, appendScrape, rejectionWarnings } from './index.js';

const TARGET = Labels.fromStrings('instance', 'host:9100', 'job', 'node');

interface Step {
  readonly body: string;
  readonly t: number;
  readonly contentType?: string;
}

async function run(steps: readonly Step[], over: Partial<AppendSettings> = {}, now = 1_000_000): Promise<{ results: AppendResult[]; samples: RecordedSample[]; store: RecordingStorage }> {
  const store = new RecordingStorage();
  const settings: AppendSettings = {
    cache: new ScrapeCache(),
    metrics: new ScrapeMetrics(new Registry()),
    targetLabels: TARGET,
    honorLabels: false,
    honorTimestamps: true,
    metricRelabelConfigs: [],
    sampleLimit: 0,
    labelLimits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
    ...over,
  };
  const results: AppendResult[] = [];
  for (const s of steps) {
    let app = store.appender();
    const r = appendScrape(app, Buffer.from(s.body), s.contentType, s.t, settings, now);
    results.push(r);
    if (r.error !== undefined) {
      await app.rollback();
      app = store.appender();
      appendScrape(app, Buffer.alloc(0), undefined, s.t, settings, now);
    }
    await app.commit();
  }
  return { results, samples: store.samples, store };
}

const tl = 'instance="host:9100", job="node"';

describe('appendScrape', () => {
  it('appends every sample with the target labels', async () => {
    const { results, samples } = await run([{ body: '# TYPE a counter\na 1\nb{x="y"} 2\n', t: 1000 }]);
    expect(results[0]).toMatchObject({ total: 2, added: 2, seriesAdded: 2, error: undefined });
    expect(samples).toEqual([
      { series: `{__name__="a", ${tl}}`, t: 1000, v: 1 },
      { series: `{__name__="b", ${tl}, x="y"}`, t: 1000, v: 2 },
    ]);
  });

  it('marks series stale when they disappear and when a scrape fails', async () => {
    const { samples, results } = await run([
      { body: 'a 1\nb 2\n', t: 1000 },
      { body: 'a 3\n', t: 2000 },
      { body: '', t: 3000 },
    ]);
    expect(results.map((r) => r.seriesAdded)).toEqual([2, 0, 0]);
    expect(samples.filter((s) => s.t > 1000)).toEqual([
      { series: `{__name__="a", ${tl}}`, t: 2000, v: 3 },
      { series: `{__name__="b", ${tl}}`, t: 2000, v: 'stale' },
      { series: `{__name__="a", ${tl}}`, t: 3000, v: 'stale' },
    ]);
  });

  it('renames conflicting exposed labels to exported_*, or keeps them with honor_labels', async () => {
    const body = 'a{job="other",exported_job="x",instance="i"} 1\n';
    const plain = await run([{ body, t: 1 }]);
    expect(plain.samples[0]!.series).toBe('{__name__="a", exported_exported_job="other", exported_instance="i", exported_job="x", instance="host:9100", job="node"}');
    const honored = await run([{ body, t: 1 }], { honorLabels: true });
    expect(honored.samples[0]!.series).toBe('{__name__="a", exported_job="x", instance="i", job="other"}');
  });

  it('uses exposed timestamps only with honor_timestamps, and does not mark them stale', async () => {
    const honored = await run([
      { body: 'a 1 500\nb 2\n', t: 1000 },
      { body: '', t: 2000 },
    ]);
    expect(honored.samples).toEqual([
      { series: `{__name__="a", ${tl}}`, t: 500, v: 1 },
      { series: `{__name__="b", ${tl}}`, t: 1000, v: 2 },
      { series: `{__name__="b", ${tl}}`, t: 2000, v: 'stale' },
    ]);
    const ignored = await run([{ body: 'a 1 500\n', t: 1000 }], { honorTimestamps: false });
    expect(ignored.samples[0]!.t).toBe(1000);
  });

  it('fails the whole scrape over sample_limit, counting past the limit', async () => {
    const { results, samples } = await run([{ body: 'a 1\nb 2\nc 3\nd 4\n', t: 1000 }], { sampleLimit: 2 });
    expect(results[0]!.error?.message).toBe('sample limit exceeded');
    expect(results[0]!.total).toBe(4);
    expect(samples).toEqual([]);
  });

  it('applies the sample limit after metric relabeling', async () => {
    const drop = newRelabelConfig({ source_labels: ['__name__'], regex: 'c|d', action: 'drop' });
    const { results } = await run([{ body: 'a 1\nb 2\nc 3\nd 4\n', t: 1000 }], { sampleLimit: 2, metricRelabelConfigs: [drop] });
    expect(results[0]).toMatchObject({ total: 4, added: 2, error: undefined });
  });

  it.each([
    { name: 'label_limit', limits: { labelLimit: 3, labelNameLengthLimit: 0, labelValueLengthLimit: 0 }, want: 'label_limit exceeded (metric: a, number of labels: 4, limit: 3)' },
    {
      name: 'label_name_length_limit',
      limits: { labelLimit: 0, labelNameLengthLimit: 5, labelValueLengthLimit: 0 },
      want: 'label_name_length_limit exceeded (metric: a, label name: __name__, length: 8, limit: 5)',
    },
    {
      name: 'label_value_length_limit',
      limits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 5 },
      want: 'label_value_length_limit exceeded (metric: a, label name: instance, value: "host:9100", length: 9, limit: 5)',
    },
  ])('fails the scrape on $name', async ({ limits, want }) => {
    const { results } = await run([{ body: 'a{b="c"} 1\n', t: 1 }], { labelLimits: limits });
    expect(results[0]!.error?.message).toBe(want);
  });

  it('drops series by metric relabeling and remembers the decision', async () => {
    const drop = newRelabelConfig({ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' });
    const { results, samples } = await run(
      [
        { body: 'go_x 1\nkeep 2\n', t: 1000 },
        { body: 'go_x 1\nkeep 2\n', t: 2000 },
      ],
      { metricRelabelConfigs: [drop] },
    );
    expect(results.map((r) => [r.total, r.added, r.seriesAdded])).toEqual([
      [2, 1, 1],
      [2, 1, 0],
    ]);
    expect(samples.map((s) => s.series)).toEqual([`{__name__="keep", ${tl}}`, `{__name__="keep", ${tl}}`]);
  });

  it('counts storage rejections instead of failing', async () => {
    const { results, samples } = await run([{ body: 'a 1\na 2\nb 1 5000\nb 1 4000\n', t: 1000 }]);
    expect(results[0]!.error).toBeUndefined();
    expect(results[0]!.rejected).toEqual({ outOfOrder: 1, duplicate: 1, outOfBounds: 0, example: `{__name__="a", ${tl}}` });
    expect(rejectionWarnings(results[0]!.rejected)).toEqual([
      `Error on ingesting out-of-order samples: 1 dropped (first: {__name__="a", ${tl}})`,
      `Error on ingesting samples with different value but same timestamp: 1 dropped (first: {__name__="a", ${tl}})`,
    ]);
    expect(samples.length).toBe(2);
  });

  it('refuses samples more than 10 minutes in the future', async () => {
    const now = 1_000_000;
    const { results } = await run([{ body: `a 1 ${now + 11 * 60_000}\n`, t: now }], {}, now);
    expect(results[0]!.rejected.outOfBounds).toBe(1);
  });

  it('fails on malformed text, naming the line; like Prometheus, only series not read before the bad line go stale', async () => {
    const { results, samples } = await run([
      { body: 'a 1\nz 1\n', t: 1000 },
      { body: 'a 2\nb{c=d} 1\n', t: 2000 },
    ]);
    expect(results[1]!.error?.message).toMatch(/^2:5: parse error: expected quoted label value/);
    expect(samples.filter((s) => s.t === 2000)).toEqual([{ series: `{__name__="z", ${tl}}`, t: 2000, v: 'stale' }]);
  });

  it('fails on a series without metric name after relabeling', async () => {
    const cfg = newRelabelConfig({ regex: '__name__', action: 'labeldrop' });
    const { results } = await run([{ body: 'a{b="c"} 1\n', t: 1 }], { metricRelabelConfigs: [cfg] });
    expect(results[0]!.error?.message).toBe('missing metric name (__name__ label)');
  });

  it('fails on names Prometheus 2.42 refuses', async () => {
    const { results } = await run([{ body: '{"a.b"} 1\n', t: 1 }]);
    expect(results[0]!.error?.message).toMatch(/^invalid metric name or label names: /);
  });

  it('reads OpenMetrics, dropping exemplars and keeping _created series', async () => {
    const body = '# TYPE a counter\n# HELP a Help.\na_total 3 # {trace="x"} 1\na_created 1.5e9\n# EOF\n';
    const { results, samples } = await run([{ body, t: 1000, contentType: 'application/openmetrics-text; version=1.0.0' }]);
    expect(results[0]!.error).toBeUndefined();
    expect(samples.map((s) => [s.series, s.v])).toEqual([
      [`{__name__="a_total", ${tl}}`, 3],
      [`{__name__="a_created", ${tl}}`, 1.5e9],
    ]);
  });

  it('records metadata in the cache', async () => {
    const cache = new ScrapeCache();
    await run([{ body: '# HELP a Some help.\n# TYPE a gauge\na 1\n', t: 1 }], { cache });
    expect(cache.metadata('a')).toEqual({ metric: 'a', type: 'gauge', help: 'Some help.', unit: '' });
  });

  // Whatever the order and subset of series on successive pages, each scrape stores exactly the
  // page's samples plus staleness markers for the series of the previous page that are gone,
  // however the cache's position guesses and hash lookups go.
  it('stores each page exactly, with staleness markers, across reorderings (property)', async () => {
    const names = ['a', 'b{x="1"}', 'b{x="2"}', 'c', 'd{y="z"}', 'e'];
    const page = fc.uniqueArray(fc.record({ i: fc.nat({ max: names.length - 1 }), v: fc.integer({ min: 0, max: 99 }) }), { selector: (r) => r.i, maxLength: names.length });
    await fc.assert(
      fc.asyncProperty(fc.array(page, { minLength: 1, maxLength: 8 }), async (pages) => {
        const { samples } = await run(pages.map((pg, k) => ({ body: pg.map((r) => `${names[r.i]} ${r.v}\n`).join(''), t: 1000 * (k + 1) })));
        const series = (n: string): string => {
          const m = /^(\w+)(?:\{(\w+)="(\w+)"\})?$/.exec(n)!;
          const parts = [`__name__="${m[1]}"`, ...tl.split(', ')];
          if (m[2] !== undefined) parts.push(`${m[2]}="${m[3]}"`);
          return '{' + parts.sort().join(', ') + '}';
        };
        const want: { series: string; t: number; v: number | 'stale' }[] = [];
        let prev: number[] = [];
        pages.forEach((pg, k) => {
          const t = 1000 * (k + 1);
          for (const r of pg) want.push({ series: series(names[r.i]!), t, v: r.v });
          const now = new Set(pg.map((r) => r.i));
          // An empty page is a failed scrape: everything of the last page goes stale.
          for (const i of prev) if (!now.has(i)) want.push({ series: series(names[i]!), t, v: 'stale' });
          prev = pg.map((r) => r.i);
        });
        const key = (x: { series: string; t: number; v: number | 'stale' }): string => `${x.t} ${x.series} ${x.v}`;
        expect(samples.map(key).sort()).toEqual(want.map(key).sort());
      }),
      { numRuns: 300 },
    );
  });
});
