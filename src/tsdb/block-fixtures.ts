/**
 * Helpers for block tests and benchmarks: encode sample arrays into chunk metas, read a series
 * set back into plain data.
 * @module
 */
import { ValueType, type SeriesSet } from '../storage/index.js';
import { XORChunk } from './chunkenc/index.js';
import type { ChunkMeta } from './block-writer.js';

/** chunksOf encodes samples into chunks of `per` samples. */
export function chunksOf(samples: readonly (readonly [number, number])[], per = 120): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  for (let i = 0; i < samples.length; i += per) {
    const part = samples.slice(i, i + per);
    const c = new XORChunk();
    const a = c.appender();
    for (const [t, v] of part) a.append(t, v);
    out.push({ mint: part[0]![0], maxt: part[part.length - 1]![0], chunk: c });
  }
  return out;
}

/** drain reads a series set into plain data. */
export function drain(ss: SeriesSet): { labels: string; samples: [number, number][] }[] {
  const out: { labels: string; samples: [number, number][] }[] = [];
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    const samples: [number, number][] = [];
    while (it.next() !== ValueType.None) samples.push([it.atT(), it.atF()]);
    const e = it.err();
    if (e !== undefined) throw e;
    out.push({ labels: s.labels.toString(), samples });
  }
  const e = ss.err();
  if (e !== undefined) throw e;
  return out;
}

