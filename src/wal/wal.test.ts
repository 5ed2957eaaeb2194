import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32c } from '../encoding/index.js';
import { Registry } from '../instrument/index.js';
import {
  CorruptionError,
  PAGE_SIZE,
  RECORD_HEADER_SIZE,
  SegmentListError,
  Wal,
  WalClosedError,
  WalReader,
  listSegments,
  segmentName,
} from './index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-wal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rec(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

// sig summarises records for comparisons whose failure diff stays small.
function sig(recs: readonly Uint8Array[]): string[] {
  return recs.map((r) => `${r.length}:${crc32c(r).toString(16)}`);
}

function readAll(dir: string, from?: number): { records: Uint8Array[]; err: Error | undefined; where: [number, number][] } {
  const r = new WalReader({ dir, from });
  const records: Uint8Array[] = [];
  const where: [number, number][] = [];
  while (r.next()) {
    records.push(new Uint8Array(r.record()));
    where.push([r.segment(), r.offset()]);
  }
  r.close();
  return { records, err: r.err(), where };
}

describe('Wal page layout', () => {
  it('writes a small record as one full fragment with type, length and CRC-32C', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, compression: 'none' });
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    w.logSync([payload]);
    const bytes = readFileSync(join(dir, '00000000'));
    expect(bytes.length).toBe(RECORD_HEADER_SIZE + 5);
    expect(bytes[0]).toBe(1); // full
    expect(bytes.readUInt16BE(1)).toBe(5);
    expect(bytes.readUInt32BE(3)).toBe(crc32c(payload));
    expect([...bytes.subarray(7)]).toEqual([1, 2, 3, 4, 5]);
    await w.close();
    // Close pads the last page with zeros.
    expect(statSync(join(dir, '00000000')).size).toBe(PAGE_SIZE);
  });

  it('splits a record across pages as first/middle/last fragments', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, compression: 'none' });
    const big = rec(2 * PAGE_SIZE + 100, 1);
    w.logSync([big]);
    await w.close();
    const bytes = readFileSync(join(dir, '00000000'));
    expect(bytes[0]).toBe(2);
    expect(bytes.readUInt16BE(1)).toBe(PAGE_SIZE - RECORD_HEADER_SIZE);
    expect(bytes[PAGE_SIZE]).toBe(3);
    expect(bytes[2 * PAGE_SIZE]).toBe(4);
    expect(bytes.readUInt16BE(2 * PAGE_SIZE + 1)).toBe(big.length - 2 * (PAGE_SIZE - RECORD_HEADER_SIZE));
    expect(sig(readAll(dir).records)).toEqual(sig([big]));
  });

  it('pads a page when fewer than header+1 bytes remain', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, compression: 'none' });
    // Leave exactly 7 bytes in the first page.
    w.logSync([rec(PAGE_SIZE - 2 * RECORD_HEADER_SIZE, 2)]);
    w.logSync([rec(10, 3)]);
    await w.close();
    const bytes = readFileSync(join(dir, '00000000'));
    expect([...bytes.subarray(PAGE_SIZE - 7, PAGE_SIZE)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(bytes[PAGE_SIZE]).toBe(1);
    expect(readAll(dir).records.map((r) => r.length)).toEqual([PAGE_SIZE - 14, 10]);
  });

  it('never splits a record across segments and pads closed segments to whole pages', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, segmentSize: 2 * PAGE_SIZE, compression: 'none' });
    const recs = [rec(PAGE_SIZE, 1), rec(PAGE_SIZE, 2), rec(100, 3), rec(3 * PAGE_SIZE, 4), rec(5, 5)];
    for (const r of recs) w.logSync([r]);
    await w.close();
    const segs = listSegments(dir);
    expect(segs.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    for (const s of segs) expect(statSync(s.path).size % PAGE_SIZE).toBe(0);
    const got = readAll(dir);
    expect(got.err).toBeUndefined();
    expect(sig(got.records)).toEqual(sig(recs));
    // The oversized record fills a segment of its own.
    expect(got.where.map(([s]) => s)).toEqual([0, 1, 1, 2, 3]);
  });

  it('continues in a new segment after reopening', async () => {
    const dir = tmp();
    let w = Wal.open({ dir });
    w.logSync([rec(10, 1)]);
    await w.close();
    w = Wal.open({ dir });
    expect(w.currentSegment()).toBe(1);
    w.logSync([rec(20, 2)]);
    await w.close();
    expect(sig(readAll(dir).records)).toEqual(sig([rec(10, 1), rec(20, 2)]));
  });

  it('rejects calls after close and bad options', async () => {
    const dir = tmp();
    const w = Wal.open({ dir });
    await w.close();
    expect(() => w.logSync([rec(1, 1)])).toThrow(WalClosedError);
    expect(() => Wal.open({ dir, segmentSize: 1000 })).toThrow(/segmentSize/);
  });

  it('refuses a directory with a gap in the segment numbers', () => {
    const dir = tmp();
    writeFileSync(join(dir, segmentName(0)), '');
    writeFileSync(join(dir, segmentName(2)), '');
    expect(() => Wal.open({ dir })).toThrow(SegmentListError);
  });
});

describe('Wal round trip', () => {
  it.each([
    { name: 'uncompressed', compression: 'none' as const },
    { name: 'snappy', compression: 'snappy' as const },
  ])('reads back what was logged ($name)', async ({ compression }) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ len: fc.oneof(fc.nat(200), fc.nat(3 * PAGE_SIZE)), seed: fc.nat(), batch: fc.boolean() }), { maxLength: 30 }),
        async (spec) => {
          const dir = tmp();
          const w = Wal.open({ dir, segmentSize: 4 * PAGE_SIZE, compression });
          const want: Uint8Array[] = [];
          for (let i = 0; i < spec.length; i++) {
            const s = spec[i]!;
            // Half of the records are compressible (repeated bytes).
            const r = s.seed % 2 === 0 ? rec(s.len, s.seed) : new Uint8Array(s.len).fill(s.seed & 0xff);
            if (s.batch) w.logSync([r, r]);
            else await w.log([r]);
            want.push(r);
            if (s.batch) want.push(r);
          }
          await w.close();
          const got = readAll(dir);
          expect(got.err).toBeUndefined();
          expect(sig(got.records)).toEqual(sig(want));
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('resolves log() after an fsync with the always policy', async () => {
    const dir = tmp();
    const reg = new Registry();
    const w = Wal.open({ dir, sync: 'always', registry: reg });
    await Promise.all([w.log([rec(10, 1)]), w.log([rec(10, 2)]), w.log([rec(10, 3)])]);
    await w.close();
    expect(readAll(dir).records.length).toBe(3);
    const text = reg.expose();
    expect(text).toMatch(/prometheus_tsdb_wal_fsync_duration_seconds_count [1-9]/);
    expect(text).toMatch(/prometheus_tsdb_wal_segment_current 0/);
    expect(text).toMatch(/prometheus_tsdb_wal_storage_size_bytes 32768/);
  });
});

describe('Wal corruption', () => {
  async function writeSome(dir: string, n: number, segmentSize = 4 * PAGE_SIZE): Promise<Uint8Array[]> {
    const w = Wal.open({ dir, segmentSize, compression: 'none' });
    const recs: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const r = rec(50 + ((i * 7919) % 9000), i);
      recs.push(r);
      w.logSync([r]);
    }
    // No close: the last segment keeps its partial page, as after a crash.
    return recs;
  }

  it('reports a torn tail at the end of the last intact record, at every cut', async () => {
    const dir = tmp();
    const recs = await writeSome(dir, 12, 64 * PAGE_SIZE);
    const seg = join(dir, '00000000');
    const full = readFileSync(seg);
    const ends = readAll(dir).where.map(([, off]) => off);
    for (let cut = 1; cut < full.length; cut += 997) {
      writeFileSync(seg, full.subarray(0, cut));
      const got = readAll(dir);
      const intact = ends.filter((_, i) => (i + 1 < ends.length ? ends[i + 1]! : full.length) <= cut).length;
      // Records that ended before the cut are all there.
      expect(got.records.length).toBeGreaterThanOrEqual(intact - 1);
      expect(sig(got.records)).toEqual(sig(recs.slice(0, got.records.length)));
      if (got.err) {
        expect(got.err).toBeInstanceOf(CorruptionError);
        const ce = got.err as CorruptionError;
        expect(ce.segment).toBe(0);
        expect(ce.offset).toBe(ends[got.records.length]);
      }
    }
  });

  it('repairs a torn tail so replay ends cleanly and writing resumes', async () => {
    const dir = tmp();
    const recs = await writeSome(dir, 10);
    const segs = listSegments(dir);
    const last = segs[segs.length - 1]!;
    truncateSync(last.path, statSync(last.path).size - 3);
    const got = readAll(dir);
    expect(got.err).toBeInstanceOf(CorruptionError);
    const w = Wal.open({ dir, compression: 'none' });
    w.repair(got.err as CorruptionError);
    const after = readAll(dir);
    expect(after.err).toBeUndefined();
    expect(sig(after.records)).toEqual(sig(recs.slice(0, -1)));
    w.logSync([rec(5, 99)]);
    await w.close();
    expect(sig(readAll(dir).records)).toEqual(sig([...recs.slice(0, -1), rec(5, 99)]));
  });

  it('reports a damaged middle segment; after repair the later segments still replay', async () => {
    const dir = tmp();
    const recs = await writeSome(dir, 60, 2 * PAGE_SIZE);
    const segs = listSegments(dir);
    expect(segs.length).toBeGreaterThan(3);
    const all = readAll(dir);
    // Flip a byte inside the second record of segment 1.
    const inSeg1 = all.where.map(([s, o], i) => ({ s, o, i })).filter((x) => x.s === 1);
    const victim = inSeg1[1]!;
    const bytes = readFileSync(segs[1]!.path);
    bytes[victim.o + RECORD_HEADER_SIZE + 3]! ^= 0xff;
    writeFileSync(segs[1]!.path, bytes);
    const got = readAll(dir);
    expect(got.err).toBeInstanceOf(CorruptionError);
    const ce = got.err as CorruptionError;
    expect({ segment: ce.segment, offset: ce.offset, dir: ce.dir }).toEqual({ segment: 1, offset: victim.o, dir });
    expect(ce.message).toMatch(/checksum mismatch/);
    expect(sig(got.records)).toEqual(sig(recs.slice(0, victim.i)));
    const w = Wal.open({ dir });
    w.repair(ce);
    await w.close();
    const rest = readAll(dir, 2);
    expect(rest.err).toBeUndefined();
    const firstOf2 = all.where.findIndex(([s]) => s === 2);
    expect(sig(rest.records)).toEqual(sig(recs.slice(firstOf2)));
    expect(sig(readAll(dir).records.slice(0, victim.i))).toEqual(sig(recs.slice(0, victim.i)));
  });

  it.each([
    { name: 'bad type byte', patch: (b: Buffer) => (b[0] = 0x07), detail: /invalid fragment type/ },
    { name: 'length beyond page', patch: (b: Buffer) => b.writeUInt16BE(PAGE_SIZE, 1), detail: /exceeds the page/ },
    { name: 'middle without first', patch: (b: Buffer) => (b[0] = 3), detail: /unexpected middle/ },
    { name: 'garbage in padding', patch: (b: Buffer) => (b[PAGE_SIZE - 1] = 1), detail: /non-zero byte in padded page/ },
  ])('reports $name as corruption at offset 0', async ({ patch, detail }) => {
    const dir = tmp();
    const w = Wal.open({ dir, compression: 'none' });
    w.logSync([rec(100, 1)]);
    await w.close();
    const p = join(dir, '00000000');
    const bytes = readFileSync(p);
    if (detail.source.includes('padded')) {
      // Corrupt only the padding: the record itself reads, then the padding fails.
      patch(bytes);
      writeFileSync(p, bytes);
      const got = readAll(dir);
      expect(got.records.length).toBe(1);
      expect((got.err as CorruptionError).offset).toBe(107);
      expect(got.err?.message).toMatch(detail);
      return;
    }
    patch(bytes);
    writeFileSync(p, bytes);
    const got = readAll(dir);
    expect(got.records).toEqual([]);
    expect(got.err).toBeInstanceOf(CorruptionError);
    expect((got.err as CorruptionError).offset).toBe(0);
    expect(got.err?.message).toMatch(detail);
  });

  it('fuzz: arbitrary bytes never crash the reader', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 * PAGE_SIZE }), (bytes) => {
        const dir = tmp();
        writeFileSync(join(dir, '00000000'), bytes);
        const got = readAll(dir);
        if (got.err) expect(got.err).toBeInstanceOf(CorruptionError);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 200 },
    );
  });
});

describe('Wal segments', () => {
  it('truncate deletes older segments and nextSegment closes the current one', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, compression: 'none' });
    w.logSync([rec(10, 1)]);
    expect(w.nextSegment()).toBe(1);
    w.logSync([rec(10, 2)]);
    expect(w.nextSegment()).toBe(2);
    expect(w.nextSegment()).toBe(2); // nothing written yet: already new
    w.logSync([rec(10, 3)]);
    w.truncate(2);
    expect(readdirSync(dir).sort()).toEqual(['00000002']);
    expect(w.size()).toBe(RECORD_HEADER_SIZE + 10);
    await w.close();
    expect(sig(readAll(dir).records)).toEqual(sig([rec(10, 3)]));
  });
});
