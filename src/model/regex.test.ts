import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileAnchored, compileUnanchored, memoized, type Regex } from './regex.js';

describe('memoized', () => {
  it('answers as the regex does, for repeated and new strings', () => {
    const patterns = ['^(oom_kill|pgpg|pswp|pg.*fault).*', '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+)($|/)', '(?i)eth[0-9]+', '^$'];
    fc.assert(
      fc.property(fc.constantFrom(...patterns), fc.array(fc.oneof(fc.constantFrom('pgfault', 'oom_kill', '/proc', '/sys/fs', 'ETH0', 'eth10', '', 'nr_free'), fc.string({ maxLength: 12 })), { maxLength: 40 }), (p, inputs) => {
        const r = compileUnanchored(p);
        const m = memoized(compileUnanchored(p), 8);
        for (const s of [...inputs, ...inputs]) expect(m.test(s)).toBe(r.test(s));
      }),
    );
  });

  it('matches each distinct string once, and again after `max` others', () => {
    const r = compileAnchored('a.*');
    let calls = 0;
    const counting: Regex = { ...r, test: (s) => (calls++, r.test(s)) };
    const m = memoized(counting, 3);
    for (const s of ['a1', 'b', 'a1', 'b', 'a1']) m.test(s);
    expect(calls).toBe(2);
    for (const s of ['c', 'd']) m.test(s); // the fourth distinct string drops the kept three
    expect(calls).toBe(4);
    expect(m.test('a1')).toBe(true);
    expect(calls).toBe(5);
    expect([m.source, m.prefix, m.setMatches]).toEqual([r.source, r.prefix, r.setMatches]);
  });
});
