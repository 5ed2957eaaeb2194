/**
 * JournalFilesReader: the entries of a set of journal directories (active `system.journal`,
 * `user-*.journal`, archived `system@…journal`, `*.journal~`), merged in journalctl's order (by
 * seqnum within one seqnum id, else by monotonic time within one boot, else realtime, then
 * xor_hash) and written out in journal export format, exactly as `journalctl -o export` writes
 * them (so JournalExportReader gives them the meaning the journalctl path does). Each file keeps
 * its own read position while the reader runs, so an entry that lands late in one file (or a
 * file renamed to an archive and replaced) is still read exactly once; a cursor places every
 * file after it on start, as `--after-cursor` does.
 * @module
 */
import { statSync } from 'node:fs';
import { JournalFileError } from './errors.js';
import { writeJournalCursor, type JournalCursor } from './journal-cursor.js';
import { exportRecordSize, writeExportRecord } from './export-record.js';
import { listJournalFiles, type JournalRoot } from './journal-root.js';
import { JournalFile, JournalState, newJournalEntry, type JournalData, type JournalEntry } from './journal-file.js';
import type { JournalMatch } from './journal-match.js';

export type { JournalRoot } from './journal-root.js';

/** JournalFilesReaderOptions configure a reader. */
export interface JournalFilesReaderOptions {
  readonly roots: readonly JournalRoot[];
  /** Only entries passing this filter are written. */
  readonly match?: JournalMatch;
  /** Called for a file skipped (not a journal file, broken); unreadable (permission) and unsupported files throw from scan() instead. */
  readonly onSkip?: (path: string, reason: string) => void;
}

interface Tracked {
  readonly file: JournalFile;
  path: string;
  /** Index of the next entry to read. */
  next: number;
  /** The entry at `next`, once read. */
  readonly head: JournalEntry;
  loaded: boolean;
  /** Failed reads of the entry at `next` (a file being written may show an entry half linked). */
  failures: number;
  seen: boolean;
  /** The seqnum id as hex bytes (for cursors). */
  seqnumIdBytes: Buffer;
  /** Its header went bad: no longer read. */
  dead: boolean;
}

/** JournalFilesReader reads and merges the journal files of its roots. */
export class JournalFilesReader {
  readonly #roots: readonly JournalRoot[];
  readonly #match: JournalMatch | undefined;
  readonly #onSkip: (path: string, reason: string) => void;
  readonly #files = new Map<string, Tracked>();
  /** Paths that failed to open, with how many scans in a row they did (a new file may not have its header yet). */
  readonly #failed = new Map<string, number>();
  #data: JournalData[] = [];
  #out = Buffer.allocUnsafe(256 * 1024);
  #len = 0;
  #lastSeqnumId = '';
  #lastSeqnum = -1;
  #lastXorHi = 0;
  #lastXorLo = 0;
  /** Record index (in the last read) → the fields that could not be decoded. */
  readonly errors = new Map<number, string>();
  /** Entries skipped because an object could not be read. */
  brokenEntries = 0;
  /** Whether the last read (or next) stopped for want of entries. */
  exhausted = false;
  #scanned = 0;
  /** Skip the next entry passing the filter (journalctl's --after-cursor without the cursor's journal). */
  #skipNext = false;
  readonly #list2: Tracked[] = [];
  #cur: Tracked | undefined;
  #curN = 0;
  #curBad = '';
  readonly #cursorBuf = Buffer.allocUnsafe(160);
  /** The file and item offsets of the last entry whose items all gave their DATA objects (then data[k] is item k's). */
  #prevFile: JournalFile | undefined;
  readonly #prevItems: number[] = [];
  #prevN = 0;
  #dirs: string[] = [];

  constructor({ roots, match, onSkip = () => undefined }: JournalFilesReaderOptions) {
    this.#roots = roots;
    this.#match = match;
    this.#onSkip = onSkip;
  }

  /** files lists the paths of the open files. */
  get files(): readonly string[] {
    return [...this.#files.values()].map((t) => t.path);
  }

  /** output is the export-format bytes of the last read. */
  get output(): Buffer {
    return this.#out.subarray(0, this.#len);
  }

  /**
   * scan lists the roots: new journal files are opened (read from their first entry), renamed
   * ones keep their position, deleted ones are closed once read to their end. Throws a
   * JournalFileError with `unsupported` when a file needs journalctl (an unknown incompatible
   * flag, no permission). Returns true when a file was added.
   */
  scan(): boolean {
    let added = false;
    for (const t of this.#files.values()) t.seen = false;
    const listed = listJournalFiles(this.#roots);
    this.#dirs = listed.directories;
    for (const path of listed.files) {
      let st;
      try {
        st = statSync(path, { bigint: false });
      } catch {
        continue; // gone between listing and stat
      }
      const key = `${st.dev}:${st.ino}`;
      const t = this.#files.get(key);
      if (t !== undefined) {
        t.seen = true;
        t.path = path;
        continue;
      }
      let file: JournalFile;
      try {
        file = new JournalFile({ path });
      } catch (e) {
        if (e instanceof JournalFileError && e.unsupported) throw e;
        const n = (this.#failed.get(path) ?? 0) + 1;
        this.#failed.set(path, n);
        if (n === 5) this.#onSkip(path, e instanceof Error ? e.message : String(e));
        continue;
      }
      this.#failed.delete(path);
      this.#files.set(key, { file, path, next: 0, head: newJournalEntry(), loaded: false, failures: 0, seen: true, dead: false, seqnumIdBytes: Buffer.from(file.header.seqnumId, 'latin1') });
      added = true;
    }
    for (const [key, t] of this.#files) {
      if (t.seen) continue;
      if (t.dead) {
        t.file.close();
        this.#files.delete(key);
        continue;
      }
      // Deleted: keep reading what the header says is there, then let go.
      try {
        t.file.refresh();
      } catch (e) {
        if (e instanceof JournalFileError && e.unsupported) throw e;
        this.#drop(t, e);
        continue;
      }
      if (t.next >= t.file.header.nEntries) {
        t.file.close();
        this.#files.delete(key);
      }
    }
    return added;
  }

  /** refresh re-reads the headers of the files still written; true when one has new entries or a new state (ARCHIVED: rotated). */
  refresh(): { grew: boolean; archived: boolean } {
    let grew = false;
    let archived = false;
    for (const t of this.#files.values()) {
      const h = t.file.header;
      if (t.dead || (h.state === JournalState.Archived && t.next >= h.nEntries)) continue;
      const before = h.nEntries;
      let changed: boolean;
      try {
        changed = t.file.refresh();
      } catch (e) {
        if (e instanceof JournalFileError && e.unsupported) throw e;
        this.#drop(t, e);
        continue;
      }
      if (changed) {
        if (t.file.header.nEntries !== before) grew = true;
        if (t.file.header.state === JournalState.Archived) archived = true;
        t.loaded = false;
      }
    }
    return { grew, archived };
  }

  /** seekHead places every file at its first entry. */
  seekHead(): void {
    this.#skipNext = false;
    for (const t of this.#files.values()) this.#place(t, 0);
  }

  /** seekTail places every file after its last entry. */
  seekTail(): void {
    this.#skipNext = false;
    for (const t of this.#files.values()) this.#place(t, t.file.header.nEntries);
  }

  /** seekRealtime places every file at its first entry at or after `us` (µs since the epoch). */
  seekRealtime(us: number): void {
    this.#skipNext = false;
    for (const t of this.#files.values()) this.#place(t, this.#bisect(t, (e) => e.realtime >= us));
  }

  /**
   * seekAfterCursor places every file after the cursor's entry. In files of the cursor's seqnum
   * id that is by seqnum, and the others follow by monotonic time among entries of the cursor's
   * boot, else by realtime. When no file has the seqnum id any more, it does what journalctl
   * `--after-cursor` does: every file at its first entry at or after the cursor's time, and the
   * first entry of them all (passing the filter) skipped.
   */
  seekAfterCursor(c: JournalCursor): void {
    const byBoot = c.bootId !== undefined && c.monotonic !== undefined;
    let files = 0;
    let same = false;
    for (const t of this.#files.values()) {
      files++;
      if (c.seqnumId === t.file.header.seqnumId && c.seqnum !== undefined) same = true;
    }
    const strict = same;
    for (const t of this.#files.values()) {
      const h = t.file.header;
      if (c.seqnumId === h.seqnumId && c.seqnum !== undefined) this.#place(t, this.#bisect(t, (e) => e.seqnum > c.seqnum!));
      else if (byBoot || c.realtime !== undefined) {
        const after = (a: number, b: number): boolean => (strict ? a > b : a >= b);
        this.#place(t, this.#bisect(t, (e) => (byBoot && e.bootId === c.bootId ? after(e.monotonic, c.monotonic!) : c.realtime !== undefined ? after(e.realtime, c.realtime) : false)));
      } else this.#place(t, 0);
    }
    this.#skipNext = !same && files > 0;
    if (c.seqnumId !== undefined && c.seqnum !== undefined) {
      this.#lastSeqnumId = c.seqnumId;
      this.#lastSeqnum = c.seqnum;
    }
  }

  /** directories lists the directories the last scan listed (to watch). */
  get directories(): readonly string[] {
    return this.#dirs;
  }

  /**
   * read takes up to `max` entries in order and writes those passing the filter into `output`
   * as export records; returns how many it wrote. `exhausted` tells whether it stopped for want
   * of entries (rather than at `max`); `errors` which records had fields that could not be decoded.
   */
  read(max: number): number {
    this.#len = 0;
    this.errors.clear();
    let n = 0;
    let left = max;
    while (left > 0) {
      const before = this.#scanned;
      const got = this.next(left);
      left -= this.#scanned - before;
      if (!got) break;
      this.writeCurrent(n++);
    }
    return n;
  }

  /**
   * next moves to the next entry passing the filter, looking at most at `budget` entries;
   * false when there is none (`exhausted`) or the budget ran out. The entry is then `current`.
   */
  next(budget = Infinity): boolean {
    this.exhausted = false;
    const files = this.#list2;
    files.length = 0;
    for (const t of this.#files.values()) files.push(t);
    for (let k = 0; k < budget; k++) {
      let best: Tracked | undefined;
      for (const t of files) {
        if (!this.#load(t)) continue;
        if (best === undefined || compare(t, best) < 0) best = t;
      }
      if (best === undefined) {
        this.exhausted = true;
        return false;
      }
      this.#scanned++;
      best.next++;
      if (best.next >= best.file.header.nEntries && best.file.header.state === JournalState.Archived) best.file.trim();
      best.loaded = false;
      const e = best.head;
      const id = best.file.header.seqnumId;
      if (id === this.#lastSeqnumId && e.seqnum === this.#lastSeqnum && e.xorHi === this.#lastXorHi && e.xorLo === this.#lastXorLo) continue; // the same entry in two files
      this.#lastSeqnumId = id;
      this.#lastSeqnum = e.seqnum;
      this.#lastXorHi = e.xorHi;
      this.#lastXorLo = e.xorLo;
      if (this.#select(best, e)) {
        if (!this.#skipNext) return true;
        this.#skipNext = false;
      }
    }
    return false;
  }

  /** currentEntry is the entry next() moved to. */
  get currentEntry(): JournalEntry {
    return this.#cur!.head;
  }

  /** currentData is its DATA objects (the first currentCount; reused). */
  get currentData(): readonly JournalData[] {
    return this.#data;
  }

  /** currentCount is how many of currentData belong to it. */
  get currentCount(): number {
    return this.#curN;
  }

  /** currentErrors tells which of its fields could not be read ('' when none). */
  get currentErrors(): string {
    return this.#curBad;
  }

  /** currentCursor is its cursor. */
  currentCursor(): string {
    const b = this.#cursorBuf;
    return b.toString('latin1', 0, writeJournalCursor(b, 0, this.#cur!.seqnumIdBytes, this.#cur!.head));
  }

  /** clearOutput empties `output` and `errors`. */
  clearOutput(): void {
    this.#len = 0;
    this.errors.clear();
  }

  /** writeCurrent appends the export record of the current entry to `output` (record `index` for `errors`). */
  writeCurrent(index: number): void {
    const t = this.#cur!;
    const e = t.head;
    const data = this.#data;
    const n = this.#curN;
    this.#reserve(exportRecordSize(data, n));
    const p = writeExportRecord(this.#out, this.#len, t.seqnumIdBytes, e, data, n);
    this.#len = p;
    if (this.#curBad !== '') this.errors.set(index, this.#curBad);
  }

  /** close closes every file. */
  close(): void {
    for (const t of this.#files.values()) t.file.close();
    this.#files.clear();
  }

  /** Loads the entry at t.next; false when there is none (yet). */
  #load(t: Tracked): boolean {
    if (t.loaded) return true;
    if (t.dead) return false;
    const f = t.file;
    while (t.next < f.header.nEntries) {
      try {
        const off = f.entryOffset(t.next);
        if (off < 0) throw new JournalFileError(f.path, -1, `entry ${t.next} is not linked`);
        f.readEntry(off, t.head);
        t.loaded = true;
        t.failures = 0;
        return true;
      } catch (e) {
        if (!(e instanceof JournalFileError)) throw e;
        // A file being written may be caught between linking and counting: try again later, a few times.
        if (f.header.state === JournalState.Online && ++t.failures < 5) return false;
        this.brokenEntries++;
        this.#onSkip(f.path, `entry ${t.next} skipped: ${e.message}`);
        t.failures = 0;
        t.next++;
      }
    }
    return false;
  }

  /** Reads the DATA objects of `e` (from t's file); true when it passes the filter (it is then current). */
  #select(t: Tracked, e: JournalEntry): boolean {
    const f = t.file;
    if (this.#data.length < e.nItems) this.#data = new Array<JournalData>(e.nItems * 2);
    const data = this.#data;
    // Entries of one stream repeat their fields' DATA objects item for item: while the previous
    // entry read in full came from the same file, an item at the same offset is the same object.
    const prev = this.#prevFile === f ? this.#prevItems : undefined;
    const prevN = this.#prevN;
    let n = 0;
    let bad = '';
    for (let k = 0; k < e.nItems; k++) {
      const off = e.items[k]!;
      const same = data[k];
      if (prev !== undefined && k < prevN && prev[k] === off && same !== undefined && same.offset === off) {
        data[n++] = same; // n < k after an item of this entry that failed
        continue;
      }
      try {
        const d = f.data(off);
        if (d.error !== '') bad += `${bad === '' ? '' : '; '}field at ${d.offset}: ${d.error}`;
        else data[n++] = d;
      } catch (err) {
        bad += `${bad === '' ? '' : '; '}${err instanceof Error ? err.message : String(err)}`;
      }
    }
    // Kept for the next entry only when every item gave its object (data[k] is item k's).
    if (n === e.nItems) {
      const items = this.#prevItems;
      for (let k = 0; k < n; k++) items[k] = e.items[k]!;
      this.#prevFile = f;
      this.#prevN = n;
    } else this.#prevFile = undefined;
    if (this.#match !== undefined && !this.#match.test(data, n)) return false;
    this.#cur = t;
    this.#curN = n;
    this.#curBad = bad;
    return true;
  }

  /** The index of the first entry of t's file for which `ok` holds (entries ordered by it); nEntries when none. */
  #bisect(t: Tracked, ok: (e: JournalEntry) => boolean): number {
    const f = t.file;
    let lo = 0;
    let hi = f.header.nEntries;
    const e = t.head;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      let pass: boolean;
      try {
        const off = f.entryOffset(mid);
        if (off < 0) {
          hi = mid;
          continue;
        }
        f.readEntry(off, e);
        pass = ok(e);
      } catch {
        pass = false;
      }
      if (pass) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Stops reading a file whose header went bad (kept open, so it is not found again as a new file, until it is deleted). */
  #drop(t: Tracked, e: unknown): void {
    this.#onSkip(t.path, `file dropped: ${e instanceof Error ? e.message : String(e)}`);
    t.dead = true;
    t.loaded = false;
  }

  #place(t: Tracked, i: number): void {
    // An archived file placed at its end is done: give back what the seek read.
    if (i >= t.file.header.nEntries && t.file.header.state === JournalState.Archived) t.file.trim();
    t.next = i;
    t.loaded = false;
    t.failures = 0;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#out.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#len + n));
    this.#out.copy(nb, 0, 0, this.#len);
    this.#out = nb;
  }
}

/** journalctl's order of two files' next entries. */
function compare(a: Tracked, b: Tracked): number {
  const x = a.head;
  const y = b.head;
  if (a.file.header.seqnumId === b.file.header.seqnumId && x.seqnum !== y.seqnum) return x.seqnum - y.seqnum;
  if (x.bootId === y.bootId && x.monotonic !== y.monotonic) return x.monotonic - y.monotonic;
  if (x.realtime !== y.realtime) return x.realtime - y.realtime;
  if (x.xorHi !== y.xorHi) return x.xorHi - y.xorHi;
  return x.xorLo - y.xorLo;
}
