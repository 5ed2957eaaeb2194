import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN } from '../model/index.js';
import { Registry } from '../instrument/index.js';
import {
  DuplicateSampleError,
  MemoryStorage,
  OutOfBoundsError,
  OutOfOrderSampleError,
  ValueType,
  type Querier,
  type SeriesRef,
  type Storage,
} from '../storage/index.js';
import { Wal, listSegments } from '../wal/index.js';
import { AppenderDoneError, Head, InvalidSeriesError, replayWal } from './index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-head-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const L = (...nv: string[]): Labels => Labels.fromStrings(...nv);
const eq = (n: string, v: string): Matcher => new Matcher(MatchType.Equal, n, v);

type Dump = Record<string, [number, number][]>;

async function dump(q: Querier, ms: Matcher[] = [new Matcher(MatchType.Regexp, '__name__', '.+')]): Promise<Dump> {
  const ss = await q.select(ms);
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

async function dumpStorage(s: Storage | Head, mint = -Infinity, maxt = Infinity): Promise<Dump> {
  const q = s instanceof Head ? s.querier(mint, maxt) : await s.querier(mint, maxt);
  return dump(q);
}

describe('Head append rules', () => {
  it('creates series on first append and reuses refs', async () => {
    const h = new Head();
    const app = h.appender();
    const r1 = app.append(0, L('__name__', 'up', 'job', 'a'), 1000, 1);
    const r2 = app.append(0, L('__name__', 'up', 'job', 'b'), 1000, 0);
    expect(app.append(r1, L('__name__', 'up', 'job', 'a'), 2000, 1)).toBe(r1);
    expect(r1).not.toBe(r2);
    await app.commit();
    expect(h.numSeries()).toBe(2);
    expect(await dumpStorage(h)).toEqual({
      '{__name__="up", job="a"}': [
        [1000, 1],
        [2000, 1],
      ],
      '{__name__="up", job="b"}': [[1000, 0]],
    });
    const app2 = h.appender();
    expect(app2.append(0, L('__name__', 'up', 'job', 'a'), 3000, 2)).toBe(r1);
    await app2.rollback();
    expect(() => app2.append(0, L('x', 'y'), 1, 1)).toThrow(AppenderDoneError);
  });

  it.each([
    { name: 'older sample', t: 1000, v: 5, err: OutOfOrderSampleError },
    { name: 'same timestamp, other value', t: 2000, v: 6, err: DuplicateSampleError },
    { name: 'same timestamp, +0 vs -0', t: 2000, v: -0, err: DuplicateSampleError, first: 0 },
    { name: 'before the appendable window', t: 2000 - 3_600_001 + 7_200_000, v: 1, err: OutOfBoundsError, late: 7_200_000 + 2000 },
  ])('rejects $name', async ({ t, v, err, first, late }) => {
    const h = new Head();
    const a = h.appender();
    a.append(0, L('a', 'b'), 2000, first ?? 5);
    if (late !== undefined) a.append(0, L('a', 'c'), late, 1);
    await a.commit();
    const b = h.appender();
    expect(() => b.append(0, L('a', 'b'), t, v)).toThrow(err);
    await b.commit();
  });

  it('accepts the same sample again silently and stores it once', async () => {
    const h = new Head();
    const a = h.appender();
    a.append(0, L('__name__', 'b'), 1000, 7);
    a.append(0, L('__name__', 'b'), 1000, 7);
    await a.commit();
    const b = h.appender();
    b.append(0, L('__name__', 'b'), 1000, 7);
    await b.commit();
    expect((await dumpStorage(h))['{__name__="b"}']).toEqual([[1000, 7]]);
  });

  it('rejects within a batch against the batch itself', async () => {
    const h = new Head();
    const a = h.appender();
    a.append(0, L('a', 'b'), 2000, 1);
    expect(() => a.append(0, L('a', 'b'), 1000, 1)).toThrow(OutOfOrderSampleError);
    expect(() => a.append(0, L('a', 'b'), 2000, 2)).toThrow(DuplicateSampleError);
    await a.commit();
  });

  it('rejects an empty label set', () => {
    const h = new Head();
    expect(() => h.appender().append(0, Labels.EMPTY, 1, 1)).toThrow(InvalidSeriesError);
  });

  it('stores staleness markers with their exact bits', async () => {
    const h = new Head();
    const a = h.appender();
    a.append(0, L('a', 'b'), 1000, 1);
    a.append(0, L('a', 'b'), 2000, STALE_NAN);
    a.append(0, L('a', 'b'), 3000, NaN);
    await a.commit();
    const ss = await h.querier(0, 5000).select([eq('a', 'b')]);
    expect(ss.next()).toBe(true);
    const it = ss.at().iterator();
    it.next();
    expect(it.next()).toBe(ValueType.Float);
    expect(isStaleNaN(it.atF())).toBe(true);
    it.next();
    expect(Number.isNaN(it.atF()) && !isStaleNaN(it.atF())).toBe(true);
  });

  it('counts appended and rejected samples in Prometheus metrics', async () => {
    const reg = new Registry();
    const h = new Head({ registry: reg });
    const a = h.appender();
    a.append(0, L('a', 'b'), 2000, 1);
    expect(() => a.append(0, L('a', 'b'), 1000, 1)).toThrow();
    await a.commit();
    const text = reg.expose();
    expect(text).toContain('prometheus_tsdb_head_samples_appended_total{type="float"} 1');
    expect(text).toContain('prometheus_tsdb_out_of_order_samples_total{type="float"} 1');
    expect(text).toContain('prometheus_tsdb_head_series 1');
    expect(text).toContain('prometheus_tsdb_head_chunks 1');
    expect(text).toContain('prometheus_tsdb_head_max_time 2000');
  });
});

describe('Head series table', () => {
  it('keeps the Labels object an appender created a series with, and reuses series by labels', async () => {
    const h = new Head();
    const l1 = L('__name__', 'm', 'job', 'x');
    const a = h.appender();
    const r1 = a.append(0, l1, 1000, 1);
    const r2 = a.append(0, L('__name__', 'm', 'job', 'x'), 2000, 2); // equal labels, another object
    const r3 = a.append(0, L('__name__', 'm', 'job', 'y'), 1000, 3);
    await a.commit();
    expect(r2).toBe(r1);
    expect(r3).not.toBe(r1);
    const slot = h.slotByLabels(l1);
    expect(h.series.labels[slot]).toBe(l1);
    expect(h.byHandle(r1)).toBe(slot);
    expect(h.slotOf(h.series.ref[slot]!)).toBe(slot);
    expect(h.slotOf(99)).toBe(-1);
    expect(h.slotOf(-1)).toBe(-1);
    expect(h.numSeries()).toBe(2);
  });

  it('frees the slots of truncated series and hands them out again under a new handle', async () => {
    const h = new Head();
    let a = h.appender();
    const old = a.append(0, L('__name__', 'gone'), 1000, 1);
    a.append(0, L('__name__', 'kept'), 1000, 1);
    await a.commit();
    a = h.appender();
    a.append(0, L('__name__', 'kept'), 9_000_000, 1);
    await a.commit();
    h.truncateMemory(5_000_000);
    expect(h.slotByLabels(L('__name__', 'gone'))).toBe(-1);
    expect(h.byHandle(old)).toBe(-1);
    a = h.appender();
    const fresh = a.append(old, L('__name__', 'again'), 9_000_000, 1); // a stale handle is looked up by labels
    await a.commit();
    expect(fresh).not.toBe(old);
    expect(h.byHandle(fresh)).toBe(h.slotByLabels(L('__name__', 'again')));
    expect(h.numSeries()).toBe(2);
  });
});

describe('Head chunks', () => {
  async function fill(h: Head, ts: number[]): Promise<void> {
    const a = h.appender();
    let ref: SeriesRef | 0 = 0;
    for (const t of ts) ref = a.append(ref, L('a', 'b'), t, t);
    await a.commit();
  }
  const sizes = (h: Head): number[] => {
    const s = h.slotByLabels(L('a', 'b'));
    const c = h.series.closed[s] ?? [];
    const out: number[] = [];
    for (let i = 0; i < c.length; i += 4) out.push(c[i]!);
    out.push(h.series.headMint[s]!);
    return out;
  };

  it('cuts 5 s samples into even 120-sample chunks within the 2h range', async () => {
    const h = new Head();
    await fill(h, Array.from({ length: 1441 }, (_, i) => i * 5000));
    // Chunk starts: every 600 s (120 samples), then a new chunk at the range boundary.
    expect(sizes(h)).toEqual(Array.from({ length: 13 }, (_, i) => i * 600_000));
    expect(h.numChunks()).toBe(13);
  });

  it('spreads samples evenly when 120 do not divide the range', async () => {
    const h = new Head();
    // 7 s interval: 1028 samples per 2h; Prometheus cuts at 30 samples' prediction.
    await fill(h, Array.from({ length: 1030 }, (_, i) => i * 7000));
    const starts = sizes(h);
    const counts = starts.slice(1).map((s, i) => (s - starts[i]!) / 7000);
    // First chunk: n = trunc(7.2e6 / (203001 * 4)) = 8, so it ends at 900 s: 129 samples. The
    // next: n = trunc(6.297e6 / 812004) = 7, end 903 s + 899.571 s: 129 samples. And so on.
    expect(counts.slice(0, 7)).toEqual([129, 129, 129, 129, 129, 128, 128]);
  });

  it('cuts at 240 samples when the rate rises after the prediction', async () => {
    const h = new Head();
    const ts = Array.from({ length: 30 }, (_, i) => i * 10_000);
    for (let i = 0; i < 300; i++) ts.push(300_000 + i);
    await fill(h, ts);
    const s = h.slotByLabels(L('a', 'b'));
    expect(h.series.closed[s]![0]).toBe(0);
    expect(h.series.headMint[s]).toBe(ts[240]);
  });

  it('reads samples across closed and open chunks with seek', async () => {
    const h = new Head();
    const ts = Array.from({ length: 500 }, (_, i) => i * 15_000);
    await fill(h, ts);
    const ss = await h.querier(100_000, 6_000_000).select([eq('a', 'b')]);
    ss.next();
    const it = ss.at().iterator();
    expect(it.seek(3_000_001)).toBe(ValueType.Float);
    expect(it.atT()).toBe(3_015_000);
    expect(it.seek(10)).toBe(ValueType.Float);
    expect(it.atT()).toBe(3_015_000);
    let n = 1;
    while (it.next() !== ValueType.None) n++;
    expect(n).toBe((6_000_000 - 3_015_000) / 15_000 + 1);
    expect(it.seek(6_000_001)).toBe(ValueType.None);
  });

  it('keeps a reader’s snapshot stable while appends and truncation go on', async () => {
    const h = new Head();
    await fill(h, Array.from({ length: 200 }, (_, i) => i * 1000));
    const ss = await h.querier(0, Infinity).select([eq('a', 'b')]);
    await fill(h, Array.from({ length: 200 }, (_, i) => 200_000 + i * 1000));
    h.truncateMemory(150_000);
    ss.next();
    const it = ss.at().iterator();
    let n = 0;
    while (it.next() !== ValueType.None) n++;
    expect(n).toBe(200);
  });
});

describe('Head truncation', () => {
  it('drops old chunks and empty series, and keeps the postings in step', async () => {
    const h = new Head({ chunkRangeMs: 10_000 });
    const a = h.appender();
    for (let t = 0; t < 30_000; t += 1000) a.append(0, L('__name__', 'm', 'i', 'keep'), t, t);
    for (let t = 0; t < 5000; t += 1000) a.append(0, L('__name__', 'm', 'i', 'gone'), t, t);
    await a.commit();
    const removed = h.truncateMemory(10_000);
    expect(removed.length).toBe(1);
    expect(h.numSeries()).toBe(1);
    expect(h.postings.sortedLabelValues('i')).toEqual(['keep']);
    expect(h.minTime()).toBe(10_000);
    const d = await dumpStorage(h);
    expect(Object.keys(d)).toEqual(['{__name__="m", i="keep"}']);
    expect(d['{__name__="m", i="keep"}']![0]![0]).toBe(10_000);
    // A series that comes back gets a new ref.
    const b = h.appender();
    b.append(0, L('__name__', 'm', 'i', 'gone'), 40_000, 1);
    await b.commit();
    expect(h.series.ref[h.slotByLabels(L('__name__', 'm', 'i', 'gone'))]).toBe(3);
  });
});

describe('Head with WAL', () => {
  async function openHead(dir: string): Promise<Head> {
    const wal = Wal.open({ dir });
    const h = new Head({ wal });
    replayWal(h, wal, () => undefined);
    return h;
  }

  it('replays committed samples and series after a restart, not rolled-back ones', async () => {
    const dir = tmp();
    let h = await openHead(dir);
    let a = h.appender();
    for (let i = 0; i < 300; i++) a.append(0, L('__name__', 'x', 'n', String(i % 7)), 1000 + i * 10, i === 5 ? STALE_NAN : i);
    await a.commit();
    a = h.appender();
    a.append(0, L('__name__', 'x', 'n', 'rolled'), 5000, 1);
    await a.rollback();
    const want = await dumpStorage(h);
    await h.close();
    h = await openHead(dir);
    expect(await dumpStorage(h)).toEqual(want);
    // The staleness marker came back with its exact bits (toEqual cannot tell NaNs apart).
    const ss = await h.querier(0, Infinity).select([eq('n', '5')]);
    ss.next();
    const it = ss.at().iterator();
    it.next();
    expect(isStaleNaN(it.atF())).toBe(true);
    // The rolled-back series never reached the WAL.
    expect(h.lastSeriesRef()).toBe(7);
    // New series continue after the replayed refs.
    a = h.appender();
    a.append(0, L('__name__', 'x', 'n', 'new'), 9000, 1);
    await a.commit();
    expect(h.series.ref[h.slotByLabels(L('__name__', 'x', 'n', 'new'))]).toBe(8);
    await h.close();
  });

  it('repairs a torn WAL tail on replay and reports it', async () => {
    const dir = tmp();
    const h = await openHead(dir);
    for (let k = 0; k < 5; k++) {
      const a = h.appender();
      for (let i = 0; i < 50; i++) a.append(0, L('__name__', 'x', 'n', String(i)), 1000 * k, k);
      await a.commit();
    }
    // Crash: no close. Tear the last commit.
    const seg = listSegments(dir).pop()!;
    truncateSync(seg.path, statSync(seg.path).size - 10);
    const wal = Wal.open({ dir });
    const h2 = new Head({ wal });
    const warnings: string[] = [];
    const stats = replayWal(h2, wal, (m) => warnings.push(m));
    expect(stats.corruptions.length).toBe(1);
    expect(warnings[0]).toMatch(/WAL repaired: corruption in segment/);
    const d = await dumpStorage(h2);
    expect(d['{__name__="x", n="0"}']).toEqual([0, 1, 2, 3].map((k) => [1000 * k, k]));
    await h2.close();
  });
});

describe('Head against MemoryStorage (differential)', () => {
  it('stores and rejects exactly what MemoryStorage does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            series: fc.integer({ min: 0, max: 4 }),
            t: fc.integer({ min: 0, max: 400 }),
            v: fc.constantFrom(0, 1, 2.5, -1),
            end: fc.constantFrom('none', 'commit', 'rollback'),
          }),
          { maxLength: 80 },
        ),
        async (ops) => {
          const h = new Head({ chunkRangeMs: 1000 });
          const m = new MemoryStorage();
          let ah = h.appender();
          let am = m.appender();
          for (const op of ops) {
            const l = L('__name__', 'm', 's', String(op.series));
            let eh: string | undefined;
            let em: string | undefined;
            try {
              ah.append(0, l, op.t, op.v);
            } catch (e) {
              eh = (e as Error).name;
            }
            try {
              am.append(0, l, op.t, op.v);
            } catch (e) {
              em = (e as Error).name;
            }
            expect(eh).toBe(em);
            if (op.end !== 'none') {
              await (op.end === 'commit' ? ah.commit() : ah.rollback());
              await (op.end === 'commit' ? am.commit() : am.rollback());
              ah = h.appender();
              am = m.appender();
            }
          }
          await ah.commit();
          await am.commit();
          expect(await dumpStorage(h)).toEqual(await dumpStorage(m));
        },
      ),
      { numRuns: 150 },
    );
  });
});
