/**
 * WAL truncation after the head drops old data, as Prometheus does it: start a new segment,
 * condense the older two thirds of the closed segments into a checkpoint that keeps only live
 * series and recent samples, then delete those segments and older checkpoints.
 * @module
 */
import { checkpoint, deleteCheckpoints, listSegments, type Wal } from '../wal/index.js';
import type { HeadMetrics } from './tsdb-metrics.js';

/**
 * checkpointWal checkpoints `wal` for a head truncated at `mint`; `keep` tells which series refs
 * are still live. Resolves when done; throws (after counting) when the checkpoint or the
 * deletion of old checkpoints fails, leaving the WAL longer than needed but intact.
 */
export async function checkpointWal(wal: Wal, metrics: HeadMetrics, keep: (ref: number) => boolean, mint: number, signal?: AbortSignal): Promise<void> {
  const segs = listSegments(wal.dir);
  if (segs.length === 0) return;
  const first = segs[0]!.index;
  // Start a new segment so the one written so far can be checkpointed later on.
  const cur = wal.nextSegment();
  let last = cur - 2; // never the segment just closed
  if (last < first) return;
  // The lower two thirds of the segments hold mostly samples before mint: condense those.
  last = first + Math.trunc(((last - first) * 2) / 3);
  if (last <= first) return;
  metrics.checkpointCreations.inc();
  try {
    await checkpoint({
      walDir: wal.dir,
      from: first,
      to: last,
      keep,
      mint,
      compression: wal.compression,
      ...(signal !== undefined ? { signal } : {}),
    });
  } catch (e) {
    metrics.checkpointCreationsFailed.inc();
    throw e;
  }
  wal.truncate(last + 1);
  metrics.checkpointDeletions.inc();
  try {
    deleteCheckpoints(wal.dir, last);
  } catch (e) {
    metrics.checkpointDeletionsFailed.inc();
    throw e;
  }
}
