/**
 * The PromQL parser: a recursive-descent parser with precedence climbing over the tokens of
 * lexer.ts. It accepts the grammar of Prometheus 3 (including duration expressions and, when
 * enabled, the experimental `anchored`/`smoothed` selectors and `fill` modifiers) and reports the
 * first error with Prometheus's wording and position. Type checking follows in check.ts.
 * @module
 */
import type { Matcher } from '../../model/index.js';
import {
  type AggregateOp,
  type AtModifier,
  type BinaryExpr,
  type BinaryOp,
  type DurationExpr,
  type Expr,
  type NumberLiteral,
  type Offset,
  type SubqueryExpr,
  type VectorMatching,
  type VectorSelector,
  children,
  isSetOp,
} from './ast.js';
import { checkExpr } from './check.js';
import { type BinModifiers, ClauseParser } from './clause-parser.js';
import { goRound, secondsToMs } from './duration-parser.js';
import { ParseError } from './errors.js';
import { getFunction } from './functions.js';
import { type TokenKind, goQuote, isAggregatorKind } from './token.js';
import { BIN_PREC, DEFAULT_MAX_DEPTH, POW_PREC, type ParseOptions } from './token-stream.js';

export { DEFAULT_MAX_DEPTH, type ParseOptions } from './token-stream.js';
export { goRound, secondsToMs } from './duration-parser.js';

/**
 * parseExpr parses and type-checks a PromQL expression. Throws ParseError, whose message reads
 * `"<line>:<col>: parse error: <detail>"` like Prometheus's.
 */
export function parseExpr(input: string, options: ParseOptions = {}): Expr {
  const p = new Parser(input, options);
  const e = p.parseTop();
  checkDepth(e, input, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  checkExpr(e, input, p.rawMatching);
  return e;
}

/**
 * checkDepth rejects trees deeper than max (long operator chains such as `a + a + … + a` nest
 * without nested parentheses), so later recursive passes cannot exhaust the call stack. It walks
 * the tree with an explicit stack.
 */
function checkDepth(root: Expr, input: string, max: number): void {
  const stack: { e: Expr; depth: number }[] = [{ e: root, depth: 1 }];
  while (stack.length > 0) {
    const { e, depth } = stack.pop()!;
    if (depth > max) throw new ParseError(input, e.range, `expression nesting too deep (more than ${max} levels)`);
    for (const c of children(e)) stack.push({ e: c, depth: depth + 1 });
  }
}

/**
 * parseMetricSelector parses a selector such as `up{job="x"}` (as the API's `match[]`) into
 * matchers. Like Prometheus's ParseMetricSelector it only parses: a selector whose matchers all
 * match the empty value (`{job=~".*"}`, or `{}` with no matchers at all) and one that names the
 * metric twice are accepted; whoever uses the matchers decides whether that is allowed.
 */
export function parseMetricSelector(input: string, options: ParseOptions = {}): readonly Matcher[] {
  return new Parser(input, options).parseSelectorOnly().matchers;
}

const BIN_OP: Partial<Record<TokenKind, BinaryOp>> = {
  LOR: 'or',
  LAND: 'and',
  LUNLESS: 'unless',
  EQLC: '==',
  NEQ: '!=',
  LTE: '<=',
  LSS: '<',
  GTE: '>=',
  GTR: '>',
  TRIM_UPPER: '</',
  TRIM_LOWER: '>/',
  ADD: '+',
  SUB: '-',
  MUL: '*',
  DIV: '/',
  MOD: '%',
  ATAN2: 'atan2',
  POW: '^',
};

// Tokens that may name a metric in a selector (Prometheus's metric_identifier).
const METRIC_IDENTIFIER_KINDS = new Set<TokenKind>([
  'AVG', 'BOTTOMK', 'BY', 'COUNT', 'COUNT_VALUES', 'FILL', 'FILL_LEFT', 'FILL_RIGHT', 'GROUP', 'IDENTIFIER', 'LAND',
  'LOR', 'LUNLESS', 'MAX', 'METRIC_IDENTIFIER', 'MIN', 'OFFSET', 'QUANTILE', 'STDDEV', 'STDVAR', 'SUM', 'TOPK',
  'WITHOUT', 'START', 'END', 'LIMITK', 'LIMIT_RATIO', 'STEP', 'RANGE', 'ANCHORED', 'SMOOTHED', 'MAX_OF', 'MIN_OF',
]);

/** Parser parses expressions; the clauses around them come from ClauseParser. */
class Parser extends ClauseParser {
  parseTop(): Expr {
    if (this.peek().kind === 'EOF') throw this.err({ start: 0, end: 0 }, 'no expression found in input');
    const e = this.#expr(0);
    this.expectEnd();
    return e;
  }

  parseSelectorOnly(): VectorSelector {
    const t = this.peek();
    let e: Expr;
    if (t.kind === 'LEFT_BRACE' || METRIC_IDENTIFIER_KINDS.has(t.kind)) e = this.vectorSelector();
    else throw this.unexpected('', '');
    this.expectEnd();
    return e as VectorSelector;
  }

  #expr(minPrec: number): Expr {
    this.enter(this.peek());
    let lhs = this.#unary();
    for (;;) {
      const t = this.peek();
      const prec = BIN_PREC[t.kind];
      if (prec === undefined || prec < minPrec) break;
      this.next();
      const op = BIN_OP[t.kind]!;
      const mods = this.binModifiers();
      const rhs = this.#expr(t.kind === 'POW' ? prec : prec + 1);
      lhs = this.#binary(lhs, op, mods, rhs);
    }
    this.leave();
    return lhs;
  }

  #unary(): Expr {
    const t = this.peek();
    if (t.kind === 'ADD' || t.kind === 'SUB') {
      this.next();
      if (this.peek().kind === 'EOF') throw this.unexpected('', '');
      this.enter(t);
      // The unary operator binds like multiplication: only ^ (and postfix modifiers) bind tighter.
      const e = this.#expr(POW_PREC);
      this.leave();
      const op = t.kind === 'SUB' ? '-' : '+';
      if (e.kind === 'number') {
        return { kind: 'number', value: op === '-' ? -e.value : e.value, duration: e.duration, range: { start: t.start, end: e.range.end } };
      }
      return this.register({ kind: 'unary', op, expr: e, range: { start: t.start, end: e.range.end } });
    }
    return this.#postfix(this.#primary());
  }

  #primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'NUMBER':
      case 'DURATION':
        return this.numberLiteral();
      case 'STRING': {
        this.next();
        return { kind: 'string', value: this.unquote(t), range: { start: t.start, end: t.end } };
      }
      case 'LEFT_PAREN': {
        this.next();
        if (this.peek().kind === 'RIGHT_PAREN') throw this.unexpected('', '');
        const e = this.#expr(0);
        const close = this.expect('RIGHT_PAREN', '', '');
        return this.register({ kind: 'paren', expr: e, range: { start: t.start, end: close.end } });
      }
      case 'LEFT_BRACE':
        return this.vectorSelector();
      case 'IDENTIFIER':
        if (this.peek(1).kind === 'LEFT_PAREN') return this.#call();
        return this.vectorSelector();
      case 'START':
      case 'END':
      case 'STEP':
      case 'RANGE':
      case 'MAX_OF':
      case 'MIN_OF':
        if (this.peek(1).kind === 'LEFT_PAREN') return this.#call();
        return this.vectorSelector();
    }
    if (isAggregatorKind(t.kind)) {
      const n = this.peek(1).kind;
      if (n === 'LEFT_PAREN' || n === 'BY' || n === 'WITHOUT') return this.#aggregate();
      if (n === 'IDENTIFIER' || n === 'METRIC_IDENTIFIER') {
        // `sum some_metric`: Prometheus reports the identifier as unexpected.
        this.next();
        throw this.unexpected('', '');
      }
    }
    if (METRIC_IDENTIFIER_KINDS.has(t.kind)) return this.vectorSelector();
    throw this.unexpected('', '');
  }

  #postfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      switch (t.kind) {
        case 'LEFT_BRACKET':
          e = this.#rangeOrSubquery(e);
          continue;
        case 'OFFSET':
          this.next();
          e = this.#applyOffset(e, this.offsetValue());
          continue;
        case 'AT':
          this.next();
          e = this.#applyAt(e);
          continue;
        case 'ANCHORED':
        case 'SMOOTHED':
          this.next();
          e = this.#applyExtended(e, t.kind === 'ANCHORED' ? 'anchored' : 'smoothed');
          continue;
      }
      return e;
    }
  }

  #rangeOrSubquery(e: Expr): Expr {
    const open = this.next();
    if (!this.startsDuration(this.peek())) {
      throw this.unexpected('subquery or range selector', 'number, duration, step(), or range()');
    }
    const rng = this.positiveDuration();
    const t = this.peek();
    if (t.kind === 'RIGHT_BRACKET') {
      const close = this.next();
      if (e.kind !== 'vectorSelector') throw this.err({ start: open.start, end: close.end }, 'ranges only allowed for vector selectors');
      if (e.offset !== undefined) throw this.err({ start: open.start, end: close.end }, 'no offset modifiers allowed before range');
      if (e.at !== undefined) throw this.err({ start: open.start, end: close.end }, 'no @ modifiers allowed before range');
      return {
        kind: 'matrixSelector',
        selector: e,
        rangeMs: rng.kind === 'number' ? secondsToMs(rng.value) : 0,
        ...(rng.kind === 'durationExpr' ? { rangeExpr: rng } : {}),
        range: { start: e.range.start, end: close.end },
      };
    }
    if (t.kind !== 'COLON') throw this.unexpected('subquery or range', '":" or "]"');
    this.next();
    let step: NumberLiteral | DurationExpr | undefined;
    if (this.peek().kind !== 'RIGHT_BRACKET') {
      if (!this.startsDuration(this.peek())) {
        throw this.unexpected('subquery selector', 'number, duration, step(), range(), or "]"');
      }
      step = this.positiveDuration();
    }
    const close = this.expect('RIGHT_BRACKET', 'subquery selector', '"]"');
    const sq: SubqueryExpr = {
      kind: 'subquery',
      expr: e,
      rangeMs: rng.kind === 'number' ? secondsToMs(rng.value) : 0,
      ...(rng.kind === 'durationExpr' ? { rangeExpr: rng } : {}),
      stepMs: step?.kind === 'number' ? secondsToMs(step.value) : 0,
      ...(step?.kind === 'durationExpr' ? { stepExpr: step } : {}),
      range: { start: e.range.start, end: close.end },
    };
    return sq;
  }

  #applyOffset(e: Expr, v: NumberLiteral | DurationExpr): Expr {
    const end = this.prevEnd();
    const off: Offset = v.kind === 'number' ? { kind: 'fixed', ms: secondsToMs(v.value) } : { kind: 'expr', expr: v };
    const isSet = (o: Offset | undefined): boolean => o !== undefined && !(o.kind === 'fixed' && o.ms === 0);
    switch (e.kind) {
      case 'vectorSelector':
        if (isSet(e.offset)) throw this.err(e.range, 'offset may not be set multiple times');
        return { ...e, offset: off, range: { start: e.range.start, end } };
      case 'matrixSelector':
        if (isSet(e.selector.offset)) throw this.err(e.range, 'offset may not be set multiple times');
        return { ...e, selector: { ...e.selector, offset: off }, range: { start: e.range.start, end } };
      case 'subquery':
        if (isSet(e.offset)) throw this.err(e.range, 'offset may not be set multiple times');
        return { ...e, offset: off, range: { start: e.range.start, end } };
      default:
        throw this.err(e.range, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
  }

  #applyAt(e: Expr): Expr {
    const t = this.peek();
    let at: AtModifier;
    if (t.kind === 'START' || t.kind === 'END') {
      this.next();
      this.expect('LEFT_PAREN', '@', 'timestamp');
      this.expect('RIGHT_PAREN', '@', 'timestamp');
      at = { kind: t.kind === 'START' ? 'start' : 'end' };
    } else {
      let sign = 1;
      if (t.kind === 'ADD' || t.kind === 'SUB') {
        this.next();
        if (t.kind === 'SUB') sign = -1;
      }
      const u = this.peek();
      if (u.kind !== 'NUMBER' && u.kind !== 'DURATION') throw this.unexpected('@', 'timestamp');
      const n = this.numberLiteral();
      const ts = sign * n.value;
      if (!Number.isFinite(ts) || ts >= 9223372036854775807 || ts <= -9223372036854775808) {
        throw this.err(e.range, `timestamp out of bounds for @ modifier: ${formatGoF(ts)}`);
      }
      at = { kind: 'timestamp', t: goRound(ts * 1000) };
    }
    const end = this.prevEnd();
    const dup = (a: AtModifier | undefined): boolean => a !== undefined;
    switch (e.kind) {
      case 'vectorSelector':
        if (dup(e.at)) throw this.err(e.range, '@ <timestamp> may not be set multiple times');
        return { ...e, at, range: { start: e.range.start, end } };
      case 'matrixSelector':
        if (dup(e.selector.at)) throw this.err(e.range, '@ <timestamp> may not be set multiple times');
        return { ...e, selector: { ...e.selector, at }, range: { start: e.range.start, end } };
      case 'subquery':
        if (dup(e.at)) throw this.err(e.range, '@ <timestamp> may not be set multiple times');
        return { ...e, at, range: { start: e.range.start, end } };
      default:
        throw this.err(e.range, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
  }

  #applyExtended(e: Expr, which: 'anchored' | 'smoothed'): Expr {
    if (!this.opts.extendedRangeSelectors) throw this.err(e.range, `${which} modifier is experimental and not enabled`);
    const other = which === 'anchored' ? 'smoothed' : 'anchored';
    switch (e.kind) {
      case 'vectorSelector':
        if (e[other]) throw this.err(e.range, 'anchored and smoothed modifiers cannot be used together');
        return { ...e, [which]: true };
      case 'matrixSelector':
        if (e.selector[other]) throw this.err(e.range, 'anchored and smoothed modifiers cannot be used together');
        return { ...e, selector: { ...e.selector, [which]: true } };
      case 'subquery':
        throw this.err(e.range, `${which} modifier is not supported for subqueries`);
      default:
        throw this.err(e.range, `${which} modifier not implemented`);
    }
  }

  #call(): Expr {
    const t = this.next();
    const args = this.#callArgs();
    const end = this.prevEnd();
    const range = { start: t.start, end };
    const fn = getFunction(t.val);
    if (fn === undefined) throw this.err({ start: t.start, end: t.end }, `unknown function with name ${goQuote(t.val)}`);
    if (fn.experimental && !this.opts.experimentalFunctions) {
      throw this.err({ start: t.start, end: t.end }, `function ${goQuote(t.val)} is not enabled`);
    }
    return { kind: 'call', func: fn, args, range };
  }

  /** callArgs parses `(a, b, …)`; the opening parenthesis is next. */
  #callArgs(): Expr[] {
    this.expect('LEFT_PAREN', '', '');
    const args: Expr[] = [];
    if (this.peek().kind === 'RIGHT_PAREN') {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.#expr(0));
      const t = this.peek();
      if (t.kind === 'RIGHT_PAREN') {
        this.next();
        return args;
      }
      if (t.kind !== 'COMMA') throw this.unexpected('', '');
      this.next();
      if (this.peek().kind === 'RIGHT_PAREN') {
        throw this.err({ start: t.start, end: t.end }, 'trailing commas not allowed in function call args');
      }
    }
  }

  #aggregate(): Expr {
    const opTok = this.next();
    const op = opTok.val.toLowerCase() as AggregateOp;
    let grouping: string[] | undefined;
    let without = false;
    let k = this.peek().kind;
    if (k === 'BY' || k === 'WITHOUT') {
      this.next();
      without = k === 'WITHOUT';
      grouping = this.groupingLabels();
    }
    if (this.peek().kind !== 'LEFT_PAREN') throw this.unexpected('aggregation', '');
    const args = this.#callArgs();
    k = this.peek().kind;
    if (grouping === undefined && (k === 'BY' || k === 'WITHOUT')) {
      this.next();
      without = k === 'WITHOUT';
      grouping = this.groupingLabels();
    }
    const range = { start: opTok.start, end: this.prevEnd() };
    if (args.length === 0) throw this.err(range, 'no arguments for aggregate expression provided');
    const withParam =
      op === 'topk' || op === 'bottomk' || op === 'count_values' || op === 'quantile' || op === 'limitk' || op === 'limit_ratio';
    if (withParam && (op === 'limitk' || op === 'limit_ratio') && !this.opts.experimentalFunctions) {
      throw this.err(range, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    }
    const want = withParam ? 2 : 1;
    if (args.length !== want) {
      throw this.err(range, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    }
    return {
      kind: 'aggregate',
      op,
      expr: args[want - 1]!,
      ...(withParam ? { param: args[0]! } : {}),
      grouping: grouping ?? [],
      without,
      range,
    };
  }

  #binary(lhs: Expr, op: BinaryOp, m: BinModifiers, rhs: Expr): Expr {
    const range = { start: lhs.range.start, end: rhs.range.end };
    if ((m.fillLeft !== undefined || m.fillRight !== undefined) && !this.opts.binopFillModifiers) {
      throw this.err(range, 'binop fill modifiers are experimental and not enabled');
    }
    const matching: VectorMatching = {
      card: isSetOp(op) && m.card === 'one-to-one' ? 'many-to-many' : m.card,
      labels: m.labels,
      on: m.on,
      include: m.include,
      ...(m.fillLeft !== undefined ? { fillLeft: m.fillLeft } : {}),
      ...(m.fillRight !== undefined ? { fillRight: m.fillRight } : {}),
    };
    const bothVectors = this.typeOf(lhs) === 'vector' && this.typeOf(rhs) === 'vector';
    const node: BinaryExpr = { kind: 'binary', op, lhs, rhs, bool: m.bool, ...(bothVectors ? { matching } : {}), range };
    this.rawMatching.set(node, matching);
    this.register(node);
    return node;
  }
}

// Go's %f.
function formatGoF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}
