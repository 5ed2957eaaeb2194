/**
 * Which blocks to compact next, with Prometheus's leveled rules (tsdb/compact.go): overlapping
 * blocks first (vertical compaction); otherwise, leaving out the newest block, the first group of
 * blocks that fills one aligned range of the next level (2h → 6h → 18h …), or that lies wholly
 * before the newest block; otherwise a big-enough block with over 5 % tombstones on its own.
 * @module
 */
import type { BlockMeta } from './meta.js';

/** HOUR_MS is one hour in ms. */
const HOUR_MS = 3_600_000;
/** DEFAULT_BLOCK_DURATION_MS is the head block range: 2h. */
export const DEFAULT_BLOCK_DURATION_MS = 2 * HOUR_MS;
/** DEFAULT_MAX_BLOCK_DURATION_MS caps compacted blocks at 31 days. */
export const DEFAULT_MAX_BLOCK_DURATION_MS = 31 * 24 * HOUR_MS;

/** exponentialBlockRanges returns `steps` ranges starting at minSize, each stepSize times the last. */
export function exponentialBlockRanges(minSize: number, steps: number, stepSize: number): number[] {
  const out: number[] = [];
  let cur = minSize;
  for (let i = 0; i < steps; i++) {
    out.push(cur);
    cur *= stepSize;
  }
  return out;
}

/**
 * compactionRanges returns the block ranges the DB compacts into, as Prometheus derives them:
 * 10 steps of ×3 from the minimum block duration, cut at the maximum block duration, which
 * defaults to 10 % of the time retention capped at 31 days.
 */
export function compactionRanges(options: { readonly minBlockDurationMs?: number; readonly maxBlockDurationMs?: number; readonly retentionMs?: number } = {}): number[] {
  const { minBlockDurationMs = DEFAULT_BLOCK_DURATION_MS, retentionMs = 0 } = options;
  let max = options.maxBlockDurationMs;
  if (max === undefined || max === 0) {
    max = DEFAULT_MAX_BLOCK_DURATION_MS;
    if (retentionMs > 0 && retentionMs / 10 < max) max = retentionMs / 10;
  }
  const ranges = exponentialBlockRanges(minBlockDurationMs, 10, 3);
  const cut = ranges.findIndex((r) => r > max);
  return cut < 0 ? ranges : ranges.slice(0, Math.max(cut, 1));
}

/**
 * planCompaction returns the blocks to compact into one, in time order, or an empty list.
 * `ranges` come from compactionRanges.
 */
export function planCompaction<M extends { readonly meta: BlockMeta } | BlockMeta>(blocks: readonly M[], ranges: readonly number[]): M[] {
  const metaOf = (b: M): BlockMeta => ('meta' in b ? b.meta : b);
  const sorted = [...blocks].sort((a, b) => metaOf(a).minTime - metaOf(b).minTime);
  const overlapping = selectOverlapping(sorted, metaOf);
  if (overlapping.length > 0) return overlapping;
  if (sorted.length === 0) return [];
  // The newest block stays out: it was just cut from the head, and leaving it alone for one block
  // range lets users back up new data piecewise without overlaps.
  const older = sorted.slice(0, -1);
  const picked = selectRange(older, ranges, metaOf);
  if (picked.length > 0) return picked;
  const mid = ranges[Math.floor(ranges.length / 2)] ?? 0;
  for (let i = older.length - 1; i >= 0; i--) {
    const m = metaOf(older[i]!);
    const tomb = m.stats.numTombstones ?? 0;
    const series = m.stats.numSeries ?? 0;
    if (m.maxTime - m.minTime < mid) {
      // Small blocks are compacted with tombstones only when wholly deleted.
      if (tomb > 0 && tomb >= series) return [older[i]!];
      break;
    }
    if (tomb / (series + 1) > 0.05) return [older[i]!];
  }
  return [];
}

function selectOverlapping<M>(sorted: readonly M[], metaOf: (b: M) => BlockMeta): M[] {
  if (sorted.length < 2) return [];
  const out: M[] = [];
  let globalMaxt = metaOf(sorted[0]!).maxTime;
  for (let i = 1; i < sorted.length; i++) {
    const m = metaOf(sorted[i]!);
    if (m.minTime < globalMaxt) {
      if (out.length === 0) out.push(sorted[i - 1]!);
      out.push(sorted[i]!);
    } else if (out.length > 0) {
      break;
    }
    if (m.maxTime > globalMaxt) globalMaxt = m.maxTime;
  }
  return out;
}

function selectRange<M>(blocks: readonly M[], ranges: readonly number[], metaOf: (b: M) => BlockMeta): M[] {
  if (ranges.length < 2 || blocks.length < 1) return [];
  // The start of the newest block considered: a group ending by then gets no more blocks.
  const highTime = metaOf(blocks[blocks.length - 1]!).minTime;
  for (const iv of ranges.slice(1)) {
    for (const group of splitByRange(blocks, iv, metaOf)) {
      if (group.some((b) => metaOf(b).compaction.failed === true)) continue;
      const mint = metaOf(group[0]!).minTime;
      const maxt = metaOf(group[group.length - 1]!).maxTime;
      // A group that fills its range, or ends before the newest block considered, is complete.
      if ((maxt - mint === iv || maxt <= highTime) && group.length > 1) return group;
    }
  }
  return [];
}

/**
 * splitByRange groups time-sorted blocks by the aligned range of size `tr` that contains them;
 * blocks wider than their range are skipped. E.g. [0-10, 10-20, 50-60, 90-100] with tr = 30 →
 * [0-10, 10-20], [50-60], [90-100].
 */
export function splitByRange<M>(blocks: readonly M[], tr: number, metaOf: (b: M) => BlockMeta): M[][] {
  const out: M[][] = [];
  let i = 0;
  while (i < blocks.length) {
    const m = metaOf(blocks[i]!);
    const t0 = Math.floor(m.minTime / tr) * tr;
    if (m.maxTime > t0 + tr) {
      i++;
      continue;
    }
    const group: M[] = [];
    while (i < blocks.length && metaOf(blocks[i]!).maxTime <= t0 + tr) group.push(blocks[i++]!);
    if (group.length > 0) out.push(group);
  }
  return out;
}
