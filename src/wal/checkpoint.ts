/**
 * Checkpoints: when the head drops old data, the WAL segments that held it are condensed into
 * a `checkpoint.NNNNNNNN` directory (itself a WAL) keeping only live series and recent samples,
 * and the segments are deleted. Replay reads the last checkpoint, then the segments after it.
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WalReader } from './reader.js';
import { RecordEncoder, RecordType, SampleBatch, decodeSamples, decodeSeries, decodeTombstones, recordType } from './record.js';
import { segmentName } from './segment.js';
import { Wal, type Compression } from './wal.js';

const CHECKPOINT_RE = /^checkpoint\.(\d+)$/;

/** checkpointName returns the directory name of checkpoint `index`. */
export function checkpointName(index: number): string {
  return `checkpoint.${segmentName(index)}`;
}

/** CheckpointRef names a checkpoint directory and the last segment it covers. */
export interface CheckpointRef {
  readonly dir: string;
  readonly index: number;
}

/** listCheckpoints returns the finished checkpoints of a WAL directory, oldest first. */
export function listCheckpoints(walDir: string): CheckpointRef[] {
  let names: string[];
  try {
    names = readdirSync(walDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: CheckpointRef[] = [];
  for (const n of names) {
    const m = CHECKPOINT_RE.exec(n);
    if (m) out.push({ dir: join(walDir, n), index: Number(m[1]) });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** lastCheckpoint returns the newest finished checkpoint, or undefined. */
export function lastCheckpoint(walDir: string): CheckpointRef | undefined {
  const all = listCheckpoints(walDir);
  return all[all.length - 1];
}

/** deleteCheckpoints removes checkpoints numbered below `maxIndex` and unfinished `.tmp` ones. */
export function deleteCheckpoints(walDir: string, maxIndex: number): number {
  let n = 0;
  for (const c of listCheckpoints(walDir)) {
    if (c.index >= maxIndex) continue;
    rmSync(c.dir, { recursive: true, force: true });
    n++;
  }
  for (const name of readdirSync(walDir)) {
    if (name.startsWith('checkpoint.') && name.endsWith('.tmp')) rmSync(join(walDir, name), { recursive: true, force: true });
  }
  return n;
}

/** CheckpointOptions say which segments to condense and what to keep. */
export interface CheckpointOptions {
  /** The WAL directory. */
  readonly walDir: string;
  /** First segment to read (segments below the last checkpoint are skipped). */
  readonly from: number;
  /** Last segment to read, inclusive; the checkpoint is named after it. */
  readonly to: number;
  /** keep tells whether a series (by ref) is still live. */
  readonly keep: (ref: number) => boolean;
  /** Samples and tombstones older than mint are dropped. */
  readonly mint: number;
  /** Compression of the checkpoint's records (default snappy). */
  readonly compression?: Compression;
  /** Stops the work; the unfinished checkpoint is removed. */
  readonly signal?: AbortSignal;
}

/** CheckpointStats counts what a checkpoint dropped and kept. */
export interface CheckpointStats {
  readonly dir: string;
  droppedSeries: number;
  droppedSamples: number;
  droppedTombstones: number;
  droppedOther: number;
  totalSeries: number;
  totalSamples: number;
  totalTombstones: number;
}

/**
 * checkpoint writes `checkpoint.<to>` from the previous checkpoint and segments from..to,
 * keeping series for which `keep` holds, samples at or after `mint` of kept series, and
 * tombstones reaching `mint`. The directory appears atomically (written as `.tmp`, fsynced,
 * renamed). Throws the reader's error (CorruptionError…) when a segment does not decode.
 * Yields to the event loop while it works.
 */
export async function checkpoint(opts: CheckpointOptions): Promise<CheckpointStats> {
  const { walDir, from, to, keep, mint, compression, signal } = opts;
  const prev = lastCheckpoint(walDir);
  const name = checkpointName(to);
  const tmp = join(walDir, `${name}.tmp`);
  const final = join(walDir, name);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const stats: CheckpointStats = {
    dir: final,
    droppedSeries: 0,
    droppedSamples: 0,
    droppedTombstones: 0,
    droppedOther: 0,
    totalSeries: 0,
    totalSamples: 0,
    totalTombstones: 0,
  };
  const out = Wal.open({ dir: tmp, compression: compression ?? 'snappy' });
  const enc = new RecordEncoder();
  const inBatch = new SampleBatch();
  const outBatch = new SampleBatch();
  let ok = false;
  try {
    const readers: WalReader[] = [];
    if (prev !== undefined && prev.index < to) readers.push(new WalReader({ dir: prev.dir }));
    readers.push(new WalReader({ dir: walDir, from: prev !== undefined ? Math.max(from, prev.index + 1) : from, to }));
    let sinceYield = 0;
    for (const r of readers) {
      try {
        while (r.next()) {
          const rec = r.record();
          sinceYield += rec.length;
          if (sinceYield > 4 << 20) {
            sinceYield = 0;
            await yieldToLoop();
            signal?.throwIfAborted();
          }
          switch (recordType(rec)) {
            case RecordType.Series: {
              const all = decodeSeries(rec);
              const kept = all.filter((s) => keep(s.ref));
              stats.totalSeries += all.length;
              stats.droppedSeries += all.length - kept.length;
              if (kept.length > 0) out.logSync([enc.series(kept)]);
              break;
            }
            case RecordType.Samples: {
              inBatch.reset();
              decodeSamples(rec, inBatch);
              outBatch.reset();
              outBatch.ensure(inBatch.length);
              const vin = new Uint32Array(inBatch.vs.buffer, 0, inBatch.length * 2);
              const vout = new Uint32Array(outBatch.vs.buffer, 0, inBatch.length * 2);
              let k = 0;
              for (let i = 0; i < inBatch.length; i++) {
                if (inBatch.ts[i]! < mint || !keep(inBatch.refs[i]!)) continue;
                outBatch.refs[k] = inBatch.refs[i]!;
                outBatch.ts[k] = inBatch.ts[i]!;
                // Copy the value's bits, not the number, so NaN payloads survive.
                vout[2 * k] = vin[2 * i]!;
                vout[2 * k + 1] = vin[2 * i + 1]!;
                k++;
              }
              outBatch.length = k;
              stats.totalSamples += inBatch.length;
              stats.droppedSamples += inBatch.length - k;
              if (k > 0) out.logSync([enc.samples(outBatch)]);
              break;
            }
            case RecordType.Tombstones: {
              const all = decodeTombstones(rec);
              const kept = all.filter((t) => t.maxt >= mint && keep(t.ref));
              stats.totalTombstones += all.length;
              stats.droppedTombstones += all.length - kept.length;
              if (kept.length > 0) out.logSync([enc.tombstones(kept)]);
              break;
            }
            default:
              // Exemplars, metadata and histogram records are not kept by vigil's head.
              stats.droppedOther++;
          }
        }
        const err = r.err();
        if (err !== undefined) throw err;
      } finally {
        r.close();
      }
    }
    await out.close();
    fsyncDir(tmp);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    fsyncDir(walDir);
    ok = true;
    return stats;
  } finally {
    if (!ok) {
      await out.close().catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** fsyncDir fsyncs a directory so renames and new entries in it are durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
