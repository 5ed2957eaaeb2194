import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GlobError } from './errors.js';
import { Glob, expandBraces, matchSegment } from './glob.js';

describe('matchSegment', () => {
  it.each([
    { p: '*.log', n: 'app.log', want: true },
    { p: '*.log', n: 'app.log.1', want: false },
    { p: '*.log*', n: 'app.log.1', want: true },
    { p: 'a?c', n: 'abc', want: true },
    { p: 'a?c', n: 'ac', want: false },
    { p: '[ab]*', n: 'bz', want: true },
    { p: '[!ab]*', n: 'bz', want: false },
    { p: '[a-c]x', n: 'bx', want: true },
    { p: '[a-c]x', n: 'dx', want: false },
    { p: '\\*', n: '*', want: true },
    { p: '\\*', n: 'a', want: false },
    { p: '[', n: '[', want: true },
    { p: '*a*a*a*a*a*b', n: 'a'.repeat(60), want: false },
    { p: '', n: '', want: true },
    { p: '*', n: '', want: true },
  ])('$p ~ $n = $want', ({ p, n, want }) => {
    expect(matchSegment(p, n)).toBe(want);
  });

  it('agrees with a reference translation on random patterns', () => {
    const ch = fc.constantFrom('a', 'b', '.', '*', '?');
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', '.'), { maxLength: 10 }), (pa, na) => {
        const p = pa.join('');
        const n = na.join('');
        // Reference only for the test: patterns here are generated, never user input.
        const re = new RegExp('^' + p.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
        expect(matchSegment(p, n)).toBe(re.test(n));
      }),
    );
  });
});

describe('expandBraces', () => {
  it.each([
    { p: '/a/{x,y}.log', want: ['/a/x.log', '/a/y.log'] },
    { p: '/a/{x,{y,z}}', want: ['/a/x', '/a/y', '/a/z'] },
    { p: '/a/{x}', want: ['/a/{x}'] },
    { p: '/a/b', want: ['/a/b'] },
  ])('$p', ({ p, want }) => {
    expect(expandBraces(p)).toEqual(want);
  });

  it('refuses unclosed braces and explosions', () => {
    expect(() => expandBraces('/a/{x,y')).toThrow(GlobError);
    expect(() => expandBraces('/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toThrow(/more than 256/);
  });
});

describe('Glob', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-glob-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  mkdirSync(join(root, 'pods/ns_pod_1/app'), { recursive: true });
  for (const f of ['x.log', 'y.txt', '.hidden.log', 'a/z.log', 'a/b/c/deep.log', 'pods/ns_pod_1/app/0.log']) writeFileSync(join(root, f), '');
  mkdirSync(join(root, 'containers'));
  symlinkSync(join(root, 'pods/ns_pod_1/app/0.log'), join(root, 'containers/pod_ns_app-1.log'));
  symlinkSync(root, join(root, 'a/loop'));

  it.each([
    { g: '/*.log', want: ['/x.log'] },
    { g: '/**/*.log', want: ['/a/b/c/deep.log', '/a/z.log', '/containers/pod_ns_app-1.log', '/pods/ns_pod_1/app/0.log', '/x.log'] },
    { g: '/{x.log,y.txt}', want: ['/x.log', '/y.txt'] },
    { g: '/containers/*.log', want: ['/containers/pod_ns_app-1.log'] },
    { g: '/a/*/c/*.log', want: ['/a/b/c/deep.log'] },
    { g: '/.hidden.log', want: ['/.hidden.log'] },
    { g: '/nope/*.log', want: [] },
  ])('$g', ({ g, want }) => {
    const glob = new Glob(root + g);
    expect(glob.files().map((f) => f.slice(root.length))).toEqual(want);
    for (const f of want) expect(glob.matches(root + f)).toBe(true);
  });

  it('needs an absolute path', () => {
    expect(() => new Glob('var/log/*.log')).toThrow(GlobError);
  });
});
