import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { hashMod, newRelabelConfig, relabel } from './index.js';
import type { RawRelabelConfig } from './index.js';

const L = (o: Record<string, string>): Labels => Labels.fromObject(o);

interface Case {
  readonly name: string;
  readonly input: Record<string, string>;
  readonly cfgs: readonly RawRelabelConfig[];
  readonly want: Record<string, string> | undefined;
}

const cases: readonly Case[] = [
  { name: 'replace with defaults copies the joined value', input: { a: 'foo', b: 'bar' }, cfgs: [{ source_labels: ['a', 'b'], target_label: 'c' }], want: { a: 'foo', b: 'bar', c: 'foo;bar' } },
  { name: 'replace with groups', input: { a: 'foo-bar' }, cfgs: [{ source_labels: ['a'], regex: '(.*)-(.*)', replacement: '$2.${1}', target_label: 'd' }], want: { a: 'foo-bar', d: 'bar.foo' } },
  { name: 'replace without match leaves labels', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: 'x(.*)', target_label: 'd' }], want: { a: 'foo' } },
  { name: 'replace is anchored', input: { a: 'foobar' }, cfgs: [{ source_labels: ['a'], regex: 'foo', target_label: 'd', replacement: 'y' }], want: { a: 'foobar' } },
  { name: 'replace $1x names a missing group', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: '(.*)', target_label: 'd', replacement: '$1x' }], want: { a: 'foo' } },
  { name: 'replace ${1}x', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: '(.*)', target_label: 'd', replacement: '${1}x' }], want: { a: 'foo', d: 'foox' } },
  { name: 'replace $$ is a dollar', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], target_label: 'd', replacement: '$$1' }], want: { a: 'foo', d: '$1' } },
  { name: 'replace named group', input: { a: 'k=v' }, cfgs: [{ source_labels: ['a'], regex: '(?P<key>[^=]+)=(?P<val>.*)', target_label: '${key}', replacement: '$val' }], want: { a: 'k=v', k: 'v' } },
  { name: 'replace with empty result deletes the target', input: { a: 'foo', d: 'old' }, cfgs: [{ source_labels: ['b'], target_label: 'd' }], want: { a: 'foo' } },
  { name: 'replace to an invalid expanded name deletes the template name', input: { a: '1bad', '$1': 'x' }, cfgs: [{ source_labels: ['a'], target_label: '$1', replacement: 'v' }], want: { a: '1bad' } },
  { name: 'replace from absent label matches (.*)', input: { a: 'foo' }, cfgs: [{ source_labels: ['zzz'], target_label: 'c', replacement: 'fixed' }], want: { a: 'foo', c: 'fixed' } },
  { name: 'replace with separator', input: { a: 'x', b: 'y' }, cfgs: [{ source_labels: ['a', 'b'], separator: '', target_label: 'c' }], want: { a: 'x', b: 'y', c: 'xy' } },
  { name: 'dot does not match newline', input: { a: 'x\ny' }, cfgs: [{ source_labels: ['a'], regex: 'x.y', action: 'drop' }], want: { a: 'x\ny' } },
  { name: 'keep matching', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }], want: { a: 'foo' } },
  { name: 'keep not matching', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: 'b.*', action: 'keep' }], want: undefined },
  { name: 'drop matching', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: 'foo|bar', action: 'drop' }], want: undefined },
  { name: 'drop absent label with empty regex', input: { a: 'foo' }, cfgs: [{ source_labels: ['b'], regex: '', action: 'drop' }], want: undefined },
  { name: 'action is case-insensitive', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], regex: 'foo', action: 'DROP' }], want: undefined },
  { name: 'keepequal equal', input: { a: 'x', b: 'x' }, cfgs: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }], want: { a: 'x', b: 'x' } },
  { name: 'keepequal differs', input: { a: 'x', b: 'y' }, cfgs: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }], want: undefined },
  { name: 'dropequal equal', input: { a: 'x', b: 'x' }, cfgs: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }], want: undefined },
  { name: 'dropequal both absent', input: { c: 'x' }, cfgs: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }], want: undefined },
  { name: 'hashmod', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], modulus: 1000, target_label: 'h', action: 'hashmod' }], want: { a: 'foo', h: String(hashMod('foo', 1000)) } },
  { name: 'labelmap', input: { __meta_x_a: '1', __meta_x_b: '2', c: '3' }, cfgs: [{ regex: '__meta_x_(.+)', action: 'labelmap' }], want: { __meta_x_a: '1', __meta_x_b: '2', a: '1', b: '2', c: '3' } },
  { name: 'labelmap with replacement', input: { foo: '1' }, cfgs: [{ regex: '(f)(o+)', replacement: '${2}_$1', action: 'labelmap' }], want: { foo: '1', oo_f: '1' } },
  { name: 'labeldrop', input: { a: '1', ab: '2', b: '3' }, cfgs: [{ regex: 'a.*', action: 'labeldrop' }], want: { b: '3' } },
  { name: 'labelkeep', input: { a: '1', ab: '2', b: '3' }, cfgs: [{ regex: 'a.*', action: 'labelkeep' }], want: { a: '1', ab: '2' } },
  { name: 'lowercase', input: { a: 'FoO', b: 'BÄR' }, cfgs: [{ source_labels: ['a', 'b'], target_label: 'l', action: 'lowercase' }], want: { a: 'FoO', b: 'BÄR', l: 'foo;bär' } },
  { name: 'uppercase keeps sharp s', input: { a: 'straße' }, cfgs: [{ source_labels: ['a'], target_label: 'u', action: 'uppercase' }], want: { a: 'straße', u: 'STRAßE' } },
  { name: 'uppercase of empty deletes', input: { u: 'x' }, cfgs: [{ source_labels: ['a'], target_label: 'u', action: 'uppercase' }], want: {} },
  { name: 'steps see earlier results', input: { a: 'foo' }, cfgs: [{ source_labels: ['a'], target_label: 'b' }, { source_labels: ['b'], regex: 'foo', action: 'drop' }], want: undefined },
];

describe('relabel', () => {
  it.each(cases)('$name', ({ input, cfgs, want }) => {
    const got = relabel(L(input), cfgs.map(newRelabelConfig));
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got?.toObject()).toEqual(want);
  });

  it('computes hashmod from the last 8 bytes of MD5', () => {
    // md5("foo") = acbd18db4cc2f85cedef654fccc4a4d8; low 64 bits = 0xedef654fccc4a4d8.
    const want = 0xedef654fccc4a4d8n;
    for (const m of [1, 7, 1000, 0x200000, 0x200001, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      expect(hashMod('foo', m)).toBe(Number(want % BigInt(m)));
    }
  });
});

const nameArb = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);
const lsetArb = fc.dictionary(nameArb, fc.string({ maxLength: 8 }), { maxKeys: 6 }).map(L);
const regexArb = fc.constantFrom('.*', 'a.*', '(a|b)', '[a-c]+', '', 'x?y*', '.+_.+');

describe('relabel properties', () => {
  it('keep and drop are complements', () => {
    fc.assert(
      fc.property(lsetArb, regexArb, fc.array(nameArb, { maxLength: 3 }), (ls, re, src) => {
        const keep = relabel(ls, [newRelabelConfig({ source_labels: src, regex: re, action: 'keep' })]);
        const drop = relabel(ls, [newRelabelConfig({ source_labels: src, regex: re, action: 'drop' })]);
        expect((keep === undefined) !== (drop === undefined)).toBe(true);
        if (keep !== undefined) expect(keep.equals(ls)).toBe(true);
      }),
    );
  });

  it('labeldrop and labelkeep partition the names', () => {
    fc.assert(
      fc.property(lsetArb, regexArb, (ls, re) => {
        const d = relabel(ls, [newRelabelConfig({ regex: re, action: 'labeldrop' })])!;
        const k = relabel(ls, [newRelabelConfig({ regex: re, action: 'labelkeep' })])!;
        expect([...d.names(), ...k.names()].sort()).toEqual(ls.names());
        d.forEach((n) => expect(k.has(n)).toBe(false));
      }),
    );
  });

  it('labelmap with the identity replacement keeps the set', () => {
    fc.assert(
      fc.property(lsetArb, regexArb, (ls, re) => {
        const out = relabel(ls, [newRelabelConfig({ regex: `(${re})`, replacement: '$1', action: 'labelmap' })])!;
        expect(out.equals(ls)).toBe(true);
      }),
    );
  });

  it('hashmod stays in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (v, m) => {
        const h = hashMod(v, m);
        expect(Number.isInteger(h) && h >= 0 && h < m).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary labels and replacements', () => {
    fc.assert(
      fc.property(lsetArb, fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (ls, repl, sep) => {
        const out = relabel(ls, [newRelabelConfig({ source_labels: ls.names().slice(0, 2), separator: sep, regex: '(.*)', target_label: 'out', replacement: repl })]);
        expect(out).toBeDefined();
      }),
    );
  });
});
