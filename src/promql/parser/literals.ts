/**
 * Number and duration literals with Prometheus's parsing rules and error messages.
 * @module
 */

/** LiteralError reports a malformed number or duration; the message is Prometheus's. */
export class LiteralError extends Error {
  override readonly name = 'LiteralError';
}

const UNIT_MS: Record<string, { pos: number; ms: number }> = {
  y: { pos: 1, ms: 365 * 24 * 3600 * 1000 },
  w: { pos: 2, ms: 7 * 24 * 3600 * 1000 },
  d: { pos: 3, ms: 24 * 3600 * 1000 },
  h: { pos: 4, ms: 3600 * 1000 },
  m: { pos: 5, ms: 60 * 1000 },
  s: { pos: 6, ms: 1000 },
  ms: { pos: 7, ms: 1 },
};

// Largest duration Go's time.Duration (int64 nanoseconds) can hold, in ms.
const MAX_DURATION_MS = 9223372036854.775;

/**
 * parseDurationMs parses a Prometheus duration (`1h30m`, `5m`, `0`) into milliseconds, with the
 * error messages of Prometheus's model.ParseDuration.
 */
export function parseDurationMs(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new LiteralError('empty duration string');
  const orig = s;
  let total = 0;
  let lastPos = 0;
  let i = 0;
  while (i < s.length) {
    if (!isDigit(s.charCodeAt(i))) throw new LiteralError(`not a valid duration string: ${JSON.stringify(orig)}`);
    let j = i;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    const v = Number(s.slice(i, j));
    let k = j;
    while (k < s.length && !isDigit(s.charCodeAt(k))) k++;
    if (k === j) throw new LiteralError(`not a valid duration string: ${JSON.stringify(orig)}`);
    const u = s.slice(j, k);
    const unit = UNIT_MS[u];
    if (unit === undefined) throw new LiteralError(`unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`);
    if (unit.pos <= lastPos) throw new LiteralError(`not a valid duration string: ${JSON.stringify(orig)}`);
    lastPos = unit.pos;
    total += v * unit.ms;
    if (total > MAX_DURATION_MS) throw new LiteralError('duration out of range');
    i = k;
  }
  return total;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * parseNumber parses a number token as Prometheus does: first as a Go integer literal with base
 * prefixes (`0x1f`, `017` octal, `1_000`), then as a Go float (`1.5e3`, `Inf`, `NaN`).
 */
export function parseNumber(s: string): number {
  const i = parseGoInt(s);
  if (i !== undefined) return i;
  const f = parseGoFloat(s);
  if (f === undefined) throw new LiteralError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  if ((f === Infinity || f === -Infinity) && !/^[+-]?(inf|infinity)$/i.test(s)) {
    throw new LiteralError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return f;
}

// parseGoInt accepts what strconv.ParseInt(s, 0, 64) accepts; undefined otherwise.
function parseGoInt(s: string): number | undefined {
  let t = s;
  let neg = false;
  if (t.startsWith('+') || t.startsWith('-')) {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  let base = 10;
  let digits = t;
  let prefixed = false;
  if (/^0[xX]/.test(t)) {
    base = 16;
    digits = t.slice(2);
    prefixed = true;
  } else if (/^0[oO]/.test(t)) {
    base = 8;
    digits = t.slice(2);
    prefixed = true;
  } else if (/^0[bB]/.test(t)) {
    base = 2;
    digits = t.slice(2);
    prefixed = true;
  } else if (t.length > 1 && t[0] === '0') {
    base = 8;
    digits = t.slice(1);
    prefixed = true;
  }
  if (!underscoreOk(t, prefixed)) return undefined;
  digits = digits.replace(/_/g, '');
  if (digits === '') return undefined;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  // Exact integer first (as Go's int64), rounded to a double once, like float64(n).
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const big = BigInt(prefix + digits);
  // ParseInt fails beyond int64; ParseFloat then takes over (and fails for non-decimal input).
  if (big > 9223372036854775807n) return undefined;
  const v = Number(big);
  return neg ? -v : v;
}

// underscoreOk checks Go's rule: underscores only between digits, or after a base prefix.
function underscoreOk(s: string, prefixed: boolean): boolean {
  if (!s.includes('_')) return true;
  let i = 0;
  let saw = '^';
  if (prefixed && s.length >= 2 && s[0] === '0' && /[xXoObB]/.test(s[1]!)) {
    i = 2;
    saw = '0';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (/[0-9a-fA-F]/.test(c)) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function parseGoFloat(s: string): number | undefined {
  const t = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (s.includes('_')) {
    if (!underscoreOk(s, false)) return undefined;
  }
  const clean = s.replace(/_/g, '');
  if (/^[+-]?0[xX]/.test(clean)) {
    // Hexadecimal floats need a 'p' exponent in Go; the lexer never produces them.
    return undefined;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) return undefined;
  return Number(clean);
}
