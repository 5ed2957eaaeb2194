/**
 * FileTailer: follows the files matching a set of globs and ships their lines, surviving
 * rotation and restarts without gaps or repeats.
 *
 * - Files are named by device and inode (source id `<prefix>:<dev>:<ino>`); the position kept
 *   per file is the offset after the last line handed over, with a fingerprint (hash of the
 *   first KiB) that tells a reused inode from the file read before.
 * - Rotation by rename: the renamed file is read to its end (and for `rotateWaitMs` more in
 *   case a writer still has it open) while the new file at the path is read from its start.
 *   If the agent was down during the rename, the old file is found again in its directory by
 *   inode and fingerprint and its rest is read first.
 * - Rotation by copytruncate: a file shorter than the offset read is read again from 0; its
 *   copy is recognized by fingerprint and read from where the original left off, so lines
 *   written between the last read and the copy are not lost, and none is read twice.
 * - A line is shipped only once its newline is there; a multi-line group once the next entry
 *   starts or the file has been quiet for `quietMs`.
 * - On the very first start, files already present are read from their end (`startAt`,
 *   default `end`); files that appear later, and all files after a restart, from their start
 *   or their position.
 * @module
 */
import { closeSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Counter, Gauge, Logger, Registry } from '../../instrument/index.js';
import { NOP_LOGGER } from '../../instrument/index.js';
import { LineParser } from '../../logs/parse/index.js';
import { Labels, LabelsBuilder } from '../../model/index.js';
import { ParsedStreams, type LogSink } from '../ship/index.js';
import { TailOptionError } from './errors.js';
import { MIN_MATCH_BYTES, fingerprint, isPosition, type FilePosition } from './file-fingerprint.js';
import { Glob } from './glob.js';
import { TailedFile } from './tailed-file.js';

/** FileTailerOptions configure a FileTailer. */
export interface FileTailerOptions {
  /** Absolute path globs of the files to follow (`*`, `?`, `[…]`, `**`, `{a,b}`). */
  readonly include: readonly string[];
  /** Globs of files to leave out. */
  readonly exclude?: readonly string[];
  readonly sink: LogSink;
  /** Labels of every stream (default none; `filename` is added unless filenameLabel is false). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Add the path as the `filename` label (default true, as Promtail). */
  readonly filenameLabel?: boolean;
  /** Extra labels per file; returning undefined skips the file. */
  readonly labelsFor?: (path: string) => Readonly<Record<string, string>> | undefined;
  /** Where files found at the very first start begin: `end` (default) or `beginning`. */
  readonly startAt?: 'beginning' | 'end';
  /** How often files are checked for new bytes (default 250 ms). */
  readonly pollIntervalMs?: number;
  /**
   * How often they are checked once none has had new bytes for 5 s, none holds a multi-line
   * group and none is being drained after a rotation (default 1 s, at least pollIntervalMs): a
   * quiet host is not woken four times a second. New bytes bring back pollIntervalMs.
   */
  readonly idlePollIntervalMs?: number;
  /** How often the globs are expanded again (default 5 s; sooner after a rotation). */
  readonly scanIntervalMs?: number;
  /** A file renamed or deleted is still read until it has been idle this long (default 5 s). */
  readonly rotateWaitMs?: number;
  /** Multi-line groups held for continuation lines are shipped after this much quiet (default 1 s). */
  readonly quietMs?: number;
  /** Longest line (default 256 KiB); longer ones are truncated and marked. */
  readonly maxLineBytes?: number;
  /** Group stack traces with the line that logged them (default true). */
  readonly multiline?: boolean;
  /** Time zone of timestamps without one (default UTC). */
  readonly timeZone?: string;
  /** Put the detected level in a `level` label (default true). */
  readonly levelLabel?: boolean;
  /** Source id prefix (default `file`), keeping separate tailers' positions apart. */
  readonly sourcePrefix?: string;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

interface Candidate {
  readonly id: string | undefined;
  readonly pos: FilePosition;
  readonly at: number;
}

const READ_BUF = 64 * 1024;
const MAX_READ_PER_POLL = 1 << 20;
const CANDIDATE_TTL_MS = 10 * 60_000;
/** No new bytes for this long: polled at the idle interval. */
const QUIET_AFTER_MS = 5000;

/** FileTailer is a Service following files. */
export class FileTailer {
  readonly name: string;
  readonly #include: readonly Glob[];
  readonly #exclude: readonly Glob[];
  readonly #sink: LogSink;
  readonly #labels: Labels;
  readonly #filenameLabel: boolean;
  readonly #labelsFor: FileTailerOptions['labelsFor'];
  readonly #startAt: 'beginning' | 'end';
  readonly #pollMs: number;
  readonly #idlePollMs: number;
  readonly #scanMs: number;
  readonly #rotateWaitMs: number;
  readonly #quietMs: number;
  readonly #maxLine: number;
  readonly #multiline: boolean;
  readonly #levelLabel: boolean;
  readonly #prefix: string;
  readonly #parser: LineParser;
  readonly #log: Logger;
  readonly #files = new Map<string, TailedFile>();
  #candidates: Candidate[] = [];
  readonly #buf = Buffer.allocUnsafe(READ_BUF);
  #lastScan = 0;
  #scanSoon = false;
  #lastDataAt = 0;
  readonly #m: { files: Gauge; readBytes: Counter; reads: Counter; rotations: Counter; truncations: Counter } | undefined;

  constructor(options: FileTailerOptions) {
    const {
      include, exclude = [], sink, labels = {}, filenameLabel = true, labelsFor, startAt = 'end', pollIntervalMs = 250, idlePollIntervalMs = Math.max(1000, pollIntervalMs), scanIntervalMs = 5000,
      rotateWaitMs = 5000, quietMs = 1000, maxLineBytes = 256 * 1024, multiline = true, timeZone, levelLabel = true, sourcePrefix = 'file', registry, logger = NOP_LOGGER,
    } = options;
    if (include.length === 0) throw new TailOptionError('include', 'needs at least one glob');
    if (startAt !== 'beginning' && startAt !== 'end') throw new TailOptionError('startAt', `must be "beginning" or "end", got "${String(startAt)}"`);
    for (const [k, v] of [['pollIntervalMs', pollIntervalMs], ['idlePollIntervalMs', idlePollIntervalMs], ['scanIntervalMs', scanIntervalMs], ['quietMs', quietMs], ['maxLineBytes', maxLineBytes]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new TailOptionError(k, `must be positive, got ${v}`);
    }
    if (!(rotateWaitMs >= 0)) throw new TailOptionError('rotateWaitMs', `must be ≥ 0, got ${rotateWaitMs}`);
    if (!/^[a-z][a-z0-9_-]*$/.test(sourcePrefix)) throw new TailOptionError('sourcePrefix', `must be lower-case letters, digits, - or _, got "${sourcePrefix}"`);
    this.name = `${sourcePrefix}-tailer`;
    this.#include = include.map((g) => new Glob(g));
    this.#exclude = exclude.map((g) => new Glob(g));
    this.#sink = sink;
    const lb = new LabelsBuilder();
    for (const [k, v] of Object.entries(labels)) lb.set(k, v);
    this.#labels = lb.labels();
    this.#filenameLabel = filenameLabel;
    this.#labelsFor = labelsFor;
    this.#startAt = startAt;
    this.#pollMs = pollIntervalMs;
    this.#idlePollMs = Math.max(idlePollIntervalMs, pollIntervalMs);
    this.#scanMs = scanIntervalMs;
    this.#rotateWaitMs = rotateWaitMs;
    this.#quietMs = quietMs;
    this.#maxLine = maxLineBytes;
    this.#multiline = multiline;
    this.#levelLabel = levelLabel;
    this.#prefix = sourcePrefix;
    this.#parser = new LineParser(timeZone === undefined ? {} : { timeZone });
    this.#log = logger.with({ component: this.name });
    this.#m =
      registry === undefined
        ? undefined
        : {
            files: registry.gauge({ name: 'vigil_agent_tail_files', help: 'Files being followed.', labelNames: ['tailer'] }).labels(sourcePrefix),
            readBytes: registry.counter({ name: 'vigil_agent_tail_read_bytes_total', help: 'Bytes read from followed files.', labelNames: ['tailer'] }).labels(sourcePrefix),
            reads: registry.counter({ name: 'vigil_agent_tail_reads_total', help: 'Reads of followed files that returned data.', labelNames: ['tailer'] }).labels(sourcePrefix),
            rotations: registry.counter({ name: 'vigil_agent_tail_rotations_total', help: 'Followed files renamed or deleted (rotation by rename).', labelNames: ['tailer'] }).labels(sourcePrefix),
            truncations: registry.counter({ name: 'vigil_agent_tail_truncations_total', help: 'Followed files truncated (rotation by copytruncate).', labelNames: ['tailer'] }).labels(sourcePrefix),
          };
  }

  /** files lists the paths being followed now. */
  files(): readonly string[] {
    return [...this.#files.values()].map((f) => f.path);
  }

  /** run follows the files until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.open();
    const sleeper = new Sleeper(signal);
    try {
      while (!signal.aborted) {
        if (!this.#sink.writable) await this.#sink.whenWritable(signal);
        const busy = this.step();
        await sleeper.sleep(busy ? 0 : this.nextPollMs());
      }
    } finally {
      sleeper.close();
      this.close();
    }
  }

  /** nextPollMs is the wait before the next poll when nothing is waiting now. */
  nextPollMs(now = Date.now()): number {
    if (now - this.#lastDataAt < QUIET_AFTER_MS || this.#scanSoon) return this.#pollMs;
    for (const f of this.#files.values()) if (f.holding || f.rotatedAt >= 0) return this.#pollMs;
    return this.#idlePollMs;
  }

  /** open finds the files and places each at its position (run calls it; tests may step by hand). */
  open(): void {
    const startedKey = `${this.#prefix}:started`;
    const first = this.#sink.position(startedKey) === undefined;
    if (first) this.#sink.mark(startedKey, 1);
    this.#scan(Date.now(), first, true);
  }

  /** step reads what is new in every file and rescans the globs when due; true when more is waiting. */
  step(now = Date.now()): boolean {
    const busy = this.#poll(now);
    if (this.#scanSoon || now - this.#lastScan >= this.#scanMs) this.#scan(now, false);
    return busy;
  }

  /** close closes every file (positions stay with the sink). */
  close(): void {
    for (const f of this.#files.values()) f.close();
    this.#files.clear();
    this.#m?.files.set(0);
  }

  /** Reads what is new in every file; true when some file has more waiting. */
  #poll(now: number): boolean {
    let busy = false;
    // Rotated files first: their lines are older than those of the files that replaced them.
    const files = [...this.#files.values()].sort((a, b) => (b.rotatedAt >= 0 ? 1 : 0) - (a.rotatedAt >= 0 ? 1 : 0));
    for (const f of files) {
      try {
        busy = this.#pollFile(f, now) || busy;
      } catch (e) {
        this.#log.warn('reading a file failed; dropping it', { path: f.path, err: (e as Error).message });
        this.#drop(f, false);
      }
    }
    return busy;
  }

  #pollFile(f: TailedFile, now: number): boolean {
    const size = f.size();
    if (size < f.offset) {
      // Truncated in place: what was read stays shipped; its copy (if any) continues from here.
      this.#m?.truncations.inc();
      this.#log.info('file truncated, reading it again from the start', { path: f.path, size, offset: f.offset });
      f.finish(now);
      this.#candidates.push({ id: undefined, pos: f.position, at: now });
      f.restart(now);
      this.#scanSoon = true;
    }
    let read = 0;
    // Nothing appended: no read.
    while (size !== f.offset && read < MAX_READ_PER_POLL) {
      const n = f.read(this.#buf, MAX_READ_PER_POLL - read, now);
      if (n === 0) break;
      read += n;
      this.#m?.readBytes.inc(n);
      this.#m?.reads.inc();
    }
    if (read > 0) this.#lastDataAt = now;
    if (read >= MAX_READ_PER_POLL) return true;
    if (read > 0) return false;
    // At the end: emit held groups after a quiet spell, notice rotation.
    if (now - f.lastReadAt >= this.#quietMs) f.quiet();
    if (f.rotatedAt < 0 && !this.#stillAtPath(f)) {
      f.rotatedAt = now;
      this.#m?.rotations.inc();
      this.#scanSoon = true;
    }
    if (f.rotatedAt >= 0 && now - f.lastReadAt >= this.#rotateWaitMs && now - f.rotatedAt >= this.#rotateWaitMs) this.#drop(f, true);
    return false;
  }

  #stillAtPath(f: TailedFile): boolean {
    try {
      const st = statSync(f.path);
      return st.ino === f.ino && st.dev === f.dev;
    } catch {
      return false;
    }
  }

  /**
   * Closes a file. A finished one (rotated away and read to its end) is forgotten; one that
   * failed keeps its position, so finding it again resumes where it stopped.
   */
  #drop(f: TailedFile, finished: boolean): void {
    if (finished) f.finish(Date.now());
    f.close();
    this.#files.delete(f.id);
    if (finished) this.#sink.mark(f.id, null);
    this.#m?.files.set(this.#files.size);
  }

  #matches(path: string): boolean {
    return this.#include.some((g) => g.matches(path)) && !this.#exclude.some((g) => g.matches(path));
  }

  #scan(now: number, first: boolean, initial = false): void {
    this.#lastScan = now;
    this.#scanSoon = false;
    this.#candidates = this.#candidates.filter((c) => now - c.at < CANDIDATE_TTL_MS);
    const found: { path: string; st: Stats; id: string }[] = [];
    const seen = new Set<string>();
    for (const g of this.#include) {
      for (const path of g.files()) {
        if (seen.has(path) || this.#exclude.some((x) => x.matches(path))) continue;
        seen.add(path);
        let st: Stats;
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const id = `${this.#prefix}:${st.dev}:${st.ino}`;
        const known = this.#files.get(id);
        if (known !== undefined) {
          if (known.path !== path) {
            known.path = path;
            known.rotatedAt = -1;
          }
          continue;
        }
        found.push({ path, st, id });
      }
    }
    // Files with a saved position first, so what they no longer hold is known before new files are placed.
    const fresh: typeof found = [];
    for (const f of found) {
      if (isPosition(this.#sink.position(f.id))) this.#consider(f.path, f.st, f.id, now, first);
      else fresh.push(f);
    }
    if (initial) {
      // Saved positions of files the globs no longer find: renamed (maybe copied) while the agent was away.
      const prefix = `${this.#prefix}:`;
      for (const id of this.#sink.sources()) {
        if (!id.startsWith(prefix) || this.#files.has(id)) continue;
        const pos = this.#sink.position(id);
        if (isPosition(pos)) this.#candidates.push({ id, pos, at: now });
      }
    }
    for (const f of fresh) this.#consider(f.path, f.st, f.id, now, first);
    // Candidates not matched by a glob: look in their directories (a rotated name, a copy).
    if (this.#candidates.length > 0) this.#searchDirs(now);
    if (initial) {
      // What was not found is gone (deleted): forget it.
      for (const c of this.#candidates) if (c.id !== undefined) this.#sink.mark(c.id, null);
      this.#candidates = this.#candidates.filter((c) => c.id === undefined);
    }
    this.#m?.files.set(this.#files.size);
  }

  #consider(path: string, st: Stats, id: string, now: number, first: boolean): void {
    const extra = this.#labelsFor === undefined ? {} : this.#labelsFor(path);
    if (extra === undefined) return;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      this.#log.warn('cannot open a file', { path, err: (e as Error).message });
      return;
    }
    try {
      const start = this.#startOffset(id, fd, st, now, first);
      this.#open(id, path, fd, st, start.off, start.labelPath, extra);
    } catch (e) {
      closeSync(fd);
      this.#log.warn('cannot follow a file', { path, err: (e as Error).message });
    }
  }

  #startOffset(id: string, fd: number, st: Stats, now: number, first: boolean): { off: number; labelPath: string | undefined } {
    const saved = this.#sink.position(id);
    if (isPosition(saved)) {
      if (st.size >= saved.fpLen && fingerprint(fd, saved.fpLen) === saved.fp && st.size >= saved.off) return { off: saved.off, labelPath: undefined };
      // Inode reused, or truncated while the agent was away: the old content may live on in a copy.
      this.#candidates.push({ id: undefined, pos: saved, at: now });
    }
    const c = this.#matchCandidate(fd, st.size);
    if (c !== undefined) return { off: c.pos.off, labelPath: c.pos.path };
    if (first && this.#startAt === 'end') return { off: lastLineStart(fd, st.size), labelPath: undefined };
    return { off: 0, labelPath: undefined };
  }

  #matchCandidate(fd: number, size: number): Candidate | undefined {
    for (let i = 0; i < this.#candidates.length; i++) {
      const c = this.#candidates[i]!;
      if (c.pos.fpLen < MIN_MATCH_BYTES || size < c.pos.off || size < c.pos.fpLen) continue;
      if (fingerprint(fd, c.pos.fpLen) !== c.pos.fp) continue;
      this.#candidates.splice(i, 1);
      if (c.id !== undefined) this.#sink.mark(c.id, null);
      return c;
    }
    return undefined;
  }

  #open(id: string, path: string, fd: number, st: Stats, off: number, labelPath: string | undefined, extra: Readonly<Record<string, string>>): TailedFile {
    const lb = new LabelsBuilder();
    if (this.#filenameLabel) lb.set('filename', labelPath ?? path);
    for (const [k, v] of Object.entries(extra)) lb.set(k, v);
    this.#labels.forEach((n, v) => lb.set(n, v));
    const streams = new ParsedStreams({ sink: this.#sink, labels: lb.labels(), levelLabel: this.#levelLabel });
    const f = new TailedFile({ id, path, fd, dev: st.dev, ino: st.ino, offset: off, sink: this.#sink, streams, parser: this.#parser, maxLineBytes: this.#maxLine, multiline: this.#multiline });
    this.#files.set(id, f);
    this.#sink.mark(id, f.position);
    this.#log.debug('following', { path, offset: off });
    return f;
  }

  /** Finds candidates in their directories: the same inode with the same fingerprint, or a copy. */
  #searchDirs(now: number): void {
    const dirs = new Set(this.#candidates.map((c) => dirname(c.pos.path)));
    for (const dir of dirs) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (!this.#candidates.some((c) => dirname(c.pos.path) === dir)) break;
        const path = join(dir, name);
        let st: Stats;
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const id = `${this.#prefix}:${st.dev}:${st.ino}`;
        if (this.#files.has(id)) continue;
        let fd: number;
        try {
          fd = openSync(path, 'r');
        } catch {
          continue;
        }
        let used = false;
        try {
          const i = this.#candidates.findIndex(
            (c) => dirname(c.pos.path) === dir && st.size >= c.pos.off && st.size >= c.pos.fpLen && (c.pos.ino === st.ino && c.pos.dev === st.dev ? true : c.pos.fpLen >= MIN_MATCH_BYTES) && fingerprint(fd, c.pos.fpLen) === c.pos.fp,
          );
          if (i >= 0) {
            const c = this.#candidates[i]!;
            this.#candidates.splice(i, 1);
            if (c.id !== undefined && c.id !== id) this.#sink.mark(c.id, null);
            const f = this.#open(id, path, fd, st, c.pos.off, c.pos.path, this.#labelsFor?.(c.pos.path) ?? {});
            used = true;
            // Followed only to its end unless the globs cover it.
            if (!this.#matches(path)) f.rotatedAt = now;
            this.#log.info('reading the rest of a rotated file', { path, was: c.pos.path, offset: c.pos.off });
          }
        } finally {
          if (!used) closeSync(fd);
        }
      }
    }
  }
}

/** The start of the last line of a file (its size when it ends with a newline). */
function lastLineStart(fd: number, size: number): number {
  if (size === 0) return 0;
  const len = Math.min(size, 64 * 1024);
  const b = Buffer.allocUnsafe(len);
  const n = readSync(fd, b, 0, len, size - len);
  const nl = b.lastIndexOf(10, n - 1);
  return nl < 0 ? (size > len ? size : 0) : size - len + nl + 1;
}

/** Sleeper sleeps until a time passes or the signal aborts, with one abort listener for all its sleeps. */
class Sleeper {
  readonly #signal: AbortSignal;
  #wake: (() => void) | undefined;
  readonly #onAbort = (): void => this.#wake?.();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  sleep(ms: number): Promise<void> {
    if (this.#signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  close(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
  }
}
