import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, Matcher, MatchType, compareStrings } from '../../model/index.js';
import {
  IndexCorruptionError,
  IndexReader,
  IndexWriteError,
  IndexWriter,
  intersectPostings,
  mergePostings,
  postingsForMatchers,
  subtractPostings,
  type ChunkMetaRef,
} from './index.js';

interface S {
  labels: Labels;
  chunks: ChunkMetaRef[];
}

function build(series: readonly S[]): Uint8Array {
  const syms = new Set<string>(['']);
  for (const s of series) s.labels.forEach((n, v) => (syms.add(n), syms.add(v)));
  const w = new IndexWriter();
  for (const s of [...syms].sort(compareStrings)) w.addSymbol(s);
  for (const s of series) w.addSeries(s.labels, s.chunks);
  return w.finish();
}

function dataset(): S[] {
  const out: S[] = [];
  let ref = 8;
  for (const job of ['api', 'db', 'web']) {
    for (let i = 0; i < 5; i++) {
      for (const name of ['up', 'http_requests_total']) {
        const l = Labels.fromObject({ __name__: name, job, instance: `host-${i}:9100`, ...(i % 2 === 0 ? { env: 'prod' } : {}) });
        const chunks = [
          { mint: 1000, maxt: 1999, ref },
          { mint: 2000, maxt: 7199, ref: ref + 40 },
        ];
        ref += 100;
        out.push({ labels: l, chunks });
      }
    }
  }
  return out.sort((a, b) => a.labels.compare(b.labels));
}

describe('index writer and reader', () => {
  const series = dataset();
  const bytes = build(series);
  const r = new IndexReader({ bytes });

  it('round-trips series, symbols and label values', () => {
    const refs = r.allPostings();
    expect(refs.length).toBe(series.length);
    for (let i = 0; i < refs.length; i++) {
      const e = r.series(refs[i]!);
      expect(e.labels.toString()).toBe(series[i]!.labels.toString());
      expect(e.chunks).toEqual(series[i]!.chunks);
    }
    expect(r.labelNames()).toEqual(['__name__', 'env', 'instance', 'job']);
    expect(r.sortedLabelValues('job')).toEqual(['api', 'db', 'web']);
    expect(r.sortedLabelValues('nope')).toEqual([]);
    expect(r.symbols()[0]).toBe('');
  });

  it('aligns series to 16 bytes and keeps refs in label order', () => {
    const refs = [...r.allPostings()];
    expect(refs).toEqual([...refs].sort((a, b) => a - b));
    for (const ref of refs) expect((ref * 16) % 16).toBe(0);
  });

  const all = r.allPostings();
  const brute = (ms: Matcher[]): number[] =>
    [...all].filter((ref) => {
      const l = r.series(ref).labels;
      return ms.every((m) => m.matches(l.get(m.name)));
    });

  it.each([
    { name: 'equality', ms: [['=', 'job', 'api']] },
    { name: 'not equal with a positive', ms: [['=', '__name__', 'up'], ['!=', 'job', 'db']] },
    { name: 'regex set', ms: [['=~', 'job', 'api|web']] },
    { name: 'regex prefix', ms: [['=~', 'instance', 'host-[12].*']] },
    { name: 'empty value selects absent labels', ms: [['=', '__name__', 'up'], ['=', 'env', '']] },
    { name: 'not-empty', ms: [['!=', 'env', '']] },
    { name: 'negative regex only', ms: [['!~', 'job', 'api|db']] },
    { name: 'regex matching empty', ms: [['=~', 'env', 'prod|'], ['=', 'job', 'db']] },
    { name: 'must-be-set label with a negation', ms: [['=~', 'env', '.+'], ['!=', 'env', 'prod']] },
    { name: 'unknown value', ms: [['=', 'job', 'nope']] },
    { name: 'unknown label equals empty', ms: [['=', 'nope', ''], ['=', 'job', 'web']] },
    { name: 'not-regex empty', ms: [['!~', 'env', ''], ['=~', 'instance', '.*-3:.*']] },
  ] as const)('evaluates $name like brute force', ({ ms }) => {
    const matchers = ms.map(([t, n, v]) => new Matcher(t as MatchType, n, v));
    expect([...postingsForMatchers(r, matchers)]).toEqual(brute(matchers));
  });

  it('evaluates random matchers like brute force', () => {
    const matcher = fc
      .tuple(
        fc.constantFrom(MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp),
        fc.constantFrom('__name__', 'job', 'env', 'instance', 'absent'),
        fc.constantFrom('', 'up', 'api', 'prod', 'api|db', '.*', '.+', 'host-1.*', 'h.*0', 'web|', 'x'),
      )
      .map(([t, n, v]) => new Matcher(t, n, v));
    fc.assert(
      fc.property(fc.array(matcher, { minLength: 1, maxLength: 4 }), (ms) => {
        expect([...postingsForMatchers(r, ms)]).toEqual(brute(ms));
      }),
    );
  });

  it('rejects misuse', () => {
    const w = new IndexWriter();
    w.addSymbol('a');
    expect(() => w.addSymbol('a')).toThrow(IndexWriteError);
    expect(() => w.addSeries(Labels.fromStrings('b', 'a'), [])).toThrow(IndexWriteError);
    const w2 = new IndexWriter();
    for (const s of ['', 'a', 'b']) w2.addSymbol(s);
    w2.addSeries(Labels.fromStrings('a', 'b'), []);
    expect(() => w2.addSeries(Labels.fromStrings('a', 'a'), [])).toThrow(/out-of-order/);
    expect(() => w2.addSeries(Labels.fromStrings('b', 'b'), [{ mint: 5, maxt: 4, ref: 8 }])).toThrow(IndexWriteError);
  });

  it('reports corruption, never crashes', () => {
    expect(() => new IndexReader({ bytes: new Uint8Array(10) })).toThrow(IndexCorruptionError);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const b = bytes.slice();
        b[pos] = b[pos]! ^ x;
        try {
          const rr = new IndexReader({ bytes: b });
          for (const ref of rr.allPostings()) rr.series(ref);
          for (const n of rr.labelNames()) rr.postings(n, rr.sortedLabelValues(n));
        } catch (e) {
          expect(e).toBeInstanceOf(IndexCorruptionError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('UTF-8 order', () => {
  // Go sorts by UTF-8 bytes: U+FF01 before U+1F600, the reverse of JS's UTF-16 order. Prometheus
  // binary-searches symbols and label values in that order, so vigil must write it.
  const values = ['\uFF01', '\u{1F600}', 'a', '\uE000x', '\u{10000}'];
  const series = values
    .map((v, i) => ({ labels: Labels.fromObject({ __name__: 'm', v }), chunks: [{ mint: 0, maxt: 1, ref: 8 + i * 16 }] }))
    .sort((a, b) => a.labels.compare(b.labels));
  const r = new IndexReader({ bytes: build(series) });
  const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

  it('writes symbols and label values in byte order', () => {
    const syms = [...r.symbols()];
    expect(syms).toEqual([...syms].sort(byteOrder));
    expect([...r.sortedLabelValues('v')]).toEqual([...values].sort(byteOrder));
  });

  it.each(values)('finds the series with v=%s', (v) => {
    const p = postingsForMatchers(r, [new Matcher(MatchType.Equal, 'v', v)]);
    expect(p.length).toBe(1);
    expect(r.series(p[0]!).labels.get('v')).toBe(v);
    const prefix = postingsForMatchers(r, [new Matcher(MatchType.Regexp, 'v', `${v}.*`)]);
    expect([...prefix].map((ref) => r.series(ref).labels.get('v'))).toContain(v);
  });
});

describe('postings operations', () => {
  const list = fc.uniqueArray(fc.nat(200)).map((a) => Uint32Array.from(a.sort((x, y) => x - y)));
  it('intersect, merge and subtract like sets', () => {
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 5 }), (ls) => {
        const sets = ls.map((l) => new Set(l));
        const inter = [...ls[0]!].filter((x) => sets.every((s) => s.has(x)));
        expect([...intersectPostings(ls)]).toEqual(inter);
        const uni = [...new Set(ls.flatMap((l) => [...l]))].sort((a, b) => a - b);
        expect([...mergePostings(ls)]).toEqual(uni);
        expect([...subtractPostings(ls[0]!, ls[1] ?? new Uint32Array())]).toEqual([...ls[0]!].filter((x) => !(ls[1] ?? new Uint32Array()).includes(x)));
      }),
    );
  });
});
