import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxhash64 } from './xxhash64.js';

// Expected values from the reference implementation's `xxhsum -H1` (Debian package xxhash).
describe('xxhash64', () => {
  it.each([
    ['', 0xef46db3751d8e999n],
    ['a', 0xd24ec4f1a98c6e5bn],
    ['abc', 0x44bc2cf5ad770999n],
    ['0123456789abcdef0123456789abcdef', 0x642a94958e71e6c5n],
    ['0123456789abcdef0123456789abcdef!', 0x8afff4daac4e677en],
    ['a'.repeat(100), 0x375041e8b1decfb3n],
    ['The quick brown fox jumps over the lazy dog, 0123456789!', 0xe7f33cf046a90de0n],
    ['héllo wörld ✓ 日本語 — long enough to pass thirty-two bytes', 0x4bc2cd1fd4006b74n],
  ])('hashes %j', (input, want) => {
    expect(xxhash64(input)).toBe(want);
  });

  it('hashes raw bytes, including ones that are not UTF-8', () => {
    const b = Buffer.from('__address__\xff127.0.0.1:9100\xffjob\xffnode\xff', 'latin1');
    expect(xxhash64(b)).toBe(0xd37a8e57c6c6a2ccn);
  });

  it('hashes a Uint8Array view the same as a copy of its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, pad) => {
        const big = new Uint8Array(bytes.length + pad);
        big.set(bytes, pad);
        const h = xxhash64(big.subarray(pad));
        expect(h).toBe(xxhash64(Buffer.from(bytes)));
        expect(h >= 0n && h < 1n << 64n).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
