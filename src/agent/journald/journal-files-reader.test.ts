// The file reader against journalctl on the same files: journal files written by
// systemd-journal-remote (deterministic: zstd-compressed large fields, binary fields, repeated
// fields, compact and regular layouts) and by a real systemd-journald with a rotation; the export
// bytes must be identical, cursors, order and filters included.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peer, required } from '../../../test/support/peers.js';
import { shared } from '../../../test/support/shared.js';
import { parseJournalCursor } from './journal-cursor.js';
import { JournalFilesReader } from './journal-files-reader.js';
import { JournalMatch } from './journal-match.js';
import { JournalEntryEncoder } from './journal-entry-encoder.js';
import { JournalExportReader, type JournalExportEntry } from './journal-export-reader.js';
import { JournalFollower } from './journal-follower.js';
import { MemorySink } from '../ship/index.js';

const FIXTURE = shared('recipes/journal-fixture.sh');
const REMOTE = '/lib/systemd/systemd-journal-remote';
const journalctl = peer('journalctl');
const haveRemote = journalctl !== undefined && required(existsSync(REMOTE), 'systemd-journal-remote (journal-fixture.sh install)');
const haveJournald = haveRemote && required(existsSync(FIXTURE) && existsSync('/lib/systemd/systemd-journald') && process.getuid?.() === 0, 'systemd-journald, the journal-fixture recipe and root');

/** Export-format input for systemd-journal-remote: n entries with varied fields. */
function fixtureExport(n: number, boot = '0123456789abcdef0123456789abcdef'): Buffer {
  const parts: Buffer[] = [];
  const text = (k: string, v: string | Buffer): void => {
    parts.push(Buffer.from(`${k}=`), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n'));
  };
  const bin = (k: string, v: Buffer): void => {
    const len = Buffer.alloc(8);
    len.writeUInt32LE(v.length, 0);
    parts.push(Buffer.from(`${k}\n`), len, v, Buffer.from('\n'));
  };
  let r = 12345;
  const rnd = (): number => (r = (Math.imul(r, 1103515245) + 12345) >>> 0);
  for (let i = 1; i <= n; i++) {
    text('__REALTIME_TIMESTAMP', String(1_795_330_271_000_000 + i * 1000));
    text('__MONOTONIC_TIMESTAMP', String(i * 10));
    text('_BOOT_ID', boot);
    text('_HOSTNAME', `host-${i % 3}`);
    text('_SYSTEMD_UNIT', `unit-${i % 2}.service`);
    text('PRIORITY', String(i % 8));
    if (i % 5 === 0) bin('MESSAGE', Buffer.from(`multi\nline message ${i}`));
    else text('MESSAGE', `message ${i} é`);
    text('VIGIL_SEQ', String(i));
    if (i % 7 === 0) text('BIG', `large field ${i} `.repeat(100));
    if (i % 11 === 0) bin('BIN', Buffer.from([0, 1, 2, 255, 254, 10, 13, i & 255]));
    if (i % 13 === 0) {
      text('MULTI', 'a');
      text('MULTI', `b${i}`);
    }
    if (i % 17 === 0) text('CTRL', 'tab\there \x7f del \u0085 c1');
    if (i % 19 === 0) bin('HUGE', Buffer.from(Array.from({ length: 70_000 }, () => rnd() & 0x3f)));
    if (i % 23 === 0) {
      text('_PID', '1');
      text('UNIT', 'unit-9.service');
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Export-format input in runs of entries that differ only in MESSAGE (as a service writing to stdout gives), with the run broken now and then. */
function fixtureRuns(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    const run = Math.floor(i / 6);
    lines.push(`__REALTIME_TIMESTAMP=${1_795_330_271_000_000 + i * 1000}`, `__MONOTONIC_TIMESTAMP=${i * 10}`, `_BOOT_ID=${run % 4 === 3 ? 'fedcba9876543210fedcba9876543210' : '0123456789abcdef0123456789abcdef'}`);
    lines.push('_HOSTNAME=vm', '_TRANSPORT=stdout', `_PID=${100 + run}`, '_SYSTEMD_UNIT=shop.service', `PRIORITY=${run % 8}`, 'SYSLOG_IDENTIFIER=shop');
    if (run % 3 === 1) lines.push(`_SOURCE_REALTIME_TIMESTAMP=${1_795_330_270_000_000 + run}`);
    lines.push(`MESSAGE=${i % 10 === 0 ? 'the same message' : i % 7 === 0 ? `request ${i} handled é, ${'with more words '.repeat(4)}` : `request ${i} handled é`}`);
    if (i % 29 === 0) lines.push(`MESSAGE=a second message ${i}`);
    lines.push('');
  }
  // A message that is not UTF-8, inside a run.
  const bad = Buffer.from('MESSAGE\n\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000bad\xff\xfe\n', 'latin1');
  const head = Buffer.from(lines.join('\n') + '\n');
  const tail = Buffer.from(['__REALTIME_TIMESTAMP=1795330272000000', '__MONOTONIC_TIMESTAMP=99999', '_BOOT_ID=0123456789abcdef0123456789abcdef', '_HOSTNAME=vm', '_TRANSPORT=stdout', '_PID=100', '_SYSTEMD_UNIT=shop.service', 'PRIORITY=0', 'SYSLOG_IDENTIFIER=shop', ''].join('\n'));
  return Buffer.concat([head, tail, bad, Buffer.from('\n')]);
}

function journalRemote(file: string, input: Buffer, env: Record<string, string> = {}): void {
  mkdirSync(join(file, '..'), { recursive: true });
  execFileSync(REMOTE, [`--output=${file}`, '-'], { input, env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] });
}

function jctl(dir: string, ...args: string[]): Buffer {
  return execFileSync(journalctl!, [`--directory=${dir}`, '-o', 'export', '--no-pager', ...args], { maxBuffer: 1 << 28 });
}

/** Everything the reader gives for the directory, placed by `seek`. */
function ours(dir: string, seek: (r: JournalFilesReader) => void = (r) => r.seekHead(), match?: JournalMatch): Buffer {
  const r = new JournalFilesReader({ roots: [{ path: dir, subdir: (n) => /^[0-9a-f]{32}(\..*)?$/.test(n) }], ...(match === undefined ? {} : { match }) });
  try {
    r.scan();
    seek(r);
    const out: Buffer[] = [];
    for (;;) {
      const n = r.read(37);
      if (n > 0) out.push(Buffer.from(r.output));
      expect(r.errors.size).toBe(0);
      if (r.exhausted) break;
    }
    return Buffer.concat(out);
  } finally {
    r.close();
  }
}

/** Each entry of the directory both ways, the encoder's and the export record's (through JournalExportReader); how many the encoder refused. */
function bothWays(dir: string, maxFieldBytes?: number): { refused: number; total: number } {
  const r = new JournalFilesReader({ roots: [{ path: dir, subdir: (n) => /^[0-9a-f]{32}(\..*)?$/.test(n) }] });
  const enc = new JournalEntryEncoder(maxFieldBytes === undefined ? {} : { maxFieldBytes });
  const x = new JournalExportReader(maxFieldBytes === undefined ? {} : { maxFieldBytes });
  const snap = (e: JournalExportEntry): object => ({ ...e, cursor: undefined, fieldsJson: e.fieldsJson === undefined ? undefined : JSON.parse(e.fieldsJson.toString()) as unknown, rawJson: e.fieldsJson?.toString() });
  const mine = { t: 0, ns: 0, timed: false, cursor: '', line: '', level: '', unit: '', host: '', identifier: '', container: '', fieldsJson: undefined } as JournalExportEntry;
  let refused = 0;
  let total = 0;
  r.scan();
  r.seekHead();
  while (r.next()) {
    total++;
    r.clearOutput();
    r.writeCurrent(0);
    let want: object | undefined;
    x.write(r.output, 0, (e) => (want = snap(e)));
    if (!enc.encode(r.currentEntry, r.currentData, r.currentCount, mine)) {
      refused++;
      continue;
    }
    expect(snap(mine)).toEqual(want);
  }
  r.close();
  return { refused, total };
}

const cursorsOf = (exp: Buffer): string[] => [...exp.toString('latin1').matchAll(/^__CURSOR=(.*)$/gm)].map((m) => m[1]!);

describe.skipIf(!haveRemote)('JournalFilesReader and journalctl on systemd-journal-remote files', () => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-jfr-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const layouts = [
    { name: 'compact', env: {} },
    { name: 'regular (64-bit items)', env: { SYSTEMD_JOURNAL_COMPACT: '0' } },
    { name: 'uncompressed, no keyed hash', env: { SYSTEMD_JOURNAL_COMPACT: '0', SYSTEMD_JOURNAL_KEYED_HASH: '0' }, args: ['--compress=no'] },
  ];
  const dirs = new Map<string, string>();
  const dirOf = (name: string): string => {
    let d = dirs.get(name);
    if (d === undefined) {
      const l = layouts.find((x) => x.name === name)!;
      d = join(base, String(dirs.size));
      mkdirSync(d);
      const input = fixtureExport(200);
      execFileSync(REMOTE, [`--output=${join(d, 'remote.journal')}`, ...(l.args ?? []), '-'], { input, env: { ...process.env, ...l.env }, stdio: ['pipe', 'ignore', 'ignore'] });
      dirs.set(name, d);
    }
    return d;
  };

  it.each(layouts)('$name: the same export bytes as journalctl -o export', ({ name }) => {
    const d = dirOf(name);
    const want = jctl(d);
    expect(cursorsOf(want)).toHaveLength(200);
    const got = ours(d);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it.each(layouts)('$name: the entry encoder gives what JournalExportReader makes of the export records', ({ name }) => {
    const { refused, total } = bothWays(dirOf(name));
    expect(total).toBe(200);
    // Refused: the entries with a binary value (BIN, every 11th) or a field twice (MULTI, every 13th), or a 70 000-byte one over the 64 KiB limit (HUGE, every 19th).
    expect(refused).toBeGreaterThan(0);
    expect(bothWays(dirOf(name), 65536).refused).toBeGreaterThan(refused);
    expect(refused).toBeLessThan(60);
  });

  it.each(layouts)('$name: the entry encoder gives what JournalExportReader makes of runs of entries that differ only in MESSAGE', ({ name }) => {
    const l = layouts.find((x) => x.name === name)!;
    const d = join(base, `runs-${dirs.size}-${name.length}`);
    mkdirSync(d);
    execFileSync(REMOTE, [`--output=${join(d, 'remote.journal')}`, ...(l.args ?? []), '-'], { input: fixtureRuns(300), env: { ...process.env, ...l.env }, stdio: ['pipe', 'ignore', 'ignore'] });
    const { refused, total } = bothWays(d);
    expect(total).toBe(301);
    // Refused: only the entry whose MESSAGE is not UTF-8 (a second MESSAGE is taken: the first wins).
    expect(refused).toBe(1);
    // With a 40-byte field limit the long MESSAGEs (every 7th) go the export way, which cuts
    // them; the rest still match.
    expect(bothWays(d, 40).refused).toBeGreaterThan(30);
    // Under 32 bytes even _BOOT_ID is cut: every entry goes the export way.
    expect(bothWays(d, 20).refused).toBe(301);
  });

  it.each([
    { keepAddressFields: false, units: [] as string[], matches: [] as string[] },
    { keepAddressFields: true, units: [], matches: [] },
    { keepAddressFields: false, units: ['unit-1'], matches: ['PRIORITY=3', '+', 'MULTI=a'] },
  ])('the follower ships the same entries with either reader (keepAddressFields $keepAddressFields, units $units, matches $matches)', async (o) => {
    const d = dirOf('compact');
    const shipped = async (reader: 'files' | 'journalctl'): Promise<unknown[]> => {
      const sink = new MemorySink();
      const f = new JournalFollower({ sink, directory: d, reader, ...o, pollIntervalMs: 20, restartDelayMs: 10 });
      const ac = new AbortController();
      const run = f.run(ac.signal);
      const want = cursorsOf(jctl(d, ...o.units.map((u) => `--unit=${u}`), ...o.matches)).length;
      for (let i = 0; i < 500 && sink.entries.length < want; i++) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await run;
      expect(sink.entries).toHaveLength(want);
      return sink.entries.map((e) => ({ ...e, labels: e.labels.toString() }));
    };
    const viaFiles = await shipped('files');
    const viaJournalctl = await shipped('journalctl');
    expect(viaFiles).toEqual(viaJournalctl);
    if (o.keepAddressFields) expect(Object.keys((viaFiles[0] as { fields: object }).fields).slice(0, 4)).toEqual(['__CURSOR', '__REALTIME_TIMESTAMP', '__MONOTONIC_TIMESTAMP', '_BOOT_ID']);
  });

  it('uses zstd for the large fields (the case this file is about)', () => {
    const hdr = execFileSync(journalctl!, [`--directory=${dirOf('compact')}`, '--header'], { encoding: 'utf8' });
    expect(hdr).toMatch(/COMPRESSED-ZSTD/);
    expect(hdr).toMatch(/COMPACT/);
  });

  it.each(layouts)('$name: resumes after a cursor exactly as journalctl --after-cursor', ({ name }) => {
    const d = dirOf(name);
    const cursors = cursorsOf(jctl(d));
    for (const c of [cursors[0]!, cursors[36]!, cursors[198]!, cursors[199]!]) {
      const want = jctl(d, `--after-cursor=${c}`);
      const got = ours(d, (r) => r.seekAfterCursor(parseJournalCursor(c)!));
      expect(got.toString('latin1')).toBe(want.toString('latin1'));
    }
    // A cursor of another journal (seqnum id unknown): by realtime, as journalctl.
    const foreign = cursors[100]!.replace(/^s=[0-9a-f]{32}/, 's=' + 'f'.repeat(32));
    expect(ours(d, (r) => r.seekAfterCursor(parseJournalCursor(foreign)!)).toString('latin1')).toBe(jctl(d, `--after-cursor=${foreign}`).toString('latin1'));
    // Same boot, another seqnum id, a realtime that disagrees: journalctl goes by the monotonic time.
    const sameBoot = foreign.replace(/;t=[0-9a-f]+/, ';t=1');
    const got = ours(d, (r) => r.seekAfterCursor(parseJournalCursor(sameBoot)!));
    expect(cursorsOf(got)).toHaveLength(99);
    expect(got.toString('latin1')).toBe(jctl(d, `--after-cursor=${sameBoot}`).toString('latin1'));
    // Another boot as well: by realtime (t=1: everything).
    const otherBoot = sameBoot.replace(/;b=[0-9a-f]{32}/, ';b=' + 'e'.repeat(32));
    expect(ours(d, (r) => r.seekAfterCursor(parseJournalCursor(otherBoot)!)).toString('latin1')).toBe(jctl(d, `--after-cursor=${otherBoot}`).toString('latin1'));
  });

  it.each([
    { units: ['unit-1'], matches: [] },
    { units: ['unit-1.service', 'unit-9'], matches: [] },
    { units: ['unit-*'], matches: [] },
    { units: [], matches: ['PRIORITY=3', 'PRIORITY=4'] },
    { units: [], matches: ['PRIORITY=3', '_HOSTNAME=host-1'] },
    { units: [], matches: ['_HOSTNAME=host-1', 'PRIORITY=2', '+', 'MULTI=a'] },
    { units: ['unit-0'], matches: ['PRIORITY=0', '+', 'PRIORITY=2'] },
    { units: [], matches: ['MESSAGE=message 1 é'] },
  ])('filters units $units and matches $matches as journalctl does', ({ units, matches }) => {
    const d = dirOf('compact');
    const want = jctl(d, ...units.map((u) => `--unit=${u}`), ...matches);
    const got = ours(d, (r) => r.seekHead(), JournalMatch.compile(units, matches));
    expect(cursorsOf(got)).toEqual(cursorsOf(want));
    expect(got.equals(want)).toBe(true);
  });

  it('places by realtime, and at the tail', () => {
    const d = dirOf('compact');
    const got = ours(d, (r) => r.seekRealtime(1_795_330_271_000_000 + 150 * 1000));
    expect(cursorsOf(got)).toEqual(cursorsOf(jctl(d)).slice(149));
    expect(ours(d, (r) => r.seekTail()).length).toBe(0);
  });

  it('reads entries appended to the file after it was opened, and a second file merged in order', () => {
    const d = join(base, 'grow');
    journalRemote(join(d, 'remote.journal'), fixtureExport(20));
    const r = new JournalFilesReader({ roots: [{ path: d }] });
    r.scan();
    r.seekHead();
    const seen: string[] = [];
    const drain = (): void => {
      for (;;) {
        if (r.read(7) > 0) seen.push(...cursorsOf(r.output));
        if (r.exhausted) break;
      }
    };
    drain();
    expect(seen).toHaveLength(20);
    // journal-remote appends to the same file: same seqnum id, seqnums go on.
    journalRemote(join(d, 'remote.journal'), fixtureExport(25).subarray(fixtureExport(20).length));
    r.refresh();
    drain();
    journalRemote(join(d, 'other.journal'), fixtureExport(3, 'fedcba9876543210fedcba9876543210'));
    expect(r.scan()).toBe(true);
    drain();
    r.close();
    // A file that shows up later is read whole after what was read already (a follower cannot
    // go back); every entry comes exactly once.
    expect(seen.slice(0, 25)).toEqual(cursorsOf(jctl(d)).filter((c) => !c.includes('b=fedcba')));
    expect([...seen].sort()).toEqual(cursorsOf(jctl(d)).sort());
  });
});

describe.skipIf(!haveJournald)('JournalFilesReader and journalctl on a real journald with rotation', () => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-jfr-jd-'));
  const jd = join(base, 'jd');
  afterAll(() => {
    try {
      execFileSync(FIXTURE, ['journald-down', jd], { stdio: 'ignore' });
    } catch {
      // down already
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('gives the export bytes journalctl gives for the whole directory, and after each cursor', () => {
    const up = execFileSync(FIXTURE, ['journald-up', jd, `vigilr${process.pid}`], { encoding: 'utf8' });
    const dir = /JOURNAL_DIR=(.*)/.exec(up)![1]!;
    execFileSync(FIXTURE, ['log', jd, '1', '40']);
    execFileSync(FIXTURE, ['rotate', jd]);
    execFileSync(FIXTURE, ['log', jd, '41', '60', `vigil-jfr-${process.pid}.service`]);
    // journald writes asynchronously: wait for the last entry.
    for (let i = 0; i < 100 && !jctl(dir, 'VIGIL_SEQ=60').length; i++) execFileSync('sleep', ['0.05']);
    const want = jctl(dir);
    const got = ours(dir);
    expect(cursorsOf(got).length).toBeGreaterThanOrEqual(61);
    expect(got.toString('latin1')).toBe(want.toString('latin1'));
    const cursors = cursorsOf(want);
    for (const c of [cursors[5]!, cursors[41]!, cursors.at(-2)!]) {
      expect(ours(dir, (r) => r.seekAfterCursor(parseJournalCursor(c)!)).toString('latin1')).toBe(jctl(dir, `--after-cursor=${c}`).toString('latin1'));
    }
    const both = bothWays(dir);
    expect(both.total).toBe(cursors.length);
    const unit = `vigil-jfr-${process.pid}`;
    expect(ours(dir, (r) => r.seekHead(), JournalMatch.compile([unit], [])).toString('latin1')).toBe(jctl(dir, `--unit=${unit}`).toString('latin1'));
    expect(readFileSync(join(jd, 'journald.log'), 'utf8')).not.toMatch(/corrupt/i);
  });
});
