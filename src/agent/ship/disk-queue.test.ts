import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchFormat, BodyCompression, DiskQueue, decodeRecord, encodeRecord, type SealedBatch } from './disk-queue.js';
import { QueueRecordError, ShipOptionError } from './errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-queue-'));
  dirs.push(d);
  return d;
}

function batch(seq: number, size = 1000): SealedBatch {
  return { seq, entries: seq * 10, format: BatchFormat.VigilNdjson, compression: BodyCompression.None, positions: { src: seq }, body: Buffer.alloc(size, seq % 251) };
}

describe('DiskQueue', () => {
  it('round-trips records', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 1e6 }), fc.dictionary(fc.string(), fc.jsonValue()), fc.uint8Array({ maxLength: 300 }), (seq, entries, positions, body) => {
        const b: SealedBatch = { seq, entries, format: BatchFormat.LokiJson, compression: BodyCompression.Gzip, positions, body: Buffer.from(body) };
        const d = decodeRecord(encodeRecord(b), 'd', 0, 0, true);
        expect(d).toMatchObject({ seq, entries, format: b.format, compression: b.compression, bodyBytes: body.length });
        expect(d.positions).toEqual(JSON.parse(JSON.stringify(positions)));
        expect(Buffer.compare(d.body!, b.body)).toBe(0);
      }),
    );
  });

  it.each([
    { name: 'empty', rec: Buffer.alloc(0), detail: /too short/ },
    { name: 'bad version', rec: Buffer.from([9, 1, 1, 0, 0, 0]), detail: /version 9/ },
    { name: 'bad format', rec: Buffer.from([1, 1, 1, 7, 0, 0]), detail: /format 7/ },
    { name: 'positions past the end', rec: Buffer.from([1, 1, 1, 0, 0, 50, 123]), detail: /run past/ },
    { name: 'positions not JSON', rec: Buffer.from([1, 1, 1, 0, 0, 2, 123, 123]), detail: /not valid JSON/ },
    { name: 'positions not an object', rec: Buffer.from([1, 1, 1, 0, 0, 2, 91, 93]), detail: /not a JSON object/ },
  ])('refuses a bad record: $name', ({ rec, detail }) => {
    expect(() => decodeRecord(rec, 'q', 3, 4096, false)).toThrow(QueueRecordError);
    expect(() => decodeRecord(rec, 'q', 3, 4096, false)).toThrow(detail);
  });

  it('fuzz: random records never throw anything but QueueRecordError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeRecord(bytes, 'q', 0, 0, true);
        } catch (e) {
          expect(e).toBeInstanceOf(QueueRecordError);
        }
      }),
    );
  });

  it('reopens with the undelivered batches, skipping acknowledged ones, bodies read back from disk', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 128 * 1024, fsync: false });
    for (let s = 1; s <= 300; s++) await q.append(batch(s));
    q.ack(1);
    q.ack(2);
    await q.close();
    const q2 = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 128 * 1024, ackedSeq: 2 });
    expect(q2.length).toBe(298);
    expect(q2.lastSeq).toBe(300);
    let n = 3;
    for (let b = q2.head(); b !== undefined; b = q2.head()) {
      expect(b.seq).toBe(n);
      expect(b.positions).toEqual({ src: n });
      expect(Buffer.compare(q2.body(b), Buffer.alloc(1000, n % 251))).toBe(0);
      q2.ack(b.seq);
      n++;
    }
    expect(n).toBe(301);
    // Acknowledged segments are gone; only the (empty) segment being written may stay.
    expect(readdirSync(dir).length).toBeLessThanOrEqual(1);
    await q2.close();
  });

  it('cuts a torn tail and keeps the intact batches', async () => {
    const dir = tmp();
    const q = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 128 * 1024, fsync: false });
    for (let s = 1; s <= 5; s++) await q.append(batch(s, 5000));
    await q.close();
    const seg = join(dir, readdirSync(dir).sort()[0]!);
    truncateSync(seg, 3 * 5030); // inside the fourth batch
    appendFileSync(seg, Buffer.from([1, 0, 9, 9, 9, 9]));
    const q2 = DiskQueue.open({ dir, maxBytes: 1 << 20, segmentBytes: 128 * 1024 });
    expect([...q2.pending()].map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(statSync(seg).size).toBeLessThan(3 * 5030);
    await q2.append(batch(6));
    expect([...q2.pending()].map((b) => b.seq)).toEqual([1, 2, 3, 6]);
    await q2.close();
  });

  it.each([
    { name: 'tiny cap', opts: { maxBytes: 1000 }, option: 'maxBytes' },
    { name: 'odd segment', opts: { maxBytes: 1 << 20, segmentBytes: 100_000 }, option: 'segmentBytes' },
    { name: 'segment over half the cap', opts: { maxBytes: 1 << 20, segmentBytes: 1 << 20 }, option: 'segmentBytes' },
  ])('refuses $name', ({ opts, option }) => {
    expect(() => DiskQueue.open({ dir: tmp(), ...opts })).toThrow(ShipOptionError);
    try {
      DiskQueue.open({ dir: tmp(), ...opts });
    } catch (e) {
      expect((e as ShipOptionError).option).toBe(option);
    }
  });
});
