/**
 * Errors of the journald follower.
 * @module
 */

/** JournaldOptionError reports an invalid journald follower option, naming it. */
export class JournaldOptionError extends Error {
  override readonly name = 'JournaldOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}

/** JournalFileError reports a journal file that cannot be read: a bad header, an object out of place, a payload that does not decode. */
export class JournalFileError extends Error {
  override readonly name = 'JournalFileError';
  constructor(
    readonly path: string,
    /** Byte offset of the object at fault (-1 for the file as a whole). */
    readonly offset: number,
    readonly detail: string,
    /** True when the file is valid but uses a feature this reader lacks (an unknown incompatible flag): read it with journalctl. */
    readonly unsupported = false,
  ) {
    super(offset < 0 ? `${path}: ${detail}` : `${path}: offset ${offset}: ${detail}`);
  }
}

/** Lz4Error reports an LZ4 block that does not decode, at the input offset where it went wrong. */
export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
  constructor(
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`lz4 block: offset ${offset}: ${detail}`);
  }
}
