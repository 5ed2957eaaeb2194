/**
 * The PromQL lexer. It follows Prometheus's lexer state by state (braces, brackets, duration
 * expressions, numbers, strings), so the same inputs produce the same tokens and lexing errors.
 * Offsets are UTF-16 indices into the query.
 * @module
 */

import {
  DURATION_KEYWORDS,
  KEYWORDS,
  type Token,
  type TokenKind,
  goQuote,
  goQuoteRune,
  goUnicodeName,
  isAlpha,
  isAlphaNumeric,
  isDigit,
  isSpace,
} from './token.js';

const EOF = '';

/**
 * lex splits a query into tokens (comments included). A lexing error produces an ERROR token
 * whose val is the message, and ends the stream. The stream always ends with EOF or ERROR.
 */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  readonly #in: string;
  #pos = 0;
  #start = 0;
  readonly #out: Token[] = [];
  #parenDepth = 0;
  #braceOpen = false;
  #bracketOpen = false;
  #gotColon = false;
  #gotDuration = false;
  /** In a bracket, before the first number: Prometheus's lexDurationExpr state. */
  #durationState = false;
  #done = false;

  constructor(input: string) {
    this.#in = input;
  }

  run(): Token[] {
    while (!this.#done) this.#step();
    return this.#out;
  }

  #next(): string {
    if (this.#pos >= this.#in.length) {
      this.#pos++;
      return EOF;
    }
    const cp = this.#in.codePointAt(this.#pos)!;
    const c = String.fromCodePoint(cp);
    this.#pos += c.length;
    return c;
  }

  #backup(c: string): void {
    this.#pos -= c === EOF ? 1 : c.length;
  }

  #peek(): string {
    if (this.#pos >= this.#in.length) return EOF;
    return String.fromCodePoint(this.#in.codePointAt(this.#pos)!);
  }

  #accept(valid: string): boolean {
    const c = this.#next();
    if (c !== EOF && valid.includes(c)) return true;
    this.#backup(c);
    return false;
  }

  #is(valid: string): boolean {
    const c = this.#peek();
    return c !== EOF && valid.includes(c);
  }

  #emit(kind: TokenKind): void {
    this.#out.push({ kind, start: this.#start, end: this.#pos, val: this.#in.slice(this.#start, this.#pos) });
    this.#start = this.#pos;
  }

  #error(msg: string): void {
    this.#out.push({ kind: 'ERROR', start: this.#start, end: this.#in.length, val: msg });
    this.#done = true;
  }

  #step(): void {
    if (this.#braceOpen) return this.#insideBraces();
    if (this.#durationState) return this.#durationExpr();
    if (this.#in.startsWith('#', this.#pos)) return this.#comment();
    const r = this.#next();
    if (r === EOF) {
      if (this.#parenDepth !== 0) return this.#error('unclosed left parenthesis');
      if (this.#bracketOpen) return this.#error('unclosed left bracket');
      this.#pos = this.#in.length;
      this.#emit('EOF');
      this.#done = true;
      return;
    }
    switch (r) {
      case ',':
        return this.#emit('COMMA');
      case '*':
        return this.#emit('MUL');
      case '/':
        return this.#emit('DIV');
      case '%':
        return this.#emit('MOD');
      case '+':
        return this.#emit('ADD');
      case '-':
        return this.#emit('SUB');
      case '^':
        return this.#emit('POW');
      case '@':
        return this.#emit('AT');
      case '=': {
        const t = this.#peek();
        if (t === '=') {
          this.#next();
          return this.#emit('EQLC');
        }
        if (t === '~') return this.#error(`unexpected character after '=': ${goQuoteRune(t)}`);
        return this.#emit('EQL');
      }
      case '!': {
        const t = this.#next();
        if (t !== '=') return this.#error(`unexpected character after '!': ${goQuoteRune(t === EOF ? '\uFFFD' : t)}`);
        return this.#emit('NEQ');
      }
      case '<': {
        const t = this.#peek();
        if (t === '=') {
          this.#next();
          return this.#emit('LTE');
        }
        if (t === '/') {
          this.#next();
          return this.#emit('TRIM_UPPER');
        }
        return this.#emit('LSS');
      }
      case '>': {
        const t = this.#peek();
        if (t === '=') {
          this.#next();
          return this.#emit('GTE');
        }
        if (t === '/') {
          this.#next();
          return this.#emit('TRIM_LOWER');
        }
        return this.#emit('GTR');
      }
      case '"':
      case "'":
        return this.#string(r);
      case '`':
        return this.#rawString();
      case '(':
        this.#emit('LEFT_PAREN');
        this.#parenDepth++;
        return;
      case ')':
        this.#parenDepth--;
        if (this.#parenDepth < 0) {
          // Prometheus reports this before the parser sees the parenthesis, just after it.
          this.#start = this.#pos;
          return this.#error(`unexpected right parenthesis ')'`);
        }
        this.#emit('RIGHT_PAREN');
        return;
      case '{':
        this.#emit('LEFT_BRACE');
        this.#braceOpen = true;
        return;
      case '[':
        if (this.#bracketOpen) return this.#error(`unexpected left bracket '['`);
        this.#gotColon = false;
        this.#gotDuration = false;
        this.#emit('LEFT_BRACKET');
        while (isSpace(this.#peek())) this.#next();
        this.#start = this.#pos;
        this.#bracketOpen = true;
        this.#durationState = true;
        return;
      case ']':
        if (!this.#bracketOpen) return this.#error(`unexpected right bracket ']'`);
        this.#emit('RIGHT_BRACKET');
        this.#bracketOpen = false;
        return;
    }
    if (isSpace(r)) {
      while (isSpace(this.#peek())) this.#next();
      this.#start = this.#pos;
      return;
    }
    if (isDigit(r) || (r === '.' && isDigit(this.#peek()))) {
      this.#backup(r);
      return this.#numberOrDuration();
    }
    if (isAlpha(r) || r === ':') {
      if (!this.#bracketOpen) {
        this.#backup(r);
        return this.#keywordOrIdentifier();
      }
      if (r === ':') {
        if (this.#gotColon) return this.#error(`unexpected colon ':'`);
        this.#emit('COLON');
        this.#gotColon = true;
        return;
      }
      if (this.#durationKeyword()) return;
      return this.#error(`unexpected character: ${goQuoteRune(r)}, expected ':'`);
    }
    return this.#error(`unexpected character: ${goQuoteRune(r)}`);
  }

  #durationExpr(): void {
    const r = this.#next();
    if (r === EOF) return this.#error('unexpected end of input in duration expression');
    switch (r) {
      case ']':
        this.#emit('RIGHT_BRACKET');
        this.#bracketOpen = false;
        this.#gotColon = false;
        this.#durationState = false;
        return;
      case ':':
        this.#emit('COLON');
        if (!this.#gotDuration) return this.#error('unexpected colon before duration in duration expression');
        if (this.#gotColon) return this.#error('unexpected repeated colon in duration expression');
        this.#gotColon = true;
        return;
      case '(':
        this.#emit('LEFT_PAREN');
        this.#parenDepth++;
        return;
      case ')':
        this.#parenDepth--;
        if (this.#parenDepth < 0) {
          this.#start = this.#pos;
          return this.#error(`unexpected right parenthesis ')'`);
        }
        this.#emit('RIGHT_PAREN');
        return;
      case '+':
        return this.#emit('ADD');
      case '-':
        return this.#emit('SUB');
      case '*':
        return this.#emit('MUL');
      case '/':
        return this.#emit('DIV');
      case '%':
        return this.#emit('MOD');
      case '^':
        return this.#emit('POW');
      case ',':
        return this.#emit('COMMA');
    }
    if (isSpace(r)) {
      while (isSpace(this.#peek())) this.#next();
      this.#start = this.#pos;
      return;
    }
    if (isAlpha(r)) {
      if (this.#durationKeyword()) return;
      return this.#error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
    }
    if (isDigit(r) || (r === '.' && isDigit(this.#peek()))) {
      this.#backup(r);
      this.#gotDuration = true;
      // Like Prometheus, lexing continues in the statement state after the first number.
      this.#durationState = false;
      return this.#numberOrDuration();
    }
    return this.#error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
  }

  #durationKeyword(): boolean {
    for (;;) {
      const r = this.#next();
      if (isAlpha(r)) continue;
      this.#backup(r);
      const word = this.#in.slice(this.#start, this.#pos).toLowerCase();
      const kind = DURATION_KEYWORDS.get(word);
      if (kind !== undefined) {
        this.#emit(kind);
        return true;
      }
      return false;
    }
  }

  #insideBraces(): void {
    if (this.#in.startsWith('#', this.#pos)) return this.#comment();
    const r = this.#next();
    if (r === EOF) return this.#error('unexpected end of input inside braces');
    if (isSpace(r)) {
      while (isSpace(this.#peek())) this.#next();
      this.#start = this.#pos;
      return;
    }
    if (isAlpha(r)) {
      while (isAlphaNumeric(this.#peek())) this.#next();
      return this.#emit('IDENTIFIER');
    }
    switch (r) {
      case ',':
        return this.#emit('COMMA');
      case '"':
      case "'":
        return this.#string(r);
      case '`':
        return this.#rawString();
      case '=':
        if (this.#peek() === '~') {
          this.#next();
          return this.#emit('EQL_REGEX');
        }
        return this.#emit('EQL');
      case '!': {
        const nr = this.#next();
        if (nr === '~') return this.#emit('NEQ_REGEX');
        if (nr === '=') return this.#emit('NEQ');
        return this.#error(`unexpected character after '!' inside braces: ${goQuoteRune(nr === EOF ? '\uFFFD' : nr)}`);
      }
      case '{':
        return this.#error(`unexpected left brace '{'`);
      case '}':
        this.#emit('RIGHT_BRACE');
        this.#braceOpen = false;
        return;
    }
    return this.#error(`unexpected character inside braces: ${goQuoteRune(r)}`);
  }

  #comment(): void {
    while (this.#pos < this.#in.length && this.#in[this.#pos] !== '\n' && this.#in[this.#pos] !== '\r') this.#pos++;
    this.#emit('COMMENT');
  }

  #string(quote: string): void {
    for (;;) {
      const c = this.#next();
      if (c === '\\') {
        if (!this.#escape(quote)) return;
        continue;
      }
      if (c === EOF || c === '\n') return this.#error('unterminated quoted string');
      if (isLoneSurrogate(c)) return this.#error('invalid UTF-8 rune');
      if (c === quote) break;
    }
    this.#emit('STRING');
  }

  #escape(quote: string): boolean {
    let ch = this.#next();
    let n: number;
    let base: number;
    let max: number;
    switch (ch) {
      case 'a':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case 'v':
      case '\\':
      case quote:
        return true;
      case 'x':
        ch = this.#next();
        n = 2;
        base = 16;
        max = 255;
        break;
      case 'u':
        ch = this.#next();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case 'U':
        ch = this.#next();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      case EOF:
        this.#error('escape sequence not terminated');
        return false;
      default:
        if (ch >= '0' && ch <= '7') {
          n = 3;
          base = 8;
          max = 255;
          break;
        }
        this.#error(`unknown escape sequence ${goUnicodeName(ch)}`);
        return false;
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(ch);
      if (d >= base) {
        if (ch === EOF) this.#error('escape sequence not terminated');
        else this.#error(`illegal character ${goUnicodeName(ch)} in escape sequence`);
        return false;
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.#next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) {
      this.#error('escape sequence is an invalid Unicode code point');
      return false;
    }
    return true;
  }

  #rawString(): void {
    for (;;) {
      const c = this.#next();
      if (c === EOF) return this.#error('unterminated raw string');
      if (isLoneSurrogate(c)) return this.#error('invalid UTF-8 rune');
      if (c === '`') break;
    }
    this.#emit('STRING');
  }

  #numberOrDuration(): void {
    if (this.#scanNumber()) return this.#emit('NUMBER');
    if (this.#acceptRemainingDuration()) {
      this.#pos--; // Prometheus backs up over the non-alphanumeric rune it peeked.
      if (this.#pos > this.#in.length) this.#pos = this.#in.length;
      return this.#emit('DURATION');
    }
    this.#error(`bad number or duration syntax: ${goQuote(this.#in.slice(this.#start, Math.min(this.#pos, this.#in.length)))}`);
  }

  #acceptRemainingDuration(): boolean {
    if (!this.#accept('smhdwy')) return false;
    this.#accept('s');
    while (this.#accept('0123456789')) {
      while (this.#accept('0123456789')) {
        /* consume */
      }
      if (!this.#accept('smhdw')) return false;
      this.#accept('s');
    }
    const c = this.#next();
    // A non-alphanumeric rune ends the duration; it is given back by the caller.
    if (c !== EOF && c.length > 1) this.#pos -= c.length - 1;
    return c === EOF || !isAlphaNumeric(c);
  }

  #scanNumber(): boolean {
    const initial = this.#pos;
    let digits = '0123456789';
    if (this.#accept('0') && this.#accept('xX')) {
      this.#accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    this.#accept('.');
    this.#accept(digits);
    let dot = false;
    let exp = false;
    while (this.#is(digits + '._eE')) {
      if (this.#is('.') && dot) {
        this.#accept('.');
        return false;
      }
      if (this.#is('eE') && exp) {
        this.#accept('eE');
        return false;
      }
      if (this.#accept('.')) {
        dot = true;
        if (this.#accept('_.')) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (this.#accept('eE')) {
        exp = true;
        this.#accept('+-');
        if (this.#accept('._eE') || this.#peek() === EOF) return false;
        continue;
      }
      if (this.#accept('_')) {
        if (this.#accept('._eE') || this.#peek() === EOF) return false;
        continue;
      }
      while (this.#accept(digits)) {
        /* consume */
      }
    }
    if (this.#pos === initial) return false;
    const r = this.#peek();
    return r === EOF || !isAlphaNumeric(r);
  }

  #keywordOrIdentifier(): void {
    for (;;) {
      const r = this.#next();
      if (isAlphaNumeric(r) || r === ':') continue;
      this.#backup(r);
      break;
    }
    const word = this.#in.slice(this.#start, this.#pos);
    const kw = KEYWORDS.get(word.toLowerCase());
    if (kw !== undefined) {
      if ((kw === 'FILL' || kw === 'FILL_LEFT' || kw === 'FILL_RIGHT') && !this.#followedByLeftParen()) {
        return this.#emit('IDENTIFIER');
      }
      return this.#emit(kw);
    }
    this.#emit(word.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER');
  }

  #followedByLeftParen(): boolean {
    for (let p = this.#pos; p < this.#in.length; p++) {
      const c = this.#in[p]!;
      if (!isSpace(c)) return c === '(';
    }
    return false;
  }
}

function isLoneSurrogate(c: string): boolean {
  if (c.length !== 1) return false;
  const x = c.charCodeAt(0);
  return x >= 0xd800 && x <= 0xdfff;
}

function digitVal(ch: string): number {
  if (ch >= '0' && ch <= '9') return ch.charCodeAt(0) - 48;
  if (ch >= 'a' && ch <= 'f') return ch.charCodeAt(0) - 87;
  if (ch >= 'A' && ch <= 'F') return ch.charCodeAt(0) - 55;
  return 16;
}
