/**
 * Byte scanners shared by both text parsers: quoted strings, label values and float tokens.
 * Each returns the index just past what it consumed, or -1 when the bytes do not fit, leaving
 * the error message to the caller who knows the context.
 * @module
 */
import { SPAN_ESCAPED as ESCAPED_FLAG, SPAN_NON_ASCII as NON_ASCII_FLAG } from './series-spans.js';
import type { MetricType } from './entry.js';
import { validUtf8 } from './utf8.js';

const SPAN_ESCAPED = ESCAPED_FLAG;
const SPAN_NON_ASCII = NON_ASCII_FLAG;

/** Byte constants used by the scanners. */
export const Byte = {
  TAB: 0x09,
  LF: 0x0a,
  SP: 0x20,
  QUOTE: 0x22,
  HASH: 0x23,
  COMMA: 0x2c,
  EQ: 0x3d,
  BSLASH: 0x5c,
  LBRACE: 0x7b,
  RBRACE: 0x7d,
} as const;

/**
 * QuotedScan reports the result of scanning a quoted string: `end` is the index of the closing
 * quote (or -1 with `errorAt` set), `flags` the span flags of the contents.
 */
export class QuotedScan {
  end = -1;
  flags = 0;
  errorAt = 0;
  error = '';
}

/**
 * scanQuoted scans a double-quoted string whose opening quote is at `open`. Escapes are a
 * backslash and any byte but LF. `allowNewline` admits raw LF inside (text-format label values);
 * `allowNul` admits NUL bytes (label values, not names). Non-ASCII contents must be UTF-8.
 */
export function scanQuoted(
  b: Uint8Array,
  open: number,
  end: number,
  allowNewline: boolean,
  allowNul: boolean,
  out: QuotedScan,
): boolean {
  const special = SPECIAL;
  let i = open + 1;
  let flags = 0;
  for (;;) {
    if (i >= end) return fail(out, open, 'unterminated quoted string');
    const c = b[i]!;
    // Ordinary bytes take one table load and one branch.
    if (special[c] === 0) {
      i++;
      continue;
    }
    if (c === 0x22) break;
    if (c === 0x5c) {
      if (i + 1 >= end) return fail(out, open, 'unterminated quoted string');
      const n = b[i + 1]!;
      if (n === 0x0a) return fail(out, i, 'backslash before a line break');
      if (n === 0 && !allowNul) return fail(out, i + 1, 'NUL byte in quoted string');
      if (n >= 0x80) flags |= SPAN_NON_ASCII;
      flags |= SPAN_ESCAPED;
      i += 2;
      continue;
    }
    if (c >= 0x80) flags |= SPAN_NON_ASCII;
    else if (c === 0x0a && !allowNewline) return fail(out, i, 'line break inside a quoted string');
    else if (c === 0 && !allowNul) return fail(out, i, 'NUL byte in quoted string');
    i++;
  }
  if ((flags & SPAN_NON_ASCII) !== 0 && !validUtf8(b, open + 1, i)) return fail(out, open, 'invalid UTF-8 in quoted string');
  out.end = i;
  out.flags = flags;
  return true;
}

// SPECIAL marks the bytes a quoted string scan must look at: quote, backslash, LF, NUL and
// every non-ASCII byte.
const SPECIAL: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[0x22] = 1;
  t[0x5c] = 1;
  t[0x0a] = 1;
  t[0] = 1;
  for (let c = 0x80; c < 256; c++) t[c] = 1;
  return t;
})();

function fail(out: QuotedScan, at: number, msg: string): false {
  out.end = -1;
  out.errorAt = at;
  out.error = msg;
  return false;
}

/** hasFloatExtension tells whether a number token holds `p`, `P` or `_`, which Prometheus refuses. */
export function hasFloatExtension(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x70 || c === 0x50 || c === 0x5f) return true;
  }
  return false;
}

/** tokenText quotes a token for an error message. */
export function tokenText(b: Uint8Array, start: number, end: number): string {
  const e = Math.min(end, start + 60);
  const s = Buffer.from(b.buffer, b.byteOffset + start, Math.max(0, e - start)).toString('utf8');
  return JSON.stringify(e < end ? s + '…' : s);
}

/** indexOfLF finds the next line break at or after i, or returns end. */
export function indexOfLF(b: Uint8Array, i: number, end: number): number {
  const nl = b.indexOf(0x0a, i);
  return nl < 0 || nl > end ? end : nl;
}

/** matchType maps the exact bytes of a TYPE line's type word to a MetricType. */
export function matchType(
  b: Uint8Array,
  start: number,
  end: number,
  types: readonly (readonly [string, MetricType])[],
  fail: () => Error,
): MetricType {
  outer: for (const [word, t] of types) {
    if (word.length !== end - start) continue;
    for (let k = 0; k < word.length; k++) if (b[start + k] !== word.charCodeAt(k)) continue outer;
    return t;
  }
  throw fail();
}
