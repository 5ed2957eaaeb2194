import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanFloat } from './index.js';
import { scanInt64 } from './float-scan.js';

const out = new Float64Array(1);
function f(s: string): number | 'error' {
  const b = Buffer.from(s, 'latin1');
  return scanFloat(b, 0, b.length, out) ? out[0]! : 'error';
}
function i64(s: string): number | 'error' {
  const b = Buffer.from(s, 'latin1');
  return scanInt64(b, 0, b.length, out) ? out[0]! : 'error';
}

describe('scanFloat (Go ParseFloat syntax, decimal only)', () => {
  const cases: readonly { input: string; want: number | 'error' }[] = [
    { input: '0', want: 0 },
    { input: '-0', want: -0 },
    { input: '1', want: 1 },
    { input: '+1', want: 1 },
    { input: '-1.5', want: -1.5 },
    { input: '1.', want: 1 },
    { input: '.5', want: 0.5 },
    { input: '1e3', want: 1000 },
    { input: '1E+3', want: 1000 },
    { input: '2.5e-3', want: 0.0025 },
    { input: '7.424100000000001e-05', want: 7.424100000000001e-5 },
    { input: '0000000000000000000000000000000000000000001.2e-1', want: 0.12 },
    { input: '9223372036854775808', want: 9223372036854775808 },
    { input: '123456789012345678901234567890', want: 1.2345678901234568e29 },
    { input: '0.000000000000000000000000000001', want: 1e-30 },
    { input: '1.7976931348623157e308', want: 1.7976931348623157e308 },
    { input: '1e-400', want: 0 },
    { input: 'Inf', want: Infinity },
    { input: '+Inf', want: Infinity },
    { input: '-inf', want: -Infinity },
    { input: 'INFINITY', want: Infinity },
    { input: '-Infinity', want: -Infinity },
    { input: 'NaN', want: NaN },
    { input: 'nan', want: NaN },
    { input: '+NaN', want: 'error' },
    { input: 'infin', want: 'error' },
    { input: 'infinityx', want: 'error' },
    { input: '1e400', want: 'error' },
    { input: '-1e400', want: 'error' },
    { input: '', want: 'error' },
    { input: '-', want: 'error' },
    { input: '.', want: 'error' },
    { input: 'e5', want: 'error' },
    { input: '1e', want: 'error' },
    { input: '1e+', want: 'error' },
    { input: '1.2.3', want: 'error' },
    { input: '0x10', want: 'error' },
    { input: '0b1', want: 'error' },
    { input: '0o7', want: 'error' },
    { input: ' 1', want: 'error' },
    { input: '1 ', want: 'error' },
    { input: 'true', want: 'error' },
  ];
  it.each(cases)('$input', ({ input, want }) => {
    const got = f(input);
    if (typeof want === 'number') expect(Object.is(got, want) || (Number.isNaN(want) && Number.isNaN(got as number))).toBe(true);
    else expect(got).toBe('error');
  });

  it('round-trips every double printed by JS', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: false }), (x) => {
        const s = Number.isFinite(x) ? String(x) : x > 0 ? '+Inf' : '-Inf';
        expect(Object.is(f(s), x) || (x === 0 && f(s) === 0)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with correctly rounded conversion on arbitrary decimal strings', () => {
    const digits = fc.stringMatching(/^[0-9]{1,25}$/);
    fc.assert(
      fc.property(fc.boolean(), digits, fc.option(digits), fc.option(fc.integer({ min: -330, max: 330 })), (neg, int, frac, exp) => {
        const s = `${neg ? '-' : ''}${int}${frac === null ? '' : '.' + frac}${exp === null ? '' : 'e' + exp}`;
        const want = Number(s);
        if (!Number.isFinite(want)) expect(f(s)).toBe('error');
        else expect(f(s)).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('scanInt64', () => {
  const cases: readonly { input: string; want: number | 'error' }[] = [
    { input: '0', want: 0 },
    { input: '1395066363000', want: 1395066363000 },
    { input: '-3982045', want: -3982045 },
    { input: '+5', want: 5 },
    { input: '9223372036854775807', want: 9223372036854775807 },
    { input: '-9223372036854775808', want: -9223372036854775808 },
    { input: '00009223372036854775807', want: 9223372036854775807 },
    { input: '9223372036854775808', want: 'error' },
    { input: '-9223372036854775809', want: 'error' },
    { input: '12345678901234567890', want: 'error' },
    { input: '1_2', want: 'error' },
    { input: '1.5', want: 'error' },
    { input: '', want: 'error' },
    { input: '-', want: 'error' },
  ];
  it.each(cases)('$input', ({ input, want }) => {
    expect(i64(input)).toBe(want);
  });
});
