/**
 * Go string literals as LogQL writes them: interpreted `"…"` with Go's escapes, and raw
 * backquoted strings.
 * @module
 */

/** StringSyntaxError reports a bad literal; `offset` is within the literal. */
export class StringSyntaxError extends Error {
  override readonly name = 'StringSyntaxError';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const SIMPLE: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
const utf8 = new TextDecoder('utf-8');

/**
 * unquoteGo returns the value of a Go string literal (with its quotes). Byte escapes (`\xff`,
 * `\377`) are gathered and decoded as UTF-8, invalid sequences becoming U+FFFD.
 */
export function unquoteGo(lit: string): string {
  if (lit.length < 2) throw new StringSyntaxError(0, 'invalid string literal');
  const q = lit[0]!;
  if (q === '`') {
    if (lit[lit.length - 1] !== '`') throw new StringSyntaxError(lit.length, 'unterminated raw string');
    // Go drops carriage returns from raw strings.
    return lit.slice(1, -1).replace(/\r/g, '');
  }
  if (q !== '"' || lit[lit.length - 1] !== '"') throw new StringSyntaxError(0, 'invalid string literal');
  const body = lit.slice(1, -1);
  if (!body.includes('\\')) {
    if (body.includes('"') || body.includes('\n')) throw new StringSyntaxError(body.search(/["\n]/) + 1, 'invalid string literal');
    return body;
  }
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) {
      out += utf8.decode(new Uint8Array(bytes));
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\n' || c === '"') throw new StringSyntaxError(i + 1, 'invalid string literal');
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    const at = i;
    if (e === undefined) throw new StringSyntaxError(at + 1, 'escape sequence not terminated');
    if (e in SIMPLE && e !== "'") {
      flush();
      out += SIMPLE[e]!;
    } else if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new StringSyntaxError(at + 1, 'invalid escape sequence \\x');
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new StringSyntaxError(at + 1, 'invalid octal escape');
      bytes.push(parseInt(o, 8));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new StringSyntaxError(at + 1, `invalid escape sequence \\${e}`);
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new StringSyntaxError(at + 1, 'escape sequence is invalid Unicode code point');
      flush();
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      throw new StringSyntaxError(at + 1, `unknown escape sequence \\${e}`);
    }
  }
  flush();
  return out;
}

/** quoteLogql quotes a string as a Go/LogQL double-quoted literal. */
export function quoteLogql(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}
