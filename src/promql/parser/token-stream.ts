/**
 * TokenStream: the token-level machinery of the PromQL parser — lookahead, Prometheus-worded
 * "unexpected …" errors, nesting limits — shared by the duration and expression parsers.
 * @module
 */
import type { PositionRange } from '../../model/index.js';
import { type BinaryExpr, type Expr, type ValueType, type VectorMatching, children, exprType } from './ast.js';
import { ParseError } from './errors.js';
import { lex } from './lexer.js';
import { type Token, type TokenKind, tokenDescription } from './token.js';

/** ParseOptions switch optional syntax on or off. */
export interface ParseOptions {
  /** Allow experimental functions and aggregations (`limitk`, `sort_by_label`, …). Default true. */
  readonly experimentalFunctions?: boolean;
  /** Allow arithmetic in ranges, steps and offsets (`x[5m+1m]`, `offset step()`). Default true. */
  readonly durationExpressions?: boolean;
  /** Allow `anchored` and `smoothed` range selectors. Default false. */
  readonly extendedRangeSelectors?: boolean;
  /** Allow `fill(…)`, `fill_left(…)`, `fill_right(…)` binary-operator modifiers. Default false. */
  readonly binopFillModifiers?: boolean;
  /** Maximum nesting depth of expressions; deeper input is rejected. Default 1000. */
  readonly maxDepth?: number;
}

/** DEFAULT_MAX_DEPTH bounds expression nesting so deep input cannot exhaust the call stack. */
export const DEFAULT_MAX_DEPTH = 1000;


/** BIN_PREC gives binary operators their precedence (higher binds tighter). */
export const BIN_PREC: Partial<Record<TokenKind, number>> = {
  LOR: 1,
  LAND: 2,
  LUNLESS: 2,
  EQLC: 3,
  NEQ: 3,
  LTE: 3,
  LSS: 3,
  GTE: 3,
  GTR: 3,
  TRIM_UPPER: 3,
  TRIM_LOWER: 3,
  ADD: 4,
  SUB: 4,
  MUL: 5,
  DIV: 5,
  MOD: 5,
  ATAN2: 5,
  POW: 6,
};
/** Precedence of multiplication (unary operators bind like it). */
export const MUL_PREC = 5;
/** Precedence of exponentiation. */
export const POW_PREC = 6;


/** TokenStream holds the tokens of one query and the parser's bookkeeping. */
export class TokenStream {
  readonly #input: string;

  readonly #toks: Token[];
  #i = 0;

  #depth = 0;
  readonly #maxDepth: number;

  protected readonly opts: Required<Omit<ParseOptions, 'maxDepth'>>;
  /** The modifiers as written, for the type checker (the tree keeps them only between vectors). */
  readonly rawMatching = new Map<BinaryExpr, VectorMatching>();

  /** Value types and depths of operator nodes, so long chains need no recursion to inspect. */
  readonly #types = new WeakMap<Expr, ValueType>();

  readonly #depths = new WeakMap<Expr, number>();

  protected typeOf(e: Expr): ValueType {
    switch (e.kind) {
      case 'binary':
      case 'paren':
      case 'unary':
        return this.#types.get(e) ?? exprType(e);
      default:
        return exprType(e);
    }
  }

  /** #depthOf returns the height of e's tree, memoised, without recursion. */
  #depthOf(root: Expr): number {
    const known = this.#depths.get(root);
    if (known !== undefined) return known;
    const stack: { e: Expr; done: boolean }[] = [{ e: root, done: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.#depths.has(top.e)) {
        stack.pop();
        continue;
      }
      const cs = children(top.e);
      if (!top.done) {
        top.done = true;
        for (const c of cs) if (!this.#depths.has(c)) stack.push({ e: c, done: false });
        continue;
      }
      let d = 0;
      for (const c of cs) d = Math.max(d, this.#depths.get(c)!);
      this.#depths.set(top.e, d + 1);
      stack.pop();
    }
    return this.#depths.get(root)!;
  }

  protected register(e: Expr): Expr {
    if (e.kind === 'binary' || e.kind === 'paren' || e.kind === 'unary') {
      const t = e.kind === 'binary' ? (this.typeOf(e.lhs) === 'scalar' && this.typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector') : this.typeOf(e.expr);
      this.#types.set(e, t);
      const d = 1 + (e.kind === 'binary' ? Math.max(this.#depthOf(e.lhs), this.#depthOf(e.rhs)) : this.#depthOf(e.expr));
      this.#depths.set(e, d);
      if (d > this.#maxDepth) {
        throw this.err(e.range, `expression nesting too deep (more than ${this.#maxDepth} levels)`);
      }
    }
    return e;
  }

  constructor(input: string, options: ParseOptions) {
    this.#input = input;
    this.#toks = lex(input).filter((t) => t.kind !== 'COMMENT');
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.opts = {
      experimentalFunctions: options.experimentalFunctions ?? true,
      durationExpressions: options.durationExpressions ?? true,
      extendedRangeSelectors: options.extendedRangeSelectors ?? false,
      binopFillModifiers: options.binopFillModifiers ?? false,
    };
  }

  protected peek(k = 0): Token {
    return this.#toks[Math.min(this.#i + k, this.#toks.length - 1)]!;
  }

  protected next(): Token {
    const t = this.#toks[this.#i]!;
    if (t.kind === 'ERROR') throw this.err({ start: t.start, end: t.end }, t.val);
    if (this.#i < this.#toks.length - 1) this.#i++;
    return t;
  }

  protected prevEnd(): number {
    return this.#i > 0 ? this.#toks[this.#i - 1]!.end : 0;
  }

  protected err(range: PositionRange, detail: string): ParseError {
    return new ParseError(this.#input, range, detail);
  }

  /** unexpected builds Prometheus's "unexpected <item> in <context>, expected <what>" error. */
  protected unexpected(context: string, expected: string): ParseError {
    const t = this.peek();
    if (t.kind === 'ERROR') return this.err({ start: t.start, end: t.end }, t.val);
    let msg = 'unexpected ' + tokenDescription(t);
    if (context !== '') msg += ' in ' + context;
    if (expected !== '') msg += ', expected ' + expected;
    return this.err({ start: t.start, end: t.end }, msg);
  }

  protected expect(kind: TokenKind, context: string, expected: string): Token {
    if (this.peek().kind !== kind) throw this.unexpected(context, expected);
    return this.next();
  }

  protected expectEnd(): void {
    if (this.peek().kind !== 'EOF') throw this.unexpected('', '');
  }

  protected enter(t: Token): void {
    if (++this.#depth > this.#maxDepth) {
      throw this.err({ start: t.start, end: t.end }, `expression nesting too deep (more than ${this.#maxDepth} levels)`);
    }
  }

  protected leave(): void {
    this.#depth--;
  }
}
