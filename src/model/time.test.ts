import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration, DurationError } from './index.js';

describe('durations', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['10s', 10_000],
    ['100ms', 100],
    ['1y', 31_536_000_000],
    ['2w', 1_209_600_000],
    ['0', 0],
  ] as const)('parses %s', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', '5', 'm', '1m1h', '1.5h', '-1m', '1h1h'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(DurationError);
  });

  it.each([
    [0, '0s'],
    [5_400_000, '1h30m'],
    [90 * 86_400_000, '90d'],
    [14 * 86_400_000, '2w'],
    [31_536_000_000, '1y'],
    [1500, '1s500ms'],
  ] as const)('formats %d as %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});
