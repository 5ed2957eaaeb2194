/**
 * Query planning: turns a parsed expression into the engine's evaluation tree for one query.
 * It folds `start()`/`end()`/`range()`/`step()`, resolves duration expressions and `@ start()`/
 * `@ end()`, wraps step-invariant parts (those pinned with `@`) so they are evaluated once, and
 * works out, for every selector, the time range and hints it must be selected with.
 * @module
 */
import { type Labels, type Matcher, type PositionRange, compareStrings } from '../model/index.js';
import type { SelectHints, Series } from '../storage/index.js';
import {
  type AggregateOp,
  type BinaryOp,
  type DurationExpr,
  type Expr,
  type FunctionDef,
  type NumberLiteral,
  type Offset,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
  getFunction,
  inspect,
} from './parser/index.js';
import { BadQueryError } from './errors.js';

/** PlanSelector is an instant-vector selector with everything resolved. */
export interface PlanSelector {
  readonly k: 'selector';
  readonly type: 'vector';
  readonly matchers: readonly Matcher[];
  readonly offsetMs: number;
  /** Absolute evaluation time in ms when pinned with `@`. */
  readonly atMs: number | undefined;
  readonly anchored: boolean;
  readonly smoothed: boolean;
  readonly pos: PositionRange;
  /** Inclusive ms range of samples to select. */
  readonly minT: number;
  readonly maxT: number;
  readonly hints: SelectHints;
  /** Filled by the engine after selecting. */
  series: Series[];
}

/** PlanNode is a node of the evaluation tree. */
export type PlanNode =
  | { readonly k: 'number'; readonly type: 'scalar'; readonly v: number }
  | { readonly k: 'string'; readonly type: 'string'; readonly v: string }
  | PlanSelector
  | { readonly k: 'matrix'; readonly type: 'matrix'; readonly sel: PlanSelector; readonly rangeMs: number; readonly pos: PositionRange }
  | PlanSubquery
  | PlanCall
  | PlanAggregate
  | PlanBinary
  | { readonly k: 'neg'; readonly type: ValueType; readonly expr: PlanNode; readonly pos: PositionRange }
  | { readonly k: 'invariant'; readonly type: ValueType; readonly expr: PlanNode };

/** PlanSubquery is `expr[range:step]` with resolved durations. */
export interface PlanSubquery {
  readonly k: 'subquery';
  readonly type: 'matrix';
  readonly expr: PlanNode;
  readonly rangeMs: number;
  readonly stepMs: number;
  readonly offsetMs: number;
  readonly atMs: number | undefined;
  readonly pos: PositionRange;
}

/** PlanCall is a function call; argExprs keep the source arguments (for absent() and positions). */
export interface PlanCall {
  readonly k: 'call';
  readonly type: ValueType;
  readonly fn: FunctionDef;
  readonly args: readonly PlanNode[];
  readonly argExprs: readonly Expr[];
  readonly pos: PositionRange;
  /** For info(): the time and offset info series are looked up with (from the first selector). */
  readonly info?: { readonly atMs: number | undefined; readonly offsetMs: number };
}

/** PlanAggregate is an aggregation with sorted grouping labels. */
export interface PlanAggregate {
  readonly k: 'aggregate';
  readonly type: 'vector';
  readonly op: AggregateOp;
  readonly expr: PlanNode;
  readonly param: PlanNode | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PositionRange;
  readonly exprPos: PositionRange;
  readonly paramPos: PositionRange | undefined;
}

/** PlanBinary is a binary operation. */
export interface PlanBinary {
  readonly k: 'binary';
  readonly type: ValueType;
  readonly op: BinaryOp;
  readonly lhs: PlanNode;
  readonly rhs: PlanNode;
  readonly bool: boolean;
  readonly matching: VectorMatching | undefined;
  readonly pos: PositionRange;
}

/** PlanOptions describe the query the plan is made for. */
export interface PlanOptions {
  readonly start: number;
  readonly end: number;
  /** Step in ms; 0 for instant queries. */
  readonly interval: number;
  readonly lookbackMs: number;
  /** Step of subqueries written without one (`x[5m:]`). */
  readonly defaultSubqueryStepMs: number;
}

// Functions whose result depends on the evaluation time, so `@` cannot make them step-invariant.
const AT_UNSAFE = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
]);

interface SubqueryPath {
  readonly offsetMs: number;
  readonly rangeMs: number;
  readonly atMs: number | undefined;
  readonly stepMs: number;
}

/** Planner builds the evaluation tree for one query. */
class Planner {
  readonly selectors: PlanSelector[] = [];
  readonly extraRanges: [number, number][] = [];

  constructor(readonly o: PlanOptions) {}

  durationSeconds(e: NumberLiteral | DurationExpr): number {
    if (e.kind === 'number') return e.value;
    const l = e.lhs !== undefined ? this.durationSeconds(e.lhs) : 0;
    const r = e.rhs !== undefined ? this.durationSeconds(e.rhs) : 0;
    switch (e.op) {
      case 'step':
        return this.o.interval / 1000;
      case 'range':
        return (this.o.end - this.o.start) / 1000;
      case 'min_of':
        return Math.min(l, r);
      case 'max_of':
        return Math.max(l, r);
      case '+':
        return e.lhs === undefined ? r : l + r;
      case '-':
        return e.lhs === undefined ? -r : l - r;
      case '*':
        return l * r;
      case '/':
        if (r === 0) throw new BadQueryError(`${e.range.start}:${e.range.end}: division by zero`);
        return l / r;
      case '%':
        if (r === 0) throw new BadQueryError(`${e.range.start}:${e.range.end}: modulo by zero`);
        return l % r;
      case '^':
        return Math.pow(l, r);
    }
  }

  /** durationMs evaluates a duration expression to whole milliseconds, as Prometheus does. */
  durationMs(e: DurationExpr, allowNegative: boolean): number {
    const d = this.durationSeconds(e);
    const at = `${e.range.start}:${e.range.end}`;
    if (Number.isNaN(d) || !Number.isFinite(d)) throw new BadQueryError(`${at}: duration is NaN or infinite`);
    if (d <= 0 && !allowNegative) throw new BadQueryError(`${at}: duration must be greater than 0`);
    if (d > 9223372036.854775807 || d < -9223372036.854775807) throw new BadQueryError(`${at}: duration is out of range`);
    return Math.trunc(d * 1000);
  }

  offsetMs(o: Offset | undefined): number {
    if (o === undefined) return 0;
    return o.kind === 'fixed' ? o.ms : this.durationMs(o.expr, true);
  }

  atMs(vs: { readonly at?: VectorSelector['at'] }): number | undefined {
    const at = vs.at;
    if (at === undefined) return undefined;
    switch (at.kind) {
      case 'timestamp':
        return at.t;
      case 'start':
        return this.o.start;
      case 'end':
        return this.o.end;
    }
  }

  /** fold replaces start(), end(), range() and step() by their values for this query. */
  fold(e: Expr): Expr {
    if (e.kind === 'call' && e.args.length === 0) {
      const q = this.o;
      let v: number | undefined;
      switch (e.func.name) {
        case 'start':
          v = q.start / 1000;
          break;
        case 'end':
          v = q.end / 1000;
          break;
        case 'range':
          v = (q.end - q.start) / 1000;
          break;
        case 'step':
          v = q.start === q.end ? 0 : q.interval / 1000;
          break;
      }
      if (v !== undefined) return { kind: 'number', value: v, duration: false, range: e.range };
    }
    return e;
  }

  /**
   * plan converts e; `fn` names the enclosing function or aggregation (for hints), `path` the
   * enclosing subqueries. Returns the node and whether it is step-invariant / worth wrapping.
   */
  plan(e: Expr, path: SubqueryPath | undefined, fn: string): Planned {
    e = this.fold(e);
    switch (e.kind) {
      case 'paren':
        return this.plan(e.expr, path, fn);
      case 'number':
        return { node: { k: 'number', type: 'scalar', v: e.value }, inv: true, wrap: false };
      case 'durationExpr':
        return { node: { k: 'number', type: 'scalar', v: this.durationSeconds(e) }, inv: true, wrap: false };
      case 'string':
        return { node: { k: 'string', type: 'string', v: e.value }, inv: true, wrap: false };
      case 'vectorSelector': {
        const sel = this.selector(e, 0, path, fn);
        const inv = sel.atMs !== undefined;
        return { node: sel, inv, wrap: inv };
      }
      case 'matrixSelector': {
        const rangeMs = e.rangeExpr !== undefined ? this.durationMs(e.rangeExpr, false) : e.rangeMs;
        const sel = this.selector(e.selector, rangeMs, path, fn);
        return { node: { k: 'matrix', type: 'matrix', sel, rangeMs, pos: e.range }, inv: sel.atMs !== undefined, wrap: false };
      }
      case 'subquery': {
        const rangeMs = e.rangeExpr !== undefined ? this.durationMs(e.rangeExpr, false) : e.rangeMs;
        let stepMs = e.stepExpr !== undefined ? this.durationMs(e.stepExpr, false) : e.stepMs;
        if (stepMs === 0) stepMs = this.o.defaultSubqueryStepMs;
        const offsetMs = this.offsetMs(e.offset);
        const atMs = this.atMs(e);
        const inner: SubqueryPath =
          atMs !== undefined
            ? { offsetMs, rangeMs, atMs, stepMs }
            : {
                offsetMs: (path?.offsetMs ?? 0) + offsetMs,
                rangeMs: (path?.rangeMs ?? 0) + rangeMs,
                atMs: path?.atMs,
                stepMs,
              };
        const p = this.plan(e.expr, inner, '');
        const expr: PlanNode = p.inv ? { k: 'invariant', type: p.node.type, expr: p.node } : p.node;
        return {
          node: { k: 'subquery', type: 'matrix', expr, rangeMs, stepMs, offsetMs, atMs, pos: e.range },
          inv: atMs !== undefined,
          wrap: false,
        };
      }
      case 'unary': {
        const p = this.plan(e.expr, path, fn);
        if (e.op === '+') return p;
        return { node: { k: 'neg', type: p.node.type, expr: p.node, pos: e.range }, inv: p.inv, wrap: p.wrap };
      }
      case 'aggregate': {
        const ex = unwrapParens(e.expr);
        const param = e.param !== undefined ? unwrapParens(e.param) : undefined;
        const p = this.plan(ex, path, e.op);
        const pp = param !== undefined ? this.wrapIfNeeded(this.plan(param, path, '')) : undefined;
        const grouping = [...e.grouping].sort(compareStrings);
        return {
          node: {
            k: 'aggregate',
            type: 'vector',
            op: e.op,
            expr: p.node,
            param: pp,
            grouping,
            without: e.without,
            pos: e.range,
            exprPos: ex.range,
            paramPos: param?.range,
          },
          inv: p.inv,
          wrap: p.wrap,
        };
      }
      case 'binary': {
        const l = this.plan(e.lhs, path, '');
        const r = this.plan(e.rhs, path, '');
        const node = (lhs: PlanNode, rhs: PlanNode): PlanBinary => ({
          k: 'binary',
          type: l.node.type === 'scalar' && r.node.type === 'scalar' ? 'scalar' : 'vector',
          op: e.op,
          lhs,
          rhs,
          bool: e.bool,
          matching: e.matching,
          pos: e.range,
        });
        if (l.inv && r.inv) return { node: node(l.node, r.node), inv: true, wrap: true };
        return { node: node(l.wrap ? invariant(l.node) : l.node, r.wrap ? invariant(r.node) : r.node), inv: false, wrap: false };
      }
      case 'call': {
        const argExprs = e.args.map(unwrapParens);
        const planned = argExprs.map((a) => this.plan(a, path, e.func.name));
        let inv = !AT_UNSAFE.has(e.func.name);
        let tsSafe = e.func.name === 'timestamp';
        planned.forEach((p, i) => {
          inv &&= p.inv;
          if (!p.inv || argExprs[i]!.kind !== 'vectorSelector') tsSafe = false;
        });
        const args = inv || tsSafe ? planned.map((p) => p.node) : planned.map((p) => (p.wrap ? invariant(p.node) : p.node));
        const info = e.func.name === 'info' ? this.infoTiming(argExprs[0]!) : undefined;
        const node: PlanCall = { k: 'call', type: e.func.returnType, fn: e.func, args, argExprs, pos: e.range, ...(info !== undefined ? { info } : {}) };
        if (info !== undefined) {
          // info() selects its info series while evaluating; the querier must cover them.
          const start = info.atMs ?? this.o.start;
          const end = info.atMs ?? this.o.end;
          this.extraRanges.push([start - this.o.lookbackMs + 1 - info.offsetMs, end - info.offsetMs]);
        }
        if (inv || tsSafe) return { node, inv: true, wrap: true };
        return { node, inv: false, wrap: false };
      }
    }
  }

  /** infoTiming finds the @ time and offset of the first selector, adding enclosing subquery offsets. */
  infoTiming(e: Expr): { atMs: number | undefined; offsetMs: number } {
    let result: { atMs: number | undefined; offsetMs: number } | undefined;
    inspect(e, (n, path) => {
      if (result !== undefined) return false;
      if (n.kind !== 'vectorSelector') return undefined;
      let atMs = this.atMs(n);
      let offsetMs = this.offsetMs(n.offset);
      for (let i = path.length - 1; atMs === undefined && i >= 0; i--) {
        const p = path[i]!;
        if (p.kind === 'subquery') {
          offsetMs += this.offsetMs(p.offset);
          atMs = this.atMs(p);
        }
      }
      result = { atMs, offsetMs };
      return false;
    });
    return result ?? { atMs: undefined, offsetMs: 0 };
  }

  wrapIfNeeded(p: Planned): PlanNode {
    return p.wrap ? invariant(p.node) : p.node;
  }

  selector(vs: VectorSelector, rangeMs: number, path: SubqueryPath | undefined, fn: string): PlanSelector {
    const offsetMs = this.offsetMs(vs.offset);
    const atMs = this.atMs(vs);
    let start = this.o.start;
    let end = this.o.end;
    if (path?.atMs !== undefined) {
      start = path.atMs;
      end = path.atMs;
    }
    if (atMs !== undefined) {
      start = atMs;
      end = atMs;
    } else if (path !== undefined) {
      start -= path.offsetMs + path.rangeMs;
      end -= path.offsetMs;
    }
    const lb = this.o.lookbackMs;
    if (rangeMs === 0) {
      start -= lb - 1;
      if (vs.smoothed) end += lb;
    } else if (vs.anchored) {
      start -= lb + rangeMs - 1;
    } else if (vs.smoothed) {
      start -= lb + rangeMs - 1;
      end += lb;
    } else {
      start -= rangeMs - 1;
    }
    start -= offsetMs;
    end -= offsetMs;
    const hints: SelectHints = {
      start,
      end,
      step: path !== undefined ? path.stepMs : this.o.interval,
      ...(fn !== '' ? { func: fn } : {}),
      ...(rangeMs !== 0 ? { range: rangeMs } : {}),
    };
    const sel: PlanSelector = {
      k: 'selector',
      type: 'vector',
      matchers: vs.matchers,
      offsetMs,
      atMs,
      anchored: vs.anchored,
      smoothed: vs.smoothed,
      pos: vs.range,
      minT: start,
      maxT: end,
      hints,
      series: [],
    };
    this.selectors.push(sel);
    return sel;
  }
}

interface Planned {
  readonly node: PlanNode;
  /** The subtree gives the same result at every step. */
  readonly inv: boolean;
  /** The subtree is worth evaluating once and broadcasting. */
  readonly wrap: boolean;
}

function invariant(n: PlanNode): PlanNode {
  return n.k === 'invariant' ? n : { k: 'invariant', type: n.type, expr: n };
}

/** unwrapParens removes parentheses around an expression. */
export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** Plan is the evaluation tree plus every selector in it. */
export interface Plan {
  readonly root: PlanNode;
  readonly selectors: readonly PlanSelector[];
  /** Inclusive ms range covering every selector (0, 0 when there is none). */
  readonly minT: number;
  readonly maxT: number;
}

/** buildPlan prepares expr for evaluation over the given query range. Throws BadQueryError. */
export function buildPlan(expr: Expr, o: PlanOptions): Plan {
  const p = new Planner(o);
  const top = p.plan(expr, undefined, '');
  const root = top.wrap ? invariant(top.node) : top.node;
  let minT = Infinity;
  let maxT = -Infinity;
  for (const s of p.selectors) {
    if (s.minT < minT) minT = s.minT;
    if (s.maxT > maxT) maxT = s.maxT;
  }
  for (const [a, b] of p.extraRanges) {
    if (a < minT) minT = a;
    if (b > maxT) maxT = b;
  }
  if (p.selectors.length === 0 && p.extraRanges.length === 0) {
    minT = 0;
    maxT = 0;
  }
  return { root, selectors: p.selectors, minT, maxT };
}

/** absentLabels derives the labels absent() returns from its argument's equality matchers. */
export function absentLabels(e: Expr, builder: (pairs: Record<string, string>) => Labels): Labels {
  let ms: readonly Matcher[] = [];
  if (e.kind === 'vectorSelector') ms = e.matchers;
  else if (e.kind === 'matrixSelector') ms = e.selector.matchers;
  const out: Record<string, string> = {};
  const has = new Set<string>();
  const deleted = new Set<string>();
  for (const m of ms) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && !has.has(m.name)) {
      out[m.name] = m.value;
      has.add(m.name);
      deleted.delete(m.name);
    } else {
      delete out[m.name];
      deleted.add(m.name);
    }
  }
  return builder(out);
}

/** functionDef returns a function's signature (for internal calls). */
export function functionDef(name: string): FunctionDef {
  const f = getFunction(name);
  if (f === undefined) throw new Error(`unknown function ${name}`);
  return f;
}
