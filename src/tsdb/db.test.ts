import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { Registry } from '../instrument/index.js';
import { OutOfBoundsError, ValueType, type Querier } from '../storage/index.js';
import { Db, LockedError, OptionsError, SPILL_DIRNAME, isULID, type DbOptions } from './index.js';

const dirs: string[] = [];
const dbs: Db[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-db-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(opts: DbOptions): Promise<Db> {
  const db = await Db.open({ autoCompact: false, ...opts });
  dbs.push(db);
  return db;
}

const ALL = [new Matcher(MatchType.Regexp, '__name__', '.+')];
type Dump = Record<string, [number, number][]>;

async function dump(q: Querier): Promise<Dump> {
  const ss = await q.select(ALL);
  const out: Dump = {};
  while (ss.next()) {
    const s = ss.at();
    const it = s.iterator();
    const rows: [number, number][] = [];
    while (it.next() !== ValueType.None) rows.push([it.atT(), it.atF()]);
    expect(it.err()).toBeUndefined();
    out[s.labels.toString()] = rows;
  }
  expect(ss.err()).toBeUndefined();
  await q.close();
  return out;
}

async function ingest(db: Db, from: number, to: number, step: number, series = 3): Promise<void> {
  for (let t = from; t < to; t += step) {
    const a = db.appender();
    for (let i = 0; i < series; i++) a.append(0, Labels.fromStrings('__name__', 'm', 'i', String(i)), t, t / 1000 + i);
    await a.commit();
  }
}

function expected(from: number, to: number, step: number, series = 3): Dump {
  const out: Dump = {};
  for (let i = 0; i < series; i++) {
    const rows: [number, number][] = [];
    for (let t = from; t < to; t += step) rows.push([t, t / 1000 + i]);
    out[`{__name__="m", i="${i}"}`] = rows;
  }
  return out;
}

const blockDirs = (dir: string): string[] => readdirSync(dir).filter(isULID).sort();

describe('Db', () => {
  it('round-trips samples through close and reopen (WAL replay)', async () => {
    const dir = tmp();
    let db = await open({ dir });
    await ingest(db, 0, 60_000, 1000);
    expect(existsSync(join(dir, 'lock'))).toBe(true);
    await db.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(readdirSync(join(dir, 'wal'))).toContain('00000000');
    db = await open({ dir });
    expect(await dump(await db.querier(-Infinity, Infinity))).toEqual(expected(0, 60_000, 1000));
    expect(db.replay.samples).toBe(180);
  });

  it('recovers acknowledged samples after a crash (no close)', async () => {
    const dir = tmp();
    const db = await open({ dir, noLockfile: true });
    await ingest(db, 0, 30_000, 1000);
    // Simulate kill -9: the DB object is abandoned, its WAL never closed or fsynced.
    const db2 = await open({ dir, noLockfile: true });
    expect(await dump(await db2.querier(0, 100_000))).toEqual(expected(0, 30_000, 1000));
  });

  it('starts on a WAL with a damaged middle segment: reported, cut there, later segments replayed', async () => {
    const dir = tmp();
    const db = await open({ dir, walSegmentSize: 32 * 1024, walCompression: 'none' });
    await ingest(db, 0, 400_000, 1000, 50);
    await db.close();
    const segs = readdirSync(join(dir, 'wal')).filter((f) => /^\d+$/.test(f)).sort();
    expect(segs.length).toBeGreaterThan(3);
    const victim = join(dir, 'wal', segs[1]!);
    const bytes = readFileSync(victim);
    bytes[5000]! ^= 0x55;
    writeFileSync(victim, bytes);
    const warnings: string[] = [];
    const db2 = await open({ dir, onWarning: (m) => warnings.push(m) });
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(new RegExp(`WAL repaired: corruption in segment .*${segs[1]} at \\d+`));
    expect(db2.replay.corruptions[0]!.segment).toBe(Number(segs[1]));
    // Samples before the damage and in later segments are there; only a stretch is missing.
    const d = await dump(await db2.querier(-Infinity, Infinity));
    const ts = d['{__name__="m", i="0"}']!.map(([t]) => t);
    expect(ts[0]).toBe(0);
    expect(ts[ts.length - 1]).toBe(399_000);
    expect(ts.length).toBeLessThan(400);
    expect(ts.length).toBeGreaterThan(200);
    // Repaired: the next start is clean.
    await db2.close();
    const db3 = await open({ dir });
    expect(db3.replay.corruptions).toEqual([]);
  });

  it('cuts blocks from the head, truncates it, and serves head and blocks as one', async () => {
    const dir = tmp();
    const reg = new Registry();
    const db = await open({ dir, minBlockDurationMs: 10_000, maxBlockDurationMs: 10_000, walSegmentSize: 32 * 1024, registry: reg, retentionMs: 0 });
    await ingest(db, 0, 45_000, 500);
    expect(db.head.compactable()).toBe(true);
    await db.compact();
    // Head span must be ≤ 1.5 ranges afterwards: blocks [0,10s), [10s,20s), [20s,30s).
    const metas = db.blocks().map((b) => [b.minTime, b.maxTime]);
    expect(metas).toEqual([
      [0, 10_000],
      [10_000, 20_000],
      [20_000, 30_000],
    ]);
    expect(db.head.minTime()).toBe(30_000);
    expect(await dump(await db.querier(-Infinity, Infinity))).toEqual(expected(0, 45_000, 500));
    const text = reg.expose();
    expect(text).toContain('prometheus_tsdb_blocks_loaded 3');
    expect(text).toContain('prometheus_tsdb_compactions_total 3');
    expect(text).toMatch(/prometheus_tsdb_storage_blocks_bytes [1-9]/);
    // Appends into the block range are out of bounds now.
    const a = db.appender();
    expect(() => a.append(0, Labels.fromStrings('__name__', 'm', 'i', '0'), 25_000, 1)).toThrow(OutOfBoundsError);
    await a.rollback();
    // The WAL was checkpointed and old segments went away; a restart serves the same data once.
    await db.close();
    const db2 = await open({ dir, minBlockDurationMs: 10_000, walSegmentSize: 32 * 1024, retentionMs: 0 });
    expect(db2.blocks().length).toBe(3);
    expect(await dump(await db2.querier(-Infinity, Infinity))).toEqual(expected(0, 45_000, 500));
  });

  it('checkpoints the WAL when the head is truncated', async () => {
    const dir = tmp();
    const db = await open({ dir, minBlockDurationMs: 10_000, walSegmentSize: 32 * 1024, retentionMs: 0 });
    for (let k = 0; k < 6; k++) {
      await ingest(db, k * 10_000, (k + 1) * 10_000, 100, 20);
      await db.compact();
    }
    const walFiles = readdirSync(join(dir, 'wal'));
    expect(walFiles.some((f) => f.startsWith('checkpoint.'))).toBe(true);
    const segs = walFiles.filter((f) => /^\d+$/.test(f)).map(Number);
    expect(Math.min(...segs)).toBeGreaterThan(0);
    await db.close();
    const db2 = await open({ dir, minBlockDurationMs: 10_000, retentionMs: 0 });
    expect(await dump(await db2.querier(-Infinity, Infinity))).toEqual(expected(0, 60_000, 100, 20));
  });

  it('compacts blocks with the leveled planner and deletes the parents', async () => {
    const dir = tmp();
    const db = await open({ dir, minBlockDurationMs: 10_000, retentionMs: 0 });
    await ingest(db, 0, 56_000, 1000);
    await db.compact();
    // 2h-like ranges: 10s → 30s. [0,30s) fills a range and lies before the newest block.
    const ranges = db.blocks().map((b) => [b.minTime, b.maxTime]);
    expect(ranges).toEqual([
      [0, 30_000],
      [30_000, 40_000],
    ]);
    expect(blockDirs(dir).length).toBe(2);
    expect(db.blocks()[0]!.meta.compaction.level).toBe(2);
    expect(await dump(await db.querier(-Infinity, Infinity))).toEqual(expected(0, 56_000, 1000));
  });

  it('deletes whole blocks beyond time and size retention', async () => {
    const dir = tmp();
    const db = await open({ dir, minBlockDurationMs: 10_000, maxBlockDurationMs: 10_000, retentionMs: 25_000 });
    await ingest(db, 0, 76_000, 1000);
    await db.compact();
    // Blocks [0..60s) in 10 s steps; the newest ends at 60 s, so blocks ending 35 s or earlier go.
    expect(db.blocks().map((b) => b.maxTime)).toEqual([40_000, 50_000, 60_000]);
    expect(blockDirs(dir).length).toBe(3);
    const q = await db.querier(-Infinity, Infinity);
    const d = await dump(q);
    expect(d['{__name__="m", i="0"}']![0]![0]).toBe(30_000);

    const dir2 = tmp();
    const reg = new Registry();
    const db2 = await open({ dir: dir2, minBlockDurationMs: 10_000, maxBlockDurationMs: 10_000, retentionBytes: 1, registry: reg });
    await ingest(db2, 0, 36_000, 1000);
    await db2.compact();
    expect(db2.blocks()).toEqual([]);
    expect(reg.expose()).toContain('prometheus_tsdb_size_retentions_total 1');
    expect(reg.expose()).toContain('prometheus_tsdb_retention_limit_bytes 1');
  });

  it('skips and reports a corrupt block; the rest serves', async () => {
    const dir = tmp();
    let db = await open({ dir, minBlockDurationMs: 10_000, retentionMs: 0, maxBlockDurationMs: 10_000 });
    await ingest(db, 0, 36_000, 1000);
    await db.compact();
    await db.close();
    const [first] = blockDirs(dir);
    const idx = join(dir, first!, 'index');
    const bytes = readFileSync(idx);
    bytes[bytes.length - 3]! ^= 0xff;
    writeFileSync(idx, bytes);
    const warnings: string[] = [];
    db = await open({ dir, minBlockDurationMs: 10_000, retentionMs: 0, maxBlockDurationMs: 10_000, onWarning: (m) => warnings.push(m) });
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(first);
    expect(db.warnings()).toEqual(warnings);
    expect(db.blocks().map((b) => b.minTime)).toEqual([10_000]);
    const d = await dump(await db.querier(-Infinity, Infinity));
    expect(d['{__name__="m", i="0"}']![0]![0]).toBe(10_000);
  });

  it('spills closed head chunks to disk and serves them', async () => {
    const dir = tmp();
    const db = await open({ dir, headChunksInMemoryMs: 0, retentionMs: 0 });
    await ingest(db, 0, 600_000, 1000);
    await db.compact();
    expect(db.head.spill!.bytes()).toBeGreaterThan(0);
    expect(readdirSync(join(dir, SPILL_DIRNAME)).length).toBeGreaterThan(0);
    expect(await dump(await db.querier(-Infinity, Infinity))).toEqual(expected(0, 600_000, 1000));
    await db.close();
    expect(existsSync(join(dir, SPILL_DIRNAME))).toBe(false);
  });

  it('refuses a data directory locked by another live process', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'lock'), '1'); // pid 1 is always alive
    await expect(Db.open({ dir })).rejects.toThrow(LockedError);
    writeFileSync(join(dir, 'lock'), '999999999'); // no such process: a stale lock
    const db = await open({ dir });
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(String(process.pid));
    await db.close();
  });

  it('refuses a data directory whose lock a live process holds with flock, as Prometheus does', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'lock'), '');
    const holder = spawn('flock', [join(dir, 'lock'), 'sleep', '30'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !readFileSync('/proc/locks', 'utf8').includes(' FLOCK '); i++) await new Promise((r) => setTimeout(r, 20));
      await expect(Db.open({ dir })).rejects.toThrow(LockedError);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('fsyncs before acknowledging with walSync "always"', async () => {
    const dir = tmp();
    const reg = new Registry();
    const db = await open({ dir, walSync: 'always', registry: reg });
    await ingest(db, 0, 5000, 1000);
    expect(reg.expose()).toMatch(/prometheus_tsdb_wal_fsync_duration_seconds_count [5-9]/);
  });

  it('rejects bad options naming the option', async () => {
    await expect(Db.open({ dir: tmp(), minBlockDurationMs: -1 })).rejects.toThrow(OptionsError);
    await expect(Db.open({ dir: tmp(), retentionBytes: Number.NaN })).rejects.toThrow(/retentionBytes/);
  });

  it('compacts on its own when autoCompact is on', async () => {
    const dir = tmp();
    const db = await Db.open({ dir, minBlockDurationMs: 10_000, retentionMs: 0 });
    dbs.push(db);
    await ingest(db, 0, 20_000, 1000);
    for (let i = 0; i < 100 && db.blocks().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(db.blocks().length).toBe(1);
  });
});
