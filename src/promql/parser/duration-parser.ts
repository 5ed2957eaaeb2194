/**
 * DurationParser: number and duration literals, string literals, and duration expressions
 * (`x[5m + 1m]`, `offset -step()`, `min_of(…)`), with Prometheus's range checks.
 * @module
 */
import type { PositionRange } from '../../model/index.js';
import type { DurationExpr, NumberLiteral } from './ast.js';
import { goQuote, type Token } from './token.js';
import { LiteralError, parseDurationMs, parseNumber } from './literals.js';
import { UnquoteError, unquote } from './string-literal.js';
import { BIN_PREC, MUL_PREC, TokenStream } from './token-stream.js';

// Largest |duration| in seconds that fits Go's time.Duration.
const MAX_DURATION_SECONDS = 9223372036.854775807;

/** DurationParser parses literals and duration expressions. */
export class DurationParser extends TokenStream {
  protected numberLiteral(): NumberLiteral {
    const t = this.next();
    const range = { start: t.start, end: t.end };
    if (t.kind === 'DURATION') {
      let ms: number;
      try {
        ms = parseDurationMs(t.val);
      } catch (e) {
        throw this.err(range, (e as Error).message);
      }
      return { kind: 'number', value: ms / 1000, duration: true, range };
    }
    try {
      return { kind: 'number', value: parseNumber(t.val), duration: false, range };
    } catch (e) {
      if (e instanceof LiteralError) throw this.err(range, `error parsing number: ${e.message}`);
      throw e;
    }
  }

  protected unquote(t: Token): string {
    try {
      return unquote(t.val);
    } catch (e) {
      if (e instanceof UnquoteError) throw this.err({ start: t.start, end: t.end }, `error unquoting string ${goQuote(t.val)}: ${e.message}`);
      throw e;
    }
  }

  protected startsDuration(t: Token): boolean {
    switch (t.kind) {
      case 'NUMBER':
      case 'DURATION':
      case 'ADD':
      case 'SUB':
      case 'LEFT_PAREN':
      case 'STEP':
      case 'RANGE':
      case 'MAX_OF':
      case 'MIN_OF':
        return true;
    }
    return false;
  }

  protected positiveDuration(): NumberLiteral | DurationExpr {
    const d = this.durationExpr(0);
    if (d.kind === 'number' && d.value <= 0) throw this.err(d.range, 'duration must be greater than 0');
    return d;
  }

  /** durationExpr parses arithmetic inside brackets (and parenthesised offsets). */
  protected durationExpr(minPrec: number): NumberLiteral | DurationExpr {
    this.enter(this.peek());
    let lhs = this.#durationUnary();
    for (;;) {
      const t = this.peek();
      let op: DurationExpr['op'] | undefined;
      switch (t.kind) {
        case 'ADD':
          op = '+';
          break;
        case 'SUB':
          op = '-';
          break;
        case 'MUL':
          op = '*';
          break;
        case 'DIV':
          op = '/';
          break;
        case 'MOD':
          op = '%';
          break;
        case 'POW':
          op = '^';
          break;
      }
      if (op === undefined) break;
      const prec = BIN_PREC[t.kind]!;
      if (prec < minPrec) break;
      this.next();
      this.#requireDurationExprs(lhs);
      const rhs = this.durationExpr(t.kind === 'POW' ? prec : prec + 1);
      if ((op === '/' || op === '%') && rhs.kind === 'number' && rhs.value === 0) {
        throw this.err({ start: t.start, end: t.end }, op === '/' ? 'division by zero' : 'modulo by zero');
      }
      lhs = { kind: 'durationExpr', op, lhs, rhs, wrapped: false, range: { start: lhs.range.start, end: rhs.range.end } };
    }
    this.leave();
    return lhs;
  }

  #durationUnary(): NumberLiteral | DurationExpr {
    const t = this.peek();
    if (t.kind === 'ADD' || t.kind === 'SUB') {
      this.next();
      const e = this.durationExpr(MUL_PREC + 1);
      return this.#applyUnaryToDuration(t, e);
    }
    return this.durationPrimary();
  }

  protected durationPrimary(): NumberLiteral | DurationExpr {
    const t = this.peek();
    switch (t.kind) {
      case 'NUMBER':
      case 'DURATION': {
        const n = this.numberLiteral();
        this.#checkDurationRange(n, n.range);
        return n;
      }
      case 'STEP':
      case 'RANGE': {
        this.next();
        if (this.peek().kind !== 'LEFT_PAREN') throw this.unexpected('subquery or range selector', 'number, duration, step(), or range()');
        this.next();
        const close = this.expect('RIGHT_PAREN', '', '');
        const d: DurationExpr = {
          kind: 'durationExpr',
          op: t.kind === 'STEP' ? 'step' : 'range',
          wrapped: false,
          range: { start: t.start, end: close.end },
        };
        this.#requireDurationExprs(d);
        return d;
      }
      case 'MAX_OF':
      case 'MIN_OF':
        return this.minMaxOf();
      case 'LEFT_PAREN': {
        this.next();
        const inner = this.durationExpr(0);
        const close = this.expect('RIGHT_PAREN', '', '');
        this.#requireDurationExprs(inner);
        return wrapParen(inner, t.start, close.end);
      }
    }
    throw this.unexpected('', '');
  }

  protected minMaxOf(): DurationExpr {
    const t = this.next();
    this.expect('LEFT_PAREN', '', '');
    const a = this.durationExpr(0);
    this.expect('COMMA', '', '');
    const b = this.durationExpr(0);
    const close = this.expect('RIGHT_PAREN', '', '');
    const d: DurationExpr = {
      kind: 'durationExpr',
      op: t.kind === 'MAX_OF' ? 'max_of' : 'min_of',
      lhs: a,
      rhs: b,
      wrapped: false,
      range: { start: t.start, end: close.end },
    };
    this.#requireDurationExprs(d);
    return d;
  }

  #applyUnaryToDuration(op: Token, e: NumberLiteral | DurationExpr): NumberLiteral | DurationExpr {
    if (e.kind === 'number') {
      const n: NumberLiteral = { ...e, value: op.kind === 'SUB' ? -e.value : e.value, range: { start: op.start, end: e.range.end } };
      this.#checkDurationRange(n, { start: op.start, end: op.end });
      return n;
    }
    if (op.kind === 'SUB') return { kind: 'durationExpr', op: '-', rhs: e, wrapped: false, range: { start: op.start, end: e.range.end } };
    return e;
  }

  #checkDurationRange(n: NumberLiteral, at: PositionRange): void {
    if (n.value > MAX_DURATION_SECONDS || n.value < -MAX_DURATION_SECONDS) throw this.err(at, 'duration out of range');
  }

  #requireDurationExprs(e: NumberLiteral | DurationExpr): void {
    if (!this.opts.durationExpressions) throw this.err(e.range, 'experimental duration expression is not enabled');
  }

  /** offsetValue parses what may follow `offset`: a signed literal, step()/range(), min_of/max_of, or (…). */
  protected offsetValue(): NumberLiteral | DurationExpr {
    const t = this.peek();
    let sign: Token | undefined;
    if (t.kind === 'ADD' || t.kind === 'SUB') {
      sign = this.next();
    }
    const u = this.peek();
    let v: NumberLiteral | DurationExpr;
    switch (u.kind) {
      case 'NUMBER':
      case 'DURATION':
        v = this.numberLiteral();
        if (sign !== undefined) {
          v = { ...v, value: sign.kind === 'SUB' ? -v.value : v.value, range: { start: sign.start, end: v.range.end } };
          this.#checkDurationRange(v, { start: sign.start, end: sign.end });
        } else this.#checkDurationRange(v, v.range);
        return v;
      case 'STEP':
      case 'RANGE':
      case 'MAX_OF':
      case 'MIN_OF': {
        v = u.kind === 'STEP' || u.kind === 'RANGE' ? this.durationPrimary() : this.minMaxOf();
        if (sign === undefined) return v;
        const d: DurationExpr = {
          kind: 'durationExpr',
          op: sign.kind === 'SUB' ? '-' : '+',
          rhs: v,
          wrapped: false,
          range: { start: sign.start, end: v.range.end },
        };
        this.#requireDurationExprs(d);
        return d;
      }
      case 'LEFT_PAREN': {
        this.next();
        const inner = this.durationExpr(0);
        const close = this.expect('RIGHT_PAREN', '', '');
        this.#requireDurationExprs(inner);
        const w = wrapParen(inner, u.start, close.end);
        return sign === undefined ? w : this.#applyUnaryToDuration(sign, w);
      }
    }
    throw this.unexpected('offset', 'number, duration, step(), or range()');
  }
}

/** wrapParen marks a parenthesised duration expression (a number becomes unary plus). */
export function wrapParen(e: NumberLiteral | DurationExpr, start: number, end: number): DurationExpr {
  if (e.kind === 'durationExpr') return { ...e, wrapped: true };
  return { kind: 'durationExpr', op: '+', rhs: e, wrapped: true, range: { start, end } };
}

/** secondsToMs converts a literal's seconds to ms as Prometheus does (round to ns, truncate to ms). */
export function secondsToMs(s: number): number {
  return Math.trunc(goRound(s * 1e9) / 1e6);
}

/** goRound rounds half away from zero, like Go's math.Round. */
export function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

