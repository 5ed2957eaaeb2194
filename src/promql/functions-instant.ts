/**
 * Functions whose arguments are instant vectors and scalars: math, clamping, dates, sorting,
 * label manipulation, absent(), scalar()/vector(), and the classic-histogram functions.
 * @module
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../model/index.js';
import type { EvalValue, ScalarSteps, Steps } from './eval-context.js';
import { QueryError, UnsupportedError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { evalHistogramFunction } from './histogram-functions.js';
import { evalInfo } from './functions-info.js';
import { compileLabelRegex, expandTemplate, isValidLabelName } from './label-regex.js';
import { mergeSameLabels, namesDropSafely } from './labels-util.js';
import { goSort } from './go-sort.js';
import { naturalLess } from './natural-sort.js';
import { absentLabels, type PlanCall } from './plan.js';
import { SAME_LABELSET, StepVector } from './step-vector.js';

type FloatFn = (v: number) => number;

const SIMPLE: ReadonlyMap<string, FloatFn> = new Map<string, FloatFn>([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', Math.exp],
  ['sqrt', Math.sqrt],
  ['ln', Math.log],
  ['log2', Math.log2],
  ['log10', Math.log10],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['asin', Math.asin],
  ['acos', Math.acos],
  ['atan', Math.atan],
  ['sinh', Math.sinh],
  ['cosh', Math.cosh],
  ['tanh', Math.tanh],
  ['asinh', Math.asinh],
  ['acosh', Math.acosh],
  ['atanh', Math.atanh],
  ['rad', (v) => (v * Math.PI) / 180],
  ['deg', (v) => (v * 180) / Math.PI],
  ['sgn', (v) => (v < 0 ? -1 : v > 0 ? 1 : v)],
]);

const DATE: ReadonlyMap<string, (d: Date) => number> = new Map<string, (d: Date) => number>([
  ['days_in_month', (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()],
  ['day_of_month', (d) => d.getUTCDate()],
  ['day_of_week', (d) => d.getUTCDay()],
  ['day_of_year', (d) => Math.round((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1],
  ['hour', (d) => d.getUTCHours()],
  ['minute', (d) => d.getUTCMinutes()],
  ['month', (d) => d.getUTCMonth() + 1],
  ['year', (d) => d.getUTCFullYear()],
]);

/** evalInstantCall evaluates a call without range-vector arguments. */
export async function evalInstantCall(ev: Evaluator, n: PlanCall, s: Steps): Promise<EvalValue> {
  const name = n.fn.name;
  const simple = SIMPLE.get(name);
  if (simple !== undefined) return mapValues(ev, await ev.evalVector(n.args[0]!, s), s, (v) => simple(v));
  const date = DATE.get(name);
  if (date !== undefined) return dateFunction(ev, n, s, date);
  switch (name) {
    case 'time': {
      const v = new Float64Array(s.n);
      for (let k = 0; k < s.n; k++) v[k] = s.t(k) / 1000;
      return { kind: 'scalar', v };
    }
    case 'pi': {
      const v = new Float64Array(s.n);
      v.fill(Math.PI);
      return { kind: 'scalar', v };
    }
    case 'min_of':
    case 'max_of': {
      const a = await ev.evalScalar(n.args[0]!, s);
      const b = await ev.evalScalar(n.args[1]!, s);
      const f = name === 'min_of' ? Math.min : Math.max;
      const v = new Float64Array(s.n);
      for (let k = 0; k < s.n; k++) v[k] = f(a.v[k]!, b.v[k]!);
      return { kind: 'scalar', v };
    }
    case 'vector': {
      const a = await ev.evalScalar(n.args[0]!, s);
      const out = new StepVector(s.n, 1);
      const row = out.addRow(Labels.EMPTY, false);
      for (let k = 0; k < s.n; k++) out.set(row, k, a.v[k]!);
      return out;
    }
    case 'scalar': {
      const in0 = await ev.evalVector(n.args[0]!, s);
      const v = new Float64Array(s.n);
      for (let k = 0; k < s.n; k++) {
        let found = -1;
        for (let r = 0; r < in0.n; r++) {
          if (!in0.has(r, k)) continue;
          if (found >= 0) {
            found = -2;
            break;
          }
          found = r;
        }
        v[k] = found >= 0 ? in0.get(found, k) : NaN;
      }
      return { kind: 'scalar', v };
    }
    case 'round': {
      const in0 = await ev.evalVector(n.args[0]!, s);
      const to = n.args.length > 1 ? (await ev.evalScalar(n.args[1]!, s)).v : undefined;
      return mapValues(ev, in0, s, (v, k) => {
        const inv = 1 / (to !== undefined ? to[k]! : 1);
        return Math.floor(v * inv + 0.5) / inv;
      });
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const in0 = await ev.evalVector(n.args[0]!, s);
      let lo: ScalarSteps | undefined;
      let hi: ScalarSteps | undefined;
      if (name === 'clamp') {
        lo = await ev.evalScalar(n.args[1]!, s);
        hi = await ev.evalScalar(n.args[2]!, s);
      } else if (name === 'clamp_min') lo = await ev.evalScalar(n.args[1]!, s);
      else hi = await ev.evalScalar(n.args[1]!, s);
      return mapValues(ev, in0, s, (v, k) => {
        const min = lo !== undefined ? lo.v[k]! : -Infinity;
        const max = hi !== undefined ? hi.v[k]! : Infinity;
        if (max < min) return undefined;
        return Math.max(min, Math.min(max, v));
      });
    }
    case 'timestamp': {
      const a = n.args[0]!;
      const in0 = a.k === 'selector' ? await ev.selectorVector(a, s, true) : await ev.evalVector(a, s);
      const steps = a.k === 'selector' ? undefined : s;
      return mapValues(ev, in0, s, (v, k) => (steps !== undefined ? steps.t(k) / 1000 : v));
    }
    case 'sort':
    case 'sort_desc':
    case 'sort_by_label':
    case 'sort_by_label_desc':
      return sortFunction(ev, n, s);
    case 'label_replace':
      return labelReplace(ev, n, s);
    case 'label_join':
      return labelJoin(ev, n, s);
    case 'absent': {
      const in0 = await ev.evalVector(n.args[0]!, s);
      const out = new StepVector(s.n, 1);
      let row = -1;
      for (let k = 0; k < s.n; k++) {
        let any = false;
        for (let r = 0; r < in0.n && !any; r++) any = in0.has(r, k);
        if (any) continue;
        if (row < 0) row = out.addRow(absentLabels(n.argExprs[0]!, (o) => Labels.fromObject(o)), false);
        out.set(row, k, 1);
      }
      return out;
    }
    case 'histogram_quantile':
    case 'histogram_quantiles':
    case 'histogram_fraction':
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_avg':
    case 'histogram_stddev':
    case 'histogram_stdvar':
      return evalHistogramFunction(ev, n, s);
    case 'info':
      return evalInfo(ev, n, s);
    case 'start_timestamp':
      throw new UnsupportedError('start timestamps');
  }
  throw new UnsupportedError(`function ${name}`);
}

/**
 * mapValues applies f to every value, producing rows with the metric name dropped; f returning
 * undefined drops the sample. Rows that end up with the same labels are merged (an error when
 * both hold a value at the same step).
 */
export function mapValues(
  ev: Evaluator,
  in0: StepVector,
  s: Steps,
  f: (v: number, step: number) => number | undefined,
  keepName = false,
): StepVector {
  // Rows stay distinct when names are kept, or dropped from rows that all carry the same one.
  const distinct = !ev.ctx.delayed && (keepName || namesDropSafely(in0.labels, in0.n));
  const out = collectorFor(ev, s, in0.n, distinct);
  for (let r = 0; r < in0.n; r++) {
    let row = -1;
    for (let k = 0; k < s.n; k++) {
      if (!in0.has(r, k)) continue;
      const y = f(in0.get(r, k), k);
      if (y === undefined) continue;
      if (row < 0) {
        const d = keepName ? { labels: in0.labels[r]!, drop: in0.drop[r] === 1 } : ev.dropName(in0.labels[r]!);
        row = out.row(d.labels, d.drop || in0.drop[r] === 1);
      }
      out.put(row, k, y);
    }
  }
  return out.finish();
}

/** RowCollector assembles output rows with Prometheus's range-evaluation duplicate rules. */
export class RowCollector {
  readonly out: StepVector;
  readonly #byKey: Map<string, number> | undefined;

  constructor(steps: number, keyed: boolean, capacity: number) {
    this.out = new StepVector(steps, capacity);
    this.#byKey = keyed ? new Map() : undefined;
  }

  /** row returns the output row for labels, creating it when new. */
  row(labels: Labels, drop: boolean): number {
    if (this.#byKey === undefined) return this.out.addRow(labels, drop);
    const key = labels.key();
    let r = this.#byKey.get(key);
    if (r === undefined) {
      r = this.out.addRow(labels, drop);
      this.#byKey.set(key, r);
    }
    return r;
  }

  /** put stores a value; a second value for the same row and step is an error. */
  put(row: number, step: number, v: number): void {
    const i = row * this.out.steps + step;
    if (this.out.p[i] === 1) throw new QueryError(SAME_LABELSET);
    this.out.v[i] = v;
    this.out.p[i] = 1;
  }

  /** finish returns the assembled vector. */
  finish(): StepVector {
    return this.out;
  }
}

/**
 * collectorFor returns a collector for an evaluation over s: rows are keyed by labels except for
 * one-step evaluations with delayed name removal (duplicates are then resolved at the end).
 */
export function collectorFor(ev: Evaluator, s: Steps, capacity: number, distinct = false): RowCollector {
  return new RowCollector(s.n, !distinct && !(s.n === 1 && ev.ctx.delayed), capacity);
}

async function dateFunction(ev: Evaluator, n: PlanCall, s: Steps, f: (d: Date) => number): Promise<EvalValue> {
  if (n.args.length === 0) {
    const out = new StepVector(s.n, 1);
    const row = out.addRow(Labels.EMPTY, false);
    for (let k = 0; k < s.n; k++) out.set(row, k, f(new Date(Math.trunc(s.t(k) / 1000) * 1000)));
    return out;
  }
  const in0 = await ev.evalVector(n.args[0]!, s);
  return mapValues(ev, in0, s, (v) => {
    const secs = Number.isFinite(v) ? Math.trunc(v) : v > 0 ? 9223372036854775807 : -9223372036854775808;
    return f(new Date(secs * 1000));
  });
}

async function sortFunction(ev: Evaluator, n: PlanCall, s: Steps): Promise<EvalValue> {
  const in0 = await ev.evalVector(n.args[0]!, s);
  const name = n.fn.name;
  if (s.n > 1) {
    ev.ctx.annotations.warn('sort is ineffective for range queries since results are always ordered by labels', n.pos);
    return in0;
  }
  const idx: number[] = [];
  for (let r = 0; r < in0.n; r++) if (in0.has(r, 0)) idx.push(r);
  if (name === 'sort' || name === 'sort_desc') {
    // Prometheus sorts with Go's (unstable) sort.Sort over the reverse of a heap order in which
    // NaN is less than anything: reproduce that permutation exactly, ties and NaNs included.
    const v = (r: number): number => in0.v[r]!;
    const heapLess =
      name === 'sort'
        ? (a: number, b: number): boolean => v(a) !== v(a) || v(a) > v(b)
        : (a: number, b: number): boolean => v(a) !== v(a) || v(a) < v(b);
    goSort(
      {
        less: (i, j) => heapLess(idx[j]!, idx[i]!),
        swap: (i, j) => {
          const t = idx[i]!;
          idx[i] = idx[j]!;
          idx[j] = t;
        },
      },
      idx.length,
    );
  } else {
    const labels = n.argExprs.slice(1).map((e) => (e.kind === 'string' ? e.value : ''));
    const desc = name === 'sort_by_label_desc';
    idx.sort((a, b) => {
      const la = in0.labels[a]!;
      const lb = in0.labels[b]!;
      for (const l of labels) {
        const x = la.get(l);
        const y = lb.get(l);
        if (x === y) continue;
        const less = naturalLess(x, y);
        return desc ? (less ? 1 : -1) : less ? -1 : 1;
      }
      const c = la.compare(lb);
      return desc ? -c : c;
    });
  }
  const out = new StepVector(1, idx.length);
  for (const r of idx) out.copyRowFrom(in0, r);
  return out;
}

function stringArg(n: PlanCall, i: number): string {
  const e = n.argExprs[i];
  if (e === undefined || e.kind !== 'string') throw new QueryError(`expected a string argument`);
  return e.value;
}

async function labelReplace(ev: Evaluator, n: PlanCall, s: Steps): Promise<EvalValue> {
  const dst = stringArg(n, 1);
  const repl = stringArg(n, 2);
  const src = stringArg(n, 3);
  const regexStr = stringArg(n, 4);
  const re = compileLabelRegex(regexStr);
  if (re === undefined) throw new QueryError(`invalid regular expression in label_replace(): ${regexStr}`);
  if (!isValidLabelName(dst)) throw new QueryError(`invalid destination label name in label_replace(): ${dst}`);
  const in0 = await ev.evalVector(n.args[0]!, s);
  const b = new LabelsBuilder();
  for (let r = 0; r < in0.n; r++) {
    const l = in0.labels[r]!;
    const groups = re.match(l.get(src));
    if (groups === undefined) continue;
    const res = expandTemplate(repl, groups, re.names);
    in0.labels[r] = b.reset(l).set(dst, res).labels();
    if (dst === METRIC_NAME) in0.drop[r] = 0;
  }
  return mergeSameLabels(in0);
}

async function labelJoin(ev: Evaluator, n: PlanCall, s: Steps): Promise<EvalValue> {
  const dst = stringArg(n, 1);
  const sep = stringArg(n, 2);
  const srcs: string[] = [];
  for (let i = 3; i < n.argExprs.length; i++) {
    const src = stringArg(n, i);
    if (!isValidLabelName(src)) throw new QueryError(`invalid source label name in label_join(): ${src}`);
    srcs.push(src);
  }
  if (!isValidLabelName(dst)) throw new QueryError(`invalid destination label name in label_join(): ${dst}`);
  const in0 = await ev.evalVector(n.args[0]!, s);
  const b = new LabelsBuilder();
  for (let r = 0; r < in0.n; r++) {
    const l = in0.labels[r]!;
    const v = srcs.map((x) => l.get(x)).join(sep);
    in0.labels[r] = b.reset(l).set(dst, v).labels();
    if (dst === METRIC_NAME) in0.drop[r] = 0;
  }
  return mergeSameLabels(in0);
}
