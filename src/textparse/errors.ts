/**
 * Errors of the exposition-format parsers.
 * @module
 */

/** Most bytes of the offending line quoted in an error message. */
const EXCERPT_BYTES = 120;

/**
 * ParseError reports malformed exposition text. It carries the byte offset of the problem and
 * the 1-based line and column (columns count characters), computed once when the error is made.
 * The message reads `"<line>:<col>: parse error: <detail>"` and quotes the offending line.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column (in characters) of the problem. */
  readonly column: number;

  constructor(
    /** Byte offset of the problem in the parsed buffer. */
    readonly offset: number,
    /** What is wrong, without position. */
    readonly detail: string,
    buf: Uint8Array,
    options?: { cause?: unknown },
  ) {
    const { line, column, lineStart } = locate(buf, offset);
    super(`${line}:${column}: parse error: ${detail} in line ${excerpt(buf, lineStart)}`, options);
    this.line = line;
    this.column = column;
  }
}

/** UnsupportedContentTypeError reports a scrape body in a format vigil cannot parse. */
export class UnsupportedContentTypeError extends Error {
  override readonly name = 'UnsupportedContentTypeError';
  constructor(readonly contentType: string) {
    super(`unsupported exposition content type "${contentType}"`);
  }
}

function locate(buf: Uint8Array, offset: number): { line: number; column: number; lineStart: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, buf.length);
  for (let i = 0; i < end; i++) {
    if (buf[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) if ((buf[i]! & 0xc0) !== 0x80) column++;
  return { line, column, lineStart };
}

function excerpt(buf: Uint8Array, lineStart: number): string {
  let e = lineStart;
  while (e < buf.length && buf[e] !== 0x0a && e - lineStart < EXCERPT_BYTES) e++;
  let s = Buffer.from(buf.buffer, buf.byteOffset + lineStart, e - lineStart).toString('utf8');
  if (e < buf.length && buf[e] !== 0x0a) s += '…';
  return JSON.stringify(s);
}
