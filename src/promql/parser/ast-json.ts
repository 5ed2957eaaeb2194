/**
 * The syntax tree as the JSON of Prometheus's `/api/v1/parse_query` (the tree view of its UI):
 * same node types, field names and value layout.
 * @module
 */
import { formatFloatF, type Matcher } from '../../model/index.js';
import type { AtModifier, DurationExpr, Expr, NumberLiteral, Offset } from './ast.js';

/** JSONValue is any JSON value. */
export type JSONValue = null | boolean | number | string | readonly JSONValue[] | { readonly [k: string]: JSONValue };

function matchers(ms: readonly Matcher[]): JSONValue {
  return ms.map((m) => ({ name: m.name, value: m.value, type: m.type }));
}

function timestamp(at: AtModifier | undefined): JSONValue {
  return at?.kind === 'timestamp' ? at.t : null;
}

function startOrEnd(at: AtModifier | undefined): JSONValue {
  return at?.kind === 'start' || at?.kind === 'end' ? at.kind : null;
}

function offsetMs(o: Offset | undefined): number {
  return o?.kind === 'fixed' ? o.ms : 0;
}

function offsetExpr(o: Offset | undefined): JSONValue {
  return o?.kind === 'expr' ? durationJSON(o.expr) : null;
}

function durationJSON(e: DurationExpr | NumberLiteral | undefined): JSONValue {
  if (e === undefined) return null;
  if (e.kind === 'number') return { type: 'numberLiteral', val: formatFloatF(e.value), duration: e.duration };
  return { type: 'durationExpr', op: e.op, lhs: durationJSON(e.lhs), rhs: durationJSON(e.rhs), wrapped: e.wrapped };
}

/** exprToJSON translates an expression into parse_query's JSON tree. */
export function exprToJSON(e: Expr): JSONValue {
  switch (e.kind) {
    case 'aggregate':
      return {
        type: 'aggregation',
        op: e.op,
        expr: exprToJSON(e.expr),
        param: e.param !== undefined ? exprToJSON(e.param) : null,
        grouping: [...e.grouping],
        without: e.without,
      };
    case 'binary': {
      const m = e.matching;
      return {
        type: 'binaryExpr',
        op: e.op,
        lhs: exprToJSON(e.lhs),
        rhs: exprToJSON(e.rhs),
        matching:
          m === undefined
            ? null
            : {
                card: m.card,
                labels: [...m.labels],
                on: m.on,
                include: [...m.include],
                fillValues: { lhs: m.fillLeft ?? null, rhs: m.fillRight ?? null },
              },
        bool: e.bool,
      };
    }
    case 'call':
      return {
        type: 'call',
        func: { name: e.func.name, argTypes: [...e.func.argTypes], variadic: e.func.variadic, returnType: e.func.returnType },
        args: e.args.map(exprToJSON),
      };
    case 'matrixSelector': {
      const vs = e.selector;
      return {
        type: 'matrixSelector',
        name: vs.name,
        range: e.rangeMs,
        rangeExpr: durationJSON(e.rangeExpr),
        offset: offsetMs(vs.offset),
        offsetExpr: offsetExpr(vs.offset),
        matchers: matchers(vs.matchers),
        timestamp: timestamp(vs.at),
        startOrEnd: startOrEnd(vs.at),
        anchored: vs.anchored,
        smoothed: vs.smoothed,
      };
    }
    case 'subquery':
      return {
        type: 'subquery',
        expr: exprToJSON(e.expr),
        range: e.rangeMs,
        rangeExpr: durationJSON(e.rangeExpr),
        offset: offsetMs(e.offset),
        offsetExpr: offsetExpr(e.offset),
        step: e.stepMs,
        stepExpr: durationJSON(e.stepExpr),
        timestamp: timestamp(e.at),
        startOrEnd: startOrEnd(e.at),
      };
    case 'durationExpr':
      return durationJSON(e);
    case 'number':
      return { type: 'numberLiteral', val: formatFloatF(e.value) };
    case 'paren':
      return { type: 'parenExpr', expr: exprToJSON(e.expr) };
    case 'string':
      return { type: 'stringLiteral', val: e.value };
    case 'unary':
      return { type: 'unaryExpr', op: e.op, expr: exprToJSON(e.expr) };
    case 'vectorSelector':
      return {
        type: 'vectorSelector',
        name: e.name,
        offset: offsetMs(e.offset),
        offsetExpr: offsetExpr(e.offset),
        matchers: matchers(e.matchers),
        timestamp: timestamp(e.at),
        startOrEnd: startOrEnd(e.at),
        anchored: e.anchored,
        smoothed: e.smoothed,
      };
  }
}
