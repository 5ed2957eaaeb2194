import { describe, expect, it } from 'vitest';
import { parseDurationParam, parseTime, MIN_TIME, MAX_TIME } from './prom-params.js';

describe('Prometheus API parameters', () => {
  it.each([
    ['1', 1000],
    ['1.5', 1500],
    ['1700000000.123', 1700000000123],
    ['1700000000.1234', 1700000000123],
    ['1700000000.1235', 1700000000124],
    ['-1.5', -1500],
    ['2015-07-01T20:10:51.781Z', 1435781451781],
    ['2015-07-01T20:10:51Z', 1435781451000],
    ['2015-07-01T22:10:51+02:00', 1435781451000],
    ['-292273086-05-16T16:47:06Z', MIN_TIME],
    ['292277025-08-18T07:12:54.999999999Z', MAX_TIME],
  ] as const)('time %s', (s, ms) => expect(parseTime(s)).toBe(ms));

  it.each(['', 'abc', '2015-07-01', '1h'])('rejects time %j', (s) => {
    expect(() => parseTime(s)).toThrow(`cannot parse "${s}" to a valid timestamp`);
  });

  it.each([
    ['15', 15000],
    ['0.5', 500],
    ['1m', 60000],
    ['1h30m', 5400000],
  ] as const)('duration %s', (s, ms) => expect(parseDurationParam(s)).toBe(ms));

  it('rejects bad durations like Prometheus', () => {
    expect(() => parseDurationParam('x')).toThrow('cannot parse "x" to a valid duration');
    expect(() => parseDurationParam('1e300')).toThrow('It overflows int64');
  });
});
