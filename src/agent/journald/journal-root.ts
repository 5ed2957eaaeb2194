/**
 * Journal roots: the directories whose journal files (`*.journal`, `*.journal~`) are read, and
 * which of their subdirectories (a machine id, `<machine-id>.<namespace>`) hold more.
 * @module
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { JournalFileError } from './errors.js';

/** JournalRoot is a directory to read: its journal files, and those of its subdirectories `subdir` accepts. */
export interface JournalRoot {
  readonly path: string;
  /** Which subdirectories (by name) hold journal files too (default none). */
  readonly subdir?: (name: string) => boolean;
}

const JOURNAL_NAME = /\.journal~?$/;

/** listJournalFiles lists the journal files of the roots and the directories listed; a directory without permission throws a JournalFileError marked unsupported (journalctl may have the rights). */
export function listJournalFiles(roots: readonly JournalRoot[]): { files: string[]; directories: string[] } {
  const files: string[] = [];
  const directories: string[] = [];
  const add = (dir: string, sub: ((name: string) => boolean) | undefined): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
      directories.push(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new JournalFileError(dir, -1, `cannot list: ${(e as Error).message}`, true);
      return;
    }
    for (const name of names) {
      if (JOURNAL_NAME.test(name)) files.push(join(dir, name));
      else if (sub?.(name) === true) add(join(dir, name), undefined);
    }
  };
  for (const r of roots) add(r.path, r.subdir);
  return { files, directories };
}
