import { describe, expect, it } from 'vitest';
import { crc32c } from '../../encoding/index.js';
import { ValueType } from '../../storage/index.js';
import { runChunkContract, fromBits } from './chunk.contract.js';
import { Encoding, XORChunk, chunkFromData, newChunk, OutOfOrderChunkSampleError, UnknownEncodingError } from './index.js';

runChunkContract({ name: 'XOR', newChunk: () => new XORChunk(), fromBytes: (b) => XORChunk.fromBytes(b) });

const GO_NAN = fromBits(0x7ff80000, 1); // math.NaN() in Go, what Prometheus's parsers return

function encodeHex(samples: readonly (readonly [number, number])[]): string {
  const c = new XORChunk();
  const a = c.appender();
  for (const [t, v] of samples) a.append(t, v);
  return Buffer.from(c.bytes()).toString('hex');
}

describe('XOR chunk bytes', () => {
  // Chunk data and CRC32C (over the encoding byte and data) as promtool 2.42 wrote them with
  // `tsdb create-blocks-from openmetrics` for the same samples.
  it.each([
    {
      name: 'two counter samples',
      samples: [[1704067200000, 1027], [1704067215000, 1030]] as const,
      hex: '000280d08fa5986340900c00000000009875e61d',
      crc: 0xde24bb8d,
    },
    { name: 'one sample (bstream pad byte)', samples: [[1704067200500, 3]] as const, hex: '0001e8d78fa59863400800000000000000', crc: 0xa63edc3c },
    { name: 'one large value', samples: [[1704067200000, 1e6]] as const, hex: '000180d08fa59863412e84800000000000', crc: 0x65a2e640 },
    {
      name: 'value then NaN',
      samples: [[1704067200000, 21.5], [1704067230000, GO_NAN]] as const,
      hex: '000280d08fa598634035800000000000b0ea01c5f7f9b0000000000020',
      crc: 0x6ab9e702,
    },
  ])('matches Prometheus for $name', ({ samples, hex, crc }) => {
    expect(encodeHex(samples)).toBe(hex);
    const data = Buffer.from(hex, 'hex');
    expect(crc32c(Buffer.concat([Buffer.from([Encoding.XOR]), data]))).toBe(crc);
  });

  // Computed by hand from chunks.md/bstream.md: t0 = 0 (varint 00), v0 = 0.0, delta 100000
  // (uvarint a0 8d 06), value bits '0' each; then the delta-of-delta bucket under test.
  it.each([
    { name: 'dod 0', dod: 0, tail: '0' },
    { name: 'dod +1 (14-bit bucket)', dod: 1, tail: '10' + '00000000000001' + '0' },
    { name: 'dod -1 (14-bit bucket)', dod: -1, tail: '10' + '11111111111111' + '0' },
    { name: 'dod 8192 (top of 14-bit)', dod: 8192, tail: '10' + '10000000000000' + '0' },
    { name: 'dod -8191 (bottom of 14-bit)', dod: -8191, tail: '10' + '10000000000001' + '0' },
    { name: 'dod 8193 (17-bit)', dod: 8193, tail: '110' + '00010000000000001' + '0' },
    { name: 'dod -8192 (17-bit)', dod: -8192, tail: '110' + '11110000000000000' + '0' },
    { name: 'dod 65537 (20-bit)', dod: 65537, tail: '1110' + '00010000000000000001' + '0' },
    { name: 'dod 524289 (64-bit)', dod: 524289, tail: '1111' + (524289).toString(2).padStart(64, '0') + '0' },
  ])('encodes $name', ({ dod, tail }) => {
    const samples = [[0, 0], [100_000, 0], [200_000 + dod, 0]] as const;
    // header, t0, v0, delta, '0' for v1, then the third sample
    let bits = '0000000000000011' + '00000000' + '0'.repeat(64) + '101000001000110100000110' + '0' + tail;
    const padded = bits.length % 8 === 0 ? bits : bits + '0'.repeat(8 - (bits.length % 8));
    bits = padded;
    const want = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2))).toString('hex');
    expect(encodeHex(samples)).toBe(want);
    const it = XORChunk.fromBytes(Buffer.from(want, 'hex')).iterator();
    const ts: number[] = [];
    while (it.next() === ValueType.Float) ts.push(it.atT());
    expect(ts).toEqual([0, 100_000, 200_000 + dod]);
  });

  it('reuses the leading/trailing window and writes 64 significant bits as 0', () => {
    // v: 1 → 3 sets a window; 3 → 1 fits it ('10' + bits); 1 → -1 flips the sign bit.
    const c = new XORChunk();
    const a = c.appender();
    for (const [t, v] of [[0, 1], [1, 3], [2, 1], [3, fromBits(0x80000000, 1)]] as const) a.append(t, v);
    const it = c.iterator();
    const got: number[] = [];
    while (it.next() === ValueType.Float) got.push(it.atF());
    expect(got.slice(0, 3)).toEqual([1, 3, 1]);
    expect(it.err()).toBeUndefined();
  });

  it('rejects samples older than the last one', () => {
    const c = new XORChunk();
    const a = c.appender();
    a.append(10, 1);
    expect(() => a.append(9, 1)).toThrow(OutOfOrderChunkSampleError);
  });

  it('builds chunks by encoding byte', () => {
    expect(newChunk(Encoding.XOR)).toBeInstanceOf(XORChunk);
    expect(chunkFromData(Encoding.XOR, new Uint8Array(2)).numSamples()).toBe(0);
    expect(() => chunkFromData(9, new Uint8Array(2))).toThrow(UnknownEncodingError);
  });
});

describe('XOR chunk buffers', () => {
  // Chunk buffers are views of shared slabs: chunks growing side by side must not disturb each other.
  it('keeps chunks growing in the same slab apart', () => {
    const samples = (s: number): [number, number][] =>
      Array.from({ length: 120 }, (_, i) => [1_704_067_200_000 + i * 15_000 + (i % 7 === 0 ? s : 0), s % 2 === 0 ? i * s : Math.sin(i + s)]);
    const alone = Array.from({ length: 300 }, (_, s) => encodeHex(samples(s)));
    const chunks = Array.from({ length: 300 }, () => new XORChunk());
    const apps = chunks.map((c) => c.appender());
    for (let i = 0; i < 120; i++) {
      for (let s = 0; s < 300; s++) apps[s]!.append(...samples(s)[i]!);
    }
    expect(chunks.map((c) => Buffer.from(c.bytes()).toString('hex'))).toEqual(alone);
  });

  it('compact moves the chunk into a buffer of its own with the same bytes', () => {
    const c = new XORChunk();
    const a = c.appender();
    for (let i = 0; i < 50; i++) a.append(i * 1000, i * 1.5);
    const before = Buffer.from(c.bytes()).toString('hex');
    c.compact();
    const b = c.bytes();
    expect(Buffer.from(b).toString('hex')).toBe(before);
    expect(b.buffer.byteLength).toBeLessThan(before.length);
    c.appender().append(50_000, 3);
    expect(c.numSamples()).toBe(51);
  });
});
