/**
 * followJournalFiles: the file reader's follow loop. It opens the journal files of the roots,
 * places them (after a cursor, at the tail, at a realtime, or at the head), hands the export
 * records over in batches, and then waits for more: fs.watch on the directories (journald
 * touches the file after writing, rotation renames and creates files) with a poll as fallback.
 * Headers are re-read on each wake-up; the directories are listed again on a rename, when a file
 * turns ARCHIVED (rotated), and every few polls.
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { JournalFileError } from './errors.js';
import { parseJournalCursor } from './journal-cursor.js';
import { JournalFilesReader, type JournalRoot } from './journal-files-reader.js';
import type { JournalMatch } from './journal-match.js';

/** FollowJournalFilesOptions configure followJournalFiles. */
export interface FollowJournalFilesOptions {
  readonly roots: readonly JournalRoot[];
  readonly match?: JournalMatch;
  /** Resume after this cursor (journalctl's text). */
  readonly cursor?: string;
  readonly startAt: 'beginning' | 'end';
  /** With `beginning` and no cursor, start at entries this recent (ms). */
  readonly maxAgeMs?: number;
  /** Poll interval when no file event comes (ms). */
  readonly pollIntervalMs: number;
  /**
   * Poll interval while fs.watch covers every directory and has announced every change a poll
   * found (default 5 × pollIntervalMs): journald signals each append within a quarter second,
   * so a quiet journal is not polled every second. A poll that finds entries no event announced
   * goes back to pollIntervalMs for the rest of the run.
   */
  readonly watchedPollIntervalMs?: number;
  /**
   * Takes a batch of entries from the reader (reader.next()); a promise returned is awaited
   * before reading on (the sink is behind). Called again at once while the reader is not exhausted.
   */
  readonly pull: (reader: JournalFilesReader) => Promise<void> | undefined;
  /** The cursor could not be parsed: the reader starts as without one. */
  readonly onBadCursor: (cursor: string) => void;
  /** A file or an entry was skipped. */
  readonly onSkip: (path: string, reason: string) => void;
  /** Entries skipped as broken so far (called after each read with the reader's total). */
  readonly onBroken?: (total: number) => void;
}

/** FollowResult tells why following stopped: the signal, or a file that needs journalctl. */
export type FollowResult = { readonly kind: 'aborted' } | { readonly kind: 'fallback'; readonly reason: string };

const RESCAN_POLLS = 8;

/** followJournalFiles follows the journal files until the signal aborts or a file cannot be read by this reader. */
export async function followJournalFiles(o: FollowJournalFilesOptions, signal: AbortSignal): Promise<FollowResult> {
  const reader = new JournalFilesReader({ roots: o.roots, ...(o.match === undefined ? {} : { match: o.match }), onSkip: o.onSkip });
  const watchers = new Map<string, FSWatcher>();
  let wake: (() => void) | undefined;
  let rescan = false;
  // An event seen since the last refresh (also while reading: no wait then).
  let pending = false;
  let watchMissed = false;
  const watchedPollMs = Math.max(o.pollIntervalMs, o.watchedPollIntervalMs ?? 5 * o.pollIntervalMs);
  const poke = (): void => {
    pending = true;
    const w = wake;
    wake = undefined;
    w?.();
  };
  // One abort listener for the whole run.
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  const watchDirs = (): void => {
    for (const d of reader.directories) {
      if (watchers.has(d)) continue;
      try {
        const w = watch(d, { persistent: false }, (event) => {
          if (event === 'rename') rescan = true;
          poke();
        });
        w.on('error', () => {
          w.close();
          watchers.delete(d);
        });
        watchers.set(d, w);
      } catch {
        // the poll covers it
      }
    }
  };
  try {
    reader.scan();
    const c = o.cursor === undefined ? undefined : parseJournalCursor(o.cursor);
    if (o.cursor !== undefined && c === undefined) o.onBadCursor(o.cursor);
    if (c !== undefined) reader.seekAfterCursor(c);
    else if (o.startAt === 'end') reader.seekTail();
    else if (o.maxAgeMs !== undefined) reader.seekRealtime(Math.floor((Date.now() - o.maxAgeMs) / 1000) * 1_000_000);
    else reader.seekHead();
    watchDirs();
    let polls = 0;
    let broken = 0;
    while (!signal.aborted) {
      // Read while there is something; yield to the event loop between batches.
      for (;;) {
        const wait = o.pull(reader);
        if (reader.brokenEntries !== broken) o.onBroken?.((broken = reader.brokenEntries));
        if (wait !== undefined) await wait;
        if (reader.exhausted || signal.aborted) break;
        await new Promise<void>((r) => setImmediate(r));
      }
      if (signal.aborted) break;
      const watched = !watchMissed && watchers.size > 0 && reader.directories.every((d) => watchers.has(d));
      if (!pending) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, watched ? watchedPollMs : o.pollIntervalMs);
          function done(): void {
            clearTimeout(t);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
      }
      if (signal.aborted) break;
      const byEvent = pending;
      pending = false;
      const r = reader.refresh();
      if (watched && r.grew && !byEvent) watchMissed = true;
      if (rescan || r.archived || ++polls >= RESCAN_POLLS) {
        rescan = false;
        polls = 0;
        reader.scan();
        watchDirs();
      }
    }
    return { kind: 'aborted' };
  } catch (e) {
    if (e instanceof JournalFileError && e.unsupported) return { kind: 'fallback', reason: e.message };
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const w of watchers.values()) w.close();
    reader.close();
  }
}
