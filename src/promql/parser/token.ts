/**
 * PromQL tokens: their kinds, the keyword tables, and how Prometheus's messages describe and
 * quote them.
 * @module
 */

/** TokenKind names a token. Keywords, operators and aggregators use their Prometheus item names. */
export type TokenKind =
  | 'EOF'
  | 'ERROR'
  | 'COMMENT'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | 'LEFT_PAREN'
  | 'RIGHT_PAREN'
  | 'LEFT_BRACE'
  | 'RIGHT_BRACE'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'COMMA'
  | 'EQL'
  | 'COLON'
  | 'AT'
  // Operators.
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'POW'
  | 'EQLC'
  | 'NEQ'
  | 'LTE'
  | 'LSS'
  | 'GTE'
  | 'GTR'
  | 'TRIM_UPPER'
  | 'TRIM_LOWER'
  | 'EQL_REGEX'
  | 'NEQ_REGEX'
  | 'LAND'
  | 'LOR'
  | 'LUNLESS'
  | 'ATAN2'
  // Aggregators.
  | 'AVG'
  | 'BOTTOMK'
  | 'COUNT'
  | 'COUNT_VALUES'
  | 'GROUP'
  | 'MAX'
  | 'MIN'
  | 'QUANTILE'
  | 'STDDEV'
  | 'STDVAR'
  | 'SUM'
  | 'TOPK'
  | 'LIMITK'
  | 'LIMIT_RATIO'
  // Keywords.
  | 'BOOL'
  | 'BY'
  | 'GROUP_LEFT'
  | 'GROUP_RIGHT'
  | 'FILL'
  | 'FILL_LEFT'
  | 'FILL_RIGHT'
  | 'IGNORING'
  | 'OFFSET'
  | 'SMOOTHED'
  | 'ANCHORED'
  | 'ON'
  | 'WITHOUT'
  // Preprocessors (keywords too).
  | 'START'
  | 'END'
  | 'STEP'
  | 'RANGE'
  | 'MAX_OF'
  | 'MIN_OF';

/** Token is one lexical item: kind, source range and source text (or the error message). */
export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** The source text; for ERROR tokens the message. */
  readonly val: string;
}

const OPERATORS = new Set<TokenKind>([
  'ADD', 'SUB', 'MUL', 'DIV', 'MOD', 'POW', 'EQLC', 'NEQ', 'LTE', 'LSS', 'GTE', 'GTR', 'TRIM_UPPER', 'TRIM_LOWER',
  'EQL_REGEX', 'NEQ_REGEX', 'LAND', 'LOR', 'LUNLESS', 'ATAN2', 'AT',
]);
const AGGREGATORS = new Set<TokenKind>([
  'AVG', 'BOTTOMK', 'COUNT', 'COUNT_VALUES', 'GROUP', 'MAX', 'MIN', 'QUANTILE', 'STDDEV', 'STDVAR', 'SUM', 'TOPK',
  'LIMITK', 'LIMIT_RATIO',
]);
const KEYWORD_KINDS = new Set<TokenKind>([
  'BOOL', 'BY', 'GROUP_LEFT', 'GROUP_RIGHT', 'FILL', 'FILL_LEFT', 'FILL_RIGHT', 'IGNORING', 'OFFSET', 'SMOOTHED',
  'ANCHORED', 'ON', 'WITHOUT',
]);

/** KEYWORDS maps lower-case words to their token kinds ("inf" and "nan" are numbers). */
export const KEYWORDS = new Map<string, TokenKind>([
  ['and', 'LAND'], ['or', 'LOR'], ['unless', 'LUNLESS'], ['atan2', 'ATAN2'],
  ['sum', 'SUM'], ['avg', 'AVG'], ['count', 'COUNT'], ['min', 'MIN'], ['max', 'MAX'], ['group', 'GROUP'],
  ['stddev', 'STDDEV'], ['stdvar', 'STDVAR'], ['topk', 'TOPK'], ['bottomk', 'BOTTOMK'],
  ['count_values', 'COUNT_VALUES'], ['quantile', 'QUANTILE'], ['limitk', 'LIMITK'], ['limit_ratio', 'LIMIT_RATIO'],
  ['offset', 'OFFSET'], ['smoothed', 'SMOOTHED'], ['anchored', 'ANCHORED'], ['by', 'BY'], ['without', 'WITHOUT'],
  ['on', 'ON'], ['ignoring', 'IGNORING'], ['group_left', 'GROUP_LEFT'], ['group_right', 'GROUP_RIGHT'],
  ['fill', 'FILL'], ['fill_left', 'FILL_LEFT'], ['fill_right', 'FILL_RIGHT'], ['bool', 'BOOL'],
  ['start', 'START'], ['end', 'END'], ['step', 'STEP'], ['range', 'RANGE'], ['max_of', 'MAX_OF'], ['min_of', 'MIN_OF'],
  ['inf', 'NUMBER'], ['nan', 'NUMBER'],
]);

/** DURATION_KEYWORDS are the words a duration expression may use as functions or variables. */
export const DURATION_KEYWORDS = new Map<string, TokenKind>([
  ['step', 'STEP'],
  ['range', 'RANGE'],
  ['max_of', 'MAX_OF'],
  ['min_of', 'MIN_OF'],
]);

/** tokenDescription describes a token as Prometheus's error messages do (`<by>`, `<op:+>`, `identifier "x"`). */
export function tokenDescription(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'end of input';
    case 'ERROR':
      return t.val;
    case 'IDENTIFIER':
      return `identifier ${goQuote(t.val)}`;
    case 'METRIC_IDENTIFIER':
      return `metric identifier ${goQuote(t.val)}`;
    case 'NUMBER':
      return `number ${shortQuote(t.val)}`;
    case 'DURATION':
      return `duration ${shortQuote(t.val)}`;
    case 'STRING':
      return `string ${shortQuote(t.val)}`;
    case 'COMMENT':
      return `comment ${shortQuote(t.val)}`;
  }
  if (KEYWORD_KINDS.has(t.kind) || isPreprocessor(t.kind)) return `<${t.val}>`;
  if (OPERATORS.has(t.kind)) return `<op:${t.val}>`;
  if (AGGREGATORS.has(t.kind)) return `<aggr:${t.val}>`;
  return shortQuote(t.val);
}

function isPreprocessor(k: TokenKind): boolean {
  return k === 'START' || k === 'END' || k === 'STEP' || k === 'RANGE' || k === 'MAX_OF' || k === 'MIN_OF';
}

/** isAggregatorKind tells whether the kind is an aggregation operator. */
export function isAggregatorKind(k: TokenKind): boolean {
  return AGGREGATORS.has(k);
}

// Go's %q of a string, truncated to 10 runes like Prometheus's Item.String does (%.10q...).
function shortQuote(s: string): string {
  const runes = Array.from(s);
  if (runes.length > 10) return goQuote(runes.slice(0, 10).join('')) + '...';
  return goQuote(s);
}

/** goQuote quotes like Go's %q for strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1').replace(/\\u007f/g, '\\x7f');
}

/** goQuoteRune quotes a character like Go's %q for runes. */
export function goQuoteRune(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\\') return "'\\\\'";
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) {
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
    return `'${named[cp] ?? '\\x' + cp.toString(16).padStart(2, '0')}'`;
  }
  return `'${c}'`;
}

/** goUnicodeName formats a character like Go's %#U (`U+0041 'A'`). */
export function goUnicodeName(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${goQuoteRune(c)}`;
}

/** isSpace tells whether c is lexer whitespace. */
export function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
/** isDigit tells whether c is an ASCII digit. */
export function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
/** isAlpha tells whether c may start an identifier. */
export function isAlpha(c: string): boolean {
  return c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/** isAlphaNumeric tells whether c may continue an identifier. */
export function isAlphaNumeric(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}
