import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { MemorySink } from '../ship/index.js';
import { TailOptionError } from './errors.js';
import { FileTailer, type FileTailerOptions } from './file-tailer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-tail-'));
  dirs.push(d);
  return d;
}

function tailer(sink: MemorySink, include: string[], o: Partial<FileTailerOptions> = {}): FileTailer {
  return new FileTailer({ include, sink, startAt: 'beginning', rotateWaitMs: 0, quietMs: 50, multiline: false, ...o });
}

const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');
const want = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe('FileTailer', () => {
  it('reads whole lines, holds a partial last line until its newline, labels the stream', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, 'one\ntwo\nthr');
    const sink = new MemorySink();
    const t = tailer(sink, [join(d, '*.log')], { labels: { job: 'app' } });
    t.open();
    t.step();
    expect(sink.lines()).toEqual(['one', 'two']);
    expect(sink.entries[0]!.labels.toString()).toBe(`{filename="${f}", job="app"}`);
    appendFileSync(f, 'ee\nfour\n');
    t.step();
    expect(sink.lines()).toEqual(['one', 'two', 'three', 'four']);
    t.close();
  });

  it('starts at the end of files present at the very first start, at the start of files that appear later', () => {
    const d = tmp();
    writeFileSync(join(d, 'old.log'), 'before 1\nbefore 2\npart');
    const sink = new MemorySink();
    const t = tailer(sink, [join(d, '*.log')], { startAt: 'end', scanIntervalMs: 1 });
    t.open();
    appendFileSync(join(d, 'old.log'), 'ial\nafter\n');
    writeFileSync(join(d, 'new.log'), 'fresh\n');
    t.step(Date.now() + 10);
    t.step(Date.now() + 20);
    expect(sink.lines().sort()).toEqual(['after', 'fresh', 'partial']);
    t.close();
    // A restart is not a first start: a file created meanwhile is read whole.
    writeFileSync(join(d, 'while-down.log'), 'x\ny\n');
    const t2 = tailer(sink, [join(d, '*.log')], { startAt: 'end' });
    t2.open();
    t2.step();
    expect(sink.lines().sort()).toEqual(['after', 'fresh', 'partial', 'x', 'y']);
    t2.close();
  });

  it('follows rotation by rename: the old file to its end, then the new one', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, lines(1, 3));
    const sink = new MemorySink();
    const t = tailer(sink, [f]);
    t.open();
    t.step();
    appendFileSync(f, lines(4, 5));
    renameSync(f, f + '.1');
    writeFileSync(f, lines(6, 7));
    appendFileSync(f + '.1', lines(8, 8)); // a writer that still had the old file open
    for (let i = 0; i < 4; i++) t.step(Date.now() + i * 10);
    appendFileSync(f, lines(9, 9));
    t.step(Date.now() + 100);
    expect(sink.lines()).toEqual([...want(1, 5), 'line 8', ...want(6, 7), 'line 9']);
    expect(t.files()).toEqual([f]);
    t.close();
  });

  it('follows rotation by copytruncate: the copy supplies what was not read yet, nothing twice', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, lines(1, 10));
    const sink = new MemorySink();
    const t = tailer(sink, [f]);
    t.open();
    t.step();
    appendFileSync(f, lines(11, 14)); // written, not read yet, when logrotate copies
    copyFileSync(f, f + '.1');
    truncateSync(f, 0);
    appendFileSync(f, lines(15, 16));
    for (let i = 0; i < 4; i++) t.step(Date.now() + i * 10);
    expect(sink.lines().slice(0, 10)).toEqual(want(1, 10));
    expect([...sink.lines()].sort(byNum)).toEqual(want(1, 16));
    expect(new Set(sink.lines()).size).toBe(sink.lines().length);
    t.close();
  });

  it('resumes after a restart exactly where it stopped, also across a rename done meanwhile', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, lines(1, 5) + 'line 6 is par');
    const sink = new MemorySink();
    const t = tailer(sink, [f]);
    t.open();
    t.step();
    t.close();
    expect(sink.lines()).toEqual(want(1, 5));
    // While the agent is down: the line completes, more lines, then rotation by rename.
    appendFileSync(f, 'tial\n' + lines(7, 8));
    renameSync(f, join(d, 'app.log-20261122'));
    writeFileSync(f, lines(9, 10));
    const t2 = tailer(sink, [f]);
    t2.open();
    t2.step();
    t2.step(Date.now() + 10);
    expect(sink.lines()).toEqual([...want(1, 5), 'line 6 is partial', ...want(7, 10)]);
    t2.close();
  });

  it('resumes after a restart across a copytruncate done meanwhile', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, lines(100, 120));
    const sink = new MemorySink();
    const t = tailer(sink, [f]);
    t.open();
    t.step();
    t.close();
    appendFileSync(f, lines(121, 125));
    copyFileSync(f, f + '.1');
    truncateSync(f, 0);
    appendFileSync(f, lines(126, 127));
    const t2 = tailer(sink, [f]);
    t2.open();
    t2.step();
    expect(sink.lines().sort(byNum)).toEqual(want(100, 127));
    expect(sink.lines().length).toBe(28);
    t2.close();
  });

  it('reads a file whose inode was reused (fingerprint differs) from the start', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, 'aaaa\nbbbb\n');
    const sink = new MemorySink();
    const st = statSync(f);
    sink.mark(`file:${st.dev}:${st.ino}`, { path: f, dev: st.dev, ino: st.ino, off: 5, fp: 'not-the-same', fpLen: 10 });
    sink.mark('file:started', 1);
    const t = tailer(sink, [f]);
    t.open();
    t.step();
    expect(sink.lines()).toEqual(['aaaa', 'bbbb']);
    t.close();
  });

  it('keeps a multi-line group out of the position until it is complete', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, '2026-11-22T01:00:00Z ERROR boom\n\tat a.b(C.java:1)\n');
    const sink = new MemorySink();
    const t = tailer(sink, [f], { multiline: true, quietMs: 60_000 });
    t.open();
    t.step();
    expect(sink.lines()).toEqual([]);
    t.close();
    // Restart: the held group is read again whole, not split.
    appendFileSync(f, '\tat c.d(E.java:2)\n2026-11-22T01:00:01Z INFO next\n');
    const t2 = tailer(sink, [f], { multiline: true, quietMs: 60_000 });
    t2.open();
    t2.step();
    expect(sink.lines()).toEqual(['2026-11-22T01:00:00Z ERROR boom\n\tat a.b(C.java:1)\n\tat c.d(E.java:2)']);
    expect(sink.entries[0]!.labels.get('level')).toBe('error');
    t2.step(Date.now() + 120_000);
    expect(sink.lines()).toHaveLength(2);
    t2.close();
  });

  it('counts rotations and truncations', () => {
    const d = tmp();
    const f = join(d, 'x.log');
    writeFileSync(f, 'a\n');
    const reg = new Registry();
    const sink = new MemorySink();
    const t = tailer(sink, [f], { registry: reg });
    t.open();
    t.step();
    truncateSync(f, 0);
    t.step();
    rmSync(f);
    t.step();
    t.step(Date.now() + 10);
    const text = reg.expose();
    expect(text).toContain('vigil_agent_tail_truncations_total{tailer="file"} 1');
    expect(text).toContain('vigil_agent_tail_rotations_total{tailer="file"} 1');
    expect(t.files()).toEqual([]);
  });

  it('polls quiet files at the idle interval, and at the poll interval after new bytes, with a held group or a rotated file', () => {
    const d = tmp();
    const f = join(d, 'app.log');
    writeFileSync(f, 'one\n');
    const sink = new MemorySink();
    const t = tailer(sink, [f], { pollIntervalMs: 100, idlePollIntervalMs: 2000, multiline: true, quietMs: 1000, rotateWaitMs: 5000 });
    t.open();
    const t0 = Date.now();
    t.step(t0);
    expect(t.nextPollMs(t0 + 10)).toBe(100); // bytes came just now, and 'one' is held for continuation lines
    t.step(t0 + 1500);
    expect(sink.lines()).toEqual(['one']);
    expect(t.nextPollMs(t0 + 4900)).toBe(100);
    expect(t.nextPollMs(t0 + 5000)).toBe(2000); // five quiet seconds
    appendFileSync(f, 'Exception in thread "main" java.lang.IllegalStateException: x\n');
    t.step(t0 + 6000);
    appendFileSync(f, '\tat com.example.Main.run(Main.java:10)\n');
    t.step(t0 + 6100);
    expect(t.nextPollMs(t0 + 12_000)).toBe(100); // a group held for more continuation lines
    t.step(t0 + 12_000); // quiet: the group goes out
    expect(sink.lines()).toHaveLength(2);
    expect(t.nextPollMs(t0 + 12_000)).toBe(2000);
    renameSync(f, f + '.1');
    t.step(t0 + 12_100);
    expect(t.nextPollMs(t0 + 20_000)).toBe(100); // rotated away, still drained
    t.close();
    expect(new FileTailer({ include: [f], sink, pollIntervalMs: 3000 }).nextPollMs()).toBe(3000); // never below the poll interval
  });

  it.each([
    { name: 'no globs', o: { include: [] }, option: 'include' },
    { name: 'bad startAt', o: { startAt: 'middle' }, option: 'startAt' },
    { name: 'zero poll', o: { pollIntervalMs: 0 }, option: 'pollIntervalMs' },
    { name: 'negative idle poll', o: { idlePollIntervalMs: -1 }, option: 'idlePollIntervalMs' },
    { name: 'bad prefix', o: { sourcePrefix: 'A:B' }, option: 'sourcePrefix' },
  ])('refuses $name', ({ o, option }) => {
    try {
      new FileTailer({ include: ['/x/*.log'], sink: new MemorySink(), ...(o as object) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TailOptionError);
      expect((e as TailOptionError).option).toBe(option);
    }
  });
});

function byNum(a: string, b: string): number {
  return Number(a.split(' ')[1]) - Number(b.split(' ')[1]);
}
