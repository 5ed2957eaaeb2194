/**
 * The LogQL lexer: identifiers, Go strings, numbers, durations (`5m`, `1h30m`, `250ms`), byte
 * sizes (`10KB`), operators and `#` comments. Positions are UTF-16 offsets into the query.
 * @module
 */
import { StringSyntaxError, unquoteGo } from './go-string.js';
import { ParseError } from './errors.js';
import { parseBytes, parseGoDuration } from './units.js';

/** TokenKind names a token's class; operators are their own spelling. */
export type TokenKind =
  | 'eof'
  | 'ident'
  | 'string'
  | 'number'
  | 'duration'
  | 'bytes'
  | 'flag'
  | '{' | '}' | '(' | ')' | '[' | ']' | ','
  | '|' | '|=' | '!=' | '|~' | '!~' | '|>' | '!>'
  | '=' | '==' | '=~' | '>' | '>=' | '<' | '<='
  | '+' | '-' | '*' | '/' | '%' | '^';

/** Token is one lexeme. `value` is the decoded string, the number, the seconds or the bytes. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Decoded string value (strings) or identifier/flag name. */
  readonly str: string;
  /** Numeric value: the number, a duration in seconds, or a byte count. */
  readonly num: number;
}

const OPS: readonly string[] = ['|=', '!=', '|~', '!~', '|>', '!>', '==', '=~', '>=', '<=', '{', '}', '(', ')', '[', ']', ',', '|', '=', '>', '<', '+', '-', '*', '/', '%', '^'];

/** lex splits a query into tokens, ending with one `eof`; throws ParseError. */
export function lex(query: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = query.length;
  const tok = (kind: TokenKind, start: number, end: number, str = '', num = 0): void => {
    out.push({ kind, text: query.slice(start, end), start, end, str, num });
  };
  while (i < n) {
    const c = query[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && query[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === '`') {
      const start = i;
      let j = i + 1;
      for (; j < n; j++) {
        const d = query[j]!;
        if (c === '"' && d === '\\') {
          j++;
          continue;
        }
        if (c === '"' && d === '\n') break;
        if (d === c) break;
      }
      if (j >= n || query[j] !== c) throw new ParseError(query, { start, end: Math.min(j, n) }, 'unterminated string literal');
      const text = query.slice(start, j + 1);
      let str: string;
      try {
        str = unquoteGo(text);
      } catch (e) {
        const off = e instanceof StringSyntaxError ? e.offset : 0;
        throw new ParseError(query, { start: start + off, end: j + 1 }, `invalid string literal: ${(e as Error).message}`);
      }
      tok('string', start, j + 1, str);
      i = j + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(query[i + 1] ?? ''))) {
      const start = i;
      let j = i;
      // A maximal run of number-ish characters: 1.5, 1e3, 0x1f, 5m, 1h30m, 250ms, 10KiB, 1µs.
      while (j < n && /[0-9a-zA-Z_.\u00b5\u03bc]/.test(query[j]!)) {
        // An exponent sign belongs to the number: 1e-3.
        j++;
        if ((query[j - 1] === 'e' || query[j - 1] === 'E') && (query[j] === '+' || query[j] === '-') && /^[0-9.]+[eE]$/.test(query.slice(start, j))) j++;
      }
      const text = query.slice(start, j);
      const plain = text.replace(/_/g, '');
      if (/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(plain) || /^0[xX][0-9a-fA-F]+$/.test(plain)) {
        tok('number', start, j, '', Number(plain));
      } else {
        const d = parseGoDuration(text, true);
        if (d !== undefined) {
          tok('duration', start, j, '', d);
        } else {
          const b = parseBytes(text);
          if (b === undefined) throw new ParseError(query, { start, end: j }, `invalid number, duration or byte size "${text}"`);
          tok('bytes', start, j, '', b);
        }
      }
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < n && isIdentPart(query[i]!)) i++;
      tok('ident', start, i, query.slice(start, i));
      continue;
    }
    if (c === '-' && query[i + 1] === '-' && isIdentStart(query[i + 2] ?? '')) {
      const start = i;
      i += 2;
      while (i < n && (isIdentPart(query[i]!) || query[i] === '-')) i++;
      tok('flag', start, i, query.slice(start + 2, i));
      continue;
    }
    const op = OPS.find((o) => query.startsWith(o, i));
    if (op === undefined) throw new ParseError(query, { start: i, end: i + 1 }, `unexpected character ${JSON.stringify(c)}`);
    tok(op as TokenKind, i, i + op.length);
    i += op.length;
  }
  tok('eof', n, n);
  return out;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}
