import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BloomFilter, ItemSet, needleItems, tokenItems } from './token-filter.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

function itemsOf(line: string): Set<number> {
  const b = enc(line);
  return new Set(tokenItems(b, 0, b.length));
}

describe('token filter', () => {
  it.each([
    { name: 'request id after a dash', line: 'GET /api req-nd7q0042deadbeef done', needle: 'req-nd7q0042deadbeef', items: 1 },
    { name: 'ip address', line: 'from 10.1.22.3 port 80', needle: 'm 10.1.22.3 p', items: 4 },
    { name: 'json value', line: '{"level":"error","msg":"x"}', needle: '"level":"error"', items: 2 },
    { name: 'bare word gives nothing', line: 'connection timeout', needle: 'timeout', items: 0 },
    { name: 'case folded', line: 'User=ALICE', needle: 'user=Alice', items: 1 },
  ])('$name', ({ line, needle, items }) => {
    const want = needleItems(enc(needle));
    expect(want).toHaveLength(items);
    const have = itemsOf(line);
    for (const it of want) expect(have.has(it)).toBe(true);
  });

  it('rejects a line that lacks a needle token', () => {
    const have = itemsOf('GET /api req-nd7q0042deadbeef done');
    const want = needleItems(enc('x req-nd7q9999ffffffff'));
    expect(want.some((it) => !have.has(it))).toBe(true);
  });

  it('never loses a line: needle items are a subset of the items of every line holding it', () => {
    const alphabet = fc.constantFrom(...'aZ09-_./:= "\n\u00e9\u4e2dQk'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), fc.nat(), fc.nat(), (chars, a, b) => {
        const line = chars.join('');
        const i = line.length === 0 ? 0 : a % line.length;
        const j = i + (line.length === 0 ? 0 : b % (line.length - i + 1));
        const needle = line.slice(i, j);
        const have = itemsOf(line);
        // Case folding: the needle may differ in ASCII case from the line.
        const upper = needle.replace(/[a-z]/g, (c) => c.toUpperCase());
        for (const n of [needle, upper]) for (const it of needleItems(enc(n))) expect(have.has(it)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('bloom filter has no false negatives and few false positives', () => {
    const set = new ItemSet(16);
    for (let i = 1; i <= 5000; i++) set.add(Math.imul(i, 2654435761) >>> 0 || 1);
    const f = BloomFilter.decode(BloomFilter.build(set, 8).encode());
    set.forEach((it) => expect(f.mayContain(it)).toBe(true));
    let fp = 0;
    for (let i = 0; i < 20000; i++) if (f.mayContain((Math.imul(i + 100000, 40503) ^ 0x5bd1e995) >>> 0 || 1)) fp++;
    expect(fp / 20000).toBeLessThan(0.05);
  });

  it('item set grows and keeps distinct items', () => {
    const s = new ItemSet(1);
    for (let i = 1; i <= 10000; i++) s.add((i % 3000) + 1);
    expect(s.size).toBe(3000);
    expect(s.has(2999)).toBe(true);
    expect(s.has(3002)).toBe(false);
  });
});
