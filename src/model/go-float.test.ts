import { describe, expect, it } from 'vitest';
import { formatFloatF, formatFloatG } from './index.js';

describe('Go float formatting', () => {
  it.each([
    [0, '0', '0'],
    [1, '1', '1'],
    [-1.5, '-1.5', '-1.5'],
    [1e6, '1e+06', '1000000'],
    [123456, '123456', '123456'],
    [123456789, '1.23456789e+08', '123456789'],
    [2.5276514304e10, '2.5276514304e+10', '25276514304'],
    [0.0001, '0.0001', '0.0001'],
    [0.00001, '1e-05', '0.00001'],
    [1e21, '1e+21', '1000000000000000000000'],
    [1e-300, '1e-300', '0.' + '0'.repeat(299) + '1'],
    [NaN, 'NaN', 'NaN'],
    [Infinity, '+Inf', '+Inf'],
    [-Infinity, '-Inf', '-Inf'],
    [0.1 + 0.2, '0.30000000000000004', '0.30000000000000004'],
  ] as const)('%d', (v, g, f) => {
    expect(formatFloatG(v)).toBe(g);
    expect(formatFloatF(v)).toBe(f);
  });
});
