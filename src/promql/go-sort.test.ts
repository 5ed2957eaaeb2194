import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goSort } from './go-sort.js';

/** sorted sorts a copy of xs with goSort under `less`. */
function sorted(xs: readonly number[], less: (a: number, b: number) => boolean): number[] {
  const a = [...xs];
  goSort(
    {
      less: (i, j) => less(a[i]!, a[j]!),
      swap: (i, j) => {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
      },
    },
    a.length,
  );
  return a;
}

describe('goSort', () => {
  it('sorts any array under a strict weak order, taking every path (insertion, ninther, heapsort)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 600 }), (xs) => {
        expect(sorted(xs, (a, b) => a < b)).toEqual([...xs].sort((a, b) => a - b));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    { name: 'ascending', xs: Array.from({ length: 300 }, (_, i) => i) },
    { name: 'descending', xs: Array.from({ length: 300 }, (_, i) => 300 - i) },
    { name: 'all equal', xs: Array.from({ length: 300 }, () => 7) },
    { name: 'organ pipe', xs: Array.from({ length: 301 }, (_, i) => Math.abs(150 - i)) },
    { name: 'sawtooth', xs: Array.from({ length: 1000 }, (_, i) => i % 17) },
  ])('sorts $name input', ({ xs }) => {
    expect(sorted(xs, (a, b) => a < b)).toEqual([...xs].sort((a, b) => a - b));
  });

  it('is a permutation even under a comparator that is not an order (NaN as Prometheus compares it)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(NaN), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }), (xs) => {
        const out = sorted(xs, (a, b) => a !== a || a < b);
        expect(out.map(String).sort()).toEqual(xs.map(String).sort());
      }),
    );
  });

  it('leaves up to 12 equal elements in their order, like Go (insertion sort)', () => {
    const keys = [3, 1, 3, 2, 1, 3, 2, 1, 3, 2, 1, 3];
    const idx = keys.map((_, i) => i);
    const out = sorted(idx, (a, b) => keys[a]! < keys[b]!);
    expect(out).toEqual([1, 4, 7, 10, 3, 6, 9, 0, 2, 5, 8, 11]);
  });
});
