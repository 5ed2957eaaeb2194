/**
 * Type checking of a parsed expression, in the order and with the messages of Prometheus's
 * checkAST: children first, then the node itself; the first problem is thrown as ParseError.
 * @module
 */
import { METRIC_NAME } from '../../model/index.js';
import {
  type BinaryExpr,
  type Expr,
  type ValueType,
  type VectorMatching,
  documentedType,
  exprType,
  isComparisonOp,
  isSetOp,
} from './ast.js';
import { ParseError } from './errors.js';
import { goQuote } from './token.js';

/**
 * checkExpr type-checks e. `rawMatching` holds the modifiers of binary expressions as written
 * (the tree drops them when an operand is a scalar, after they have been validated here).
 */
export function checkExpr(e: Expr, query: string, rawMatching?: ReadonlyMap<BinaryExpr, VectorMatching>): void {
  new Checker(query, rawMatching).check(e);
}

class Checker {
  constructor(
    readonly query: string,
    readonly raw: ReadonlyMap<BinaryExpr, VectorMatching> | undefined,
  ) {}

  fail(range: { start: number; end: number }, detail: string): never {
    throw new ParseError(this.query, range, detail);
  }

  expectType(e: Expr, want: ValueType, context: string): void {
    const t = this.check(e);
    if (t !== want) this.fail(e.range, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  }

  check(e: Expr): ValueType {
    // Operator types come from their operands' (computed once, bottom-up): no repeated descent.
    let typ: ValueType = e.kind === 'binary' || e.kind === 'paren' || e.kind === 'unary' ? 'none' : exprType(e);
    switch (e.kind) {
      case 'aggregate':
        this.expectType(e.expr, 'vector', 'aggregation expression');
        if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'quantile' || e.op === 'limitk' || e.op === 'limit_ratio') {
          this.expectType(e.param!, 'scalar', 'aggregation parameter');
        }
        if (e.op === 'count_values') this.expectType(e.param!, 'string', 'aggregation parameter');
        break;
      case 'binary':
        typ = this.checkBinary(e);
        break;
      case 'call':
        this.checkCall(e);
        break;
      case 'paren':
        typ = this.check(e.expr);
        break;
      case 'unary': {
        const t = this.check(e.expr);
        typ = t;
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(e.range, `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`);
        }
        break;
      }
      case 'subquery': {
        const t = this.check(e.expr);
        if (t !== 'vector') this.fail(e.range, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'matrixSelector':
        this.check(e.selector);
        break;
      case 'vectorSelector':
        this.checkSelector(e, false);
        break;
      case 'number':
      case 'string':
      case 'durationExpr':
        break;
    }
    return typ;
  }

  checkSelector(e: Extract<Expr, { kind: 'vectorSelector' }>, bypassEmpty: boolean): void {
    if (e.name !== '') {
      for (let i = 0; i < e.matchers.length - 1; i++) {
        const m = e.matchers[i]!;
        if (m.name === METRIC_NAME) this.fail(e.range, `metric name must not be set twice: ${goQuote(e.name)} or ${goQuote(m.value)}`);
      }
      return;
    }
    if (bypassEmpty) return;
    if (!e.matchers.some((m) => !m.matches(''))) this.fail(e.range, 'vector selector must contain at least one non-empty matcher');
  }

  checkBinary(e: BinaryExpr): ValueType {
    const lt = this.check(e.lhs);
    const rt = this.check(e.rhs);
    const m = this.raw?.get(e) ?? e.matching;
    const opRange = (): { start: number; end: number } => {
      let start = e.lhs.range.end;
      while (start < this.query.length && isSpace(this.query[start]!)) start++;
      let end = e.rhs.range.start - 1;
      while (end > 0 && isSpace(this.query[end]!)) end--;
      return { start, end };
    };
    if (e.bool && !isComparisonOp(e.op)) this.fail(opRange(), 'bool modifier can only be used on comparison operators');
    if (isComparisonOp(e.op) && !e.bool && lt === 'scalar' && rt === 'scalar') {
      this.fail(opRange(), 'comparisons between scalars must use BOOL modifier');
    }
    if (m !== undefined && m.on) {
      for (const l1 of m.labels) {
        if (m.include.includes(l1)) this.fail(opRange(), `label ${goQuote(l1)} must not occur in ON and GROUP clause at once`);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') this.fail(e.lhs.range, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector') this.fail(e.rhs.range, 'binary expression must contain only scalar and instant vector types');
    const fill = m !== undefined && (m.fillLeft !== undefined || m.fillRight !== undefined);
    if (lt !== 'vector' || rt !== 'vector') {
      if (m !== undefined && m.labels.length > 0) this.fail(e.range, 'vector matching only allowed between instant vectors');
      if (fill) this.fail(e.range, 'filling in missing series only allowed between instant vectors');
    } else if (isSetOp(e.op) && m !== undefined) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') this.fail(e.range, `no grouping allowed for ${goQuote(e.op)} operation`);
      if (m.card !== 'many-to-many') this.fail(e.range, 'set operations must always be many-to-many');
      if (fill) this.fail(e.range, 'filling in missing series not allowed for set operators');
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op)) {
      this.fail(e.range, `set operator ${goQuote(e.op)} not allowed in binary scalar expression`);
    }
    return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
  }

  checkCall(e: Extract<Expr, { kind: 'call' }>): void {
    const f = e.func;
    const nargs = f.argTypes.length;
    if (f.variadic === 0) {
      if (nargs !== e.args.length) {
        this.fail(e.range, `expected ${nargs} argument(s) in call to ${goQuote(f.name)}, got ${e.args.length}`);
      }
    } else {
      const na = nargs - 1;
      if (na > e.args.length) {
        this.fail(e.range, `expected at least ${na} argument(s) in call to ${goQuote(f.name)}, got ${e.args.length}`);
      } else if (f.variadic > 0 && na + f.variadic < e.args.length) {
        this.fail(e.range, `expected at most ${na + f.variadic} argument(s) in call to ${goQuote(f.name)}, got ${e.args.length}`);
      }
    }
    if (f.name === 'info' && e.args.length > 1) {
      const a = e.args[1]!;
      if (exprType(a) !== 'vector') {
        this.fail(e.range, `expected type instant vector in call to function ${goQuote(f.name)}, got ${documentedType(exprType(a))}`);
      }
      if (a.kind === 'vectorSelector' && a.name !== '') this.fail(a.range, 'expected label selectors only, got vector selector instead');
      if (a.kind !== 'vectorSelector') this.fail(a.range, 'expected label selectors only');
    }
    e.args.forEach((arg, i) => {
      if (i >= nargs) {
        if (f.variadic === 0) return;
        i = nargs - 1;
      }
      const t = f.name === 'info' && i === 1 && arg.kind === 'vectorSelector' ? this.checkInfoSelector(arg) : this.check(arg);
      const want = f.argTypes[i]!;
      if (t !== want) {
        this.fail(arg.range, `expected type ${documentedType(want)} in call to function ${goQuote(f.name)}, got ${documentedType(t)}`);
      }
    });
  }

  checkInfoSelector(e: Extract<Expr, { kind: 'vectorSelector' }>): ValueType {
    this.checkSelector(e, true);
    return 'vector';
  }
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
