import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotIndex } from './slot-index.js';

describe('SlotIndex', () => {
  // Model check against a plain list: any mix of inserts and removals, with colliding keys,
  // finds exactly the slots a linear scan finds.
  it('finds what a linear scan finds, across inserts, removals and resizes (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), key: fc.integer({ min: -40, max: 40 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const keys: number[] = []; // key by slot
        const live = new Set<number>();
        const free: number[] = [];
        const idx = new SlotIndex({ keyOf: (s) => keys[s]! });
        for (const o of ops) {
          if (o.kind === 'insert') {
            const slot = free.pop() ?? keys.length;
            keys[slot] = o.key;
            live.add(slot);
            idx.insert(slot);
          } else if (live.size > 0) {
            const slot = [...live][o.pick % live.size]!;
            idx.remove(slot);
            live.delete(slot);
            free.push(slot);
          }
        }
        expect(idx.size).toBe(live.size);
        for (let key = -40; key <= 40; key++) {
          const want = [...live].filter((s) => keys[s] === key).sort((a, b) => a - b);
          const got: number[] = [];
          idx.find(key, (s) => {
            got.push(s);
            return false;
          });
          expect(got.sort((a, b) => a - b)).toEqual(want);
          expect(idx.findKey(key) === -1).toBe(want.length === 0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
