/**
 * The contract every chunk encoding must meet, run by each encoding's test with its factory
 * (as Prometheus's chunk_test.go does): append/iterate round trips bit-exactly, seek semantics,
 * iterator reuse, appending after a non-empty prefix gives the same bytes, and corrupt bytes
 * give an error, never an exception.
 * @module
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueType, type SampleIterator } from '../../storage/index.js';
import type { Chunk } from './chunk.js';

/** ChunkFactory builds chunks of one encoding for the contract suite. */
export interface ChunkFactory {
  readonly name: string;
  newChunk(): Chunk;
  fromBytes(b: Uint8Array): Chunk;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** bitsOf returns the IEEE-754 bits of v as a hex string, to compare NaN payloads and -0. */
export function bitsOf(v: number): string {
  f64[0] = v;
  return u32[1]!.toString(16).padStart(8, '0') + u32[0]!.toString(16).padStart(8, '0');
}
/** fromBits builds a float from two 32-bit halves, keeping NaN payloads. */
export function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0]!;
}

function collect(it: SampleIterator): [number, string][] {
  const out: [number, string][] = [];
  while (it.next() === ValueType.Float) out.push([it.atT(), bitsOf(it.atF())]);
  expect(it.err()).toBeUndefined();
  return out;
}

function encode(f: ChunkFactory, samples: readonly (readonly [number, number])[]): Chunk {
  const c = f.newChunk();
  const a = c.appender();
  for (const [t, v] of samples) a.append(t, v);
  return c;
}

const SPECIAL = [0, -0, 1, -1, 0.1, 1e300, -1e-300, Infinity, -Infinity, NaN, fromBits(0x7ff00000, 2), fromBits(0x7ff80000, 1), 5e-324];

/** runChunkContract registers the contract tests for one encoding. */
export function runChunkContract(f: ChunkFactory): void {
  describe(`${f.name} chunk contract`, () => {
    it('starts empty', () => {
      const c = f.newChunk();
      expect(c.numSamples()).toBe(0);
      expect([...c.bytes()]).toEqual([0, 0]);
      const it = c.iterator();
      expect(it.next()).toBe(ValueType.None);
      expect(it.seek(0)).toBe(ValueType.None);
      expect(it.err()).toBeUndefined();
    });

    it('round-trips special values bit-exactly', () => {
      const samples = SPECIAL.map((v, i) => [1000 * i - 3000, v] as const);
      const c = encode(f, samples);
      expect(c.numSamples()).toBe(samples.length);
      expect(collect(c.iterator())).toEqual(samples.map(([t, v]) => [t, bitsOf(v)]));
      expect(collect(f.fromBytes(c.bytes().slice()).iterator())).toEqual(samples.map(([t, v]) => [t, bitsOf(v)]));
    });

    const samples = Array.from({ length: 300 }, (_, i) => [1_700_000_000_000 + i * 15_000 + (i % 7) * 3, Math.sin(i) * 100] as const);
    const c = encode(f, samples);

    it.each([
      { name: 'before the first sample', t: 0, want: 0 },
      { name: 'at the first sample', t: samples[0]![0], want: 0 },
      { name: 'between samples', t: samples[10]![0] + 1, want: 11 },
      { name: 'at a middle sample', t: samples[150]![0], want: 150 },
      { name: 'at the last sample', t: samples[299]![0], want: 299 },
      { name: 'after the last sample', t: samples[299]![0] + 1, want: -1 },
    ])('seeks $name', ({ t, want }) => {
      const it = c.iterator();
      const vt = it.seek(t);
      if (want < 0) {
        expect(vt).toBe(ValueType.None);
      } else {
        expect(vt).toBe(ValueType.Float);
        expect(it.atT()).toBe(samples[want]![0]);
        expect(it.atF()).toBe(samples[want]![1]);
      }
      expect(it.err()).toBeUndefined();
    });

    it('never seeks backwards and stays exhausted', () => {
      const it = c.iterator();
      expect(it.seek(samples[20]![0])).toBe(ValueType.Float);
      expect(it.seek(samples[5]![0])).toBe(ValueType.Float);
      expect(it.atT()).toBe(samples[20]![0]);
      expect(it.next()).toBe(ValueType.Float);
      expect(it.atT()).toBe(samples[21]![0]);
      while (it.next() !== ValueType.None);
      expect(it.seek(0)).toBe(ValueType.None);
      expect(it.next()).toBe(ValueType.None);
    });

    it('reuses iterators', () => {
      const other = encode(f, [[5, 1], [6, 2]]);
      const it1 = c.iterator();
      it1.next();
      const it2 = other.iterator(it1);
      expect(collect(it2)).toEqual([[5, bitsOf(1)], [6, bitsOf(2)]]);
      expect(collect(c.iterator(it2)).length).toBe(300);
    });

    it('keeps iterators stable while appending', () => {
      const d = encode(f, samples.slice(0, 10));
      const it = d.iterator();
      const a = d.appender();
      for (const [t, v] of samples.slice(10)) a.append(t, v);
      expect(collect(it).length).toBe(10);
      expect(collect(d.iterator()).length).toBe(300);
    });

    it('appends after a non-empty prefix to the same bytes', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 299 }), (cut) => {
          const prefix = encode(f, samples.slice(0, cut));
          const resumed = f.fromBytes(prefix.bytes().slice());
          const a = resumed.appender();
          for (const [t, v] of samples.slice(cut)) a.append(t, v);
          expect(Buffer.from(resumed.bytes()).toString('hex')).toBe(Buffer.from(c.bytes()).toString('hex'));
        }),
        { numRuns: 30 },
      );
    });

    it('round-trips random series', () => {
      const value = fc.oneof(
        fc.double(),
        fc.constantFrom(...SPECIAL),
        fc.integer({ min: -1000, max: 1000 }),
        fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([h, l]) => fromBits(h, l)),
      );
      const delta = fc.oneof(
        fc.constant(15_000),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.constantFrom(8192, 8193, 65536, 65537, 524288, 524289),
      );
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), fc.array(fc.tuple(delta, value), { minLength: 1, maxLength: 200 }), (t0, steps) => {
          const ss: [number, number][] = [];
          let t = t0;
          for (const [d, v] of steps) {
            t += d;
            ss.push([t, v]);
          }
          const ch = encode(f, ss);
          const want = ss.map(([tt, v]) => [tt, bitsOf(v)]);
          expect(collect(ch.iterator())).toEqual(want);
          expect(collect(f.fromBytes(ch.bytes().slice()).iterator())).toEqual(want);
        }),
        { numRuns: 200 },
      );
    });

    it('reports truncated bytes as an error, never a crash', () => {
      const full = c.bytes().slice();
      fc.assert(
        fc.property(fc.integer({ min: 2, max: full.length - 2 }), (n) => {
          const it = f.fromBytes(full.slice(0, n)).iterator();
          let count = 0;
          while (it.next() !== ValueType.None) count++;
          expect(count).toBeLessThan(300);
          expect(it.err()).toBeInstanceOf(Error);
        }),
      );
    });

    it('survives random garbage', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 2, maxLength: 64 }), (b) => {
          const it = f.fromBytes(b).iterator();
          let count = 0;
          while (it.next() !== ValueType.None) count++;
          expect(count).toBeLessThanOrEqual((b[0]! << 8) | b[1]!);
        }),
      );
    });
  });
}
