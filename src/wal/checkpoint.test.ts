import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PAGE_SIZE,
  RecordEncoder,
  RecordType,
  SampleBatch,
  Wal,
  WalReader,
  checkpoint,
  checkpointName,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  deleteCheckpoints,
  lastCheckpoint,
  recordType,
} from './index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-cp-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Content {
  series: number[];
  samples: [number, number, number][];
  tombstones: [number, number, number][];
}

function read(dir: string, from?: number): Content {
  const r = new WalReader({ dir, from });
  const c: Content = { series: [], samples: [], tombstones: [] };
  const b = new SampleBatch();
  while (r.next()) {
    const rec = r.record();
    switch (recordType(rec)) {
      case RecordType.Series:
        for (const s of decodeSeries(rec)) c.series.push(s.ref);
        break;
      case RecordType.Samples:
        b.reset();
        decodeSamples(rec, b);
        for (let i = 0; i < b.length; i++) c.samples.push([b.refs[i]!, b.ts[i]!, b.vs[i]!]);
        break;
      case RecordType.Tombstones:
        for (const t of decodeTombstones(rec)) c.tombstones.push([t.ref, t.mint, t.maxt]);
        break;
    }
  }
  expect(r.err()).toBeUndefined();
  r.close();
  return c;
}

describe('checkpoint', () => {
  it('keeps live series, samples from mint on, and tombstones reaching mint', async () => {
    const dir = tmp();
    const w = Wal.open({ dir, segmentSize: PAGE_SIZE });
    const enc = new RecordEncoder();
    const b = new SampleBatch();
    // Segment per step: series 1..4, samples at t = 0..9 for all of them.
    w.logSync([enc.series([1, 2, 3, 4].map((ref) => ({ ref, labels: ['a', String(ref)] })))]);
    for (let t = 0; t < 10; t++) {
      b.reset();
      for (const ref of [1, 2, 3, 4]) b.push(ref, t, t * 10 + ref);
      w.logSync([enc.samples(b)]);
      w.nextSegment();
    }
    w.logSync([enc.tombstones([{ ref: 1, mint: 0, maxt: 2 }, { ref: 2, mint: 0, maxt: 9 }, { ref: 3, mint: 5, maxt: 9 }])]);
    const last = w.nextSegment();
    expect(last).toBe(11);

    const stats = await checkpoint({ walDir: dir, from: 0, to: 5, keep: (ref) => ref !== 3, mint: 4 });
    expect(stats.dir).toBe(join(dir, checkpointName(5)));
    expect(stats.droppedSeries).toBe(1);
    expect(lastCheckpoint(dir)).toEqual({ dir: stats.dir, index: 5 });
    const cp = read(stats.dir);
    expect(cp.series).toEqual([1, 2, 4]);
    expect(cp.samples).toEqual([1, 2, 4].flatMap((ref) => [4, 5].map((t) => [ref, t, t * 10 + ref])).sort((x, y) => x[1]! - y[1]! || x[0]! - y[0]!));

    // A second checkpoint builds on the first and the segments after it.
    w.truncate(6);
    const stats2 = await checkpoint({ walDir: dir, from: 6, to: 10, keep: (ref) => ref !== 3 && ref !== 4, mint: 8 });
    const cp2 = read(stats2.dir);
    expect(cp2.series).toEqual([1, 2]);
    expect(cp2.samples).toEqual([8, 9].flatMap((t) => [1, 2].map((ref) => [ref, t, t * 10 + ref])));
    expect(cp2.tombstones).toEqual([[2, 0, 9]]);
    expect(deleteCheckpoints(dir, 10)).toBe(1);
    expect(readdirSync(dir).filter((n) => n.startsWith('checkpoint'))).toEqual([checkpointName(10)]);
    await w.close();
  });

  it('removes leftovers of an interrupted checkpoint and ignores them when listing', async () => {
    const dir = tmp();
    mkdirSync(join(dir, `${checkpointName(3)}.tmp`));
    expect(lastCheckpoint(dir)).toBeUndefined();
    deleteCheckpoints(dir, 0);
    expect(existsSync(join(dir, `${checkpointName(3)}.tmp`))).toBe(false);
  });
});
