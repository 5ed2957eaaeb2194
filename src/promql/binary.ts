/**
 * Binary operators: arithmetic, comparisons (filtering or `bool`), `atan2`, the set operators
 * `and`/`or`/`unless`, and vector matching with `on`/`ignoring`, `group_left`/`group_right` and
 * `fill` modifiers, evaluated step by step with Prometheus's matching errors.
 * @module
 */
import { type Labels, LabelsBuilder, METRIC_NAME, compareStrings } from '../model/index.js';
import type { EvalValue, ScalarSteps, Steps } from './eval-context.js';
import { QueryError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { RowCollector, collectorFor } from './functions-instant.js';
import { namesDropSafely } from './labels-util.js';
import type { BinaryOp, VectorMatching } from './parser/index.js';
import type { PlanBinary } from './plan.js';
import type { StepVector } from './step-vector.js';

/** goPow is Go's math.Pow, whose special cases differ from Math.pow for 1^NaN and (±1)^±Inf. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** arith computes an arithmetic operator. */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new QueryError(`operator "${op}" not allowed for arithmetic`);
  }
}

/** compare evaluates a comparison operator. */
export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw new QueryError(`operator "${op}" is not a comparison`);
  }
}

function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** changesSchema tells whether op produces a value of a different meaning (dropping the name). */
function changesSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2';
}

function isTrim(op: BinaryOp): boolean {
  return op === '</' || op === '>/';
}

/** evalBinary evaluates a binary expression over the steps. */
export async function evalBinary(ev: Evaluator, n: PlanBinary, s: Steps): Promise<EvalValue> {
  const lhs = await ev.eval(n.lhs, s);
  const rhs = await ev.eval(n.rhs, s);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const v = new Float64Array(s.n);
    for (let k = 0; k < s.n; k++) {
      const l = lhs.v[k]!;
      const r = rhs.v[k]!;
      v[k] = isComparison(n.op) ? (compare(n.op, l, r) ? 1 : 0) : arith(n.op, l, r);
    }
    return { kind: 'scalar', v };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') return vectorScalar(ev, n, lhs, rhs, false, s);
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') return vectorScalar(ev, n, rhs, lhs, true, s);
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const m = n.matching ?? { card: 'one-to-one', labels: [], on: false, include: [] };
    if (n.op === 'and' || n.op === 'or' || n.op === 'unless') return setOp(ev, n.op, lhs, rhs, m, s);
    return vectorVector(ev, n, lhs, rhs, m, s);
  }
  throw new QueryError('binary expression must contain only scalar and instant vector types');
}

function vectorScalar(ev: Evaluator, n: PlanBinary, vec: StepVector, sc: ScalarSteps, swap: boolean, s: Steps): StepVector {
  const op = n.op;
  if (isTrim(op)) {
    if (vec.points() > 0) {
      const [l, r] = swap ? ['float', 'float'] : ['float', 'float'];
      ev.ctx.annotations.info(`incompatible sample types encountered for binary operator "${op}": ${l} ${op} ${r}`, n.pos);
    }
    return collectorFor(ev, s, 0).finish();
  }
  const cmp = isComparison(op);
  const dropsName = changesSchema(op) || n.bool;
  const distinct = !ev.ctx.delayed && (!dropsName || namesDropSafely(vec.labels, vec.n));
  const out = collectorFor(ev, s, vec.n, distinct);
  for (let r = 0; r < vec.n; r++) {
    let row = -1;
    for (let k = 0; k < s.n; k++) {
      if (!vec.has(r, k)) continue;
      const x = vec.get(r, k);
      const c = sc.v[k]!;
      const l = swap ? c : x;
      const rr = swap ? x : c;
      let value: number;
      let keep = true;
      if (cmp) {
        keep = compare(op, l, rr);
        value = x;
      } else {
        value = arith(op, l, rr);
      }
      if (n.bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      if (row < 0) {
        const labels = vec.labels[r]!;
        if (dropsName) {
          const d = ev.dropName(labels);
          row = out.row(d.labels, d.drop || vec.drop[r] === 1);
        } else row = out.row(labels, vec.drop[r] === 1);
      }
      out.put(row, k, value);
    }
  }
  return out.finish();
}

/** Signatures assigns each row of both sides the ordinal of its matching signature. */
function signatures(lhs: StepVector, rhs: StepVector, m: VectorMatching): { l: Int32Array; r: Int32Array; count: number } {
  const names = [...m.labels].sort(compareStrings);
  const map = new Map<string, number>();
  const sig = (labels: Labels): number => {
    const key = signatureKey(labels, m.on, names);
    let o = map.get(key);
    if (o === undefined) {
      o = map.size;
      map.set(key, o);
    }
    return o;
  };
  const l = new Int32Array(lhs.n);
  for (let i = 0; i < lhs.n; i++) l[i] = sig(lhs.labels[i]!);
  const r = new Int32Array(rhs.n);
  for (let i = 0; i < rhs.n; i++) r[i] = sig(rhs.labels[i]!);
  return { l, r, count: map.size };
}

/** signatureKey identifies the labels used for matching: the on(…) labels, or all but ignoring(…) and the name. */
export function signatureKey(labels: Labels, on: boolean, sortedNames: readonly string[]): string {
  let k = '';
  const nv = labels.pairs();
  for (let i = 0; i < nv.length; i += 2) {
    const name = nv[i]!;
    const listed = sortedNames.includes(name);
    if (on ? !listed : listed || name === METRIC_NAME) continue;
    const v = nv[i + 1]!;
    k += name.length + ':' + name + v.length + ':' + v;
  }
  return k;
}

/** matchLabels returns the labels used for matching (Prometheus's Labels.MatchLabels). */
function matchLabels(labels: Labels, on: boolean, names: readonly string[]): Labels {
  return on ? labels.only(...names) : labels.without(METRIC_NAME, ...names);
}

function setOp(ev: Evaluator, op: 'and' | 'or' | 'unless', lhs: StepVector, rhs: StepVector, m: VectorMatching, s: Steps): StepVector {
  const sig = signatures(lhs, rhs, m);
  const stamp = new Int32Array(sig.count);
  const out = collectorFor(ev, s, op === 'or' ? lhs.n + rhs.n : lhs.n);
  const lrow = new Int32Array(lhs.n).fill(-1);
  const rrow = new Int32Array(rhs.n).fill(-1);
  const put = (src: StepVector, r: number, rows: Int32Array, k: number): void => {
    if (rows[r]! < 0) rows[r] = out.row(src.labels[r]!, src.drop[r] === 1);
    out.put(rows[r]!, k, src.get(r, k));
  };
  for (let k = 0; k < s.n; k++) {
    const mark = k + 1;
    if (op === 'or') {
      for (let r = 0; r < lhs.n; r++) {
        if (!lhs.has(r, k)) continue;
        stamp[sig.l[r]!] = mark;
        put(lhs, r, lrow, k);
      }
      for (let r = 0; r < rhs.n; r++) {
        if (!rhs.has(r, k) || stamp[sig.r[r]!] === mark) continue;
        put(rhs, r, rrow, k);
      }
      continue;
    }
    for (let r = 0; r < rhs.n; r++) if (rhs.has(r, k)) stamp[sig.r[r]!] = mark;
    for (let r = 0; r < lhs.n; r++) {
      if (!lhs.has(r, k)) continue;
      const matched = stamp[sig.l[r]!] === mark;
      if (matched === (op === 'and')) put(lhs, r, lrow, k);
    }
  }
  return out.finish();
}

function vectorVector(ev: Evaluator, n: PlanBinary, lhs0: StepVector, rhs0: StepVector, m: VectorMatching, s: Steps): StepVector {
  const op = n.op;
  if (m.card === 'many-to-many') throw new QueryError('many-to-many only allowed for set operators');
  const swapped = m.card === 'one-to-many';
  const lhs = swapped ? rhs0 : lhs0;
  const rhs = swapped ? lhs0 : rhs0;
  const sig = signatures(lhs, rhs, m);
  const names = [...m.labels];
  const rightStamp = new Int32Array(sig.count);
  const rightRow = new Int32Array(sig.count);
  const matchedStamp = new Int32Array(sig.count);
  const groupSets = new Map<number, Set<string>>();
  const cmp = isComparison(op);
  const trim = isTrim(op);
  const out: RowCollector = collectorFor(ev, s, lhs.n);
  const resultCache = new Map<string, { labels: Labels; key: string; row: number }>();

  const lb = new LabelsBuilder();
  const fillL = m.fillLeft;
  const fillR = m.fillRight;
  const oneToOne = m.card === 'one-to-one';
  let incompatible = false;

  type Res = { labels: Labels; key: string; row: number };
  // Matched pairs rarely change between steps: remember each left row's last partner and result.
  const pairRight = new Int32Array(lhs.n).fill(-1);
  const pairRes: (Res | undefined)[] = new Array(lhs.n);
  const computeResult = (l: Labels, r: Labels): Res => {
    lb.reset(l);
    if ((!ev.ctx.delayed && n.bool) || changesSchema(op)) lb.del(METRIC_NAME, '__type__', '__unit__');
    if (oneToOne) {
      if (m.on) lb.keep(...names);
      else lb.del(...names);
    }
    for (const ln of m.include) {
      const v = r.get(ln);
      if (v !== '') lb.set(ln, v);
      else lb.del(ln);
    }
    const labels = lb.labels();
    return { labels, key: labels.key(), row: -1 };
  };
  const resultMetric = (l: Labels, r: Labels, cacheKey: string): Res => {
    let c = resultCache.get(cacheKey);
    if (c === undefined) {
      c = computeResult(l, r);
      resultCache.set(cacheKey, c);
    }
    return c;
  };
  const pairResult = (lr: number, rr: number): Res => {
    if (pairRight[lr] === rr) return pairRes[lr]!;
    const c = resultMetric(lhs.labels[lr]!, rhs.labels[rr]!, `${lr}|${rr}`);
    pairRight[lr] = rr;
    pairRes[lr] = c;
    return c;
  };

  const doOp = (k: number, sigOrd: number, lv: number, rv: number, res: Res): void => {
    let fl = lv;
    let fr = rv;
    if (swapped) {
      fl = rv;
      fr = lv;
    }
    let value: number;
    let keep = true;
    if (trim) {
      incompatible = true;
      keep = false;
      value = 0;
    } else if (cmp) {
      keep = compare(op, fl, fr);
      value = fl;
    } else {
      value = arith(op, fl, fr);
    }
    if (n.bool) value = keep ? 1 : 0;
    if (oneToOne) {
      if (matchedStamp[sigOrd] === k + 1) {
        throw new QueryError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      }
      matchedStamp[sigOrd] = k + 1;
    } else {
      let set = groupSets.get(sigOrd);
      if (set === undefined) {
        set = new Set();
        groupSets.set(sigOrd, set);
      }
      if (set.has(res.key)) throw new QueryError('multiple matches for labels: grouping labels must ensure unique matches');
      set.add(res.key);
    }
    if (!keep && !n.bool) return;
    if (trim) return;
    if (res.row < 0 || s.n === 1) res.row = out.row(res.labels, n.bool && ev.ctx.delayed);
    out.put(res.row, k, value);
  };

  for (let k = 0; k < s.n; k++) {
    const mark = k + 1;
    groupSets.clear();
    let nl = 0;
    let nr = 0;
    for (let r = 0; r < rhs.n; r++) {
      if (!rhs.has(r, k)) continue;
      nr++;
      const o = sig.r[r]!;
      if (rightStamp[o] === mark) {
        const oneSide = swapped ? 'left' : 'right';
        const matched = matchLabels(rhs.labels[r]!, m.on, names).toString();
        // Prometheus 3 lists the two series in sorted order, so the message is the same from
        // run to run (2.x listed the one that collided first).
        let d1 = rhs.labels[r]!.toString();
        let d2 = rhs.labels[rightRow[o]!]!.toString();
        if (d1 > d2) [d1, d2] = [d2, d1];
        throw new QueryError(
          `found duplicate series for the match group ${matched} on the ${oneSide} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightStamp[o] = mark;
      rightRow[o] = r;
    }
    for (let r = 0; r < lhs.n; r++) if (lhs.has(r, k)) nl++;
    if ((nl === 0 && nr === 0) || ((nl === 0 || nr === 0) && fillL === undefined && fillR === undefined)) continue;
    for (let r = 0; r < lhs.n; r++) {
      if (!lhs.has(r, k)) continue;
      const o = sig.l[r]!;
      if (rightStamp[o] === mark) {
        const rr = rightRow[o]!;
        doOp(k, o, lhs.get(r, k), rhs.get(rr, k), pairResult(r, rr));
      } else if (fillR !== undefined) {
        const ml = matchLabels(lhs.labels[r]!, m.on, names);
        doOp(k, o, lhs.get(r, k), fillR, resultMetric(lhs.labels[r]!, ml, `${r}|f`));
      }
    }
    if (fillL !== undefined) {
      for (let r = 0; r < rhs.n; r++) {
        if (!rhs.has(r, k)) continue;
        const o = sig.r[r]!;
        if (oneToOne ? matchedStamp[o] === mark : (groupSets.get(o)?.size ?? 0) > 0) continue;
        const ml = matchLabels(rhs.labels[r]!, m.on, names);
        doOp(k, o, fillL, rhs.get(r, k), resultMetric(ml, rhs.labels[r]!, `f|${r}`));
      }
    }
  }
  if (incompatible) {
    ev.ctx.annotations.info(`incompatible sample types encountered for binary operator "${op}": float ${op} float`, n.pos);
  }
  return out.finish();
}
