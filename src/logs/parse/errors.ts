/**
 * Errors of the log parsers. Parsing a line never throws (what cannot be parsed is kept as
 * is); these describe configuration mistakes and, as `detail`, why a line fell back.
 * @module
 */

/** InvalidTimeZoneError reports a time zone option that names no zone. */
export class InvalidTimeZoneError extends Error {
  override readonly name = 'InvalidTimeZoneError';
  constructor(
    readonly zone: string,
    options?: ErrorOptions,
  ) {
    super(`unknown time zone "${zone}" (want UTC, an offset like +05:30, local, or an IANA name like Europe/Berlin)`, options);
  }
}

/** LineParseError describes why a line that looked like a format is not valid in it, and where. */
export class LineParseError extends Error {
  override readonly name = 'LineParseError';
  constructor(
    /** The format the line looked like. */
    readonly format: string,
    /** 0-based offset (UTF-16 code units for text, bytes for binary records) of the problem. */
    readonly offset: number,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${format}: ${detail} at offset ${offset}`, options);
  }
}

/** ParserOptionError reports an invalid parser or decoder option, naming it. */
export class ParserOptionError extends Error {
  override readonly name = 'ParserOptionError';
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
