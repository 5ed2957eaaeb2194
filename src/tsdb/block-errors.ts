/**
 * Errors of block files: a corrupt or unreadable block is reported with its directory and the
 * file at fault, so the DB can skip it and keep serving the others.
 * @module
 */

/** BlockCorruptionError reports a block that cannot be opened or read. */
export class BlockCorruptionError extends Error {
  override readonly name = 'BlockCorruptionError';
  /** The block directory. */
  readonly dir: string;
  /** The file inside the block (`meta.json`, `index`, `chunks/000001`, `tombstones`). */
  readonly file: string;

  constructor(dir: string, file: string, detail: string, options?: ErrorOptions) {
    super(`block ${dir}: ${file}: ${detail}`, options);
    this.dir = dir;
    this.file = file;
  }
}

/** ChunkReadError reports a chunk that cannot be read from a segment file. */
export class ChunkReadError extends Error {
  override readonly name = 'ChunkReadError';
  /** The segment file. */
  readonly file: string;
  /** Byte offset of the chunk in the segment. */
  readonly offset: number;

  constructor(file: string, offset: number, detail: string, options?: ErrorOptions) {
    super(`${file}: chunk at byte ${offset}: ${detail}`, options);
    this.file = file;
    this.offset = offset;
  }
}

/** BlockWriteError reports a misuse of the block writer or a failure while writing. */
export class BlockWriteError extends Error {
  override readonly name = 'BlockWriteError';
}
