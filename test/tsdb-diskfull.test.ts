// Disk full while writing the WAL or a block, on a small tmpfs: ingest fails with a clear error,
// nothing already acknowledged is lost or corrupted, and everything resumes once space returns.
// Needs root (mount); skipped otherwise, and failed under CI=true.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../src/model/index.js';
import { ValueType } from '../src/storage/index.js';
import { Db, TMP_CREATION_SUFFIX, type DbOptions } from '../src/tsdb/index.js';
import { WalWriteError } from '../src/wal/index.js';
import { IN_CI } from './support/peers.js';

const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) {
  if (IN_CI) throw new Error('tsdb-diskfull needs root to mount a tmpfs');
  process.stderr.write('SKIP: tsdb-diskfull needs root to mount a tmpfs\n');
}

const SERIES = 300;
const labels = Array.from({ length: SERIES }, (_, s) => Labels.fromStrings('__name__', 'full_test', 'series', String(s), 'pad', 'x'.repeat(40)));
const value = (s: number, t: number): number => s + t / 1000;

let mnt = '';
beforeEach(() => {
  if (!IS_ROOT) return;
  mnt = mkdtempSync(join(tmpdir(), 'vigil-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
});
afterEach(() => {
  if (!IS_ROOT || mnt === '') return;
  execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
  mnt = '';
});

async function commitAt(db: Db, t: number): Promise<void> {
  const app = db.appender();
  for (let s = 0; s < SERIES; s++) app.append(0, labels[s]!, t, value(s, t));
  await app.commit();
}

// stored returns, per series, the timestamps stored (and checks the values).
async function stored(db: Db): Promise<Map<number, number[]>> {
  const q = await db.querier(-Infinity, Infinity);
  const ss = await q.select([new Matcher(MatchType.Equal, '__name__', 'full_test')]);
  const out = new Map<number, number[]>();
  const bad: string[] = [];
  while (ss.next()) {
    const s = ss.at();
    const id = Number(s.labels.get('series'));
    const ts: number[] = [];
    const it = s.iterator();
    while (it.next() !== ValueType.None) {
      if (it.atF() !== value(id, it.atT())) bad.push(`series ${id} t=${it.atT()}: ${it.atF()}`);
      ts.push(it.atT());
    }
    expect(it.err()).toBeUndefined();
    out.set(id, ts);
  }
  expect(ss.err()).toBeUndefined();
  expect(bad.slice(0, 5)).toEqual([]);
  await q.close();
  return out;
}

function expectExactly(got: Map<number, number[]>, want: readonly number[]): void {
  expect(got.size).toBe(SERIES);
  const wantKey = want.join(',');
  const wrong = [...got].filter(([, ts]) => ts.join(',') !== wantKey).map(([id]) => id);
  expect(wrong).toEqual([]);
}

describe.skipIf(!IS_ROOT)('TSDB on a full disk', () => {
  it.each([
    { name: 'uncompressed, 256 KiB segments', walSegmentSize: 256 * 1024, walCompression: 'none' as const },
    { name: 'snappy, 32 KiB segments (rotations)', walSegmentSize: 32 * 1024, walCompression: 'snappy' as const },
  ])('WAL ($name): a commit that does not fit fails with ENOSPC, leaves no trace, and ingest resumes', { timeout: 60_000 }, async ({ walSegmentSize, walCompression }) => {
    const opts: DbOptions = { dir: mnt, autoCompact: false, walSegmentSize, walCompression };
    const db = await Db.open(opts);
    const acked: number[] = [];
    let failure: unknown;
    for (let t = 0; t < 10_000_000; t += 1000) {
      try {
        await commitAt(db, t);
        acked.push(t);
      } catch (e) {
        failure = e;
        break;
      }
    }
    expect(failure).toBeInstanceOf(WalWriteError);
    expect((failure as WalWriteError).code).toBe('ENOSPC');
    expect((failure as Error).message).toMatch(/write-ahead log .*: (writing records|starting a new segment) failed: ENOSPC/);
    expect(acked.length).toBeGreaterThan(10);
    const failedT = acked[acked.length - 1]! + 1000;
    // Still full: the next commit fails the same way, and queries see only acknowledged samples.
    await expect(commitAt(db, failedT)).rejects.toThrow(WalWriteError);
    expectExactly(await stored(db), acked);

    execFileSync('mount', ['-o', 'remount,size=8m', mnt]);
    await commitAt(db, failedT);
    await commitAt(db, failedT + 1000);
    acked.push(failedT, failedT + 1000);
    expectExactly(await stored(db), acked);
    await db.close();

    // The WAL replays cleanly: no corruption, no trace of the failed commits.
    const db2 = await Db.open(opts);
    expect(db2.replay.corruptions).toEqual([]);
    expectExactly(await stored(db2), acked);
    await db2.close();
  });

  it('block: a compaction that does not fit fails, keeps the head, and succeeds once space returns', { timeout: 60_000 }, async () => {
    const opts: DbOptions = { dir: mnt, autoCompact: false, minBlockDurationMs: 10_000, retentionMs: 0 };
    const db = await Db.open(opts);
    const acked: number[] = [];
    for (let t = 0; t < 16_000; t += 100) {
      await commitAt(db, t);
      acked.push(t);
    }
    expect(db.head.compactable()).toBe(true);
    // Leave 16 KiB free: the WAL still has room for a commit, a block does not.
    const st = statfsSync(mnt);
    const ballast = join(mnt, 'ballast');
    writeFileSync(ballast, Buffer.alloc(Math.max(0, st.bavail * st.bsize - 16 * 1024)));
    await expect(db.compact()).rejects.toThrow(/ENOSPC|no space/i);
    expect(db.blocks()).toEqual([]);
    expect(readdirSync(mnt).filter((n) => n.endsWith(TMP_CREATION_SUFFIX))).toEqual([]);
    expect(db.warnings().some((w) => /compaction failed/.test(w))).toBe(true);
    expectExactly(await stored(db), acked);

    unlinkSync(ballast);
    await db.compact();
    expect(db.blocks().map((b) => [b.minTime, b.maxTime])).toEqual([[0, 10_000]]);
    expectExactly(await stored(db), acked);
    await db.close();
    const db2 = await Db.open(opts);
    expect(db2.replay.corruptions).toEqual([]);
    expectExactly(await stored(db2), acked);
    await db2.close();
  });
});
