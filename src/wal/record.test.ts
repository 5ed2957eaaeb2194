import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RecordDecodeError,
  RecordEncoder,
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  recordType,
} from './index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The staleness marker's bits, built without model (wal imports only encoding).
const STALE = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

function bits(v: Float64Array, i: number): string {
  const w = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  return w[2 * i + 1]!.toString(16) + ':' + w[2 * i]!.toString(16);
}

describe('record encoding (Prometheus wal.md)', () => {
  it('encodes a series record', () => {
    const enc = new RecordEncoder();
    const got = enc.series([{ ref: 1, labels: ['__name__', 'up', 'job', 'x'] }]);
    expect(hex(got)).toBe(
      '01' + '0000000000000001' + '02' + '08' + Buffer.from('__name__').toString('hex') + '02' + Buffer.from('up').toString('hex') +
        '03' + Buffer.from('job').toString('hex') + '01' + Buffer.from('x').toString('hex'),
    );
    expect(decodeSeries(got)).toEqual([{ ref: 1, labels: ['__name__', 'up', 'job', 'x'] }]);
  });

  it('encodes a samples record with signed varint deltas and raw value bits', () => {
    const b = new SampleBatch(2);
    b.push(5, 1000, 1.5);
    b.push(6, 1005, STALE);
    b.push(5, 990, -2);
    const got = new RecordEncoder().samples(b);
    expect(hex(got)).toBe(
      '02' + '0000000000000005' + '00000000000003e8' +
        '00' + '00' + '3ff8000000000000' +
        '02' + '0a' + '7ff0000000000002' +
        '00' + '13' + 'c000000000000000',
    );
    const out = new SampleBatch(1);
    decodeSamples(got, out);
    expect(out.length).toBe(3);
    expect([...out.refs.subarray(0, 3)]).toEqual([5, 6, 5]);
    expect([...out.ts.subarray(0, 3)]).toEqual([1000, 1005, 990]);
    expect(bits(out.vs, 1)).toBe('7ff00000:2');
    expect(out.vs[0]).toBe(1.5);
    expect(out.vs[2]).toBe(-2);
  });

  it('encodes negative timestamps as two’s complement', () => {
    const b = new SampleBatch();
    b.push(1, -1, 0);
    const got = new RecordEncoder().samples(b);
    expect(hex(got.subarray(9, 17))).toBe('ffffffffffffffff');
    const out = new SampleBatch();
    decodeSamples(got, out);
    expect(out.ts[0]).toBe(-1);
  });

  it('encodes an empty samples record as the type byte alone', () => {
    expect(hex(new RecordEncoder().samples(new SampleBatch()))).toBe('02');
    const out = new SampleBatch();
    decodeSamples(new Uint8Array([2]), out);
    expect(out.length).toBe(0);
  });

  it('round-trips tombstones', () => {
    const enc = new RecordEncoder();
    const t = [
      { ref: 7, mint: -5, maxt: 1_700_000_000_000 },
      { ref: 2 ** 40, mint: 0, maxt: 0 },
    ];
    expect(decodeTombstones(enc.tombstones(t))).toEqual(t);
  });

  it.each([
    { name: 'series', rec: [1], want: RecordType.Series },
    { name: 'samples', rec: [2, 0], want: RecordType.Samples },
    { name: 'metadata', rec: [6], want: RecordType.Metadata },
    { name: 'empty', rec: [], want: RecordType.Unknown },
    { name: 'unknown', rec: [42], want: RecordType.Unknown },
  ])('recordType($name)', ({ rec, want }) => {
    expect(recordType(new Uint8Array(rec))).toBe(want);
  });

  it.each([
    { name: 'truncated series ref', rec: [1, 0, 0, 0], decode: decodeSeries },
    { name: 'label string past end', rec: [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 65], decode: decodeSeries },
    { name: 'truncated sample value', rec: [2, ...new Array(16).fill(0), 0, 0, 1, 2], decode: (r: Uint8Array) => decodeSamples(r, new SampleBatch()) },
    { name: 'wrong type', rec: [3], decode: decodeSeries },
  ])('rejects $name with RecordDecodeError', ({ rec, decode }) => {
    expect(() => decode(new Uint8Array(rec))).toThrow(RecordDecodeError);
  });

  it('round-trips random sample batches bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ref: fc.integer({ min: 0, max: 2 ** 40 }),
            t: fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
            hi: fc.nat({ max: 0xffffffff }),
            lo: fc.nat({ max: 0xffffffff }),
          }),
          { maxLength: 300 },
        ),
        (samples) => {
          const b = new SampleBatch(1);
          for (const s of samples) b.push(s.ref, s.t, 0);
          const w = new Uint32Array(b.vs.buffer);
          samples.forEach((s, i) => {
            w[2 * i + 1] = s.hi;
            w[2 * i] = s.lo;
          });
          const out = new SampleBatch(1);
          out.push(9, 9, 9); // decoding appends
          decodeSamples(new RecordEncoder().samples(b), out);
          expect(out.length).toBe(samples.length + 1);
          const ow = new Uint32Array(out.vs.buffer);
          samples.forEach((s, i) => {
            expect(out.refs[i + 1]).toBe(s.ref);
            expect(out.ts[i + 1]).toBe(s.t);
            expect([ow[2 * (i + 1) + 1], ow[2 * (i + 1)]]).toEqual([s.hi, s.lo]);
          });
        },
      ),
    );
  });

  it('round-trips series with UTF-8 labels', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ref: fc.nat(), labels: fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 8 }) })), (entries) => {
        const es = entries.map((e) => ({ ref: e.ref, labels: e.labels.length % 2 ? e.labels.slice(1) : e.labels }));
        expect(decodeSeries(new RecordEncoder().series(es))).toEqual(es);
      }),
    );
  });

  it('fuzz: decoding garbage throws RecordDecodeError or succeeds, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(1, 2, 3), (bytes, t) => {
        const rec = new Uint8Array([t, ...bytes]);
        try {
          if (t === 1) decodeSeries(rec);
          else if (t === 2) decodeSamples(rec, new SampleBatch(1));
          else decodeTombstones(rec);
        } catch (e) {
          expect(e).toBeInstanceOf(RecordDecodeError);
        }
      }),
    );
  });
});
