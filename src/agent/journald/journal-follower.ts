/**
 * JournalFollower: follows the systemd journal, by default by reading the journal files itself
 * (JournalFilesReader: no journalctl process), else through `journalctl -o export --follow`;
 * it falls back to journalctl when a file cannot be read here (an unknown incompatible flag, no
 * permission). Either way it decodes the export format (JournalExportReader: logs/parse's meaning of a journal entry,
 * with the fields written straight into JSON bytes), and ships each entry with its fields;
 * the position is the entry's cursor, and after a restart `--after-cursor` continues
 * right after the last entry the server acknowledged. journalctl is restarted with backoff if
 * it exits; a cursor journalctl refuses (the journal was replaced) is dropped with a warning.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Counter, Logger, Registry } from '../../instrument/index.js';
import { NOP_LOGGER } from '../../instrument/index.js';
import { LabelsBuilder } from '../../model/index.js';
import { PARSE_ERROR_FIELD } from '../../logs/parse/index.js';
import { ParsedStreams, type LogSink } from '../ship/index.js';
import { JournaldOptionError } from './errors.js';
import { followJournalFiles } from './follow-journal-files.js';
import { JournalEntryEncoder } from './journal-entry-encoder.js';
import { JournalExportReader, type JournalExportEntry } from './journal-export-reader.js';
import type { JournalRoot } from './journal-files-reader.js';
import { JournalMatch } from './journal-match.js';

/** JournalFollowerOptions configure a JournalFollower. */
export interface JournalFollowerOptions {
  readonly sink: LogSink;
  /** Read the journal files directly (`files`, default) or run journalctl (`journalctl`). */
  readonly reader?: 'files' | 'journalctl';
  /**
   * With the file reader: how often to look for new entries when no file event comes (ms,
   * default 1000). journald signals its writes to inotify at most every 250 ms, and fs.watch on
   * the journal directories wakes the reader then; the poll covers filesystems without inotify.
   */
  readonly pollIntervalMs?: number;
  /** File reader: poll interval while fs.watch covers the journal directories and announces every change (default 5 × pollIntervalMs). */
  readonly watchedPollIntervalMs?: number;
  /** With the file reader and neither directory nor namespace: the journal roots (default /run/log/journal and /var/log/journal). */
  readonly journalRoots?: readonly string[];
  /** The journalctl binary (default `journalctl` on the PATH). */
  readonly journalctl?: string;
  /** Read the journal files of this directory (`--directory`), e.g. a host's /var/log/journal mounted in a container. */
  readonly directory?: string;
  /** Read a journal namespace (`--namespace`). */
  readonly namespace?: string;
  /** Only these units (`--unit`, repeatable). */
  readonly units?: readonly string[];
  /** Field matches (`FIELD=value`), as journalctl takes them. */
  readonly matches?: readonly string[];
  /** Where to start without a saved cursor: the whole journal (`beginning`, default) or new entries only (`end`). */
  readonly startAt?: 'beginning' | 'end';
  /** With `beginning`, skip entries older than this (ms; default none). */
  readonly maxAgeMs?: number;
  /** Labels of every stream (default `job="systemd-journal"`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Keep journald's address fields (`__CURSOR`, `__REALTIME_TIMESTAMP`, `__MONOTONIC_TIMESTAMP`, `__SEQNUM`…) as fields (default false). */
  readonly keepAddressFields?: boolean;
  /** Put PRIORITY as a `level` label (default true). */
  readonly levelLabel?: boolean;
  /** Shipper source id (default `journald`, or `journald:<namespace>`). */
  readonly sourceId?: string;
  /**
   * journalctl's stdout buffer in bytes, set through coreutils' `stdbuf` when it is on the PATH
   * (default 1 MiB; 0 leaves journalctl's own 4 KiB buffer). journalctl still flushes whenever
   * it waits for new entries, so this changes only how many pipe writes (and reads on our side)
   * a burst of entries takes: one per 4 KiB otherwise, about one per burst with it.
   */
  readonly stdoutBufferBytes?: number;
  /** Delay before restarting journalctl after it exited, doubled up to 30 s (default 1 s). */
  readonly restartDelayMs?: number;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

/** JournalPosition is the saved position: the cursor of the last entry handed over. */
export interface JournalPosition {
  readonly cursor: string;
}

/** JournalFollower is a Service shipping journal entries. */
export class JournalFollower {
  readonly name: string;
  readonly #sink: LogSink;
  readonly #bin: string;
  readonly #baseArgs: readonly string[];
  readonly #startAt: 'beginning' | 'end';
  readonly #maxAgeMs: number | undefined;
  readonly #keepAddress: boolean;
  readonly #streams: ParsedStreams;
  readonly #id: string;
  readonly #restartMs: number;
  readonly #log: Logger;
  readonly #m: { entries: Counter; restarts: Counter; errors: Counter } | undefined;
  #cursor: string | undefined;
  #marked: string | undefined;
  #child: ChildProcess | undefined;
  #useFiles: boolean;
  readonly #roots: readonly JournalRoot[];
  readonly #match: JournalMatch | undefined;
  readonly #pollMs: number;
  readonly #watchedPollMs: number | undefined;
  /** `stdbuf` and its arguments to put before journalctl (empty: run journalctl itself). */
  #wrap: readonly string[];

  constructor(options: JournalFollowerOptions) {
    const {
      sink, journalctl = 'journalctl', directory, namespace, units = [], matches = [], startAt = 'beginning', maxAgeMs, labels = { job: 'systemd-journal' },
      keepAddressFields = false, levelLabel = true, restartDelayMs = 1000, stdoutBufferBytes = 1 << 20, registry, logger = NOP_LOGGER,
      reader = 'files', pollIntervalMs = 1000, journalRoots = ['/run/log/journal', '/var/log/journal'],
    } = options;
    if (reader !== 'files' && reader !== 'journalctl') throw new JournaldOptionError('reader', `must be "files" or "journalctl", got "${String(reader)}"`);
    if (!(pollIntervalMs > 0)) throw new JournaldOptionError('pollIntervalMs', `must be positive, got ${pollIntervalMs}`);
    if (startAt !== 'beginning' && startAt !== 'end') throw new JournaldOptionError('startAt', `must be "beginning" or "end", got "${String(startAt)}"`);
    if (directory !== undefined && namespace !== undefined) throw new JournaldOptionError('namespace', 'cannot be combined with directory');
    if (maxAgeMs !== undefined && !(maxAgeMs > 0)) throw new JournaldOptionError('maxAgeMs', `must be positive, got ${maxAgeMs}`);
    if (!Number.isInteger(stdoutBufferBytes) || stdoutBufferBytes < 0) throw new JournaldOptionError('stdoutBufferBytes', `must be a whole number ≥ 0, got ${stdoutBufferBytes}`);
    if (!(restartDelayMs > 0)) throw new JournaldOptionError('restartDelayMs', `must be positive, got ${restartDelayMs}`);
    for (const m of matches) if (!/^[A-Z0-9_]+=/.test(m) && m !== '+') throw new JournaldOptionError('matches', `"${m}" is not FIELD=value (upper-case field name) or +`);
    const args = ['--output=export', '--follow', '--no-pager', '--quiet'];
    if (directory !== undefined) args.push(`--directory=${directory}`);
    if (namespace !== undefined) args.push(`--namespace=${namespace}`);
    for (const u of units) args.push(`--unit=${u}`);
    this.#baseArgs = [...args, ...matches];
    this.#sink = sink;
    this.#bin = journalctl;
    this.#startAt = startAt;
    this.#maxAgeMs = maxAgeMs;
    this.#keepAddress = keepAddressFields;
    const lb = new LabelsBuilder();
    for (const [k, v] of Object.entries(labels)) lb.set(k, v);
    this.#streams = new ParsedStreams({ sink, labels: lb.labels(), levelLabel });
    this.#id = options.sourceId ?? (namespace === undefined ? 'journald' : `journald:${namespace}`);
    this.name = this.#id;
    this.#restartMs = restartDelayMs;
    this.#useFiles = reader === 'files';
    this.#pollMs = pollIntervalMs;
    if (options.watchedPollIntervalMs !== undefined && !(options.watchedPollIntervalMs > 0)) throw new JournaldOptionError('watchedPollIntervalMs', `must be positive, got ${options.watchedPollIntervalMs}`);
    this.#watchedPollMs = options.watchedPollIntervalMs;
    this.#roots = journalRootsOf(directory, namespace, journalRoots);
    try {
      this.#match = JournalMatch.compile(units, matches);
    } catch (e) {
      throw new JournaldOptionError('units', `bad unit pattern: ${e instanceof Error ? e.message : String(e)}`);
    }
    const stdbuf = stdoutBufferBytes > 0 ? findOnPath('stdbuf') : undefined;
    this.#wrap = stdbuf === undefined ? [] : [stdbuf, `--output=${stdoutBufferBytes}`];
    this.#log = logger.with({ component: 'journald' });
    this.#m =
      registry === undefined
        ? undefined
        : {
            entries: registry.counter({ name: 'vigil_agent_journald_entries_total', help: 'Journal entries read.', labelNames: ['source'] }).labels(this.#id),
            restarts: registry.counter({ name: 'vigil_agent_journald_restarts_total', help: 'Times journalctl was started again after it exited.', labelNames: ['source'] }).labels(this.#id),
            errors: registry
              .counter({ name: 'vigil_agent_journald_read_errors_total', help: 'Journal entries the file reader skipped or shipped with a parse_error field (an object it could not read or decode).', labelNames: ['source'] })
              .labels(this.#id),
          };
    const saved = sink.position(this.#id) as Partial<JournalPosition> | undefined;
    if (saved !== undefined && typeof saved.cursor === 'string' && saved.cursor !== '') this.#cursor = saved.cursor;
  }

  /** cursor is the cursor of the last entry handed over (undefined before the first). */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  /** args returns journalctl's arguments for the current position. */
  args(now = Date.now()): string[] {
    const a = [...this.#baseArgs];
    // --follow alone means --lines=10 even after a cursor: journalctl would print only 10 of
    // the entries after it, then wait for new ones. --lines=all reads every one.
    if (this.#cursor !== undefined) a.splice(4, 0, '--lines=all', `--after-cursor=${this.#cursor}`);
    else if (this.#startAt === 'end') a.splice(4, 0, '--lines=0');
    else {
      a.splice(4, 0, '--lines=all');
      if (this.#maxAgeMs !== undefined) a.splice(5, 0, `--since=@${Math.floor((now - this.#maxAgeMs) / 1000)}`);
    }
    return a;
  }

  /** reader is how the journal is read now: `files`, or `journalctl` (chosen, or fallen back to). */
  get reader(): 'files' | 'journalctl' {
    return this.#useFiles ? 'files' : 'journalctl';
  }

  /** run follows the journal until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#useFiles) {
      let why: string;
      try {
        const r = await this.#followFiles(signal);
        if (r.kind === 'aborted') return;
        why = r.reason;
      } catch (e) {
        why = e instanceof Error ? e.message : String(e);
      }
      if (signal.aborted) return;
      this.#useFiles = false;
      this.#log.warn('the journal files cannot be read directly; following through journalctl', { reason: why });
    }
    let delay = this.#restartMs;
    while (!signal.aborted) {
      const started = Date.now();
      const r = await this.#follow(signal);
      if (signal.aborted) return;
      this.#m?.restarts.inc();
      if (r.wrapFailed) {
        // stdbuf could not run journalctl (no libstdbuf, say): run journalctl itself from now on.
        this.#log.warn('stdbuf could not start journalctl; running it without a larger output buffer', { code: r.code, stderr: r.stderr });
        this.#wrap = [];
        continue;
      }
      if (r.badCursor && this.#cursor !== undefined) {
        this.#log.warn('journalctl refused the saved cursor; starting over without it', { cursor: this.#cursor, stderr: r.stderr });
        this.#cursor = undefined;
        continue;
      }
      this.#log.warn('journalctl exited; restarting', { code: r.code ?? 'signal', stderr: r.stderr, delay_ms: Math.round(delay) });
      await sleep(delay, signal);
      delay = Date.now() - started > 60_000 ? this.#restartMs : Math.min(30_000, delay * 2);
    }
  }

  /** One journalctl run; resolves when it exits (or the signal aborts). */
  #follow(signal: AbortSignal): Promise<{ code: number | null; stderr: string; badCursor: boolean; wrapFailed: boolean }> {
    return new Promise((resolve) => {
      const wrapped = this.#wrap.length > 0;
      const child = wrapped
        ? spawn(this.#wrap[0]!, [...this.#wrap.slice(1), this.#bin, ...this.args()], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(this.#bin, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#child = child;
      const reader = new JournalExportReader({ keepAddressFields: this.#keepAddress });
      let stderr = '';
      let got = false;
      let paused = false;
      const emit = (e: JournalExportEntry): void => this.#entry(e);
      child.stdout!.on('data', (chunk: Buffer) => {
        got = true;
        reader.write(chunk, Date.now(), emit);
        this.#markNow();
        if (!this.#sink.writable && !paused) {
          // The shipper is behind on the disk: stop reading, journalctl blocks on the pipe.
          paused = true;
          child.stdout!.pause();
          this.#log.debug('pausing: the shipper is behind');
          void this.#sink.whenWritable(signal).then(() => {
            this.#log.debug('resuming');
            paused = false;
            child.stdout!.resume();
          });
        }
      });
      child.stderr!.on('data', (b: Buffer) => {
        if (stderr.length < 4000) stderr += b.toString();
      });
      const onAbort = (): void => {
        child.kill('SIGTERM');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        stderr += e.message;
      });
      child.on('close', (code) => {
        signal.removeEventListener('abort', onAbort);
        this.#child = undefined;
        // An unfinished record (journalctl killed mid-write) is dropped: its cursor was never marked.
        // stdbuf's own failures: 125 (stdbuf failed), 126/127 (cannot run the command) with nothing read.
        const wrapFailed = wrapped && !got && !signal.aborted && (code === 125 || ((code === 126 || code === 127) && /stdbuf/.test(stderr)));
        resolve({ code, stderr: stderr.trim(), badCursor: !got && code !== 0 && /cursor/i.test(stderr), wrapFailed });
      });
      if (signal.aborted) onAbort();
    });
  }

  /**
   * Follows through the file reader. Entries go straight into JournalExportEntry objects
   * (JournalEntryEncoder); the few it refuses, and all with keepAddressFields, go through an
   * export record and JournalExportReader, the journalctl path's decoding.
   */
  #followFiles(signal: AbortSignal): ReturnType<typeof followJournalFiles> {
    const reader = new JournalExportReader({ keepAddressFields: this.#keepAddress });
    const encoder = new JournalEntryEncoder();
    const e: JournalExportEntry = { t: 0, ns: 0, timed: false, cursor: '', line: '', level: '', unit: '', host: '', identifier: '', container: '', fieldsJson: undefined };
    let bad = '';
    const emit = (x: JournalExportEntry): void => {
      if (bad !== '') {
        x.fieldsJson = withField(x.fieldsJson, PARSE_ERROR_FIELD, bad);
        this.#m?.errors.inc();
      }
      this.#entry(x);
    };
    let broken = 0;
    this.#log.info('reading the journal files directly', { roots: this.#roots.map((r) => r.path).join(',') });
    return followJournalFiles(
      {
        roots: this.#roots,
        ...(this.#match === undefined ? {} : { match: this.#match }),
        ...(this.#cursor === undefined ? {} : { cursor: this.#cursor }),
        startAt: this.#startAt,
        ...(this.#maxAgeMs === undefined ? {} : { maxAgeMs: this.#maxAgeMs }),
        pollIntervalMs: this.#pollMs,
        ...(this.#watchedPollMs === undefined ? {} : { watchedPollIntervalMs: this.#watchedPollMs }),
        pull: (r) => {
          const now = Date.now();
          let took = 0;
          while (took < FILES_BATCH && r.next(FILES_BATCH - took)) {
            took++;
            bad = r.currentErrors;
            if (!this.#keepAddress && encoder.encode(r.currentEntry, r.currentData, r.currentCount, e)) emit(e);
            else {
              r.clearOutput();
              r.writeCurrent(0);
              reader.write(r.output, now, emit);
              reader.reset();
            }
          }
          if (took > 0) {
            this.#cursor = r.currentCursor();
            this.#markNow();
          }
          return this.#sink.writable ? undefined : this.#sink.whenWritable(signal);
        },
        onBadCursor: (cursor) => {
          this.#log.warn('the saved cursor is not a journal cursor; starting over without it', { cursor });
          this.#cursor = undefined;
        },
        onSkip: (path, reason) => this.#log.warn('journal file reader skipped', { path, reason }),
        onBroken: (total) => {
          this.#m?.errors.inc(total - broken);
          broken = total;
        },
      },
      signal,
    );
  }

  #entry(e: JournalExportEntry): void {
    if (e.cursor !== '') this.#cursor = e.cursor;
    this.#sink.addEncoded(this.#streams.streamOf(e.level, e.host, e.unit, e.identifier, e.container, ''), e.t, e.ns, e.line, e.fieldsJson);
    this.#m?.entries.inc();
  }

  #markNow(): void {
    if (this.#cursor === undefined || this.#cursor === this.#marked) return;
    this.#marked = this.#cursor;
    this.#sink.mark(this.#id, { cursor: this.#cursor } satisfies JournalPosition);
  }
}

/** Entries the file reader hands over per turn of the event loop. */
const FILES_BATCH = 1000;
const MACHINE_DIR = /^[0-9a-f]{32}(\.[^/]+)?$/;

/** The directories journalctl reads for these options: `--directory` (and its machine subdirectories), a namespace's, or the local machine's. */
function journalRootsOf(directory: string | undefined, namespace: string | undefined, roots: readonly string[]): JournalRoot[] {
  if (directory !== undefined) return [{ path: directory, subdir: (n) => MACHINE_DIR.test(n) }];
  let machineId = '';
  try {
    machineId = readFileSync('/etc/machine-id', 'latin1').trim();
  } catch {
    // no machine id: every machine's directory
  }
  const want = namespace === undefined ? machineId : `${machineId}.${namespace}`;
  if (/^[0-9a-f]{32}$/.test(machineId)) return roots.map((r) => ({ path: join(r, want) }));
  return roots.map((r) => ({ path: r, subdir: (n) => (namespace === undefined ? /^[0-9a-f]{32}$/.test(n) : n.endsWith(`.${namespace}`)) }));
}

/** A JSON object's bytes with one more string field. */
function withField(json: Buffer | undefined, name: string, value: string): Buffer {
  const add = `${JSON.stringify(name)}:${JSON.stringify(value)}}`;
  if (json === undefined) return Buffer.from(`{${add}`);
  return Buffer.concat([json.subarray(0, json.length - 1), Buffer.from(`,${add}`)]);
}

/** The first executable file named `name` in a PATH directory. */
function findOnPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
