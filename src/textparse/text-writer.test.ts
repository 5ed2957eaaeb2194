import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peer } from '../../test/support/peers.js';
import { Labels } from '../model/index.js';
import { EntryKind, MetricType, PromParser, TextWriter, formatSeries } from './index.js';

describe('TextWriter', () => {
  it('writes families like the Go client', () => {
    const w = new TextWriter()
      .help('http_requests_total', 'Requests.\nWith a \\ backslash.')
      .type('http_requests_total', MetricType.Counter)
      .sample(Labels.fromStrings('__name__', 'http_requests_total', 'code', '200', 'path', 'a"b\\c\nd'), 1027, 1395066363000)
      .type('x', MetricType.Unknown)
      .sample(Labels.fromStrings('__name__', 'x'), 1e21)
      .sample(Labels.fromStrings('__name__', 'x', 'a', 'b'), -Infinity)
      .sample(Labels.fromStrings('__name__', 'x', 'a', 'c'), NaN);
    expect(w.text()).toBe(
      '# HELP http_requests_total Requests.\\nWith a \\\\ backslash.\n' +
        '# TYPE http_requests_total counter\n' +
        'http_requests_total{code="200",path="a\\"b\\\\c\\nd"} 1027 1395066363000\n' +
        '# TYPE x untyped\n' +
        'x 1e+21\n' +
        'x{a="b"} -Inf\n' +
        'x{a="c"} NaN\n',
    );
  });

  it('quotes names that are not legacy Prometheus names', () => {
    expect(formatSeries(Labels.fromStrings('__name__', 'a.b', 'c.d', 'e', 'f', 'g'))).toBe('{"a.b","c.d"="e",f="g"}');
    expect(formatSeries(Labels.fromStrings('a', 'b'))).toBe('{a="b"}');
  });

  it('round-trips through the parser', () => {
    const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,10}$/);
    const lname = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.]{0,8}$/).filter((n) => n !== '__name__');
    const series = fc.record({
      name,
      labels: fc.dictionary(lname, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), { maxKeys: 4 }),
      value: fc.double(),
      t: fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(series, { maxLength: 8 }), (all) => {
        const w = new TextWriter();
        const want = all.map((s) => Labels.fromObject({ ...s.labels, __name__: s.name }));
        all.forEach((s, i) => w.sample(want[i]!, s.value, s.t));
        const p = new PromParser(w.bytes());
        for (let i = 0; i < all.length; i++) {
          expect(p.next()).toBe(EntryKind.Series);
          expect(p.labels().equals(want[i]!)).toBe(true);
          expect(Object.is(p.value(), all[i]!.value) || (Number.isNaN(p.value()) && Number.isNaN(all[i]!.value))).toBe(true);
          expect(p.hasTimestamp()).toBe(all[i]!.t !== undefined);
          if (all[i]!.t !== undefined) expect(p.timestamp()).toBe(all[i]!.t);
        }
        expect(p.next()).toBe(EntryKind.EOF);
      }),
      { numRuns: 300 },
    );
  });

  const promtool = peer('promtool');
  it.skipIf(promtool === undefined)('passes promtool check metrics', () => {
    const w = new TextWriter()
      .help('vigil_test_requests_total', 'Requests handled.')
      .type('vigil_test_requests_total', MetricType.Counter)
      .sample(Labels.fromStrings('__name__', 'vigil_test_requests_total', 'code', '200'), 3)
      .help('vigil_test_temperature_celsius', 'A gauge.')
      .type('vigil_test_temperature_celsius', MetricType.Gauge)
      .sample(Labels.fromStrings('__name__', 'vigil_test_temperature_celsius'), 21.5);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-writer-'));
    writeFileSync(join(dir, 'm.prom'), w.text());
    const out = execFileSync('sh', ['-c', `${promtool} check metrics < ${join(dir, 'm.prom')} 2>&1; echo rc=$?`], { encoding: 'utf8' });
    expect(out.trim()).toBe('rc=0');
  });
});
