import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStaleNaN } from '../../model/index.js';
import { ScriptError, parseScript, parseSeriesLine, parseValues, runScript } from './index.js';

const floats = (text: string): (number | '_' | 'H')[] =>
  parseValues(text).map((v) => (v.kind === 'float' ? v.v : v.kind === 'omit' ? '_' : 'H'));

describe('series values', () => {
  it.each([
    ['1 2 3', [1, 2, 3]],
    ['0+10x3', [0, 10, 20, 30]],
    ['1-2x2', [1, -1, -3]],
    ['-2+4x1', [-2, 2]],
    ['1x2', [1, 1, 1]],
    ['_ 1 _x2 2', ['_', 1, '_', '_', 2]],
    ['Inf -Inf', [Infinity, -Infinity]],
    ['.5 1e3', [0.5, 1000]],
    ['{{schema:0 sum:1 count:1}}x1 3', ['H', 'H', 3]],
    ['{{sum:1}}+{{sum:2}}x2', ['H', 'H', 'H']],
  ] as const)('%s', (text, want) => {
    expect(floats(text)).toEqual(want);
  });

  it('adds repeatedly, like the Go runner', () => {
    const got = floats('0+0.1x3');
    expect(got).toEqual([0, 0.1, 0.1 + 0.1, 0.1 + 0.1 + 0.1]);
  });

  it('stores staleness markers with their bits', () => {
    const v = parseValues('stale')[0]!;
    expect(v.kind === 'float' && isStaleNaN(v.v)).toBe(true);
  });

  it('rejects junk', () => {
    expect(() => parseValues('1 foo')).toThrow(/invalid value/);
    expect(() => parseValues('1+2')).toThrow(/invalid value/);
  });

  it('expands counts exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -50, max: 50 }), fc.nat(200), (v, d, n) => {
        const got = floats(`${v}${d < 0 ? '-' : '+'}${Math.abs(d)}x${n}`);
        expect(got.length).toBe(n + 1);
        expect(got[n]).toBe(v + d * n);
      }),
    );
  });
});

describe('series metrics', () => {
  it.each([
    ['up 1', '{__name__="up"}'],
    ['up{job="a", instance="b",} 1', '{__name__="up", instance="b", job="a"}'],
    ['{__name__="up", a="1"} 1', '{__name__="up", a="1"}'],
    ['{"my.metric", "my.label"="x"} 1', '{__name__="my.metric", my.label="x"}'],
    ['m{a=""} 1', '{__name__="m"}'],
    ["m{a='x', b=`y`} 1", '{__name__="m", a="x", b="y"}'],
  ])('%s', (line, want) => {
    expect(parseSeriesLine(line).labels.toString()).toBe(want);
  });
});

describe('scripts', () => {
  it('parses blocks, expectations and legacy forms', () => {
    const cmds = parseScript(
      [
        '# comment',
        'load 1m',
        '  m{a="1"} 0+1x3',
        '  m{a="1"} 9 9',
        '',
        'eval instant at 2m m',
        '  expect no_warn',
        '  expect info regex: foo.*',
        '  m{a="1"} 9',
        '',
        'eval range from 0 to 2m step 1m m',
        '  m{a="1"} 9 9 _',
        '',
        'eval_fail instant at 0 foo(',
        '',
        'eval instant at 0 1',
        '  1',
        'clear',
      ].join('\n'),
    );
    expect(cmds.map((c) => c.kind)).toEqual(['load', 'eval', 'eval', 'eval', 'eval', 'clear']);
    const load = cmds[0]!;
    expect(load.kind === 'load' && load.series.length).toBe(1);
    const ev = cmds[1]!;
    expect(ev.kind === 'eval' && ev.expects).toEqual([{ type: 'no_warn' }, { type: 'info', mode: 'regex', text: 'foo.*' }]);
    const sc = cmds[4]!;
    expect(sc.kind === 'eval' && sc.scalar).toBe(1);
  });

  it('reports bad lines with their number', () => {
    expect(() => parseScript('load 1m\n  m 1\n\nbogus')).toThrow(ScriptError);
    expect(() => parseScript('load 1m\n  m 1\n\nbogus')).toThrow(/^line 4:/);
  });

  it('runs a script and reports failures and skips', async () => {
    const results = await runScript(
      'mini.test',
      [
        'load 1m',
        '  m{a="1"} 0+1x10',
        '  h {{schema:0 sum:1 count:1}}x3',
        '',
        'eval instant at 5m m',
        '  m{a="1"} 5',
        '',
        'eval instant at 5m m',
        '  m{a="1"} 6',
        '',
        'eval instant at 1m h',
        '  {} 1',
        '',
        'eval range from 0 to 2m step 1m m * 2',
        '  {a="1"} 0 2 4',
      ].join('\n'),
    );
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'skip', 'pass']);
    expect(results[1]!.reason).toContain('expected 6, got 5');
    expect(results[2]!.reason).toContain('native histograms');
  });
});
