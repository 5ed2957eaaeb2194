import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STALE_NAN } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { XORChunk, XORIterator } from './chunkenc/index.js';
import { HeadChunks } from './head-chunks.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Sample sequences shaped like real series, plus hostile ones (huge jumps, NaNs, negative times).
const samplesArb = fc.oneof(
  fc.array(fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.double({ noNaN: false })), { minLength: 1, maxLength: 300 }),
  fc.array(fc.tuple(fc.constantFrom(15_000, 15_001, 14_999, 30_000), fc.integer({ min: 0, max: 100 }).map((x) => x / 4)), { minLength: 1, maxLength: 300 }),
  fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom(0, -0, 1, STALE_NAN, Infinity, -1e300, 5e-324)), { minLength: 1, maxLength: 50 }),
);

function toPoints(start: number, steps: readonly (readonly [number, number])[]): [number, number][] {
  let t = start;
  return steps.map(([d, v]) => [(t += d), v]);
}

describe('HeadChunks', () => {
  it('writes the same bytes as chunkenc’s XORChunk (Prometheus’s), sample by sample', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), samplesArb, (start, steps) => {
        const pts = toPoints(start, steps);
        const hc = new HeadChunks();
        hc.ensure(3);
        const ref = new XORChunk();
        const app = ref.appender();
        for (const [t, v] of pts) {
          hc.append(2, t, v);
          hc.append(1, t, v); // viewed only at the end: its write window is never flushed early
          app.append(t, v);
          expect(hex(hc.view(2))).toBe(hex(ref.bytes()));
        }
        expect(hex(hc.view(1))).toBe(hex(ref.bytes()));
        expect(hc.n[2]).toBe(pts.length);
        // And it decodes back, bit for bit.
        const it = new XORIterator().reset(hc.copy(2));
        const f = new Float64Array(2);
        const w = new Uint32Array(f.buffer);
        for (const [t, v] of pts) {
          expect(it.next()).toBe(ValueType.Float);
          expect(it.atT()).toBe(t);
          f[0] = it.atF();
          f[1] = v;
          expect([w[0], w[1]]).toEqual([w[2], w[3]]);
        }
        expect(it.next()).toBe(ValueType.None);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps slots apart, grows through size classes, and drops slabs that empty out', () => {
    const hc = new HeadChunks();
    hc.ensure(3000);
    const ref: XORChunk[] = [];
    for (let s = 0; s < 3000; s++) ref.push(new XORChunk());
    const apps = ref.map((c) => c.appender());
    let x = 1;
    for (let i = 0; i < 200; i++) {
      for (let s = 0; s < 3000; s++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const v = s % 2 === 0 ? i : x / 7; // counters and noisy gauges
        hc.append(s, 1000 * i + s, v);
        apps[s]!.append(1000 * i + s, v);
      }
    }
    for (let s = 0; s < 3000; s++) expect(hex(hc.view(s))).toBe(hex(ref[s]!.bytes()));
    expect(hc.memoryBytes()).toBeGreaterThan(3000 * 256);
    for (let s = 0; s < 3000; s++) hc.release(s);
    // Every slab emptied out and was dropped.
    expect(hc.memoryBytes()).toBe(0);
    const one = new XORChunk();
    one.appender().append(5, 1);
    for (let s = 0; s < 3000; s++) {
      hc.append(s, 5, 1);
      expect(hex(hc.view(s))).toBe(hex(one.bytes()));
    }
    // 3000 one-sample chunks fit in the smallest class: 3000 × 64 bytes, in whole slabs.
    expect(hc.memoryBytes()).toBe(Math.ceil((3000 * 64) / (256 * 1024)) * 256 * 1024);
    hc.reset(7);
    expect(hc.n[7]).toBe(0);
    expect(hc.byteLength(7)).toBe(2);
  });

  // Bit writes store whole zero bytes past their last bit: worst-case samples (64-bit
  // delta-of-delta, 64 significant bits) in neighbouring chunks of every size class must not
  // reach into each other.
  it('keeps neighbouring chunks intact under worst-case samples', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.double()), { minLength: 1, maxLength: 400 }), (steps) => {
        const hc = new HeadChunks();
        hc.ensure(4);
        const ref = [0, 1, 2, 3].map(() => new XORChunk());
        const apps = ref.map((c) => c.appender());
        const ts = [0, 0, 0, 0];
        for (const [i, [d, v]] of steps.entries()) {
          // Highest slot first: a write past a chunk's room would land in the next one's bytes
          // after that one's last append, and show below.
          for (let s = 3; s >= 0; s--) {
            // Alternate huge and tiny steps so every delta-of-delta is a 64-bit one.
            ts[s]! += i % 2 === 0 ? d + s : 1;
            const x = s % 2 === 0 ? v : -v;
            hc.append(s, ts[s]!, x);
            apps[s]!.append(ts[s]!, x);
          }
          for (let s = 0; s < 4; s++) expect(hex(hc.view(s))).toBe(hex(ref[s]!.bytes()));
        }
      }),
      { numRuns: 60 },
    );
  });
});
