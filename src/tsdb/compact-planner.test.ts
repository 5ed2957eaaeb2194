import { describe, expect, it } from 'vitest';
import { compactionRanges, exponentialBlockRanges, planCompaction, type BlockMeta } from './index.js';

const H = 3_600_000;
function m(ulid: string, minTime: number, maxTime: number, extra: Partial<BlockMeta> = {}): BlockMeta {
  return { ulid, minTime, maxTime, stats: { numSeries: 10 }, compaction: { level: 1 }, version: 1, ...extra };
}

describe('compaction ranges', () => {
  it('grows by 3 from 2h and stops at 31 days or 10% of retention', () => {
    expect(exponentialBlockRanges(20, 4, 3)).toEqual([20, 60, 180, 540]);
    expect(compactionRanges().map((r) => r / H)).toEqual([2, 6, 18, 54, 162, 486]);
    expect(compactionRanges({ retentionMs: 15 * 24 * H }).map((r) => r / H)).toEqual([2, 6, 18]);
    expect(compactionRanges({ maxBlockDurationMs: 2 * H }).map((r) => r / H)).toEqual([2]);
  });
});

describe('planCompaction', () => {
  const ranges = [20, 60, 180, 540, 1620];
  it.each([
    { name: 'no blocks', blocks: [], want: [] },
    { name: 'one block', blocks: [m('1', 0, 20)], want: [] },
    { name: 'the newest block is left alone', blocks: [m('1', 0, 20), m('2', 20, 40)], want: [] },
    { name: 'a full 60 range', blocks: [m('1', 0, 20), m('2', 20, 40), m('3', 40, 60), m('4', 60, 80)], want: ['1', '2', '3'] },
    { name: 'a range before the newest block, with a gap', blocks: [m('1', 0, 20), m('2', 20, 40), m('4', 60, 80), m('5', 80, 100)], want: ['1', '2'] },
    { name: 'no premature compaction of a range still filling', blocks: [m('1', 0, 20), m('2', 20, 40), m('3', 40, 60)], want: [] },
    { name: 'the next level once three of 60 exist', blocks: [m('1', 0, 60), m('2', 60, 120), m('3', 120, 180), m('4', 180, 200)], want: ['1', '2', '3'] },
    { name: 'overlapping blocks first', blocks: [m('1', 0, 20), m('2', 19, 40), m('3', 40, 60)], want: ['1', '2'] },
    { name: 'overlap chains', blocks: [m('1', 0, 20), m('2', 10, 30), m('3', 25, 40), m('4', 40, 60)], want: ['1', '2', '3'] },
    { name: 'failed blocks skipped', blocks: [m('1', 0, 20, { compaction: { level: 1, failed: true } }), m('2', 20, 40), m('3', 40, 60), m('4', 60, 80)], want: [] },
    {
      name: 'a big block with many tombstones',
      blocks: [m('1', 0, 540, { stats: { numSeries: 10, numTombstones: 3 } }), m('2', 540, 560)],
      want: ['1'],
    },
    {
      name: 'a small wholly deleted block',
      blocks: [m('1', 0, 20, { stats: { numSeries: 2, numTombstones: 2 } }), m('2', 60, 80)],
      want: ['1'],
    },
  ])('$name', ({ blocks, want }) => {
    expect(planCompaction(blocks, ranges).map((b) => b.ulid)).toEqual(want);
  });

  it('accepts objects that carry a meta', () => {
    const blocks = [m('1', 0, 20), m('2', 20, 40), m('3', 40, 60), m('4', 60, 80)].map((meta) => ({ meta, dir: '/x/' + meta.ulid }));
    expect(planCompaction(blocks, ranges).map((b) => b.dir)).toEqual(['/x/1', '/x/2', '/x/3']);
  });
});
