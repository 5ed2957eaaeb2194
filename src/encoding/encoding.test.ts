import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BitReader, BitWriter, crc32c, putUvarint, putVarint, readUvarint, readVarint } from './index.js';

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it('continues across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (b, cut) => {
        const k = Math.min(cut, b.length);
        expect(crc32c(b, k, b.length, crc32c(b, 0, k))).toBe(crc32c(b));
      }),
    );
  });
});

describe('varint', () => {
  it('writes Go uvarint bytes', () => {
    const b = new Uint8Array(10);
    expect(putUvarint(b, 0, 300)).toBe(2);
    expect([...b.subarray(0, 2)]).toEqual([0xac, 0x02]);
    expect(putVarint(b, 0, -1)).toBe(1);
    expect(b[0]).toBe(1);
  });
  it('round-trips safe integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), fc.maxSafeNat(), (s, u) => {
        const b = new Uint8Array(20);
        let off = putVarint(b, 0, s);
        off = putUvarint(b, off, u);
        const cur = { off: 0 };
        expect(readVarint(b, cur)).toBe(s);
        expect(readUvarint(b, cur)).toBe(u);
        expect(cur.off).toBe(off);
      }),
    );
  });
});

describe('bstream', () => {
  it('round-trips mixed bit widths', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.nat())), (items) => {
        const w = new BitWriter(4);
        for (const [n, v] of items) w.writeBits(v, n);
        const r = new BitReader(w.bytes(), items.reduce((a, [n]) => a + n, 0));
        for (const [n, v] of items) {
          const mask = n === 32 ? 0xffffffff : 2 ** n - 1;
          expect(r.readBits(n)).toBe((v >>> 0) % (mask + 1));
        }
        expect(r.remaining()).toBe(0);
      }),
    );
  });
  it('writes most significant bit first', () => {
    const w = new BitWriter();
    w.writeBit(1);
    w.writeBits(0b0101, 4);
    expect([...w.bytes()]).toEqual([0b10101000]);
    expect(w.freeBits()).toBe(3);
  });
});
