import { describe, expect, it } from 'vitest';
import { blocksBeyondRetention, DEFAULT_RETENTION_MS, resolveDbOptions, OptionsError, type RetentionBlock } from './index.js';

const H = 3_600_000;
function block(name: string, minTime: number, maxTime: number, size: number): RetentionBlock & { name: string } {
  return {
    name,
    meta: { ulid: name, minTime, maxTime, stats: {}, compaction: { level: 1 }, version: 1 },
    size: () => size,
  };
}

const blocks = [block('a', 0, 2 * H, 100), block('b', 2 * H, 4 * H, 100), block('c', 4 * H, 6 * H, 100), block('d', 6 * H, 8 * H, 100)];

describe('blocksBeyondRetention', () => {
  it.each([
    { name: 'no retention', ms: 0, bytes: 0, head: 0, time: [], size: [] },
    { name: 'time: measured from the newest block end, strictly more than the limit', ms: 4 * H, bytes: 0, head: 0, time: ['a'], size: [] },
    { name: 'time: just over the limit', ms: 4 * H - 1, bytes: 0, head: 0, time: ['b', 'a'], size: [] },
    { name: 'time: everything fits', ms: 100 * H, bytes: 0, head: 0, time: [], size: [] },
    { name: 'size: newest blocks kept until the sum exceeds', ms: 0, bytes: 250, head: 0, time: [], size: ['b', 'a'] },
    { name: 'size: the WAL counts first', ms: 0, bytes: 250, head: 60, time: [], size: ['c', 'b', 'a'] },
    { name: 'size: even the newest block can go', ms: 0, bytes: 50, head: 0, time: [], size: ['d', 'c', 'b', 'a'] },
    { name: 'both: size does not repeat time', ms: 4 * H - 1, bytes: 250, head: 0, time: ['b', 'a'], size: [] },
  ])('$name', ({ ms, bytes, head, time, size }) => {
    const r = blocksBeyondRetention(blocks, { retentionMs: ms, retentionBytes: bytes, headBytes: head });
    expect(r.byTime.map((b) => b.name)).toEqual(time);
    expect(r.bySize.map((b) => b.name)).toEqual(size);
  });
});

describe('resolveDbOptions', () => {
  it('applies Prometheus defaults', () => {
    const o = resolveDbOptions({ dir: '/x' });
    expect(o.retentionMs).toBe(DEFAULT_RETENTION_MS);
    expect(o.retentionBytes).toBe(0);
    expect(o.minBlockDurationMs).toBe(2 * H);
    expect(o.walCompression).toBe('snappy');
    expect(o.walSync).toBe('segment');
    // 10 % of 15 d = 36 h caps the ranges: 2h, 6h, 18h.
    expect(o.blockRanges).toEqual([2 * H, 6 * H, 18 * H]);
  });

  it('disables the default time retention when only a size is set, as Prometheus does', () => {
    expect(resolveDbOptions({ dir: '/x', retentionBytes: 1e9 }).retentionMs).toBe(0);
    expect(resolveDbOptions({ dir: '/x', retentionBytes: 1e9, retentionMs: H }).retentionMs).toBe(H);
  });

  it.each([
    { name: 'empty dir', o: { dir: '' }, option: 'dir' },
    { name: 'negative retention', o: { dir: '/x', retentionMs: -1 }, option: 'retentionMs' },
    { name: 'NaN size', o: { dir: '/x', retentionBytes: NaN }, option: 'retentionBytes' },
    { name: 'zero block duration', o: { dir: '/x', minBlockDurationMs: 0 }, option: 'minBlockDurationMs' },
    { name: 'fractional block duration', o: { dir: '/x', minBlockDurationMs: 1.5 }, option: 'minBlockDurationMs' },
    { name: 'zero interval', o: { dir: '/x', compactionIntervalMs: 0 }, option: 'compactionIntervalMs' },
  ])('rejects $name naming the option', ({ o, option }) => {
    try {
      resolveDbOptions(o);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OptionsError);
      expect((e as OptionsError).option).toBe(option);
    }
  });
});
