import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BitReader, BitWriter, ChecksumError, DecBuf, DecodeError, EncBuf, crc32c, decodeUtf8, utf8Length } from './index.js';

describe('EncBuf/DecBuf', () => {
  it('writes big-endian integers and Go varints', () => {
    const b = new EncBuf(4);
    b.putBE16(0x0102);
    b.putBE32(0xdeadbeef);
    b.putBE64(2 ** 40 + 5);
    b.putUvarint(300);
    b.putVarint(-2);
    b.putUvarintStr('hé');
    expect(Buffer.from(b.get()).toString('hex')).toBe('0102' + 'deadbeef' + '0000010000000005' + 'ac02' + '03' + '0368c3a9');
    const d = new DecBuf(b.get());
    expect([d.be16(), d.be32(), d.be64(), d.uvarint(), d.varint(), d.uvarintStr()]).toEqual([0x0102, 0xdeadbeef, 2 ** 40 + 5, 300, -2, 'hé']);
    expect(d.remaining()).toBe(0);
  });

  it('round-trips random values', () => {
    const item = fc.oneof(
      fc.record({ k: fc.constant('u' as const), v: fc.maxSafeNat() }),
      fc.record({ k: fc.constant('s' as const), v: fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }) }),
      fc.record({ k: fc.constant('b' as const), v: fc.nat({ max: 0xffffffff }) }),
      fc.record({ k: fc.constant('t' as const), v: fc.string({ unit: 'grapheme' }) }),
    );
    fc.assert(
      fc.property(fc.array(item), (items) => {
        const b = new EncBuf(8);
        for (const x of items) {
          if (x.k === 'u') b.putUvarint(x.v);
          else if (x.k === 's') b.putVarint(x.v);
          else if (x.k === 'b') b.putBE32(x.v);
          else b.putUvarintStr(x.v);
        }
        const d = new DecBuf(b.get());
        for (const x of items) {
          const got = x.k === 'u' ? d.uvarint() : x.k === 's' ? d.varint() : x.k === 'b' ? d.be32() : d.uvarintStr();
          expect(got).toBe(x.v);
        }
        expect(d.remaining()).toBe(0);
      }),
    );
  });

  it.each([
    { name: 'be32 past the end', bytes: [1, 2, 3], read: (d: DecBuf) => d.be32(), offset: 0 },
    { name: 'truncated uvarint', bytes: [0x80, 0x80], read: (d: DecBuf) => d.uvarint(), offset: 0 },
    { name: 'string longer than the buffer', bytes: [5, 0x61], read: (d: DecBuf) => d.uvarintStr(), offset: 1 },
    { name: 'overlong uvarint', bytes: Array(11).fill(0xff), read: (d: DecBuf) => d.uvarint(), offset: 0 },
  ])('reports $name with its offset', ({ bytes, read, offset }) => {
    const d = new DecBuf(new Uint8Array(bytes));
    try {
      read(d);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).offset).toBe(offset);
    }
  });

  it('opens checksummed sections and rejects bad checksums', () => {
    const b = new EncBuf();
    b.putBE32(0);
    b.putBE32(7);
    b.putBE32At(0, 4);
    b.putCRC32C(4);
    const bytes = b.get().slice();
    expect(DecBuf.sectionAt(bytes, 0).be32()).toBe(7);
    bytes[5] = bytes[5]! ^ 1;
    expect(() => DecBuf.sectionAt(bytes, 0)).toThrow(ChecksumError);
    expect(() => DecBuf.sectionAt(bytes, 100)).toThrow(DecodeError);
  });

  it('counts UTF-8 bytes like TextEncoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const enc = new TextEncoder().encode(s);
        expect(utf8Length(s)).toBe(enc.length);
        expect(decodeUtf8(enc, 0, enc.length)).toBe(new TextDecoder().decode(enc));
      }),
    );
  });
});

describe('BitWriter.fromBytes', () => {
  it('continues exactly where a stream stopped', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 32 }), fc.nat())), fc.nat(), (items, cutAt) => {
        const cut = items.length === 0 ? 0 : cutAt % (items.length + 1);
        const whole = new BitWriter(4);
        for (const [n, v] of items) whole.writeBits(v, n);
        const first = new BitWriter(4);
        for (const [n, v] of items.slice(0, cut)) first.writeBits(v, n);
        const resumed = BitWriter.fromBytes(first.bytes(), first.freeBits());
        for (const [n, v] of items.slice(cut)) resumed.writeBits(v, n);
        expect(Buffer.from(resumed.bytes()).toString('hex')).toBe(Buffer.from(whole.bytes()).toString('hex'));
        const r = new BitReader(whole.bytes());
        for (const [n, v] of items) expect(r.readBits(n)).toBe((v >>> 0) % 2 ** n);
      }),
    );
  });
  it('crc32c is unchanged by the new buffers', () => {
    expect(crc32c(new Uint8Array([1, 0, 1, 0x40]))).toBe(crc32c(Buffer.from('01000140', 'hex')));
  });
});
