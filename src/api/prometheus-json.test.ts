import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { type Value, formatSampleValue, formatTimestamp, resultJSON } from '../promql/index.js';
import { CHUNK_CHARS, goFloat, goJSON, goString, labelsObject, sampleTime, sampleValue, valueChunks } from './prometheus-json.js';

describe('goString', () => {
  // Expected strings are what Prometheus 2.42 printed for the same label values.
  it.each([
    { name: 'plain', input: 'abc', want: '"abc"' },
    { name: 'html', input: 'x<y>&z', want: '"x\\u003cy\\u003e\\u0026z"' },
    { name: 'short escapes', input: 'a\nb\rc\td', want: '"a\\nb\\rc\\td"' },
    { name: 'other controls', input: '\u0001\b\f\u001f', want: '"\\u0001\\u0008\\u000c\\u001f"' },
    { name: 'DEL kept', input: '\u007f', want: '"\u007f"' },
    { name: 'quote and backslash', input: '"\\', want: '"\\"\\\\"' },
    { name: 'line separators', input: '\u2028\u2029', want: '"\\u2028\\u2029"' },
    { name: 'non-ASCII kept', input: 'é日本🙂', want: '"é日本🙂"' },
    { name: 'lone high surrogate', input: 'a\ud800b', want: '"a\\ufffdb"' },
    { name: 'lone low surrogate', input: '\udc00', want: '"\\ufffd"' },
  ])('$name', ({ input, want }) => expect(goString(input)).toBe(want));

  it('round-trips every well-formed string through JSON.parse', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite' }), (s) => {
        expect(JSON.parse(goString(s))).toBe(s);
      }),
    );
  });

  it('agrees with JSON.stringify where Go escapes nothing extra', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }).filter((s) => !/[<>&\u0000-\u001f]/.test(s)), (s) => {
        expect(goString(s)).toBe(JSON.stringify(s));
      }),
    );
  });
});

describe('goFloat', () => {
  it.each([
    [1.5, '1.5'],
    [1795309776.03, '1795309776.03'],
    [-1.05, '-1.05'],
    [0, '0'],
    [-0, '-0'],
    // Prometheus encodes with jsoniter, whose exponent keeps two digits (a stats timing printed as 6.51e-07).
    [1e-7, '1e-07'],
    [6.51e-7, '6.51e-07'],
    [1e21, '1e+21'],
    [123456789.001, '123456789.001'],
  ])('%s', (v, want) => expect(goFloat(v)).toBe(want));
});

describe('sampleValue and sampleTime', () => {
  it('format exactly as the engine\'s Go-compatible formatters, for any double and any ms', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(sampleValue(v)).toBe(formatSampleValue(v));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (t) => {
        expect(sampleTime(t)).toBe(formatTimestamp(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    [1e-6, '0.000001'],
    [9.99e-7, '9.99e-07'],
    [1e21, '1e+21'],
    [123456789012345680000, '123456789012345680000'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [-Infinity, '-Inf'],
    [Infinity, '+Inf'],
  ])('%s', (v, want) => expect(sampleValue(v)).toBe(want));
});

describe('goJSON', () => {
  it('keeps key order, drops undefined, escapes like Go', () => {
    expect(goJSON({ b: 1, a: 'x<', c: undefined, d: [true, null], e: { z: 0.5 } })).toBe('{"b":1,"a":"x\\u003c","d":[true,null],"e":{"z":0.5}}');
  });
});

describe('valueChunks', () => {
  const l = (...nv: string[]): Labels => Labels.fromStrings(...nv);

  it.each<{ name: string; value: Value; want: string }>([
    // Prometheus prints scalar and string timestamps as Go floats, vector and matrix ones with 3 decimals.
    { name: 'scalar', value: { kind: 'scalar', t: 1500, v: 1 }, want: '{"resultType":"scalar","result":[1.5,"1"]}' },
    // Scalar values are always in Go's 'f' layout (Prometheus 2.42: query=1e300 and query=-1e-7).
    { name: 'huge scalar', value: { kind: 'scalar', t: 1000, v: 1e300 }, want: `{"resultType":"scalar","result":[1,"1${'0'.repeat(300)}"]}` },
    { name: 'tiny scalar', value: { kind: 'scalar', t: -1500, v: -1e-7 }, want: '{"resultType":"scalar","result":[-1.5,"-0.0000001"]}' },
    { name: 'negative zero scalar', value: { kind: 'scalar', t: 1000, v: -0 }, want: '{"resultType":"scalar","result":[1,"-0"]}' },
    { name: 'big scalar', value: { kind: 'scalar', t: 1000, v: 123456789012345678901234 }, want: '{"resultType":"scalar","result":[1,"123456789012345690000000"]}' },
    // …while vector values switch to 'e' (query=vector(1e300), vector(0.00000099999)).
    { name: 'huge vector value', value: { kind: 'vector', samples: [{ labels: l(), t: 1500, f: 1e300 }] }, want: '{"resultType":"vector","result":[{"metric":{},"value":[1.500,"1e+300"]}]}' },
    { name: 'tiny vector value', value: { kind: 'vector', samples: [{ labels: l(), t: 1000, f: 9.9999e-7 }] }, want: '{"resultType":"vector","result":[{"metric":{},"value":[1,"9.9999e-07"]}]}' },
    { name: 'string', value: { kind: 'string', t: 1000, v: 'a<b' }, want: '{"resultType":"string","result":[1,"a\\u003cb"]}' },
    {
      name: 'vector',
      value: { kind: 'vector', samples: [{ labels: l('__name__', 'up', 'job', 'a'), t: 1500, f: 1e-7 }] },
      want: '{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1.500,"1e-07"]}]}',
    },
    {
      name: 'matrix',
      value: { kind: 'matrix', series: [{ labels: l('a', 'b'), ts: Float64Array.of(0, 1050), vs: Float64Array.of(NaN, -Infinity) }] },
      want: '{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[0,"NaN"],[1.050,"-Inf"]]}]}',
    },
    { name: 'empty vector', value: { kind: 'vector', samples: [] }, want: '{"resultType":"vector","result":[]}' },
  ])('$name', ({ value, want }) => expect([...valueChunks(value)].join('')).toBe(want));

  it('truncates vectors and matrices to a limit', () => {
    const v: Value = { kind: 'vector', samples: [1, 2, 3].map((i) => ({ labels: l('i', String(i)), t: 0, f: i })) };
    expect(JSON.parse([...valueChunks(v, 2)].join('')).result).toHaveLength(2);
  });

  it('splits big results into bounded chunks that join to the same JSON as the engine encoder', () => {
    const n = 20_000;
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = 1_700_000_000_000 + i * 15_000;
      vs[i] = Math.sin(i) * 1e3;
    }
    const v: Value = { kind: 'matrix', series: [{ labels: l('__name__', 'x', 'job', 'j'), ts, vs }, { labels: l('__name__', 'y'), ts, vs }] };
    const chunks = [...valueChunks(v)];
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThan(CHUNK_CHARS + 200);
    expect(chunks.join('')).toBe(resultJSON(v));
  });

  it('labelsObject escapes names and values', () => {
    expect(labelsObject(l('a', '<', 'b', '"'))).toBe('{"a":"\\u003c","b":"\\""}');
  });
});
