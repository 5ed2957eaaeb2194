/**
 * Printing expressions back to PromQL: the canonical one-line form (Prometheus's Expr.String(),
 * used by `/api/v1/format_query` without prettifying) and the prettified multi-line form.
 * Printing then parsing gives back the same tree.
 * @module
 */
import { METRIC_NAME, MatchType, formatDuration, formatFloatF, formatFloatG, type Matcher } from '../../model/index.js';
import type { AtModifier, DurationExpr, Expr, Offset, VectorMatching, VectorSelector } from './ast.js';
import { quote } from './string-literal.js';

/** formatExpr prints e in canonical one-line form. */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return formatNumber(e.value, e.duration);
    case 'string':
      return quote(e.value);
    case 'paren':
      return '(' + formatExpr(e.expr) + ')';
    case 'unary':
      return e.op + formatExpr(e.expr);
    case 'call':
      return e.func.name + '(' + e.args.map(formatExpr).join(', ') + ')';
    case 'aggregate':
      return aggregatePrefix(e) + '(' + (e.param !== undefined ? formatExpr(e.param) + ', ' : '') + formatExpr(e.expr) + ')';
    case 'binary':
      return formatExpr(e.lhs) + ' ' + binaryOpString(e) + ' ' + formatExpr(e.rhs);
    case 'vectorSelector':
      return formatSelector(e, true);
    case 'matrixSelector': {
      const vs = e.selector;
      const ext = vs.anchored ? ' anchored' : vs.smoothed ? ' smoothed' : '';
      const rng = e.rangeExpr !== undefined ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
      return `${formatSelector(vs, false)}[${rng}]${ext}${atString(vs.at)}${offsetString(vs.offset)}`;
    }
    case 'subquery':
      return formatExpr(e.expr) + subquerySuffix(e);
    case 'durationExpr':
      return formatDurationExpr(e);
  }
}

/** subquerySuffix prints `[range:step] @ t offset d` of a subquery. */
function subquerySuffix(e: Extract<Expr, { kind: 'subquery' }>): string {
  const rng = e.rangeExpr !== undefined ? formatDurationExpr(e.rangeExpr) : formatDuration(e.rangeMs);
  const step = e.stepMs !== 0 ? formatDuration(e.stepMs) : e.stepExpr !== undefined ? formatDurationExpr(e.stepExpr) : '';
  return `[${rng}:${step}]${atString(e.at)}${offsetString(e.offset)}`;
}

function formatNumber(v: number, duration: boolean): string {
  if (duration) {
    const ms = Math.round(v * 1000);
    return ms < 0 ? '-' + formatDuration(-ms) : formatDuration(ms);
  }
  return formatFloatF(v);
}

function aggregatePrefix(e: Extract<Expr, { kind: 'aggregate' }>): string {
  if (e.without) return `${e.op} without (${formatLabelList(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${formatLabelList(e.grouping)}) `;
  return e.op;
}

/** binaryOpString prints the operator with its bool, matching and fill modifiers. */
function binaryOpString(e: Extract<Expr, { kind: 'binary' }>): string {
  return e.op + (e.bool ? ' bool' : '') + matchingString(e.matching);
}

function matchingString(vm: VectorMatching | undefined): string {
  if (vm === undefined) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.labels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${formatLabelList(vm.labels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${formatLabelList(vm.include)})`;
  if (vm.fillLeft !== undefined || vm.fillRight !== undefined) {
    if (vm.fillLeft !== undefined && vm.fillRight !== undefined && Object.is(vm.fillLeft, vm.fillRight)) {
      s += ` fill (${formatFloatG(vm.fillLeft)})`;
    } else {
      if (vm.fillLeft !== undefined) s += ` fill_left (${formatFloatG(vm.fillLeft)})`;
      if (vm.fillRight !== undefined) s += ` fill_right (${formatFloatG(vm.fillRight)})`;
    }
  }
  return s;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** formatLabelName prints a label name, quoting it when it is not a legacy (ASCII) name. */
export function formatLabelName(n: string): string {
  return LEGACY_NAME.test(n) ? n : quote(n);
}

function formatLabelList(ls: readonly string[]): string {
  return ls.map(formatLabelName).join(', ');
}

/** formatMatcher prints a matcher as PromQL: `name="value"`, quoting non-legacy names. */
export function formatMatcher(m: Matcher): string {
  return formatLabelName(m.name) + m.type + quote(m.value);
}

function formatSelector(vs: VectorSelector, withModifiers: boolean): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME && m.type === MatchType.Equal && m.value === vs.name && m.value !== '') continue;
    parts.push(formatMatcher(m));
  }
  let s = vs.name;
  if (parts.length > 0) {
    parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    s += '{' + parts.join(',') + '}';
  }
  if (!withModifiers) return s;
  s += atString(vs.at);
  if (vs.anchored) s += ' anchored';
  else if (vs.smoothed) s += ' smoothed';
  return s + offsetString(vs.offset);
}

function atString(at: AtModifier | undefined): string {
  if (at === undefined) return '';
  switch (at.kind) {
    case 'timestamp':
      return ' @ ' + (at.t / 1000).toFixed(3);
    case 'start':
      return ' @ start()';
    case 'end':
      return ' @ end()';
  }
}

function offsetString(o: Offset | undefined): string {
  if (o === undefined) return '';
  if (o.kind === 'expr') return ' offset ' + formatDurationExpr(o.expr);
  if (o.ms > 0) return ' offset ' + formatDuration(o.ms);
  if (o.ms < 0) return ' offset -' + formatDuration(-o.ms);
  return '';
}

function formatDurationOperand(e: Expr): string {
  return e.kind === 'durationExpr' ? formatDurationExpr(e) : formatExpr(e);
}

/** formatDurationExpr prints a duration expression. */
export function formatDurationExpr(e: DurationExpr): string {
  let s: string;
  switch (e.op) {
    case 'step':
      s = 'step()';
      break;
    case 'range':
      s = 'range()';
      break;
    case 'min_of':
    case 'max_of':
      s = `${e.op}(${formatDurationOperand(e.lhs!)}, ${formatDurationOperand(e.rhs!)})`;
      break;
    default:
      if (e.lhs === undefined) {
        s = (e.op === '-' ? '-' : '') + formatDurationOperand(e.rhs!);
      } else {
        s = `${formatDurationOperand(e.lhs)} ${e.op} ${formatDurationOperand(e.rhs!)}`;
      }
  }
  return e.wrapped ? '(' + s + ')' : s;
}

/** MAX_LINE is the width past which prettify splits an expression over several lines. */
export const MAX_LINE = 100;

/**
 * prettify prints e over several lines where the one-line form would exceed 100 characters,
 * indenting by two spaces per level, like Prometheus's prettifier (`/api/v1/format_query`).
 */
export function prettify(e: Expr): string {
  return pretty(e, 0);
}

function indent(level: number): string {
  return '  '.repeat(level);
}

function pretty(e: Expr, level: number): string {
  switch (e.kind) {
    case 'aggregate': {
      const flat = formatExpr(e);
      if (flat.length <= MAX_LINE) return indent(level) + flat;
      let s = indent(level) + aggregatePrefix(e) + '(\n';
      if (e.param !== undefined) s += pretty(e.param, level + 1) + ',\n';
      return s + pretty(e.expr, level + 1) + '\n' + indent(level) + ')';
    }
    case 'binary': {
      const flat = formatExpr(e);
      if (flat.length <= MAX_LINE) return indent(level) + flat;
      return pretty(e.lhs, level + 1) + '\n' + indent(level) + binaryOpString(e) + '\n' + pretty(e.rhs, level + 1);
    }
    case 'call': {
      const flat = formatExpr(e);
      if (flat.length <= MAX_LINE) return indent(level) + flat;
      return indent(level) + e.func.name + '(\n' + e.args.map((a) => pretty(a, level + 1)).join(',\n') + '\n' + indent(level) + ')';
    }
    case 'paren': {
      const flat = formatExpr(e);
      if (flat.length <= MAX_LINE) return indent(level) + flat;
      return indent(level) + '(\n' + pretty(e.expr, level + 1) + '\n' + indent(level) + ')';
    }
    case 'subquery': {
      const flat = formatExpr(e);
      if (flat.length <= MAX_LINE) return flat;
      return pretty(e.expr, level) + subquerySuffix(e);
    }
    case 'unary':
      return indent(level) + e.op + pretty(e.expr, level).trim();
    case 'durationExpr':
      return formatDurationExpr(e);
    default:
      return indent(level) + formatExpr(e);
  }
}
