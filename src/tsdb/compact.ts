/**
 * Compaction: merges blocks into one. Series are merged across blocks in label order; chunks
 * that do not overlap in time are copied as they are, while overlapping or partly deleted
 * chunks are decoded, merged (duplicate timestamps dropped, the earlier block's sample kept) and
 * re-encoded into chunks of up to 120 samples. The result records level, sources and parents
 * as Prometheus does.
 * @module
 */
import { compareStrings, type Labels } from '../model/index.js';
import { ChainSampleIterator, ValueType, type SampleIterator } from '../storage/index.js';
import { MAX_SAMPLES_PER_CHUNK, XORChunk } from './chunkenc/index.js';
import type { ChunkMetaRef } from './index/index.js';
import { BlockSeries } from './block-querier.js';
import type { Block } from './block-reader.js';
import { BlockWriter, type ChunkMeta } from './block-writer.js';
import type { BlockMeta } from './meta.js';
import type { Interval } from './tombstones.js';

/** CompactOptions configure a compaction. */
export interface CompactOptions {
  /** Directory the new block is written in. */
  readonly dir: string;
  /** The new block's ULID (default: a new one). */
  readonly ulid?: string;
  /** Chunk segment size cap (default 512 MiB). */
  readonly segmentSize?: number;
  /** Stops the compaction between series; the partial block is removed. */
  readonly signal?: AbortSignal;
}

interface Cursor {
  readonly block: Block;
  readonly postings: Uint32Array;
  i: number;
  labels: Labels | undefined;
  metas: ChunkMetaRef[];
  deleted: readonly Interval[] | undefined;
}

/**
 * compact merges `blocks` into one new block in `options.dir` and resolves to its meta, or to
 * undefined when the blocks hold no samples (nothing is written; the caller may delete them).
 */
export async function compact(blocks: readonly Block[], options: CompactOptions): Promise<BlockMeta | undefined> {
  if (blocks.length === 0) throw new RangeError('compact: no blocks');
  const sorted = [...blocks].sort((a, b) => a.minTime - b.minTime || compareStrings(a.ulid, b.ulid));
  const mint = Math.min(...sorted.map((b) => b.minTime));
  const maxt = Math.max(...sorted.map((b) => b.maxTime));
  const sources = new Set<string>();
  for (const b of sorted) for (const s of b.meta.compaction.sources ?? [b.ulid]) sources.add(s);
  const w = await BlockWriter.create({
    dir: options.dir,
    mint,
    maxt,
    ...(options.ulid !== undefined ? { ulid: options.ulid } : {}),
    ...(options.segmentSize !== undefined ? { segmentSize: options.segmentSize } : {}),
    compaction: {
      level: Math.max(...sorted.map((b) => b.meta.compaction.level)) + 1,
      sources: [...sources].sort(compareStrings),
      parents: sorted.map((b) => ({ ulid: b.ulid, minTime: b.minTime, maxTime: b.maxTime })),
    },
  });
  try {
    const cursors: Cursor[] = sorted.map((block) => ({
      block,
      postings: block.index.allPostings(),
      i: 0,
      labels: undefined,
      metas: [],
      deleted: undefined,
    }));
    for (const c of cursors) advance(c);
    for (;;) {
      options.signal?.throwIfAborted();
      let min: Labels | undefined;
      for (const c of cursors) if (c.labels !== undefined && (min === undefined || c.labels.compare(min) < 0)) min = c.labels;
      if (min === undefined) break;
      const group = cursors.filter((c) => c.labels !== undefined && c.labels.equals(min!));
      await w.addSeries(min, mergeChunks(group));
      for (const c of group) advance(c);
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.commit();
}

function advance(c: Cursor): void {
  while (c.i < c.postings.length) {
    const ref = c.postings[c.i++]!;
    const s = c.block.index.series(ref, []);
    c.labels = s.labels;
    c.metas = s.chunks;
    c.deleted = c.block.tombstones.size > 0 ? c.block.tombstones.get(ref) : undefined;
    return;
  }
  c.labels = undefined;
}

// mergeChunks returns the chunks of one series across blocks, copying chunks when possible.
function mergeChunks(group: readonly Cursor[]): ChunkMeta[] {
  const all: { readonly m: ChunkMetaRef; readonly c: Cursor }[] = [];
  let needsMerge = false;
  for (const c of group) {
    if (c.deleted !== undefined && c.deleted.length > 0) needsMerge = true;
    for (const m of c.metas) all.push({ m, c });
  }
  all.sort((a, b) => a.m.mint - b.m.mint);
  for (let i = 1; i < all.length && !needsMerge; i++) if (all[i]!.m.mint <= all[i - 1]!.m.maxt) needsMerge = true;
  if (!needsMerge) return all.map(({ m, c }) => ({ mint: m.mint, maxt: m.maxt, chunk: c.block.chunks.chunk(m.ref) }));
  // Decode and merge: one iterator per block (blocks in time order, so the earlier wins ties).
  const its: SampleIterator[] = group.map((c) =>
    new BlockSeries(c.labels!, c.block.chunks, c.metas, -Infinity, Infinity, c.deleted).iterator(),
  );
  const it = its.length === 1 ? its[0]! : new ChainSampleIterator(its);
  const out: ChunkMeta[] = [];
  let cur: XORChunk | undefined;
  let app: ReturnType<XORChunk['appender']> | undefined;
  let cmint = 0;
  let cmaxt = 0;
  while (it.next() !== ValueType.None) {
    const t = it.atT();
    if (cur === undefined || cur.numSamples() >= MAX_SAMPLES_PER_CHUNK) {
      if (cur !== undefined) out.push({ mint: cmint, maxt: cmaxt, chunk: cur });
      cur = new XORChunk({ capacity: 256 });
      app = cur.appender();
      cmint = t;
    }
    app!.append(t, it.atF());
    cmaxt = t;
  }
  const err = it.err();
  if (err !== undefined) throw err;
  if (cur !== undefined) {
    cur.compact();
    out.push({ mint: cmint, maxt: cmaxt, chunk: cur });
  }
  return out;
}
