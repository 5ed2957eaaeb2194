/**
 * The step-invariance variant of an instant case (FORMAT.md §8): every selector and subquery
 * not pinned to a numeric `@` gets `@ T`; nothing inside a subquery changes.
 * @module
 */
import type { AtModifier, Expr, VectorSelector } from '../parser/index.js';

function pin(at: AtModifier | undefined, t: number): AtModifier {
  return at !== undefined && at.kind === 'timestamp' ? at : { kind: 'timestamp', t };
}

function pinSelector(vs: VectorSelector, t: number): VectorSelector {
  return { ...vs, at: pin(vs.at, t) };
}

/** withAt returns e with `@ t` applied as the Prometheus runner does. */
export function withAt(e: Expr, t: number): Expr {
  switch (e.kind) {
    case 'vectorSelector':
      return pinSelector(e, t);
    case 'matrixSelector':
      return { ...e, selector: pinSelector(e.selector, t) };
    case 'subquery':
      return { ...e, at: pin(e.at, t) };
    case 'paren':
    case 'unary':
      return { ...e, expr: withAt(e.expr, t) };
    case 'binary': {
      const lhs = withAt(e.lhs, t);
      const rhs = withAt(e.rhs, t);
      return { ...e, lhs, rhs };
    }
    case 'call':
      return { ...e, args: e.args.map((a) => withAt(a, t)) };
    case 'aggregate':
      return { ...e, expr: withAt(e.expr, t), ...(e.param !== undefined ? { param: withAt(e.param, t) } : {}) };
    default:
      return e;
  }
}
