import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Labels, LabelsBuilder, compareStrings, quoteGo } from './index.js';

describe('Labels', () => {
  it('sorts, dedups (last wins) and drops empty values', () => {
    const l = Labels.fromStrings('b', '2', 'a', '1', 'b', '3', 'c', '');
    expect(l.toString()).toBe('{a="1", b="3"}');
    expect(l.length).toBe(2);
    expect(l.get('c')).toBe('');
    expect(l.has('c')).toBe(false);
  });

  it('compares like Prometheus labels.Compare', () => {
    const a = Labels.fromStrings('a', '1');
    const ab = Labels.fromStrings('a', '1', 'b', '1');
    const b = Labels.fromStrings('b', '0');
    expect(a.compare(ab)).toBeLessThan(0);
    expect(ab.compare(b)).toBeLessThan(0);
    expect(a.compare(Labels.fromStrings('a', '1'))).toBe(0);
  });

  it('keys never collide for different sets', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.string({ minLength: 1 })),
        fc.dictionary(fc.string({ minLength: 1 }), fc.string({ minLength: 1 })),
        (x, y) => {
          const a = Labels.fromObject(x);
          const b = Labels.fromObject(y);
          expect(a.key() === b.key()).toBe(a.equals(b));
        },
      ),
    );
  });

  it('builder sets, deletes and keeps', () => {
    const base = Labels.fromStrings('a', '1', 'b', '2', 'c', '3');
    const b = new LabelsBuilder(base).set('d', '4').del('a').set('b', '');
    expect(b.labels().toString()).toBe('{c="3", d="4"}');
    expect(new LabelsBuilder(base).keep('a', 'c').labels().toString()).toBe('{a="1", c="3"}');
    expect(new LabelsBuilder(base).labels()).toBe(base);
  });

  it('quotes like Go strconv.Quote', () => {
    expect(quoteGo('a"b\\c\nd\te')).toBe('"a\\"b\\\\c\\nd\\te"');
    expect(quoteGo('\x01')).toBe('"\\x01"');
    expect(quoteGo('héllo')).toBe('"héllo"');
  });
});

describe('compareStrings', () => {
  const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
  it.each([
    { a: 'a', b: 'b', want: -1 },
    { a: 'b', b: 'a', want: 1 },
    { a: 'abc', b: 'abc', want: 0 },
    { a: 'ab', b: 'abc', want: -1 },
    { a: '', b: 'a', want: -1 },
    // JS's UTF-16 order puts U+1F600 (a surrogate pair) before U+FF01; UTF-8 (Go) after.
    { a: '\u{1F600}', b: '\uFF01', want: 1 },
    { a: 'x\uE000', b: 'x\u{10000}', want: -1 },
    { a: '\u{10000}', b: '\u{10001}', want: -1 },
    { a: '\uD7FF', b: '\u{10000}', want: -1 },
  ])('$a vs $b', ({ a, b, want }) => {
    expect(compareStrings(a, b)).toBe(want);
    expect(Buffer.compare(utf8(a), utf8(b))).toBe(want);
  });

  it('agrees with the UTF-8 byte order for any well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite' }), fc.string({ unit: 'grapheme-composite' }), (a, b) => {
        expect(compareStrings(a, b)).toBe(Buffer.compare(utf8(a), utf8(b)));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(compareStrings(a, b)).toBe(Buffer.compare(utf8(a), utf8(b)));
      }),
      { numRuns: 5000 },
    );
  });

  it('orders label sets by it', () => {
    const x = Labels.fromStrings('a', '\u{1F600}');
    const y = Labels.fromStrings('a', '\uFF01');
    expect(x.compare(y)).toBeGreaterThan(0);
  });
});
