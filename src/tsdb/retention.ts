/**
 * Retention: which whole blocks to delete, by time (`--storage.tsdb.retention.time`) and by
 * size (`--storage.tsdb.retention.size`), with Prometheus's rules: time is measured from the
 * newest block's end, and size counts the WAL first, then blocks from newest to oldest; the
 * first block that does not fit goes, with every older one.
 * @module
 */
import type { BlockMeta } from './meta.js';

/** RetentionBlock is what retention needs to know about a block. */
export interface RetentionBlock {
  readonly meta: BlockMeta;
  size(): number;
}

/** RetentionResult lists the blocks to delete and why. */
export interface RetentionResult<B> {
  /** Blocks beyond the time limit. */
  readonly byTime: readonly B[];
  /** Blocks beyond the size limit (and not already beyond the time limit). */
  readonly bySize: readonly B[];
}

/**
 * blocksBeyondRetention returns the blocks that time or size retention deletes. `retentionMs`
 * or `retentionBytes` of 0 disable that rule; `headBytes` is the WAL's size, counted first.
 */
export function blocksBeyondRetention<B extends RetentionBlock>(
  blocks: readonly B[],
  options: { readonly retentionMs: number; readonly retentionBytes: number; readonly headBytes: number },
): RetentionResult<B> {
  const newestFirst = [...blocks].sort((a, b) => b.meta.maxTime - a.meta.maxTime);
  const byTime: B[] = [];
  if (options.retentionMs > 0 && newestFirst.length > 0) {
    const newest = newestFirst[0]!.meta.maxTime;
    const i = newestFirst.findIndex((b, k) => k > 0 && newest - b.meta.maxTime > options.retentionMs);
    if (i > 0) byTime.push(...newestFirst.slice(i));
  }
  const bySize: B[] = [];
  if (options.retentionBytes > 0) {
    let total = options.headBytes;
    for (let i = 0; i < newestFirst.length; i++) {
      total += newestFirst[i]!.size();
      if (total > options.retentionBytes) {
        for (const b of newestFirst.slice(i)) if (!byTime.includes(b)) bySize.push(b);
        break;
      }
    }
  }
  return { byTime, bySize };
}
