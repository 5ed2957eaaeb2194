import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { CHUNK_CHARS, formatSampleValue, formatTimestamp, labelsJSON, resultJSON, valueChunks } from './json.js';
import type { Matrix } from './value.js';

// The plain encoding, point by point, that valueChunks' reuse of texts must reproduce.
function reference(m: Matrix): string {
  const parts = m.series.map((s) => {
    const pts: string[] = [];
    for (let j = 0; j < s.ts.length; j++) pts.push(`[${formatTimestamp(s.ts[j]!)},"${formatSampleValue(s.vs[j]!)}"]`);
    return `{"metric":${labelsJSON(s.labels)},"values":[${pts.join(',')}]}`;
  });
  return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
}

function matrix(series: { ts: number[]; vs: number[] }[]): Matrix {
  return {
    kind: 'matrix',
    series: series.map((s, i) => ({ labels: Labels.fromStrings('i', String(i)), ts: Float64Array.from(s.ts), vs: Float64Array.from(s.vs) })),
  } as Matrix;
}

describe('valueChunks matrix', () => {
  it.each([
    { name: 'shared step timestamps, repeated values', series: [{ ts: [1000, 2000, 3000], vs: [1, 1, 2] }, { ts: [1000, 2000, 3000], vs: [2, 2, 2] }] },
    { name: 'timestamps differing between series', series: [{ ts: [1000, 2000, 3000], vs: [1, 2, 3] }, { ts: [2000, 3500], vs: [4, 4] }, { ts: [1000, 2000, 3000, 4000], vs: [5, 5, 5, 5] }] },
    { name: '0 then -0 then 0', series: [{ ts: [1, 2, 3], vs: [0, -0, 0] }] },
    { name: 'NaN and infinities repeated', series: [{ ts: [1, 2, 3, 4, 5], vs: [NaN, NaN, Infinity, Infinity, -Infinity] }] },
    { name: 'a series without points', series: [{ ts: [], vs: [] }, { ts: [1], vs: [1e-9] }] },
  ])('$name', ({ series }) => {
    const m = matrix(series);
    expect(resultJSON(m)).toBe(reference(m));
  });

  it('equals the point-by-point encoding for any matrix', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, 1.5, NaN), fc.integer().map(Number));
    const s = fc.array(fc.tuple(fc.integer({ min: -5_000, max: 5_000 }), value), { maxLength: 20 }).map((pts) => ({ ts: pts.map((p) => p[0]), vs: pts.map((p) => p[1]) }));
    fc.assert(fc.property(fc.array(s, { maxLength: 5 }), (series) => {
      const m = matrix(series);
      expect(resultJSON(m)).toBe(reference(m));
    }));
  });

  it('hands out chunks near CHUNK_CHARS that join to the whole', () => {
    const ts = Array.from({ length: 2000 }, (_, j) => j * 15_000);
    const m = matrix(Array.from({ length: 5 }, (_, i) => ({ ts, vs: ts.map((t) => (t * (i + 1)) / 7) })));
    const chunks = [...valueChunks(m)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeLessThan(CHUNK_CHARS + 200);
    expect(chunks.join('')).toBe(reference(m));
  });
});
