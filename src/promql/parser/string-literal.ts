/**
 * PromQL string literals: Go's quoting rules in both directions.
 *
 * Prometheus strings are byte strings. Escapes such as `\xc5` can produce bytes that are not
 * valid UTF-8; vigil keeps such a byte b as the lone surrogate U+DC00+b (the "surrogateescape"
 * convention), so the text survives a round trip and prints back as `\xc5`.
 * @module
 */

/** UnquoteError reports a malformed string literal. */
export class UnquoteError extends Error {
  override readonly name = 'UnquoteError';
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
};

/**
 * unquote removes the quotes of a double-quoted, single-quoted or backtick string and resolves
 * Go escape sequences (`\n`, `\x41`, `\101`, `\u00e9`, `\U0001F600`, …). Throws UnquoteError.
 */
export function unquote(s: string): string {
  const n = s.length;
  if (n < 2) throw new UnquoteError('invalid syntax');
  const q = s[0]!;
  if (q !== s[n - 1]) throw new UnquoteError('invalid syntax');
  const body = s.slice(1, n - 1);
  if (q === '`') {
    if (body.includes('`')) throw new UnquoteError('invalid syntax');
    return body.includes('\r') ? body.replace(/\r/g, '') : body;
  }
  if (q !== '"' && q !== "'") throw new UnquoteError('invalid syntax');
  if (!body.includes('\\')) {
    if (body.includes(q) || body.includes('\n')) throw new UnquoteError('invalid syntax');
    return body;
  }
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === q || c === '\n') throw new UnquoteError('invalid syntax');
    if (c !== '\\') {
      pushUtf8(bytes, body.codePointAt(i)!);
      if (body.codePointAt(i)! > 0xffff) i++;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new UnquoteError('invalid syntax');
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      if ((e === "'" && q === '"') || (e === '"' && q === "'")) throw new UnquoteError('invalid syntax');
      bytes.push(simple);
      continue;
    }
    let digits: number;
    let base: number;
    let isByte: boolean;
    switch (e) {
      case 'x':
        digits = 2;
        base = 16;
        isByte = true;
        i++;
        break;
      case 'u':
        digits = 4;
        base = 16;
        isByte = false;
        i++;
        break;
      case 'U':
        digits = 8;
        base = 16;
        isByte = false;
        i++;
        break;
      default:
        if (e >= '0' && e <= '7') {
          digits = 3;
          base = 8;
          isByte = true;
          break;
        }
        throw new UnquoteError('invalid syntax');
    }
    let v = 0;
    for (let k = 0; k < digits; k++, i++) {
      const d = digitValue(body.charCodeAt(i));
      if (d >= base) throw new UnquoteError('invalid syntax');
      v = v * base + d;
    }
    i--;
    if (isByte) {
      if (v > 255) throw new UnquoteError('invalid syntax');
      bytes.push(v);
    } else {
      if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new UnquoteError('invalid syntax');
      pushUtf8(bytes, v);
    }
  }
  return decodeUtf8Escaped(bytes);
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 99;
}

function pushUtf8(out: number[], cp: number): void {
  if (cp >= 0xdc80 && cp <= 0xdcff) {
    out.push(cp - 0xdc00); // an escaped raw byte travels back as the byte
  } else if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/** decodeUtf8Escaped decodes bytes as UTF-8, keeping each invalid byte b as U+DC00+b. */
function decodeUtf8Escaped(b: readonly number[]): string {
  let out = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let need = 0;
    let cp = 0;
    let min = 0;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
      continue;
    }
    let ok = i + need <= b.length - 1;
    for (let k = 1; ok && k <= need; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (d & 0x3f);
    }
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp < 0xe000)) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
  }
  return out;
}

/** isValidUtf8 tells whether s holds no escaped raw bytes and no lone surrogates. */
export function isValidUtf8(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return false;
  }
  return true;
}

/**
 * quote quotes s like Go's strconv.Quote: `"` and `\` escaped, control characters as `\n`,
 * `\x01`, …, escaped raw bytes as `\xNN`, other printable Unicode kept.
 */
export function quote(s: string): string {
  let simple = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) {
      simple = false;
      break;
    }
  }
  if (simple) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 7:
        out += '\\a';
        continue;
      case 8:
        out += '\\b';
        continue;
      case 12:
        out += '\\f';
        continue;
      case 10:
        out += '\\n';
        continue;
      case 13:
        out += '\\r';
        continue;
      case 9:
        out += '\\t';
        continue;
      case 11:
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) {
      out += '\\x' + c.toString(16).padStart(2, '0');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out += '\\x' + (c - 0xdc00).toString(16).padStart(2, '0');
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd';
    } else if (c >= 0x80 && c <= 0x9f) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else {
      out += s[i]!;
    }
  }
  return out + '"';
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
