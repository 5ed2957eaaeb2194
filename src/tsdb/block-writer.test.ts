import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { Block, BlockCorruptionError, BlockWriter, writeBlock } from './index.js';
import { chunksOf, drain } from './block-fixtures.js';

const ALL = [new Matcher(MatchType.Regexp, '__name__', '.+')];

describe('block write and read', () => {
  let dir: string;
  const series = [
    { labels: Labels.fromStrings('__name__', 'a', 'job', 'x'), samples: Array.from({ length: 500 }, (_, i) => [i * 1000, i] as const) },
    { labels: Labels.fromStrings('__name__', 'a', 'job', 'y'), samples: Array.from({ length: 7 }, (_, i) => [i * 15_000 + 3, -i / 3] as const) },
    { labels: Labels.fromStrings('__name__', 'b'), samples: [[250_000, NaN] as const] },
  ];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-block-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a block Prometheus-shaped and reads it back', async () => {
    const meta = await writeBlock({
      dir,
      mint: 0,
      maxt: 7_200_000,
      series: series.map((s) => ({ labels: s.labels, chunks: chunksOf(s.samples) })),
    });
    expect(meta).toBeDefined();
    expect(meta!.stats).toEqual({ numSamples: 508, numSeries: 3, numChunks: 7 });
    expect(meta!.compaction).toEqual({ level: 1, sources: [meta!.ulid] });
    const entries = (await readdir(join(dir, meta!.ulid))).sort();
    expect(entries).toEqual(['chunks', 'index', 'meta.json', 'tombstones']);
    expect(await readdir(join(dir, meta!.ulid, 'chunks'))).toEqual(['000001']);
    expect([...(await readFile(join(dir, meta!.ulid, 'tombstones')))]).toEqual([0x01, 0x30, 0xba, 0x30, 1, 0, 0, 0, 0]);
    expect((await readdir(dir)).filter((n) => n.includes('tmp'))).toEqual([]);

    const b = await Block.open(join(dir, meta!.ulid));
    expect(b.meta).toEqual(meta);
    const q = b.querier(0, 10_000_000);
    const got = drain(await q.select(ALL));
    expect(got.map((g) => g.labels)).toEqual(series.map((s) => s.labels.toString()).sort());
    expect(got[0]!.samples).toEqual(series[0]!.samples);
    expect(got[2]!.samples[0]![1]).toBeNaN();
    expect(await q.labelValues('job', [])).toEqual(['x', 'y']);
    expect(await q.labelValues('job', [new Matcher(MatchType.Equal, 'job', 'y')])).toEqual(['y']);
    expect(await q.labelNames([new Matcher(MatchType.Equal, '__name__', 'b')])).toEqual(['__name__']);
    await q.close();

    // Time range: samples in [100_000, 130_000] only, chunks outside never read.
    const q2 = b.querier(100_000, 130_000);
    const part = drain(await q2.select(ALL));
    expect(part.map((p) => p.labels)).toEqual([series[0]!.labels.toString()]);
    expect(part[0]!.samples.map(([t]) => t)).toEqual(Array.from({ length: 31 }, (_, i) => 100_000 + i * 1000));
    await q2.close();
    await b.close();
  });

  it('seeks across chunks without reading the skipped ones', async () => {
    const meta = (await writeBlock({ dir, mint: 0, maxt: 1_000_000, series: [{ labels: series[0]!.labels, chunks: chunksOf(series[0]!.samples) }] }))!;
    const b = await Block.open(join(dir, meta.ulid));
    const q = b.querier(0, 1_000_000);
    const ss = await q.select(ALL);
    expect(ss.next()).toBe(true);
    const it = ss.at().iterator();
    expect(it.seek(-5)).toBe(ValueType.Float);
    expect(it.atT()).toBe(0);
    expect(it.seek(363_500)).toBe(ValueType.Float);
    expect(it.atT()).toBe(364_000);
    expect(it.seek(1000)).toBe(ValueType.Float);
    expect(it.atT()).toBe(364_000);
    expect(it.next()).toBe(ValueType.Float);
    expect(it.atT()).toBe(365_000);
    expect(it.seek(499_000)).toBe(ValueType.Float);
    expect(it.next()).toBe(ValueType.None);
    expect(it.seek(0)).toBe(ValueType.None);
    await q.close();
    await b.close();
  });

  it('cuts chunks reaching outside the block range', async () => {
    const meta = (await writeBlock({ dir, mint: 10_000, maxt: 20_000, series: [{ labels: series[0]!.labels, chunks: chunksOf(series[0]!.samples) }] }))!;
    expect(meta.stats.numSamples).toBe(10);
    const b = await Block.open(join(dir, meta.ulid));
    const q = b.querier(-Infinity, Infinity);
    expect(drain(await q.select(ALL))[0]!.samples.map(([t]) => t)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((x) => x * 1000));
    await q.close();
    await b.close();
  });

  it('reads chunks across page boundaries of the chunk cache', async () => {
    const meta = (await writeBlock({ dir, mint: 0, maxt: 1_000_000, series: series.map((s) => ({ labels: s.labels, chunks: chunksOf(s.samples, 37) })) }))!;
    for (const pageSize of [16, 100, 333]) {
      const b = await Block.open(join(dir, meta.ulid), { pageSize, cachePages: 2 });
      const q = b.querier(0, 1_000_000);
      const got = drain(await q.select(ALL));
      expect(got.map((g) => g.samples.length)).toEqual([500, 7, 1]);
      expect(got[0]!.samples).toEqual(series[0]!.samples);
      await q.close();
      await b.close();
    }
  });

  it('splits chunk files at the segment size', async () => {
    const meta = (await writeBlock({
      dir,
      mint: 0,
      maxt: 1_000_000,
      segmentSize: 200,
      series: series.map((s) => ({ labels: s.labels, chunks: chunksOf(s.samples, 20) })),
    }))!;
    const files = await readdir(join(dir, meta.ulid, 'chunks'));
    expect(files.length).toBeGreaterThan(3);
    const b = await Block.open(join(dir, meta.ulid));
    const q = b.querier(0, 1_000_000);
    expect(drain(await q.select(ALL))[0]!.samples.length).toBe(500);
    await q.close();
    await b.close();
  });

  it('writes nothing for a block without samples', async () => {
    const w = await BlockWriter.create({ dir, mint: 0, maxt: 10 });
    await w.addSeries(Labels.fromStrings('a', 'b'), chunksOf([[50, 1]]));
    expect(await w.commit()).toBeUndefined();
    expect((await readdir(dir)).some((n) => n.startsWith(w.ulid))).toBe(false);
  });

  it('rejects series out of order and aborts cleanly', async () => {
    const w = await BlockWriter.create({ dir, mint: 0, maxt: 1000 });
    await w.addSeries(Labels.fromStrings('a', '2'), chunksOf([[1, 1]]));
    await expect(w.addSeries(Labels.fromStrings('a', '1'), chunksOf([[1, 1]]))).rejects.toThrow(/out of order/);
    await w.abort();
    expect((await readdir(dir)).some((n) => n.startsWith(w.ulid))).toBe(false);
  });

  it.each([
    { name: 'a missing index', file: 'index', damage: async (p: string) => rm(p) },
    { name: 'a bad meta.json', file: 'meta.json', damage: async (p: string) => writeFile(p, '{"ulid": 3}') },
    { name: 'a flipped index byte', file: 'index', damage: async (p: string) => flip(p, 49) },
    { name: 'a bad chunk segment header', file: 'chunks/000001', damage: async (p: string) => flip(p, 0) },
    { name: 'bad tombstones', file: 'tombstones', damage: async (p: string) => flip(p, 6) },
  ])('reports $name as BlockCorruptionError', async ({ file, damage }) => {
    const meta = (await writeBlock({ dir, mint: 0, maxt: 1_000_000, series: [{ labels: series[1]!.labels, chunks: chunksOf(series[1]!.samples) }] }))!;
    await damage(join(dir, meta.ulid, file));
    const err = await Block.open(join(dir, meta.ulid)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BlockCorruptionError);
    expect((err as BlockCorruptionError).dir).toBe(join(dir, meta.ulid));
  });

  it('reports a corrupt chunk as an iterator error, not a crash', async () => {
    const meta = (await writeBlock({ dir, mint: 0, maxt: 1_000_000, series: [{ labels: series[1]!.labels, chunks: chunksOf(series[1]!.samples) }] }))!;
    await flip(join(dir, meta.ulid, 'chunks', '000001'), 20);
    const b = await Block.open(join(dir, meta.ulid));
    const q = b.querier(0, 1_000_000);
    const ss = await q.select(ALL);
    expect(ss.next()).toBe(true);
    const it = ss.at().iterator();
    expect(it.next()).toBe(ValueType.None);
    expect(it.err()?.message).toMatch(/checksum/);
    await q.close();
    await b.close();
  });
});

async function flip(path: string, at: number): Promise<void> {
  const b = await readFile(path);
  b[at] = b[at]! ^ 0xff;
  await writeFile(path, b);
}
