/**
 * Aggregation operators: sum, avg, count, min, max, group, stddev, stdvar, quantile, topk,
 * bottomk, limitk, limit_ratio and count_values, with `by`/`without` grouping. Per (group, step)
 * state lives in typed arrays; inputs are visited in row order so floating-point results are
 * accumulated in the same order as Prometheus.
 * @module
 */
import { Labels, LabelsBuilder, METRIC_NAME, compareStrings, formatFloatF, formatFloatG } from '../model/index.js';
import type { Steps } from './eval-context.js';
import { QueryError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { KahanSum, quantileSorted, sortForQuantile } from './float-math.js';
import { collectorFor } from './functions-instant.js';
import { isValidLabelName } from './label-regex.js';
import type { PlanAggregate } from './plan.js';
import { quote } from './parser/index.js';
import { goSort } from './go-sort.js';
import { StepVector } from './step-vector.js';

interface Grouping {
  /** Group index of each input row. */
  readonly of: Int32Array;
  /** Labels of each group. */
  readonly labels: Labels[];
}

/** groupKeyBy identifies a label set by the values of the listed (sorted) labels. */
function groupKeyBy(l: Labels, names: readonly string[]): string {
  let k = '';
  for (let i = 0; i < names.length; i++) {
    const v = l.get(names[i]!);
    k += v.length + ':' + v;
  }
  return k;
}

/** groupKeyWithout identifies a label set by all labels except the listed ones and the name. */
function groupKeyWithout(l: Labels, excluded: ReadonlySet<string>): string {
  let k = '';
  const nv = l.pairs();
  for (let i = 0; i < nv.length; i += 2) {
    const n = nv[i]!;
    if (excluded.has(n)) continue;
    const v = nv[i + 1]!;
    k += n.length + ':' + n + v.length + ':' + v;
  }
  return k;
}

/** groupLabels returns the labels an aggregation group carries. */
function groupLabels(l: Labels, grouping: readonly string[], without: boolean, b: LabelsBuilder): Labels {
  if (without) return b.reset(l).del(...grouping, METRIC_NAME).labels();
  if (grouping.length === 0) return Labels.EMPTY;
  return b.reset(l).keep(...grouping).labels();
}

function groupRows(in0: StepVector, grouping: readonly string[], without: boolean): Grouping {
  const of = new Int32Array(in0.n);
  const labels: Labels[] = [];
  const b = new LabelsBuilder();
  if (!without && grouping.length === 0) {
    if (in0.n > 0) labels.push(Labels.EMPTY);
    return { of, labels };
  }
  const byKey = new Map<string, number>();
  const excluded = new Set([...grouping, METRIC_NAME]);
  for (let r = 0; r < in0.n; r++) {
    const l = in0.labels[r]!;
    const key = without ? groupKeyWithout(l, excluded) : groupKeyBy(l, grouping);
    let idx = byKey.get(key);
    if (idx === undefined) {
      idx = labels.length;
      byKey.set(key, idx);
      labels.push(groupLabels(l, grouping, without, b));
    }
    of[r] = idx;
  }
  return { of, labels };
}

/** evalAggregate evaluates an aggregation over the steps. */
export async function evalAggregate(ev: Evaluator, n: PlanAggregate, s: Steps): Promise<StepVector> {
  if (n.op === 'count_values') return countValues(ev, n, s);
  let param: Float64Array | undefined;
  if (n.param !== undefined) param = (await ev.evalScalar(n.param, s)).v;
  const in0 = await ev.evalVector(n.expr, s);
  switch (n.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
    case 'limit_ratio':
      return selectK(ev, n, in0, param!, s);
    case 'quantile':
      return quantileAgg(ev, n, in0, param!, s);
    default:
      return accumulate(ev, n, in0, s);
  }
}

function paramStats(p: Float64Array): { min: number; max: number; nan: boolean } {
  let min = Number.MAX_VALUE;
  let max = -Number.MAX_VALUE;
  let nan = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    max = Math.max(max, v);
    min = Math.min(min, v);
    if (Number.isNaN(v)) nan = true;
  }
  return { min, max, nan };
}

function accumulate(ev: Evaluator, n: PlanAggregate, in0: StepVector, s: Steps): StepVector {
  const S = s.n;
  const g = groupRows(in0, n.grouping, n.without);
  const G = g.labels.length;
  const size = G * S;
  const seen = new Uint8Array(size);
  const drop = new Uint8Array(size);
  const val = new Float64Array(size);
  const comp = new Float64Array(size);
  const mean = new Float64Array(size);
  const count = new Float64Array(size);
  const incr = n.op === 'avg' ? new Uint8Array(size) : undefined;
  const k1 = new KahanSum();
  const op = n.op;
  for (let r = 0; r < in0.n; r++) {
    const base = g.of[r]! * S;
    const rd = in0.drop[r]!;
    for (let k = 0; k < S; k++) {
      if (in0.p[r * S + k] !== 1) continue;
      const f = in0.v[r * S + k]!;
      const i = base + k;
      if (seen[i] === 0) {
        seen[i] = 1;
        drop[i] = rd;
        val[i] = f;
        mean[i] = f;
        count[i] = 1;
        comp[i] = 0;
        if (op === 'stddev' || op === 'stdvar') val[i] = Number.isFinite(f) ? 0 : NaN;
        else if (op === 'group') val[i] = 1;
        continue;
      }
      if (rd === 1) drop[i] = 1;
      switch (op) {
        case 'sum':
          k1.s = val[i]!;
          k1.c = comp[i]!;
          k1.add(f);
          val[i] = k1.s;
          comp[i] = k1.c;
          break;
        case 'avg': {
          const c = ++count[i]!;
          if (incr![i] === 0) {
            k1.s = val[i]!;
            k1.c = comp[i]!;
            k1.add(f);
            if (k1.s !== Infinity && k1.s !== -Infinity) {
              val[i] = k1.s;
              comp[i] = k1.c;
              break;
            }
            // The sum would overflow: continue with an incremental mean.
            incr![i] = 1;
            mean[i] = val[i]! / (c - 1);
            comp[i] = comp[i]! / (c - 1);
          }
          const q = (c - 1) / c;
          k1.s = q * mean[i]!;
          k1.c = q * comp[i]!;
          k1.add(f / c);
          mean[i] = k1.s;
          comp[i] = k1.c;
          break;
        }
        case 'count':
          count[i]!++;
          break;
        case 'max':
          if (val[i]! < f || Number.isNaN(val[i]!)) val[i] = f;
          break;
        case 'min':
          if (val[i]! > f || Number.isNaN(val[i]!)) val[i] = f;
          break;
        case 'stddev':
        case 'stdvar': {
          const c = ++count[i]!;
          const delta = f - mean[i]!;
          mean[i] = mean[i]! + delta / c;
          val[i] = val[i]! + delta * (f - mean[i]!);
          break;
        }
        case 'group':
          break;
        default:
          throw new QueryError(`expected aggregation operator but got "${op}"`);
      }
    }
  }
  const out = new StepVector(S, G);
  for (let gi = 0; gi < G; gi++) {
    let row = -1;
    for (let k = 0; k < S; k++) {
      const i = gi * S + k;
      if (seen[i] === 0) continue;
      let v = val[i]!;
      switch (op) {
        case 'sum':
          v = val[i]! + comp[i]!;
          break;
        case 'avg':
          v = incr![i] === 1 ? mean[i]! + comp[i]! : val[i]! / count[i]! + comp[i]! / count[i]!;
          break;
        case 'count':
          v = count[i]!;
          break;
        case 'stdvar':
          v = val[i]! / count[i]!;
          break;
        case 'stddev':
          v = Math.sqrt(val[i]! / count[i]!);
          break;
      }
      if (row < 0) row = out.addRow(g.labels[gi]!, false);
      out.set(row, k, v);
      // The group's drop flag is that of the last step it was seen at.
      out.drop[row] = drop[i]!;
    }
  }
  finishDrop(ev, out);
  return out;
}

/** finishDrop applies immediate name removal to aggregation outputs that carry a drop flag. */
function finishDrop(ev: Evaluator, out: StepVector): void {
  if (ev.ctx.delayed) return;
  for (let r = 0; r < out.n; r++) out.drop[r] = 0;
}

function quantileAgg(ev: Evaluator, n: PlanAggregate, in0: StepVector, param: Float64Array, s: Steps): StepVector {
  const st = paramStats(param);
  const pos = n.paramPos ?? n.pos;
  if (st.nan) ev.ctx.annotations.warn('quantile value should be between 0 and 1, got NaN', pos);
  if (st.max > 1) ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(st.max)}`, pos);
  if (st.min < 0) ev.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(st.min)}`, pos);
  const S = s.n;
  const g = groupRows(in0, n.grouping, n.without);
  const G = g.labels.length;
  const lists: number[][] = Array.from({ length: G }, () => []);
  const drops = new Uint8Array(G);
  const out = new StepVector(S, G);
  const rowOf = new Int32Array(G).fill(-1);
  let scratch = new Float64Array(16);
  for (let k = 0; k < S; k++) {
    for (const l of lists) l.length = 0;
    for (let r = 0; r < in0.n; r++) {
      if (in0.p[r * S + k] !== 1) continue;
      const gi = g.of[r]!;
      if (lists[gi]!.length === 0) drops[gi] = in0.drop[r]!;
      else if (in0.drop[r] === 1) drops[gi] = 1;
      lists[gi]!.push(in0.v[r * S + k]!);
    }
    for (let gi = 0; gi < G; gi++) {
      const l = lists[gi]!;
      if (l.length === 0) continue;
      if (scratch.length < l.length) scratch = new Float64Array(l.length * 2);
      const vals = scratch.subarray(0, l.length);
      vals.set(l);
      sortForQuantile(vals);
      if (rowOf[gi]! < 0) rowOf[gi] = out.addRow(g.labels[gi]!, false);
      out.set(rowOf[gi]!, k, quantileSorted(param[k]!, vals));
      out.drop[rowOf[gi]!] = drops[gi]!;
    }
  }
  finishDrop(ev, out);
  return out;
}

/**
 * Heap of row indices ordered by a less function, with Go's container/heap algorithms (push,
 * pop, sift), so the rows a topk/bottomk keeps and their order match Prometheus's.
 */
class RowHeap {
  readonly rows: number[] = [];
  constructor(readonly less: (a: number, b: number) => boolean) {}
  push(r: number): void {
    this.rows.push(r);
    this.#up(this.rows.length - 1);
  }
  /** fix0 restores the heap after the top was replaced. */
  fix0(): void {
    this.#down(0, this.rows.length);
  }
  #up(j: number): void {
    const h = this.rows;
    while (j > 0) {
      const i = (j - 1) >> 1;
      if (!this.less(h[j]!, h[i]!)) break;
      [h[i], h[j]] = [h[j]!, h[i]!];
      j = i;
    }
  }
  #down(i: number, n: number): void {
    const h = this.rows;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      if (j1 + 1 < n && this.less(h[j1 + 1]!, h[j1]!)) j = j1 + 1;
      if (!this.less(h[j]!, h[i]!)) break;
      [h[i], h[j]] = [h[j]!, h[i]!];
      i = j;
    }
  }
}

/**
 * sortReversed orders rows as Go's sort.Sort(sort.Reverse(heap)) does with the heap's less:
 * the permutation (ties, NaNs) is Prometheus's.
 */
function sortReversed(rows: number[], less: (a: number, b: number) => boolean): void {
  goSort(
    {
      less: (i, j) => less(rows[j]!, rows[i]!),
      swap: (i, j) => {
        const t = rows[i]!;
        rows[i] = rows[j]!;
        rows[j] = t;
      },
    },
    rows.length,
  );
}

function selectK(ev: Evaluator, n: PlanAggregate, in0: StepVector, param: Float64Array, s: Steps): StepVector {
  const op = n.op;
  const st = paramStats(param);
  const S = s.n;
  const out = collectorFor(ev, s, in0.n);
  if (op === 'limit_ratio') {
    if (st.max === 0 && st.min === 0) return out.finish();
    if (st.nan) throw new QueryError('Ratio value is NaN');
    const pos = n.paramPos ?? n.pos;
    if (st.max > 1) ev.ctx.annotations.warn(`ratio value should be between -1 and 1, got ${formatFloatG(st.max)}, capping to 1`, pos);
    if (st.min < -1) ev.ctx.annotations.warn(`ratio value should be between -1 and 1, got ${formatFloatG(st.min)}, capping to -1`, pos);
  } else {
    if (st.max < 1) return out.finish();
    if (st.nan) throw new QueryError('Parameter value is NaN');
    if (st.min <= -9223372036854775808) throw new QueryError(`Scalar value ${formatFloatG(st.min)} underflows int64`);
    if (st.max >= 9223372036854775807) throw new QueryError(`Scalar value ${formatFloatG(st.max)} overflows int64`);
  }
  const g = groupRows(in0, n.grouping, n.without);
  const G = g.labels.length;
  let vals = in0.v;
  let stepBase = 0;
  // Prometheus's heaps: topk keeps the smallest on top (to replace it), bottomk the largest; a
  // NaN counts as less than anything in both. Since Prometheus 2.44 a better sample replaces
  // the top, which then sifts down (2.42 popped and pushed, which keeps other ties).
  const lessTop = (a: number, b: number): boolean => {
    const va = vals[a * S + stepBase]!;
    return va !== va || va < vals[b * S + stepBase]!;
  };
  const lessBottom = (a: number, b: number): boolean => {
    const va = vals[a * S + stepBase]!;
    return va !== va || va > vals[b * S + stepBase]!;
  };
  const rowOut = new Int32Array(in0.n).fill(-1);
  for (let k = 0; k < S; k++) {
    vals = in0.v;
    stepBase = k;
    const f = param[k]!;
    let kk = 0;
    let ratio = 0;
    if (op === 'limit_ratio') {
      if (f === 0) continue;
      ratio = f < -1 ? -1 : f > 1 ? 1 : f;
    } else {
      kk = Math.min(Math.trunc(f), in0.n);
      if (kk < 1) continue;
    }
    const heaps: (RowHeap | undefined)[] = new Array(G);
    for (let r = 0; r < in0.n; r++) {
      if (in0.p[r * S + k] !== 1) continue;
      const gi = g.of[r]!;
      let h = heaps[gi];
      if (h === undefined) {
        h = new RowHeap(op === 'bottomk' ? lessBottom : lessTop);
        heaps[gi] = h;
        if (op === 'limit_ratio') {
          if (ratioKeeps(ratio, in0.labels[r]!)) h.rows.push(r);
        } else h.rows.push(r);
        continue;
      }
      const v = in0.v[r * S + k]!;
      switch (op) {
        case 'topk':
        case 'bottomk': {
          if (h.rows.length < kk) {
            h.push(r);
            break;
          }
          const top = in0.v[h.rows[0]! * S + k]!;
          if ((op === 'topk' ? top < v : top > v) || (top !== top && v === v)) {
            h.rows[0] = r;
            if (kk > 1) h.fix0();
          }
          break;
        }
        case 'limitk':
          if (h.rows.length < kk) h.rows.push(r);
          break;
        case 'limit_ratio':
          if (ratioKeeps(ratio, in0.labels[r]!)) h.rows.push(r);
          break;
      }
    }
    for (const h of heaps) {
      if (h === undefined) continue;
      const rows = h.rows;
      if ((op === 'topk' || op === 'bottomk') && rows.length > 1) sortReversed(rows, h.less);
      for (const r of rows) {
        if (S === 1 || rowOut[r]! < 0) rowOut[r] = out.row(in0.labels[r]!, in0.drop[r] === 1);
        out.put(rowOut[r]!, k, in0.v[r * S + k]!);
      }
    }
  }
  return out.finish();
}

/** ratioKeeps decides deterministically (by a hash of the labels) whether limit_ratio keeps a series. */
function ratioKeeps(ratio: number, l: Labels): boolean {
  const offset = labelsHashFraction(l);
  return ratio >= 0 ? offset < ratio : offset >= 1 + ratio;
}

/** labelsHashFraction maps a label set to [0, 1) with a 53-bit FNV-style hash. */
function labelsHashFraction(l: Labels): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const k = l.key();
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return ((h1 >>> 0) * 2 ** 21 + ((h2 >>> 0) >>> 11)) / 2 ** 53;
}

function countValues(ev: Evaluator, n: PlanAggregate, s: Steps): Promise<StepVector> {
  return (async () => {
    const p = n.param;
    if (p === undefined || p.k !== 'string') throw new QueryError('count_values needs a string parameter');
    const label = p.v;
    if (!isValidLabelName(label)) throw new QueryError(`invalid label name ${quote(label)}`);
    const in0 = await ev.evalVector(n.expr, s);
    const S = s.n;
    const grouping = n.without ? n.grouping : [...n.grouping, label].sort(compareStrings);
    const b = new LabelsBuilder();
    const gb = new LabelsBuilder();
    const excluded = new Set([...grouping, METRIC_NAME]);
    const out = collectorFor(ev, s, 8);
    const counts = new Map<string, { labels: Labels; count: number }>();
    for (let k = 0; k < S; k++) {
      counts.clear();
      for (let r = 0; r < in0.n; r++) {
        if (in0.p[r * S + k] !== 1) continue;
        const withValue = b.reset(in0.labels[r]!).set(label, formatFloatF(in0.v[r * S + k]!)).labels();
        const key = n.without ? groupKeyWithout(withValue, excluded) : groupKeyBy(withValue, grouping);
        const e = counts.get(key);
        if (e === undefined) counts.set(key, { labels: groupLabels(withValue, grouping, n.without, gb), count: 1 });
        else e.count++;
      }
      for (const e of counts.values()) out.put(out.row(e.labels, false), k, e.count);
    }
    return out.finish();
  })();
}
