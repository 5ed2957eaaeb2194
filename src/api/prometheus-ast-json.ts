/**
 * The JSON tree of /api/v1/parse_query, as Prometheus 3's UI expects it: one object per node
 * with its keys in alphabetical order (Go marshals maps sorted), durations in ms, `null` for
 * absent parts.
 * @module
 */
import { type Matcher, assertNever, formatFloatF } from '../model/index.js';
import type { AtModifier, DurationExpr, Expr, NumberLiteral, Offset } from '../promql/parser/index.js';
import { goString } from './prometheus-json.js';

/** astJSON renders an expression as parse_query's `data`. */
export function astJSON(e: Expr): string {
  switch (e.kind) {
    case 'aggregate':
      return obj({
        expr: astJSON(e.expr),
        grouping: strings(e.grouping),
        op: goString(e.op),
        param: e.param === undefined ? 'null' : astJSON(e.param),
        type: '"aggregation"',
        without: String(e.without),
      });
    case 'binary': {
      const m = e.matching;
      const matching =
        m === undefined
          ? 'null'
          : obj({
              card: goString(m.card),
              fillValues: obj({ lhs: optNumber(m.fillLeft), rhs: optNumber(m.fillRight) }),
              include: strings(m.include),
              labels: strings(m.labels),
              on: String(m.on),
            });
      return obj({ bool: String(e.bool), lhs: astJSON(e.lhs), matching, op: goString(e.op), rhs: astJSON(e.rhs), type: '"binaryExpr"' });
    }
    case 'call':
      return obj({
        args: '[' + e.args.map(astJSON).join(',') + ']',
        func: obj({
          argTypes: strings(e.func.argTypes),
          name: goString(e.func.name),
          returnType: goString(e.func.returnType),
          variadic: String(e.func.variadic),
        }),
        type: '"call"',
      });
    case 'matrixSelector': {
      const vs = e.selector;
      return obj({
        anchored: String(vs.anchored),
        matchers: matchers(vs.matchers),
        name: goString(vs.name),
        offset: offsetMs(vs.offset),
        offsetExpr: offsetExpr(vs.offset),
        range: String(e.rangeMs),
        rangeExpr: e.rangeExpr === undefined ? 'null' : durationJSON(e.rangeExpr),
        smoothed: String(vs.smoothed),
        startOrEnd: startOrEnd(vs.at),
        timestamp: timestamp(vs.at),
        type: '"matrixSelector"',
      });
    }
    case 'subquery':
      return obj({
        expr: astJSON(e.expr),
        offset: offsetMs(e.offset),
        offsetExpr: offsetExpr(e.offset),
        range: String(e.rangeMs),
        rangeExpr: e.rangeExpr === undefined ? 'null' : durationJSON(e.rangeExpr),
        startOrEnd: startOrEnd(e.at),
        step: String(e.stepMs),
        stepExpr: e.stepExpr === undefined ? 'null' : durationJSON(e.stepExpr),
        timestamp: timestamp(e.at),
        type: '"subquery"',
      });
    case 'durationExpr':
      return durationJSON(e);
    case 'number':
      return obj({ type: '"numberLiteral"', val: goString(formatFloatF(e.value)) });
    case 'paren':
      return obj({ expr: astJSON(e.expr), type: '"parenExpr"' });
    case 'string':
      return obj({ type: '"stringLiteral"', val: goString(e.value) });
    case 'unary':
      return obj({ expr: astJSON(e.expr), op: goString(e.op), type: '"unaryExpr"' });
    case 'vectorSelector':
      return obj({
        anchored: String(e.anchored),
        matchers: matchers(e.matchers),
        name: goString(e.name),
        offset: offsetMs(e.offset),
        offsetExpr: offsetExpr(e.offset),
        smoothed: String(e.smoothed),
        startOrEnd: startOrEnd(e.at),
        timestamp: timestamp(e.at),
        type: '"vectorSelector"',
      });
    default:
      return assertNever(e);
  }
}

function durationJSON(e: DurationExpr | NumberLiteral): string {
  if (e.kind === 'number') return obj({ duration: String(e.duration), type: '"numberLiteral"', val: goString(formatFloatF(e.value)) });
  return obj({
    lhs: e.lhs === undefined ? 'null' : durationJSON(e.lhs),
    op: goString(e.op),
    rhs: e.rhs === undefined ? 'null' : durationJSON(e.rhs),
    type: '"durationExpr"',
    wrapped: String(e.wrapped),
  });
}

// obj writes an object from already-encoded values; callers list keys in alphabetical order.
function obj(fields: Readonly<Record<string, string>>): string {
  let s = '{';
  for (const [k, v] of Object.entries(fields)) {
    if (s.length > 1) s += ',';
    s += '"' + k + '":' + v;
  }
  return s + '}';
}

function strings(list: readonly string[]): string {
  return '[' + list.map(goString).join(',') + ']';
}

function optNumber(v: number | undefined): string {
  if (v === undefined) return 'null';
  // Go's encoding/json refuses NaN and infinities; Prometheus's fill values are finite.
  return Number.isFinite(v) ? String(v) : 'null';
}

function matchers(ms: readonly Matcher[]): string {
  return '[' + ms.map((m) => obj({ name: goString(m.name), type: goString(m.type), value: goString(m.value) })).join(',') + ']';
}

function offsetMs(o: Offset | undefined): string {
  return o?.kind === 'fixed' ? String(o.ms) : '0';
}

function offsetExpr(o: Offset | undefined): string {
  return o?.kind === 'expr' ? durationJSON(o.expr) : 'null';
}

function timestamp(at: AtModifier | undefined): string {
  return at?.kind === 'timestamp' ? String(at.t) : 'null';
}

function startOrEnd(at: AtModifier | undefined): string {
  return at?.kind === 'start' ? '"start"' : at?.kind === 'end' ? '"end"' : 'null';
}
