import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandTemplate, parseTemplate } from './index.js';

const groups = ['whole', 'one', null, 'three'];
const names = { key: 1, val: 3 };

describe('expandTemplate (Go regexp.Expand)', () => {
  it.each([
    ['$1', 'one'],
    ['${1}', 'one'],
    ['$1x', ''],
    ['${1}x', 'onex'],
    ['$2', ''],
    ['$9', ''],
    ['$0', 'whole'],
    ['$01', ''],
    ['$key-$val', 'one-three'],
    ['${key}_${val}', 'one_three'],
    ['$$', '$'],
    ['$$1', '$1'],
    ['$', '$'],
    ['a$', 'a$'],
    ['${', '${'],
    ['${1', '${1'],
    ['$-', '$-'],
    ['${}', '${}'],
    ['x$ü', 'x'],
    ['plain', 'plain'],
  ])('%s → %s', (tpl, want) => {
    expect(expandTemplate(parseTemplate(tpl), groups, names)).toBe(want);
  });

  it('never throws and keeps text without $', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = expandTemplate(parseTemplate(s), groups, names);
        if (!s.includes('$')) expect(out).toBe(s);
      }),
    );
  });
});
