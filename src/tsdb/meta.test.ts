import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockCorruptionError, decodeTombstones, encodeTombstones, formatMeta, isULID, newULID, parseMeta, Tombstones, ulidTime } from './index.js';

describe('ULID', () => {
  it('encodes time and sorts within a millisecond', () => {
    const a = newULID(1_704_067_200_000);
    const b = newULID(1_704_067_200_000);
    const c = newULID(1_704_067_200_001);
    expect(isULID(a)).toBe(true);
    expect(a < b && b < c).toBe(true);
    expect(ulidTime(a)).toBe(1_704_067_200_000);
    expect(newULID(0).slice(0, 10)).toBe('0000000000');
    expect(newULID(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
    expect(isULID('01M80B6XMTNPZW4PPT0TM2M8SZ')).toBe(true);
    expect(isULID('81M80B6XMTNPZW4PPT0TM2M8SZ')).toBe(false);
    expect(isULID('01M80B6XMTNPZW4PPT0TM2M8SU')).toBe(false);
  });
});

describe('meta.json', () => {
  it('formats as Prometheus does', () => {
    const text = formatMeta({
      ulid: '01M80B6XMTNPZW4PPT0TM2M8SZ',
      minTime: 1704067200000,
      maxTime: 1704067230001,
      stats: { numSamples: 6, numSeries: 4, numChunks: 4, numTombstones: 0 },
      compaction: { level: 1, sources: ['01M80B6XMTNPZW4PPT0TM2M8SZ'] },
      version: 1,
    });
    // Byte for byte what promtool 2.42 wrote for the same block.
    expect(text).toBe(
      '{\n\t"ulid": "01M80B6XMTNPZW4PPT0TM2M8SZ",\n\t"minTime": 1704067200000,\n\t"maxTime": 1704067230001,\n\t"stats": {\n\t\t"numSamples": 6,\n\t\t"numSeries": 4,\n\t\t"numChunks": 4\n\t},\n\t"compaction": {\n\t\t"level": 1,\n\t\t"sources": [\n\t\t\t"01M80B6XMTNPZW4PPT0TM2M8SZ"\n\t\t]\n\t},\n\t"version": 1\n}',
    );
    expect(parseMeta(text)).toEqual({
      ulid: '01M80B6XMTNPZW4PPT0TM2M8SZ',
      minTime: 1704067200000,
      maxTime: 1704067230001,
      stats: { numSamples: 6, numSeries: 4, numChunks: 4 },
      compaction: { level: 1, sources: ['01M80B6XMTNPZW4PPT0TM2M8SZ'] },
      version: 1,
    });
  });
  it('keeps unknown fields', () => {
    const m = parseMeta('{"ulid":"01M80B6XMTNPZW4PPT0TM2M8SZ","minTime":0,"maxTime":1,"compaction":{"level":2},"version":1,"thanos":{"labels":{}}}');
    expect(formatMeta(m)).toContain('"thanos"');
  });
  it.each([
    { name: 'not JSON', text: '{' },
    { name: 'bad ulid', text: '{"ulid":"x","minTime":0,"maxTime":1,"version":1}' },
    { name: 'bad version', text: '{"ulid":"01M80B6XMTNPZW4PPT0TM2M8SZ","minTime":0,"maxTime":1,"version":2}' },
    { name: 'a null parent', text: '{"ulid":"01M80B6XMTNPZW4PPT0TM2M8SZ","minTime":0,"maxTime":1,"version":1,"compaction":{"level":2,"parents":[null]}}' },
    { name: 'bad minTime', text: '{"ulid":"01M80B6XMTNPZW4PPT0TM2M8SZ","minTime":"0","maxTime":1,"version":1}' },
  ])('rejects $name', ({ text }) => {
    expect(() => parseMeta(text, '/d')).toThrow(BlockCorruptionError);
  });
});

describe('tombstones', () => {
  it('writes the empty file Prometheus writes', () => {
    expect(Buffer.from(encodeTombstones(new Tombstones())).toString('hex')).toBe('0130ba300100000000');
  });
  it('round-trips and merges intervals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.integer({ min: -1000, max: 1000 }), fc.nat(100))), (items) => {
        const t = new Tombstones();
        for (const [ref, mint, len] of items) t.add(ref, { mint, maxt: mint + len });
        const back = decodeTombstones(encodeTombstones(t));
        expect(back.entries()).toEqual(t.entries());
      }),
    );
  });
  it('reports random bytes as corruption, never crashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const buf = new Uint8Array([0x01, 0x30, 0xba, 0x30, 1, ...b]);
        try {
          decodeTombstones(buf);
        } catch (e) {
          expect(e).toBeInstanceOf(BlockCorruptionError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseMeta(text);
        } catch (e) {
          expect(e).toBeInstanceOf(BlockCorruptionError);
        }
      }),
    );
  });

  it('rejects a bad checksum', () => {
    const t = new Tombstones();
    t.add(3, { mint: 1, maxt: 2 });
    const b = encodeTombstones(t);
    b[6] = b[6]! ^ 1;
    expect(() => decodeTombstones(b)).toThrow(/checksum/);
  });
});
