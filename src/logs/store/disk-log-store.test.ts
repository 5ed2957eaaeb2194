import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { Labels, Matcher, MatchType } from '../../model/index.js';
import { DiskLogStore, type DiskLogStoreOptions } from './disk-log-store.js';
import { InvalidEntryError, type LogStoreError } from './errors.js';
import type { LogEntry, QueryableLogStore, StreamBatch } from './interface.js';
import { LineBatchBuilder } from './line-batch.js';
import { MemoryLogStore } from './memory-log-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-logstore-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const web = Labels.fromStrings('app', 'web', 'pod', 'a');
const web2 = Labels.fromStrings('app', 'web', 'pod', 'b');
const db = Labels.fromStrings('app', 'db', 'pod', 'c');
const all = [new Matcher(MatchType.Regexp, 'pod', '.+')];

function e(t: number, line: string, ns = 0, fields?: Record<string, string>): LogEntry {
  return fields === undefined ? { t, ns, line } : { t, ns, line, fields };
}

async function open(extra: Partial<DiskLogStoreOptions> = {}, errors: LogStoreError[] = []): Promise<DiskLogStore> {
  return DiskLogStore.open({ dir, maintenanceIntervalMs: 0, packWorkers: 0, blockBytes: 1024, chunkBytes: 4096, onCorruption: (x) => errors.push(x), ...extra });
}

async function collect(it: AsyncIterable<StreamBatch>): Promise<{ labels: string; t: number; ns: number; line: string; fields?: Readonly<Record<string, string>> }[]> {
  const out = [];
  for await (const b of it) for (const x of b.entries) out.push({ labels: b.labels.toString(), t: x.t, ns: x.ns, line: x.line, ...(x.fields ? { fields: x.fields } : {}) });
  return out;
}

function lines(n: number, t0 = 1000, prefix = 'line'): LogEntry[] {
  return Array.from({ length: n }, (_, i) => e(t0 + i, `${prefix} ${i} request-id=req-${String(i).padStart(6, '0')} some more words`));
}

// Every store implementation answers the same queries the same way.
describe.each([
  { name: 'disk', make: () => open() },
  { name: 'disk (worker packer)', make: () => open({ packWorkers: 1 }) },
  { name: 'memory', make: async () => new MemoryLogStore() },
])('LogStore contract: $name', ({ make }) => {
  let s: QueryableLogStore;
  beforeEach(async () => {
    s = await make();
  });
  afterEach(async () => {
    await s.close();
  });

  it('returns entries in time order both ways, with limits over all streams', async () => {
    await s.append(web, [e(10, 'a'), e(30, 'c')]);
    await s.append(web2, [e(20, 'b'), e(40, 'd')]);
    const fwd = await collect(s.select({ matchers: all, mint: 0, maxt: 100, direction: 'forward', limit: 0 }));
    expect(fwd.map((x) => x.line)).toEqual(['a', 'b', 'c', 'd']);
    const back = await collect(s.select({ matchers: all, mint: 0, maxt: 100, direction: 'backward', limit: 3 }));
    expect(back.map((x) => x.line)).toEqual(['d', 'c', 'b']);
    const range = await collect(s.select({ matchers: all, mint: 20, maxt: 30, direction: 'forward', limit: 0 }));
    expect(range.map((x) => x.line)).toEqual(['b', 'c']);
  });

  it('accepts out-of-order entries and sorts them, nanoseconds included', async () => {
    await s.append(web, [e(50, 'x3', 5), e(10, 'x1'), e(50, 'x2', 1)]);
    await s.append(web, [e(5, 'x0')]);
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 100, direction: 'forward', limit: 0 }));
    expect(got.map((x) => x.line)).toEqual(['x0', 'x1', 'x2', 'x3']);
  });

  it('applies needles and line filters', async () => {
    await s.append(web, lines(300));
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0, needles: ['req-000123'] }));
    expect(got.map((x) => x.line)).toEqual(['line 123 request-id=req-000123 some more words']);
    const f = await collect(s.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'backward', limit: 2, filter: (l) => l.includes(' 7') }));
    expect(f.map((x) => x.t)).toEqual([1079, 1078]);
  });

  it('keeps structured fields', async () => {
    await s.append(db, [e(1, 'with', 0, { level: 'error', unit: 'x.service' }), e(2, 'without')]);
    const got = await collect(s.select({ matchers: [new Matcher(MatchType.Equal, 'app', 'db')], mint: 0, maxt: 10, direction: 'forward', limit: 0 }));
    expect(got[0]!.fields).toEqual({ level: 'error', unit: 'x.service' });
    expect(got[1]!.fields).toBeUndefined();
  });

  it('answers label and series queries', async () => {
    await s.append(web, [e(10, 'a')]);
    await s.append(db, [e(1000, 'b')]);
    expect(await s.labelNames(0, 100)).toEqual(['app', 'pod']);
    expect(await s.labelValues('app', 0, 2000)).toEqual(['db', 'web']);
    expect(await s.labelValues('app', 500, 2000)).toEqual(['db']);
    expect((await s.series([new Matcher(MatchType.Equal, 'app', 'web')], 0, 2000)).map(String)).toEqual([web.toString()]);
    const st = await s.indexStats(all, 0, 2000);
    expect(st.streams).toBe(2);
    expect(st.entries).toBe(2);
    expect(st.bytes).toBe(2);
  });

  it('reads times only without lines', async () => {
    await s.append(web, lines(50));
    let n = 0;
    for (const c of await s.cursors({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', lines: false })) {
      for (let b = await c.next(); b !== undefined; b = await c.next()) {
        expect(b.lines).toBeUndefined();
        n += b.count;
      }
    }
    expect(n).toBe(50);
  });

  it('keeps lines with newlines, NUL bytes and non-ASCII text exactly', async () => {
    const odd = ['two\nlines', 'nul\u0000byte', '\u00e9t\u00e9 \u4e2d\u6587', '', 'end\n'];
    await s.append(web, odd.map((l, i) => e(i + 1, l)));
    await s.flush();
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 10, direction: 'forward', limit: 0 }));
    expect(got.map((x) => x.line)).toEqual(odd);
    const hit = await collect(s.select({ matchers: all, mint: 0, maxt: 10, direction: 'forward', limit: 0, needles: ['o\nl'] }));
    expect(hit.map((x) => x.line)).toEqual(['two\nlines']);
  });
});

describe('DiskLogStore', () => {
  it('opens read-only beside a writer: reads the WAL, changes nothing', async () => {
    const w = await open();
    await w.append(web, lines(30));
    await w.flush();
    await w.append(web, lines(5, 9000, 'unflushed'));
    const before = readdirSync(join(dir, 'wal')).map((f) => `${f}:${statSync(join(dir, 'wal', f)).size}`);
    const r = await DiskLogStore.open({ dir, readOnly: true, packWorkers: 0 });
    const got = await collect(r.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(got).toHaveLength(35);
    await expect(r.append(web, lines(1))).rejects.toThrow(/read-only/);
    await r.close();
    expect(readdirSync(join(dir, 'wal')).map((f) => `${f}:${statSync(join(dir, 'wal', f)).size}`)).toEqual(before);
    await w.close();
  });

  it('reports self-metrics', async () => {
    const registry = new Registry();
    const s = await open({ registry });
    await s.append(web, lines(10));
    const text = registry.expose();
    expect(text).toMatch(/^vigil_logs_appended_entries_total 10$/m);
    expect(text).toMatch(/^vigil_logs_memory_entries 10$/m);
    expect(text).toMatch(/^vigil_logs_streams 1$/m);
    await s.flush();
    expect(registry.expose()).toMatch(/^vigil_logs_memory_entries 0$/m);
    expect(registry.expose()).toMatch(/^vigil_logs_chunks_written_total [1-9]/m);
    await s.close();
  });

  it('drops an entry equal to the one before it, as Loki does', async () => {
    const s = await open();
    await s.append(web, [e(1, 'x'), e(1, 'x'), e(1, 'y')]);
    await s.append(web, [e(1, 'y')]);
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 10, direction: 'forward', limit: 0 }));
    expect(got.map((x) => x.line)).toEqual(['x', 'y']);
    await s.close();
  });

  it('rejects invalid entries without storing any of the batch', async () => {
    const s = await open({ maxLineBytes: 10 });
    await expect(s.append(web, [e(1, 'ok'), e(2, 'this line is too long')])).rejects.toThrow(InvalidEntryError);
    await expect(s.append(web, [e(-1, 'neg')])).rejects.toThrow(/non-negative/);
    await expect(s.append(web, [e(1, 'x', 1_000_000)])).rejects.toThrow(/nanoseconds/);
    expect(await s.series(all, 0, 100)).toEqual([]);
    await s.close();
  });

  it('replays the WAL after a crash, without duplicates', async () => {
    const s1 = await open();
    await s1.append(web, lines(100));
    await s1.flush();
    await s1.append(web, lines(50, 5000, 'late'));
    await s1.append(db, lines(7, 9000, 'db'));
    // Simulate a crash: no close(), no flush(); a second process opens the same directory.
    const s2 = await open();
    const got = await collect(s2.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(got).toHaveLength(157);
    expect(new Set(got.map((x) => x.labels + x.t + x.line)).size).toBe(157);
    // Appends continue and a third open still sees everything exactly once.
    await s2.append(web, [e(99999, 'after restart')]);
    await s2.flush();
    const s3 = await open();
    const got3 = await collect(s3.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(got3).toHaveLength(158);
    await s3.close();
  });

  it('appends LineBatches atomically and durably, in run order, several streams per batch', async () => {
    const s1 = await open();
    const body = Buffer.from('alpha|beta ü|gamma|delta');
    const b = new LineBatchBuilder(2);
    b.setBytes(body);
    b.beginRun(web);
    b.addRange(10, 1, 0, 5);
    b.addRange(11, 0, 6, 13);
    b.beginRun(db);
    b.addRange(12, 0, 14, 19);
    b.beginRun(web);
    b.addRange(13, 0, 20, 25);
    await s1.appendBatch(b);
    // An invalid batch stores nothing of itself.
    const bad = new LineBatchBuilder(2);
    bad.setBytes(body);
    bad.beginRun(web);
    bad.addRange(20, 0, 0, 5);
    bad.addRange(21, 0, 20, 99);
    await expect(s1.appendBatch(bad)).rejects.toBeInstanceOf(InvalidEntryError);
    const want = [
      { labels: db.toString(), t: 12, ns: 0, line: 'gamma' },
      { labels: web.toString(), t: 10, ns: 1, line: 'alpha' },
      { labels: web.toString(), t: 11, ns: 0, line: 'beta ü' },
      { labels: web.toString(), t: 13, ns: 0, line: 'delta' },
    ];
    const sorted = (x: { labels: string; t: number }[]) => [...x].sort((p, q) => p.labels.localeCompare(q.labels) || p.t - q.t);
    expect(sorted(await collect(s1.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 })))).toEqual(want);
    // Crash (no close): the WAL brings back the same entries.
    const s2 = await open();
    expect(sorted(await collect(s2.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 })))).toEqual(want);
    await s2.close();
  });

  it('flushes appends made in the same tick', async () => {
    const s = await open();
    const p = s.append(web, lines(10));
    await s.flush();
    await p;
    expect(s.memoryEntries).toBe(0);
    await s.close();
  });

  it('leaves only an empty WAL segment after flush', async () => {
    const s = await open();
    await s.append(web, lines(500));
    expect(s.memoryEntries).toBe(500);
    await s.flush();
    expect(s.memoryEntries).toBe(0);
    const walBytes = readdirSync(join(dir, 'wal')).reduce((n, f) => n + statSync(join(dir, 'wal', f)).size, 0);
    expect(walBytes).toBe(0);
    expect(s.diskBytes().chunks).toBeGreaterThan(0);
    await s.close();
  });

  it('skips chunks by token filter and still finds every match', async () => {
    const s = await open({ chunkBytes: 2048 });
    for (let k = 0; k < 20; k++) await s.append(web, lines(40, k * 100, `batch${k}`));
    await s.flush();
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0, needles: ['id=req-000007'] }));
    expect(got).toHaveLength(20);
    const none = await collect(s.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0, needles: ['id=req-999999'] }));
    expect(none).toHaveLength(0);
    const folded = await collect(s.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0, foldedNeedles: ['BATCH3 7 REQUEST'] }));
    expect(folded.map((x) => x.line)).toEqual(['batch3 7 request-id=req-000007 some more words']);
    await s.close();
  });

  it('reports a corrupt chunk, skips it and serves the rest', async () => {
    const errors: LogStoreError[] = [];
    const s1 = await open({}, errors);
    await s1.append(web, lines(200));
    await s1.flush();
    await s1.append(db, lines(10, 100, 'db'));
    await s1.close();
    const segDir = join(dir, 'chunks', 'app=web');
    const seg = join(segDir, readdirSync(segDir)[0]!);
    const bytes = readFileSync(seg);
    // Flip bytes in the middle of the first chunk's data (past its header and filter).
    for (let i = 400; i < 420; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(seg, bytes);
    const s2 = await open({}, errors);
    const got = await collect(s2.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.name).toBe('CorruptChunkError');
    expect(got.length).toBeGreaterThan(10);
    expect(got.length).toBeLessThan(210);
    expect(got.filter((x) => x.labels.includes('db'))).toHaveLength(10);
    await s2.close();
  });

  it('cuts a torn chunk off the end of a segment', async () => {
    const errors: LogStoreError[] = [];
    const s1 = await open({}, errors);
    await s1.append(web, lines(100));
    await s1.close();
    const segDir = join(dir, 'chunks', 'app=web');
    const seg = join(segDir, readdirSync(segDir)[0]!);
    const size = statSync(seg).size;
    writeFileSync(seg, readFileSync(seg).subarray(0, size - 100));
    const s2 = await open({}, errors);
    expect(errors.some((x) => /torn/.test(x.message))).toBe(true);
    await s2.append(web, [e(99999, 'appended after repair')]);
    await s2.close();
    const s3 = await open();
    const got = await collect(s3.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(got[got.length - 1]!.line).toBe('appended after repair');
    await s3.close();
  });

  it('drops, without a report, an empty segment a crash left before its header was written', async () => {
    const errors: LogStoreError[] = [];
    const s1 = await open({}, errors);
    await s1.append(web, lines(10));
    await s1.close();
    const segDir = join(dir, 'chunks', 'app=web');
    const names = readdirSync(segDir).sort();
    const empty = join(segDir, String(Number(names[names.length - 1]) + 1).padStart(8, '0'));
    writeFileSync(empty, '');
    const s2 = await open({}, errors);
    expect(errors).toEqual([]);
    expect(readdirSync(segDir).sort()).toEqual(names);
    await s2.append(web, [e(99999, 'after')]);
    await s2.close();
    const s3 = await open();
    const got = await collect(s3.select({ matchers: all, mint: 0, maxt: 1e6, direction: 'forward', limit: 0 }));
    expect(got[got.length - 1]!.line).toBe('after');
    await s3.close();
  });

  it('cuts a torn WAL record and keeps what precedes it', async () => {
    const errors: LogStoreError[] = [];
    const s1 = await open({ chunkBytes: 1 << 20, blockBytes: 1 << 20 }, errors);
    await s1.append(web, [e(1, 'first')]);
    await s1.append(web, [e(2, 'second')]);
    const walDir = join(dir, 'wal');
    const f = join(walDir, readdirSync(walDir).sort().pop()!);
    writeFileSync(f, readFileSync(f).subarray(0, statSync(f).size - 3));
    const s2 = await open({}, errors);
    const got = await collect(s2.select({ matchers: all, mint: 0, maxt: 10, direction: 'forward', limit: 0 }));
    expect(got.map((x) => x.line)).toEqual(['first']);
    expect(errors.some((x) => x.name === 'CorruptWalError')).toBe(true);
    await s2.close();
  });

  it('applies retention by size and by age per app', async () => {
    const now = 10_000_000;
    const s = await open({ segmentBytes: 4096, now: () => now, retention: { apps: { web: { maxBytes: 3000 }, db: { maxAgeMs: 1_000_000 } } } });
    for (let k = 0; k < 30; k++) await s.append(web, lines(20, k * 100, `web${k}`));
    await s.append(db, lines(20, 1000, 'old'));
    await s.flush();
    await s.append(db, lines(20, 9_500_000, 'new'));
    await s.flush();
    const before = (await s.indexStats([new Matcher(MatchType.Equal, 'app', 'web')], 0, 1e9)).entries;
    await s.applyRetention();
    const webAfter = await s.indexStats([new Matcher(MatchType.Equal, 'app', 'web')], 0, 1e9);
    expect(webAfter.entries).toBeLessThan(before);
    expect(webAfter.entries).toBeGreaterThan(0);
    const dbLines = await collect(s.select({ matchers: [new Matcher(MatchType.Equal, 'app', 'db')], mint: 0, maxt: 1e9, direction: 'forward', limit: 0 }));
    expect(dbLines.every((x) => x.line.startsWith('new'))).toBe(true);
    expect(dbLines).toHaveLength(20);
    await s.close();
  });

  it('serves queries while chunks are being cut (no loss, no duplicates)', async () => {
    const s = await open({ packWorkers: 1 });
    const writes: Promise<void>[] = [];
    for (let k = 0; k < 50; k++) writes.push(s.append(web, lines(20, k * 1000, `w${k}`)));
    await Promise.all(writes);
    const got = await collect(s.select({ matchers: all, mint: 0, maxt: 1e9, direction: 'forward', limit: 0 }));
    expect(got).toHaveLength(1000);
    await s.flush();
    const got2 = await collect(s.select({ matchers: all, mint: 0, maxt: 1e9, direction: 'backward', limit: 0 }));
    expect(got2).toHaveLength(1000);
    await s.close();
  });
});
