/**
 * Errors of the index file reader and writer.
 * @module
 */

/** IndexCorruptionError reports an index file that cannot be read: bad magic, checksum or layout. */
export class IndexCorruptionError extends Error {
  override readonly name = 'IndexCorruptionError';
  /** Byte offset in the index file where the problem was found (-1 when unknown). */
  readonly offset: number;
  /** The file, when known. */
  readonly file: string | undefined;

  constructor(detail: string, offset: number, options?: ErrorOptions & { readonly file?: string }) {
    super(`${options?.file !== undefined ? options.file + ': ' : ''}corrupt index: ${detail}${offset >= 0 ? ` (at byte ${offset})` : ''}`, options);
    this.offset = offset;
    this.file = options?.file;
  }
}

/** IndexWriteError reports a misuse of the index writer: symbols or series out of order, a missing symbol. */
export class IndexWriteError extends Error {
  override readonly name = 'IndexWriteError';
}
