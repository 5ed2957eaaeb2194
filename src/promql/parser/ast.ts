/**
 * The PromQL syntax tree: plain readonly data, discriminated on `kind`. Every node carries the
 * `range` of source text it came from (0-based UTF-16 offsets, end exclusive), so type errors and
 * annotations can point at it. The engine evaluates the tree in its own `switch (node.kind)`.
 * @module
 */
import type { Matcher, PositionRange } from '../../model/index.js';
import type { FunctionDef } from './functions.js';

/** ValueType names the four PromQL value types (and `none` for statements without a value). */
export const ValueType = {
  None: 'none',
  Scalar: 'scalar',
  Vector: 'vector',
  Matrix: 'matrix',
  String: 'string',
} as const;
/** One of ValueType's values. */
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** documentedType names a value type as Prometheus's error messages and docs do. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** BinaryOp lists the binary operators by spelling. */
export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | '</'
  | '>/'
  | 'and'
  | 'or'
  | 'unless';

/** AggregateOp lists the aggregation operators. */
export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** isComparisonOp tells whether op filters (or with `bool` returns 0/1). */
export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** isSetOp tells whether op is `and`, `or` or `unless`. */
export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** aggregateTakesParam tells whether an aggregation takes a first parameter (`topk(3, …)`). */
export function aggregateTakesParam(op: AggregateOp): boolean {
  return (
    op === 'topk' || op === 'bottomk' || op === 'count_values' || op === 'quantile' || op === 'limitk' || op === 'limit_ratio'
  );
}

/** Expr is any PromQL expression. */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | DurationExpr;

/** NumberLiteral is a float; `duration` remembers it was written as a duration (`5m` = 300). */
export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
  readonly duration: boolean;
  readonly range: PositionRange;
}

/** StringLiteral is a string with its escapes resolved. */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly range: PositionRange;
}

/** AtModifier is `@ <timestamp ms>`, `@ start()` or `@ end()`. */
export type AtModifier =
  | { readonly kind: 'timestamp'; readonly t: number }
  | { readonly kind: 'start' }
  | { readonly kind: 'end' };

/** Offset is `offset <ms>` (may be negative) or an offset computed by a duration expression. */
export type Offset = { readonly kind: 'fixed'; readonly ms: number } | { readonly kind: 'expr'; readonly expr: DurationExpr };

/** VectorSelector selects series by matchers; the name written before `{` is also a matcher. */
export interface VectorSelector {
  readonly kind: 'vectorSelector';
  /** The metric name written before the braces, or ''. */
  readonly name: string;
  /** All matchers, including `__name__="<name>"` (appended last) when name is set. */
  readonly matchers: readonly Matcher[];
  readonly offset?: Offset;
  readonly at?: AtModifier;
  readonly anchored: boolean;
  readonly smoothed: boolean;
  readonly range: PositionRange;
}

/** MatrixSelector is `selector[range]`; offset and @ live on the inner selector. */
export interface MatrixSelector {
  readonly kind: 'matrixSelector';
  readonly selector: VectorSelector;
  /** Range in ms (0 when rangeExpr is set). */
  readonly rangeMs: number;
  readonly rangeExpr?: DurationExpr;
  readonly range: PositionRange;
}

/** SubqueryExpr is `expr[range:step]`. */
export interface SubqueryExpr {
  readonly kind: 'subquery';
  readonly expr: Expr;
  readonly rangeMs: number;
  readonly rangeExpr?: DurationExpr;
  /** Step in ms; 0 means the engine's default resolution. */
  readonly stepMs: number;
  readonly stepExpr?: DurationExpr;
  readonly offset?: Offset;
  readonly at?: AtModifier;
  readonly range: PositionRange;
}

/** Call is a function call. */
export interface Call {
  readonly kind: 'call';
  readonly func: FunctionDef;
  readonly args: readonly Expr[];
  readonly range: PositionRange;
}

/** AggregateExpr is `op by|without (labels) (param, expr)`. */
export interface AggregateExpr {
  readonly kind: 'aggregate';
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param?: Expr;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly range: PositionRange;
}

/** Cardinality of a vector match. */
export type MatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** VectorMatching describes `on`/`ignoring`, `group_left`/`group_right` and `fill` modifiers. */
export interface VectorMatching {
  readonly card: MatchCardinality;
  /** The labels of on(…) or ignoring(…). */
  readonly labels: readonly string[];
  /** True for on(…), false for ignoring(…) (or no clause). */
  readonly on: boolean;
  /** Extra labels taken from the "one" side with group_left/group_right. */
  readonly include: readonly string[];
  readonly fillLeft?: number;
  readonly fillRight?: number;
}

/** BinaryExpr is `lhs op [bool] [on|ignoring(…)] [group_x(…)] rhs`. */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly bool: boolean;
  /** Present when both sides are instant vectors. */
  readonly matching?: VectorMatching;
  readonly range: PositionRange;
}

/** UnaryExpr is `-expr` or `+expr` (a signed number literal folds into the literal instead). */
export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly range: PositionRange;
}

/** ParenExpr is `(expr)`. */
export interface ParenExpr {
  readonly kind: 'paren';
  readonly expr: Expr;
  readonly range: PositionRange;
}

/** DurationOp lists the operators of duration expressions. */
export type DurationOp = '+' | '-' | '*' | '/' | '%' | '^' | 'step' | 'range' | 'min_of' | 'max_of';

/**
 * DurationExpr is arithmetic over durations in ranges, steps and offsets (`x[5m+1m]`,
 * `offset step()`), in seconds. A unary operator has no lhs; step() and range() have neither.
 */
export interface DurationExpr {
  readonly kind: 'durationExpr';
  readonly op: DurationOp;
  readonly lhs?: NumberLiteral | DurationExpr;
  readonly rhs?: NumberLiteral | DurationExpr;
  /** Written in parentheses (kept so the printer round-trips). */
  readonly wrapped: boolean;
  readonly range: PositionRange;
}

/** exprType returns the value type an expression evaluates to. */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
    case 'durationExpr':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
    case 'aggregate':
      return 'vector';
    case 'matrixSelector':
    case 'subquery':
      return 'matrix';
    case 'call':
      return e.func.returnType;
    case 'binary':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return exprType(e.expr);
  }
}

/** children returns the direct sub-expressions of e, in source order. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'aggregate':
      return e.param !== undefined ? [e.param, e.expr] : [e.expr];
    case 'binary':
      return [e.lhs, e.rhs];
    case 'call':
      return e.args;
    case 'subquery':
    case 'unary':
    case 'paren':
      return [e.expr];
    case 'matrixSelector':
      return [e.selector];
    default:
      return [];
  }
}

/**
 * inspect visits e and its descendants depth-first, parents before children; `path` lists the
 * ancestors (outermost first). Returning false from fn skips the node's children.
 */
export function inspect(e: Expr, fn: (node: Expr, path: readonly Expr[]) => boolean | void): void {
  const path: Expr[] = [];
  // An explicit stack keeps deep trees from exhausting the JS call stack.
  const stack: { node: Expr; depth: number }[] = [{ node: e, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    path.length = depth;
    if (fn(node, path) === false) continue;
    path.push(node);
    const cs = children(node);
    for (let i = cs.length - 1; i >= 0; i--) stack.push({ node: cs[i]!, depth: depth + 1 });
  }
}
