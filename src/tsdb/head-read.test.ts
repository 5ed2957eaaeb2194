import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { Encoding, newChunk } from './chunkenc/index.js';
import { HeadSeries } from './head-read.js';

// A head series of `chunks` chunks of `per` samples at 10 ms spacing, value t/10.
function series(chunks: number, per: number, mint: number, maxt: number): { s: HeadSeries; all: number[] } {
  const bytes: Uint8Array[] = [];
  const bounds: number[] = [];
  const all: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const ch = newChunk(Encoding.XOR);
    const app = ch.appender();
    for (let k = 0; k < per; k++) {
      const t = (c * per + k) * 10;
      app.append(t, t / 10);
      all.push(t);
    }
    bytes.push(ch.bytes().slice());
    bounds.push(c * per * 10, (c * per + per - 1) * 10);
  }
  return { s: new HeadSeries(Labels.EMPTY, bytes, bounds, mint, maxt), all };
}

function bulk(s: HeadSeries, mint: number, maxt: number): number[] {
  const it = s.iterator();
  const out: number[] = [];
  const vt = it.readFloats!(mint, maxt, {
    push(t, v) {
      expect(v).toBe(t / 10);
      out.push(t);
    },
  });
  expect(vt).toBe(ValueType.None);
  expect(it.err()).toBeUndefined();
  return out;
}

describe('HeadSeriesIterator.readFloats', () => {
  it.each([
    { name: 'whole series', chunks: 3, per: 4, mint: 0, maxt: 1e9, a: -1, b: 1e9 },
    { name: 'window inside one chunk', chunks: 3, per: 10, mint: 0, maxt: 1e9, a: 120, b: 170 },
    { name: 'window across chunks, series range cuts both ends', chunks: 4, per: 5, mint: 35, maxt: 155, a: 0, b: 1e9 },
    { name: 'empty window', chunks: 2, per: 5, mint: 0, maxt: 1e9, a: 41, b: 49 },
  ])('$name', ({ chunks, per, mint, maxt, a, b }) => {
    const { s, all } = series(chunks, per, mint, maxt);
    expect(bulk(s, a, b)).toEqual(all.filter((t) => t >= mint && t <= maxt && t > a && t <= b));
  });

  it('agrees with next() for any ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: -20, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: -20, max: 500 }), fc.integer({ min: 0, max: 500 }), (chunks, per, mint, span, a, w) => {
        const { s } = series(chunks, per, mint, mint + span);
        const it = s.iterator();
        const walked: number[] = [];
        for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) walked.push(it.atT());
        expect(bulk(s, a, a + w)).toEqual(walked.filter((t) => t > a && t <= a + w));
      }),
      { numRuns: 300 },
    );
  });
});
