/**
 * Errors of the write-ahead log.
 * @module
 */

/**
 * CorruptionError reports a WAL segment whose bytes do not decode from `offset` on: a torn
 * tail after a crash, a checksum mismatch or a malformed fragment. Everything before `offset`
 * in `segment` (and in earlier segments) is intact. `dir` is the WAL (or checkpoint) directory.
 */
export class CorruptionError extends Error {
  override readonly name = 'CorruptionError';
  constructor(
    readonly dir: string,
    readonly segment: number,
    readonly offset: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`corruption in segment ${segmentPath(dir, segment)} at ${offset}: ${detail}`, options);
  }
}

/** WalWriteError reports that records could not be written (disk full, I/O error); nothing of that call was logged. */
export class WalWriteError extends Error {
  override readonly name = 'WalWriteError';
  constructor(
    readonly dir: string,
    readonly segment: number,
    /** The operating system's error code (`ENOSPC`, `EIO`, …) when known. */
    readonly code: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`write-ahead log ${dir}, segment ${segment}: ${detail}`, options);
  }
}

/** WalClosedError reports a call on a closed log. */
export class WalClosedError extends Error {
  override readonly name = 'WalClosedError';
  constructor(readonly dir: string) {
    super(`write-ahead log ${dir} is closed`);
  }
}

/** SegmentListError reports a WAL directory whose segment files are not a contiguous sequence. */
export class SegmentListError extends Error {
  override readonly name = 'SegmentListError';
  constructor(
    readonly dir: string,
    detail: string,
  ) {
    super(`write-ahead log ${dir}: ${detail}`);
  }
}

/** RecordDecodeError reports a record whose payload does not follow its type's encoding. */
export class RecordDecodeError extends Error {
  override readonly name = 'RecordDecodeError';
  constructor(
    /** The record type byte. */
    readonly type: number,
    /** Byte offset inside the record where decoding failed. */
    readonly offset: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`record type ${type} at byte ${offset}: ${detail}`, options);
  }
}

function segmentPath(dir: string, segment: number): string {
  return `${dir}/${String(segment).padStart(8, '0')}`;
}

/** UnsupportedCompressionError reports a record compressed with a codec vigil cannot read (zstd). */
export class UnsupportedCompressionError extends Error {
  override readonly name = 'UnsupportedCompressionError';
  constructor(
    readonly dir: string,
    readonly segment: number,
    readonly offset: number,
    readonly codec: string,
  ) {
    super(`segment ${dir}/${String(segment).padStart(8, '0')} at ${offset}: records compressed with ${codec} are not supported`);
  }
}
