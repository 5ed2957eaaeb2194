/**
 * Errors of the PromQL parser.
 * @module
 */
import type { PositionRange } from '../../model/index.js';

/**
 * positionString turns an offset into Prometheus's `line:col` form: 1-based line, and a 1-based
 * column counted in UTF-8 bytes from the last newline, as Prometheus (which works on bytes) prints it.
 */
export function positionString(query: string, offset: number): string {
  if (query === '') return 'unknown position';
  if (offset < 0 || offset > query.length) return 'invalid position';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${utf8Length(query, lineStart, offset) + 1}`;
}

/** utf8Length counts the UTF-8 bytes of s[from, to). */
export function utf8Length(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1; // an escaped raw byte (see string-literal.ts)
    else n += 3;
  }
  return n;
}

/**
 * ParseError reports a query that does not parse or type-check. `range` holds 0-based UTF-16
 * offsets into `query`; the message reads `"<line>:<col>: parse error: <detail>"` like Prometheus's.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly query: string,
    readonly range: PositionRange,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${positionString(query, range.start)}: parse error: ${detail}`, options);
  }
}
