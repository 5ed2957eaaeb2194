import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../ship/index.js';
import { JournaldOptionError } from './errors.js';
import { JournalFollower } from './journal-follower.js';
import { shared } from '../../../test/support/shared.js';

const FIXTURE = shared('recipes/journal-fixture.sh');
const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const CI = process.env.CI === 'true' || process.env.CI === '1';
const have = existsSync(JOURNAL_REMOTE) && existsSync(FIXTURE);
if (!have && CI) throw new Error('systemd-journal-remote is not installed (scripts/test.sh installs it)');

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A namespaced systemd-journald can run here (root, journald installed). */
const LIVE_JOURNALD = process.getuid?.() === 0 && existsSync('/lib/systemd/systemd-journald');
if (CI && !LIVE_JOURNALD) throw new Error('the live journald tests need root and systemd-journald (CI runs as root; systemd comes with systemd-journal-remote, which scripts/test.sh installs)');

/** Runs fn with a namespaced journald (its fixture directory and journal directory), stopped and removed after. */
async function withJournald(namespace: string, fn: (jd: string, journalDir: string) => Promise<void>): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'vigil-journal-jd-'));
  const jd = join(d, 'jd');
  try {
    const up = execFileSync(FIXTURE, ['journald-up', jd, namespace], { encoding: 'utf8' });
    await fn(jd, /JOURNAL_DIR=(.*)/.exec(up)![1]!);
  } finally {
    execFileSync(FIXTURE, ['journald-down', jd], { stdio: 'ignore' });
    rmSync(d, { recursive: true, force: true });
  }
}

describe('JournalFollower options', () => {
  it.each([
    { name: 'startAt', o: { startAt: 'now' } },
    { name: 'namespace', o: { directory: '/x', namespace: 'y' } },
    { name: 'matches', o: { matches: ['unit=x'] } },
    { name: 'maxAgeMs', o: { maxAgeMs: -1 } },
    { name: 'stdoutBufferBytes', o: { stdoutBufferBytes: -1 } },
    { name: 'stdoutBufferBytes', o: { stdoutBufferBytes: 1.5 } },
    { name: 'reader', o: { reader: 'journald' } },
    { name: 'pollIntervalMs', o: { pollIntervalMs: 0 } },
  ])('refuses a bad $name', ({ name, o }) => {
    try {
      new JournalFollower({ sink: new MemorySink(), ...(o as object) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JournaldOptionError);
      expect((e as JournaldOptionError).option).toBe(name);
    }
  });

  it('builds journalctl arguments from the position', () => {
    const sink = new MemorySink();
    const f = new JournalFollower({ sink, directory: '/j', units: ['a.service'], matches: ['PRIORITY=3'], maxAgeMs: 3_600_000 });
    expect(f.args(1_800_000_000_000)).toEqual(['--output=export', '--follow', '--no-pager', '--quiet', '--lines=all', '--since=@1799996400', '--directory=/j', '--unit=a.service', 'PRIORITY=3']);
    sink.mark('journald', { cursor: 's=abc;i=1' });
    const g = new JournalFollower({ sink, startAt: 'end' });
    expect(g.args()).toEqual(['--output=export', '--follow', '--no-pager', '--quiet', '--lines=all', '--after-cursor=s=abc;i=1']);
    expect(new JournalFollower({ sink: new MemorySink(), startAt: 'end' }).args()).toContain('--lines=0');
  });
});

describe.skipIf(!have)('JournalFollower with real journal files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (from: number, to: number): void => {
    execFileSync(FIXTURE, ['remote-write', dir, String(from), String(to)], { stdio: 'ignore' });
  };
  const seqs = (sink: MemorySink): number[] => sink.entries.map((e) => Number(e.fields?.VIGIL_SEQ));
  // The tests after the first read this file of 40 entries.
  beforeAll(() => write(1, 40));

  // Both readers on one file, one after the other: the second resumes after the first's cursor.
  it.each([
    { first: 'files', second: 'journalctl' },
    { first: 'journalctl', second: 'files' },
  ] as const)('ships entries with labels and fields, follows appends, and resumes after the acknowledged cursor ($first, then $second)', async ({ first, second }) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    const write = (from: number, to: number): void => {
      execFileSync(FIXTURE, ['remote-write', dir, String(from), String(to)], { stdio: 'ignore' });
    };
    write(1, 5);
    const sink = new MemorySink();
    const f1 = new JournalFollower({ sink, directory: join(dir, 'logs'), reader: first, pollIntervalMs: 50 });
    const ac1 = new AbortController();
    const run1 = f1.run(ac1.signal);
    await until(() => sink.entries.length === 5);
    const e = sink.entries[0]!;
    expect(e.line).toBe('fixture message 1');
    expect(e.labels.toObject()).toEqual({ job: 'systemd-journal', host: 'vigil-fixture-host', unit: 'vigil-fixture.service', identifier: 'vigil-fixture', level: 'info' });
    expect(e.fields).toMatchObject({ VIGIL_SEQ: '1', PRIORITY: '6' });
    expect(Object.keys(e.fields!).filter((k) => k.startsWith('__'))).toEqual([]);
    expect(Math.abs(e.t - Date.now())).toBeLessThan(120_000);
    write(6, 10);
    await until(() => sink.entries.length === 10);
    ac1.abort();
    await run1;
    expect(sink.position('journald')).toEqual({ cursor: f1.cursor });
    write(11, 40);
    const f2 = new JournalFollower({ sink, directory: join(dir, 'logs'), reader: second, pollIntervalMs: 50 });
    const ac2 = new AbortController();
    const run2 = f2.run(ac2.signal);
    await until(() => sink.entries.length >= 40);
    await new Promise((r) => setTimeout(r, 300));
    ac2.abort();
    await run2;
    // More than 10 entries after the cursor: journalctl --follow alone would show only 10 of them.
    expect(seqs(sink)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect([f1.reader, f2.reader]).toEqual([first, second]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    { name: 'the machine directory', ns: undefined },
    { name: 'a namespace directory', ns: 'vigilns' },
  ])('reads $name under the journal roots (as journalctl without --directory)', async ({ ns }) => {
    const machineId = readFileSync('/etc/machine-id', 'latin1').trim();
    const root = mkdtempSync(join(tmpdir(), 'vigil-journal-root-'));
    const src = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    execFileSync(FIXTURE, ['remote-write', src, '1', '3'], { stdio: 'ignore' });
    // The wanted directory holds entries 1..3; the other one (namespace or not) a copy that must not be read.
    const want = join(root, ns === undefined ? machineId : `${machineId}.${ns}`);
    const other = join(root, ns === undefined ? `${machineId}.elsewhere` : machineId);
    mkdirSync(want);
    mkdirSync(other);
    copyFileSync(join(src, 'logs', 'remote.journal'), join(want, 'system.journal'));
    copyFileSync(join(src, 'logs', 'remote.journal'), join(other, 'system.journal'));
    const sink = new MemorySink();
    const f = new JournalFollower({ sink, journalRoots: [root, join(root, 'missing')], ...(ns === undefined ? {} : { namespace: ns }), pollIntervalMs: 50 });
    const ac = new AbortController();
    const run = f.run(ac.signal);
    await until(() => sink.entries.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await run;
    expect(seqs(sink)).toEqual([1, 2, 3]);
    rmSync(root, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  });

  it('with startAt end ships only what comes after the start (file reader)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    execFileSync(FIXTURE, ['remote-write', d, '1', '5'], { stdio: 'ignore' });
    const sink = new MemorySink();
    const f = new JournalFollower({ sink, directory: join(d, 'logs'), startAt: 'end', pollIntervalMs: 50 });
    const ac = new AbortController();
    const run = f.run(ac.signal);
    await new Promise((r) => setTimeout(r, 300));
    execFileSync(FIXTURE, ['remote-write', d, '6', '8'], { stdio: 'ignore' });
    await until(() => sink.entries.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await run;
    expect(seqs(sink)).toEqual([6, 7, 8]);
    rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!LIVE_JOURNALD)('follows a live journald across a rotation, every entry once (file reader)', () =>
    withJournald(`vigilf${process.pid}`, async (jd, jdir) => {
      const sink = new MemorySink();
      const f = new JournalFollower({ sink, directory: jdir, matches: ['SYSLOG_IDENTIFIER=vigil-writer'], pollIntervalMs: 50 });
      const ac = new AbortController();
      const run = f.run(ac.signal);
      execFileSync(FIXTURE, ['log', jd, '1', '100']);
      await until(() => sink.entries.length >= 100);
      execFileSync(FIXTURE, ['rotate', jd]);
      execFileSync(FIXTURE, ['log', jd, '101', '200']);
      execFileSync(FIXTURE, ['rotate', jd]);
      execFileSync(FIXTURE, ['log', jd, '201', '250']);
      await until(() => sink.entries.length >= 250);
      await new Promise((r) => setTimeout(r, 300));
      ac.abort();
      await run;
      expect(f.reader).toBe('files');
      expect(seqs(sink)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    }));

  it.skipIf(!LIVE_JOURNALD)('is woken by journald through fs.watch, without waiting for a poll (file reader)', () =>
    withJournald(`vigilw${process.pid}`, async (jd, jdir) => {
      const sink = new MemorySink();
      // Polls a minute apart: only the file events can bring the entries in time.
      const f = new JournalFollower({ sink, directory: jdir, matches: ['SYSLOG_IDENTIFIER=vigil-writer'], pollIntervalMs: 60_000, watchedPollIntervalMs: 60_000 });
      const ac = new AbortController();
      const run = f.run(ac.signal);
      await new Promise((r) => setTimeout(r, 300));
      execFileSync(FIXTURE, ['log', jd, '1', '5']);
      await until(() => sink.entries.length >= 5, 3000);
      // Quiet for a while, then more: the reader was waiting, not polling.
      await new Promise((r) => setTimeout(r, 1500));
      execFileSync(FIXTURE, ['log', jd, '6', '10']);
      await until(() => sink.entries.length >= 10, 3000);
      ac.abort();
      await run;
      expect(f.reader).toBe('files');
      expect(seqs(sink)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }));

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv'))('falls back to journalctl when a file cannot be opened (no permission)', () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-journal-perm-'));
    execFileSync(FIXTURE, ['remote-write', d, '1', '3'], { stdio: 'ignore' });
    chmodSync(join(d, 'logs', 'remote.journal'), 0o600);
    chmodSync(d, 0o755);
    // A follower run as nobody: the file reader cannot open the root-only file and hands over.
    const script = join(d, 'run.mts');
    const mod = (name: string): string => JSON.stringify(join(import.meta.dirname, '..', name, 'index.ts'));
    writeFileSync(
      script,
      `import { JournalFollower } from ${mod('journald')};\nimport { MemorySink } from ${mod('ship')};\n` +
        'const sink = new MemorySink();\nconst f = new JournalFollower({ sink, directory: process.argv[2], restartDelayMs: 50 });\n' +
        'const ac = new AbortController();\nconst run = f.run(ac.signal);\nawait new Promise((r) => setTimeout(r, 800));\nac.abort();\nawait run;\n' +
        'console.log(JSON.stringify({ reader: f.reader, entries: sink.entries.length }));\n',
    );
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', script, join(d, 'logs')], { encoding: 'utf8', cwd: join(import.meta.dirname, '../../..') });
    rmSync(d, { recursive: true, force: true });
    // journalctl cannot read it either: nothing shipped, but the follower switched.
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ reader: 'journalctl', entries: 0 });
  });

  it('falls back to journalctl when a file needs a feature the file reader lacks', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    execFileSync(FIXTURE, ['remote-write', d, '1', '3'], { stdio: 'ignore' });
    const other = join(d, 'logs', 'future.journal');
    copyFileSync(join(d, 'logs', 'remote.journal'), other);
    // An incompatible flag bit no reader knows: journalctl skips the file, the file reader hands over.
    const fd = openSync(other, 'r+');
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 12);
    b.writeUInt32LE(b.readUInt32LE(0) | (1 << 30), 0);
    writeSync(fd, b, 0, 4, 12);
    closeSync(fd);
    const sink = new MemorySink();
    const f = new JournalFollower({ sink, directory: join(d, 'logs'), restartDelayMs: 10 });
    const ac = new AbortController();
    const run = f.run(ac.signal);
    await until(() => sink.entries.length >= 3);
    ac.abort();
    await run;
    expect(f.reader).toBe('journalctl');
    expect(seqs(sink)).toEqual([1, 2, 3]);
    rmSync(d, { recursive: true, force: true });
  });

  it.each([
    { name: 'a stdbuf that fails (exit 125)', script: '#!/bin/sh\necho "stdbuf: failed" >&2\nexit 125\n' },
    { name: 'a stdbuf that passes the command through', script: '#!/bin/sh\nshift\nexec "$@"\n' },
    { name: 'no stdbuf wrapper (buffer 0)', script: undefined },
  ])('follows the journal with $name', async ({ script }) => {
    const bin = mkdtempSync(join(tmpdir(), 'vigil-stdbuf-'));
    const path = process.env.PATH;
    let f: JournalFollower;
    const sink = new MemorySink();
    try {
      if (script !== undefined) {
        writeFileSync(join(bin, 'stdbuf'), script, { mode: 0o755 });
        process.env.PATH = `${bin}:${path ?? ''}`;
      }
      f = new JournalFollower({ sink, directory: join(dir, 'logs'), reader: 'journalctl', restartDelayMs: 10, ...(script === undefined ? { stdoutBufferBytes: 0 } : {}) });
    } finally {
      process.env.PATH = path;
    }
    const ac = new AbortController();
    const run = f.run(ac.signal);
    await until(() => sink.entries.length >= 40);
    ac.abort();
    await run;
    rmSync(bin, { recursive: true, force: true });
    expect(seqs(sink).slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it.each(['files', 'journalctl'] as const)('drops a cursor that is not one and starts over (%s)', async (reader) => {
    const sink = new MemorySink();
    sink.mark('journald', { cursor: 'not-a-cursor' });
    const f = new JournalFollower({ sink, directory: join(dir, 'logs'), reader, restartDelayMs: 10 });
    const ac = new AbortController();
    const run = f.run(ac.signal);
    await until(() => sink.entries.length >= 40);
    ac.abort();
    await run;
    expect(seqs(sink).slice(0, 3)).toEqual([1, 2, 3]);
  });
});
