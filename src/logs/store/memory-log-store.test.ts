import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../../model/index.js';
import type { LogEntry } from './interface.js';
import { MemoryLogStore } from './memory-log-store.js';

const APP = Labels.fromStrings('app', 'a');
const ALL = [new Matcher(MatchType.Equal, 'app', 'a')];

async function read(s: MemoryLogStore, direction: 'forward' | 'backward' = 'forward'): Promise<string[]> {
  const out: string[] = [];
  for await (const b of s.select({ matchers: ALL, mint: -Infinity, maxt: Infinity, direction, limit: 0 })) for (const e of b.entries) out.push(e.line);
  return out;
}

const e = (t: number, ns: number, line: string): LogEntry => ({ t, ns, line });

describe('MemoryLogStore', () => {
  it.each([
    ['in order', [[e(1, 0, 'a'), e(2, 0, 'b')], [e(3, 0, 'c')]], ['a', 'b', 'c']],
    ['older batch after newer', [[e(5, 0, 'c')], [e(1, 0, 'a'), e(2, 0, 'b')]], ['a', 'b', 'c']],
    ['ns breaks ties', [[e(1, 7, 'b'), e(1, 3, 'a')]], ['a', 'b']],
    ['equal times keep append order', [[e(2, 0, 'x1'), e(1, 0, 'a'), e(2, 0, 'x2')], [e(2, 0, 'x3')]], ['a', 'x1', 'x2', 'x3']],
  ] as const)('reads %s in time order', async (_n, batches, want) => {
    const s = new MemoryLogStore();
    for (const b of batches) await s.append(APP, b);
    expect(await read(s)).toEqual(want);
    expect(await read(s, 'backward')).toEqual([...want].reverse());
    expect(s.entryCount).toBe(want.length);
  });

  it('stays ordered when appends and queries interleave', async () => {
    const s = new MemoryLogStore();
    await s.append(APP, [e(10, 0, 'c'), e(5, 0, 'b')]);
    expect(await read(s)).toEqual(['b', 'c']);
    await s.append(APP, [e(11, 0, 'd'), e(1, 0, 'a')]);
    expect(await read(s)).toEqual(['a', 'b', 'c', 'd']);
    await s.append(APP, [e(12, 0, 'e')]);
    expect(await read(s)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('orders any sequence of appends like a stable sort by (t, ns)', async () => {
    const entry = fc.record({ t: fc.integer({ min: 0, max: 20 }), ns: fc.integer({ min: 0, max: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(entry, { maxLength: 8 }), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), async (batches, queries) => {
        const s = new MemoryLogStore();
        const all: LogEntry[] = [];
        for (let i = 0; i < batches.length; i++) {
          const list = batches[i]!.map((x, j) => e(x.t, x.ns, String(all.length + j)));
          all.push(...list);
          await s.append(APP, list);
          if (queries[i] === true) await read(s);
        }
        const want = all
          .map((x, i) => ({ x, i }))
          .sort((p, q) => p.x.t - q.x.t || p.x.ns - q.x.ns || p.i - q.i)
          .map((p) => p.x.line);
        expect(await read(s)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps fields and filters lines', async () => {
    const s = new MemoryLogStore();
    await s.append(APP, [{ t: 2, ns: 0, line: 'beta Two', fields: { k: 'v' } }, e(1, 0, 'alpha one'), e(3, 0, 'gamma')]);
    const got: LogEntry[] = [];
    for await (const b of s.select({ matchers: ALL, mint: 1, maxt: 2, direction: 'forward', limit: 0, foldedNeedles: ['TWO'] })) got.push(...b.entries);
    expect(got).toEqual([{ t: 2, ns: 0, line: 'beta Two', fields: { k: 'v' } }]);
    expect(await s.indexStats(ALL, 2, 3)).toEqual({ streams: 1, chunks: 1, entries: 2, bytes: 13 });
  });

  it('a cursor reads what it picked even when a later append and query reorder the stream', async () => {
    const s = new MemoryLogStore();
    await s.append(APP, [e(5, 0, 'b'), e(6, 0, 'c')]);
    const [cur] = await s.cursors({ matchers: ALL, mint: -Infinity, maxt: Infinity, direction: 'forward', lines: true });
    await s.append(APP, [e(1, 0, 'a')]);
    expect(await read(s)).toEqual(['a', 'b', 'c']);
    const batch = await cur!.next();
    expect(batch?.lines).toEqual(['b', 'c']);
  });
});
