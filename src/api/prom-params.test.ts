import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BadDataError } from './errors.js';
import { parseAtoi, parseDurationParam, parseLimitParam, parseTime, MIN_TIME, MAX_TIME } from './prom-params.js';

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

describe('parameter parsers under fuzzing', () => {
  it('fail only with BadDataError, whatever the input', () => {
    const input = fc.oneof(fc.string(), fc.stringMatching(/^[-+]?[0-9.eE]{0,12}[smhdwy]{0,2}$/), fc.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/));
    fc.assert(
      fc.property(input, (s) => {
        for (const f of [parseTime, parseDurationParam, parseAtoi, parseLimitParam]) {
          try {
            const v = f(s);
            expect(Number.isNaN(v)).toBe(false);
          } catch (e) {
            expect(e).toBeInstanceOf(BadDataError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseAtoi and parseLimitParam', () => {
  it.each([
    ['0', 0],
    ['+5', 5],
    ['-7', -7],
    ['0010', 10],
  ] as const)('atoi %s', (s, n) => {
    expect(parseAtoi(s)).toBe(n);
  });

  it.each([
    ['', 0],
    ['25', 25],
  ] as const)('limit %j', (s, n) => {
    expect(parseLimitParam(s)).toBe(n);
  });

  it.each([
    ['1.5', 'invalid parameter "limit": strconv.Atoi: parsing "1.5": invalid syntax'],
    [' 1', 'invalid parameter "limit": strconv.Atoi: parsing " 1": invalid syntax'],
    ['99999999999999999999', 'invalid parameter "limit": strconv.Atoi: parsing "99999999999999999999": value out of range'],
    ['-1', 'invalid parameter "limit": limit must be non-negative'],
  ])('rejects limit %j', (s, msg) => {
    expect(() => parseLimitParam(s)).toThrow(msg);
  });
});
