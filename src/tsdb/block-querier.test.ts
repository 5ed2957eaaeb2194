import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { BlockQuerier, BlockSeries } from './block-querier.js';
import { Block } from './block-reader.js';
import { writeBlock, type ChunkMeta } from './block-writer.js';
import { postingsForMatchers } from './index/index.js';
import { Tombstones } from './tombstones.js';
import type { ChunkReader } from './chunks-reader.js';
import { Encoding, newChunk, type Chunk } from './chunkenc/index.js';
import type { ChunkMetaRef } from './index/index.js';
import type { Interval } from './tombstones.js';

// A series of `chunks` XOR chunks of `per` samples each at 10 ms spacing, read through a
// stand-in chunk reader (chunk refs are indexes).
function series(chunks: number, per: number, mint: number, maxt: number, deleted?: Interval[]): { s: BlockSeries; all: number[] } {
  const cs: Chunk[] = [];
  const metas: ChunkMetaRef[] = [];
  const all: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const ch = newChunk(Encoding.XOR);
    const app = ch.appender();
    for (let k = 0; k < per; k++) {
      const t = (c * per + k) * 10;
      app.append(t, t / 10);
      all.push(t);
    }
    cs.push(ch);
    metas.push({ mint: c * per * 10, maxt: (c * per + per - 1) * 10, ref: c });
  }
  const reader = { chunk: (ref: number) => cs[ref]! } as unknown as ChunkReader;
  const kept = metas.filter((m) => m.maxt >= mint && m.mint <= maxt);
  return { s: new BlockSeries(Labels.EMPTY, reader, kept, mint, maxt, deleted), all };
}

function walk(s: BlockSeries, seekTo?: number): number[] {
  const it = s.iterator();
  const out: number[] = [];
  let vt = seekTo === undefined ? it.next() : it.seek(seekTo);
  for (; vt !== ValueType.None; vt = it.next()) {
    out.push(it.atT());
    expect(it.atF()).toBe(it.atT() / 10);
  }
  expect(it.err()).toBeUndefined();
  return out;
}

// readFloats' answer as timestamps (values checked against them).
function bulk(s: BlockSeries, mint: number, maxt: number): number[] {
  const it = s.iterator();
  const out: number[] = [];
  const vt = it.readFloats!(mint, maxt, {
    push(t, v) {
      expect(v).toBe(t / 10);
      out.push(t);
    },
  });
  expect(vt).toBe(ValueType.None);
  expect(it.err()).toBeUndefined();
  return out;
}

describe('BlockSeriesIterator', () => {
  it.each([
    { name: 'whole range', chunks: 3, per: 5, mint: 0, maxt: 1e9, deleted: undefined },
    { name: 'range cuts the first and last chunk', chunks: 4, per: 5, mint: 35, maxt: 155, deleted: undefined },
    { name: 'range inside one chunk', chunks: 3, per: 10, mint: 120, maxt: 170, deleted: undefined },
    { name: 'deleted interval across a chunk border', chunks: 3, per: 5, mint: 0, maxt: 1e9, deleted: [{ mint: 30, maxt: 70 }] },
    { name: 'deleted and cut', chunks: 4, per: 5, mint: 25, maxt: 175, deleted: [{ mint: 0, maxt: 40 }, { mint: 100, maxt: 100 }] },
  ])('$name: next and seek see exactly the samples in range and not deleted', ({ chunks, per, mint, maxt, deleted }) => {
    const { s, all } = series(chunks, per, mint, maxt, deleted);
    const want = all.filter((t) => t >= mint && t <= maxt && !(deleted ?? []).some((d) => t >= d.mint && t <= d.maxt));
    expect(walk(s)).toEqual(want);
    for (const t of [mint - 5, mint, mint + 15, 90, maxt - 20, maxt]) expect(walk(s, t)).toEqual(want.filter((x) => x >= t));
    for (const [a, b] of [[mint - 5, maxt], [mint, maxt - 20], [mint + 15, 95], [-100, 1e9]] as const) {
      expect(bulk(s, a, b)).toEqual(want.filter((x) => x > a && x <= b));
    }
  });

  it('agrees with a filter for any range, deletions and seek target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -20, max: 700 }),
        fc.integer({ min: 0, max: 700 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 60 })), { maxLength: 3 }),
        fc.integer({ min: -20, max: 700 }),
        (chunks, per, mint, span, dels, seekTo) => {
          const maxt = mint + span;
          // Tombstones hand out intervals sorted by start.
          const deleted = dels.length === 0 ? undefined : dels.map(([a, w]) => ({ mint: a, maxt: a + w })).sort((x, y) => x.mint - y.mint);
          const { s, all } = series(chunks, per, mint, maxt, deleted);
          const want = all.filter((t) => t >= mint && t <= maxt && !(deleted ?? []).some((d) => t >= d.mint && t <= d.maxt));
          expect(walk(s)).toEqual(want);
          expect(walk(s, seekTo)).toEqual(want.filter((x) => x >= seekTo));
          expect(bulk(s, seekTo, seekTo + span)).toEqual(want.filter((x) => x > seekTo && x <= seekTo + span));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('BlockQuerier over a written block', () => {
  it.each([
    { name: 'no deletions', dels: [] as [number, Interval][], mint: 0, maxt: 1000 },
    { name: 'a whole chunk deleted in one series, part of one in the other', dels: [[0, { mint: 100, maxt: 199 }], [1, { mint: 0, maxt: 45 }]] as [number, Interval][], mint: 0, maxt: 1000 },
    { name: 'query range cutting chunks, with deletions', dels: [[1, { mint: 150, maxt: 260 }]] as [number, Interval][], mint: 55, maxt: 240 },
  ])('$name', async ({ dels, mint, maxt }) => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-bq-'));
    try {
      const all: number[] = [];
      for (let t = 0; t < 300; t += 10) all.push(t);
      const chunksOf = (): ChunkMeta[] =>
        [0, 1, 2].map((c) => {
          const ch = newChunk(Encoding.XOR);
          const app = ch.appender();
          for (let k = 0; k < 10; k++) app.append((c * 10 + k) * 10, c * 10 + k);
          return { mint: c * 100, maxt: c * 100 + 90, chunk: ch };
        });
      const meta = await writeBlock({ dir, mint: 0, maxt: 7_200_000, series: [{ labels: Labels.fromStrings('a', '1'), chunks: chunksOf() }, { labels: Labels.fromStrings('a', '2'), chunks: chunksOf() }] });
      const block = await Block.open(join(dir, meta!.ulid));
      try {
        const refs = [...postingsForMatchers(block.index, [new Matcher(MatchType.Regexp, 'a', '.+')])];
        const tombstones = new Tombstones();
        for (const [i, iv] of dels) tombstones.add(refs[i]!, iv);
        const q = new BlockQuerier({ readers: { index: block.index, chunks: block.chunks, tombstones }, mint, maxt });
        const set = q.selectSync([new Matcher(MatchType.Regexp, 'a', '.+')]);
        const got: number[][] = [];
        while (set.next()) got.push(walk(set.at() as BlockSeries));
        expect(set.err()).toBeUndefined();
        const want = [0, 1].map((i) => all.filter((t) => t >= mint && t <= maxt && !dels.some(([j, d]) => j === i && t >= d.mint && t <= d.maxt)));
        expect(got).toEqual(want.filter((w) => w.length > 0));
        await q.close();
      } finally {
        await block.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
