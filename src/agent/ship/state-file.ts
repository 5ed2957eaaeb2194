/**
 * StateFile: a small JSON document kept durable by atomic replacement (write a temporary file,
 * fsync it, rename it over the old one, fsync the directory), so a crash at any moment leaves
 * either the old or the new content, never a torn one.
 * @module
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../../wal/index.js';
import { StateFileError } from './errors.js';

/** StateFile reads and atomically replaces one JSON file. */
export class StateFile<T> {
  readonly path: string;
  readonly #tmp: string;

  constructor(path: string) {
    this.path = path;
    this.#tmp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /** read returns the parsed content, or undefined when the file does not exist. */
  read(): T | undefined {
    // A temporary file left by a crash before its rename is incomplete by definition.
    if (existsSync(this.#tmp)) rmSync(this.#tmp, { force: true });
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateFileError(this.path, `cannot read: ${(e as Error).message}`, { cause: e });
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new StateFileError(this.path, `not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }

  /** write replaces the content durably; on return the new content survives a crash or power loss. */
  write(value: T): void {
    const data = Buffer.from(JSON.stringify(value) + '\n');
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.#tmp, 'w', 0o600);
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.#tmp, this.path);
      fsyncDir(dirname(this.path));
    } catch (e) {
      throw new StateFileError(this.path, `cannot write: ${(e as Error).message}`, { cause: e });
    }
  }
}
