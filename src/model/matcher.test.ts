import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Matcher, MatchType, RegexSyntaxError, compileAnchored } from './index.js';

describe('Matcher', () => {
  const cases: readonly { name: string; m: Matcher; yes: string[]; no: string[] }[] = [
    { name: 'equal', m: new Matcher(MatchType.Equal, 'a', 'x'), yes: ['x'], no: ['', 'xx'] },
    { name: 'equal empty matches absent', m: new Matcher(MatchType.Equal, 'a', ''), yes: [''], no: ['x'] },
    { name: 'not equal', m: new Matcher(MatchType.NotEqual, 'a', 'x'), yes: ['', 'y'], no: ['x'] },
    { name: 'regex anchored', m: new Matcher(MatchType.Regexp, 'a', 'fo+'), yes: ['foo'], no: ['afoo', 'foob', ''] },
    { name: 'regex set', m: new Matcher(MatchType.Regexp, 'a', 'a|bb|c'), yes: ['a', 'bb', 'c'], no: ['b', 'abb', ''] },
    { name: 'regex empty alternative', m: new Matcher(MatchType.Regexp, 'a', 'x|'), yes: ['x', ''], no: ['y'] },
    { name: 'regex prefix', m: new Matcher(MatchType.Regexp, 'a', 'foo.*'), yes: ['foo', 'foobar', 'foo\nx'], no: ['fo', 'xfoo'] },
    { name: 'regex dot matches newline', m: new Matcher(MatchType.Regexp, 'a', 'a.b'), yes: ['a\nb', 'axb'], no: ['ab'] },
    { name: 'regex case-insensitive group', m: new Matcher(MatchType.Regexp, 'a', '(?i)get|post'), yes: ['GET', 'Post'], no: ['put'] },
    { name: 'regex .* matches empty', m: new Matcher(MatchType.Regexp, 'a', '.*'), yes: ['', 'x'], no: [] },
    { name: 'regex .+', m: new Matcher(MatchType.Regexp, 'a', '.+'), yes: ['x'], no: [''] },
    { name: 'not regex', m: new Matcher(MatchType.NotRegexp, 'a', 'x.*'), yes: ['', 'y'], no: ['x', 'xy'] },
    { name: 'literal with top-level alternation and prefix', m: new Matcher(MatchType.Regexp, 'a', 'ab|cd.*'), yes: ['ab', 'cdx'], no: ['abx'] },
    { name: 'optional literal char', m: new Matcher(MatchType.Regexp, 'a', 'ab?c'), yes: ['ac', 'abc'], no: ['bc'] },
  ];
  it.each(cases)('$name', ({ m, yes, no }) => {
    for (const v of yes) expect(m.matches(v), `${m} on ${JSON.stringify(v)}`).toBe(true);
    for (const v of no) expect(m.matches(v), `${m} on ${JSON.stringify(v)}`).toBe(false);
  });

  it('rejects bad regexes with RE2 messages', () => {
    expect(() => new Matcher(MatchType.Regexp, 'a', 'a(b')).toThrow(RegexSyntaxError);
    expect(() => new Matcher(MatchType.Regexp, 'a', 'a(b')).toThrow(/missing closing \)/);
  });

  it('runs catastrophic patterns in linear time', () => {
    const m = new Matcher(MatchType.Regexp, 'a', '(a+)+b');
    const t0 = performance.now();
    expect(m.matches('a'.repeat(5000))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('fast paths agree with the regex engine', () => {
    const lit = fc.stringMatching(/^[a-c]{0,3}$/);
    const pattern = fc.oneof(
      fc.array(lit, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('|')),
      lit.map((x) => `${x}.*`),
      lit.map((x) => `(${x}|b)`),
      lit.map((x) => `${x}a?b*`),
    );
    fc.assert(
      fc.property(pattern, fc.stringMatching(/^[a-c]{0,5}$/), (p, s) => {
        const slow = new RegExp(`^(?:${p})$`, 's').test(s); // safe: patterns generated here, not user input
        expect(compileAnchored(p).test(s)).toBe(slow);
      }),
    );
  });
});
