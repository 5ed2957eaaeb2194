/**
 * Errors of the byte-level decoders.
 * @module
 */

/** DecodeError reports bytes that cannot be decoded: truncated, overlong or failing a checksum. */
export class DecodeError extends Error {
  override readonly name: string = 'DecodeError';
  /** Byte offset in the decoded buffer where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/** ChecksumError reports a CRC32C mismatch over [start, end) of a buffer. */
export class ChecksumError extends DecodeError {
  override readonly name = 'ChecksumError';
  readonly start: number;
  readonly end: number;
  readonly want: number;
  readonly got: number;

  constructor(start: number, end: number, want: number, got: number) {
    super(
      `checksum mismatch over bytes [${start}, ${end}): stored 0x${want.toString(16).padStart(8, '0')}, computed 0x${got.toString(16).padStart(8, '0')}`,
      start,
    );
    this.start = start;
    this.end = end;
    this.want = want;
    this.got = got;
  }
}
