import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { Block, compact, writeBlock, writeTombstones, Tombstones, type BlockMeta } from './index.js';
import { chunksOf, drain } from './block-fixtures.js';

const ALL = [new Matcher(MatchType.Regexp, '__name__', '.+')];
const A = Labels.fromStrings('__name__', 'm', 'i', 'a');
const B = Labels.fromStrings('__name__', 'm', 'i', 'b');
const C = Labels.fromStrings('__name__', 'm', 'i', 'c');

function range(from: number, to: number, step: number, v: (t: number) => number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t <= to; t += step) out.push([t, v(t)]);
  return out;
}

describe('compact', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-compact-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function block(mint: number, maxt: number, series: [Labels, [number, number][]][]): Promise<Block> {
    const meta = (await writeBlock({ dir, mint, maxt, series: series.map(([labels, s]) => ({ labels, chunks: chunksOf(s) })) }))!;
    return Block.open(join(dir, meta.ulid));
  }

  async function read(meta: BlockMeta): Promise<ReturnType<typeof drain>> {
    const b = await Block.open(join(dir, meta.ulid));
    const q = b.querier(-Infinity, Infinity);
    const out = drain(await q.select(ALL));
    await q.close();
    await b.close();
    return out;
  }

  it('merges adjacent blocks, copying chunks, with level, sources and parents', async () => {
    const b1 = await block(0, 7_200_000, [[A, range(0, 7_199_999, 15_000, (t) => t)], [B, range(0, 3_600_000, 60_000, () => 1)]]);
    const b2 = await block(7_200_000, 14_400_000, [[A, range(7_200_000, 14_399_999, 15_000, (t) => t)], [C, range(7_200_000, 7_300_000, 10_000, () => 2)]]);
    const meta = (await compact([b2, b1], { dir }))!;
    expect(meta.minTime).toBe(0);
    expect(meta.maxTime).toBe(14_400_000);
    expect(meta.compaction.level).toBe(2);
    expect(meta.compaction.sources).toEqual([b1.ulid, b2.ulid].sort());
    expect(meta.compaction.parents).toEqual([
      { ulid: b1.ulid, minTime: 0, maxTime: 7_200_000 },
      { ulid: b2.ulid, minTime: 7_200_000, maxTime: 14_400_000 },
    ]);
    expect(meta.stats.numSeries).toBe(3);
    expect(meta.stats.numChunks).toBe(b1.meta.stats.numChunks! + b2.meta.stats.numChunks!);
    const got = await read(meta);
    expect(got.map((g) => g.labels)).toEqual([A, B, C].map(String));
    expect(got[0]!.samples).toEqual(range(0, 14_399_999, 15_000, (t) => t));
    await b1.close();
    await b2.close();
  });

  it('merges overlapping blocks sample by sample, dropping duplicates', async () => {
    const b1 = await block(0, 1_000_000, [[A, range(0, 600_000, 10_000, (t) => t)]]);
    const b2 = await block(0, 1_000_000, [[A, range(300_000, 900_000, 5_000, (t) => -t)]]);
    const meta = (await compact([b1, b2], { dir }))!;
    const got = await read(meta);
    const want = new Map<number, number>();
    for (const [t, v] of range(300_000, 900_000, 5_000, (t) => -t)) want.set(t, v);
    for (const [t, v] of range(0, 600_000, 10_000, (t) => t)) want.set(t, v); // the earlier block wins ties
    expect(got[0]!.samples).toEqual([...want.entries()].sort((x, y) => x[0] - y[0]));
    expect(meta.stats.numSamples).toBe(want.size);
    for (const c of await chunkSizes(meta)) expect(c).toBeLessThanOrEqual(120);
    await b1.close();
    await b2.close();
  });

  it('drops deleted samples', async () => {
    const b1 = await block(0, 1_000_000, [[A, range(0, 100_000, 10_000, (t) => t)]]);
    const ref = b1.index.allPostings()[0]!;
    const ts = new Tombstones();
    ts.add(ref, { mint: 20_000, maxt: 50_000 });
    await writeTombstones(b1.dir, ts);
    await b1.close();
    const reopened = await Block.open(b1.dir);
    const meta = (await compact([reopened], { dir }))!;
    expect((await read(meta))[0]!.samples.map(([t]) => t)).toEqual([0, 10_000, 60_000, 70_000, 80_000, 90_000, 100_000]);
    await reopened.close();
  });

  it('writes no block when nothing is left', async () => {
    const b1 = await block(0, 1_000_000, [[A, range(0, 10_000, 10_000, (t) => t)]]);
    const ts = new Tombstones();
    ts.add(b1.index.allPostings()[0]!, { mint: -(2 ** 52), maxt: 2 ** 52 - 1 });
    await writeTombstones(b1.dir, ts);
    await b1.close();
    const reopened = await Block.open(b1.dir);
    expect(await compact([reopened], { dir })).toBeUndefined();
    await reopened.close();
  });

  async function chunkSizes(meta: BlockMeta): Promise<number[]> {
    const b = await Block.open(join(dir, meta.ulid));
    const out: number[] = [];
    for (const ref of b.index.allPostings()) for (const m of b.index.series(ref).chunks) out.push(b.chunks.chunk(m.ref).numSamples());
    await b.close();
    return out;
  }
});
