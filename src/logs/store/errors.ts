/**
 * Errors of the log store. Each carries the data needed to act on it (file, offset, stream,
 * limit) so callers and the API layer can report it precisely.
 * @module
 */

/** LogStoreError is the base of every log store failure. */
export class LogStoreError extends Error {
  override readonly name: string = 'LogStoreError';
}

/**
 * StoreFullError rejects an append because the disk holding the store is full (ENOSPC or
 * EDQUOT). Nothing of the rejected batch was stored; appends succeed again once space returns.
 */
export class StoreFullError extends LogStoreError {
  override readonly name = 'StoreFullError';
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`log store disk is full (writing ${path}); the batch was not stored, retry when space is freed`, options);
  }
}

/** StoreWriteError rejects an append because the WAL could not be written for another reason. */
export class StoreWriteError extends LogStoreError {
  override readonly name = 'StoreWriteError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`writing ${path}: ${message}`, options);
  }
}

/** CorruptChunkError reports a chunk whose bytes fail their checksum or do not decode. */
export class CorruptChunkError extends LogStoreError {
  override readonly name = 'CorruptChunkError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt log chunk in ${file} at byte ${offset}: ${detail}`, options);
  }
}

/** CorruptWalError reports a WAL record that fails its checksum or does not decode. */
export class CorruptWalError extends LogStoreError {
  override readonly name = 'CorruptWalError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt log WAL record in ${file} at byte ${offset}: ${detail}`, options);
  }
}

/** InvalidEntryError rejects a batch holding an entry the store cannot accept. */
export class InvalidEntryError extends LogStoreError {
  override readonly name = 'InvalidEntryError';
  constructor(
    readonly index: number,
    readonly detail: string,
  ) {
    super(`entry ${index}: ${detail}`);
  }
}

/** StoreClosedError rejects a call made after close(). */
export class StoreClosedError extends LogStoreError {
  override readonly name = 'StoreClosedError';
  constructor() {
    super('log store is closed');
  }
}

/** LimitError reports a query that exceeded one of the store's limits (entries, streams, bytes). */
export class LimitError extends LogStoreError {
  override readonly name = 'LimitError';
  constructor(
    readonly limit: string,
    readonly value: number,
    message: string,
  ) {
    super(message);
  }
}

/** isDiskFull tells whether a Node fs error means there is no space left. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
