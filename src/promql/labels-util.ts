/**
 * Label helpers of the engine: dropping the metric name (and the other reserved metadata
 * labels) and merging rows that end up with the same label set.
 * @module
 */
import { type Labels, METRIC_NAME } from '../model/index.js';
import { QueryError } from './errors.js';
import { SAME_LABELSET, StepVector } from './step-vector.js';

const RESERVED = [METRIC_NAME, '__type__', '__unit__'];

// Series label sets live as long as the storage keeps them; remembering their name-less form
// makes repeated queries allocate nothing for it.
const dropped = new WeakMap<Labels, Labels>();

/** dropMetricName removes `__name__`, `__type__` and `__unit__`. */
export function dropMetricName(l: Labels): Labels {
  let d = dropped.get(l);
  if (d !== undefined) return d;
  d = l;
  for (const n of RESERVED) {
    if (l.has(n)) {
      d = l.without(...RESERVED);
      break;
    }
  }
  dropped.set(l, d);
  return d;
}

/**
 * namesDropSafely tells whether removing the metric name from every row of v (whose label sets
 * are distinct) keeps them distinct: true when all rows carry the same name and no other
 * reserved label.
 */
export function namesDropSafely(labels: readonly Labels[], n = labels.length): boolean {
  if (n < 2) return true;
  const name = labels[0]!.metricName();
  for (let r = 0; r < n; r++) if (!sameNameOnly(labels[r]!, name)) return false;
  return true;
}

/**
 * sameNameOnly tells whether l's metric name is `name` and it has no `__type__`/`__unit__`.
 * Names are sorted and the reserved ones sort early, so this reads only the first few pairs.
 */
export function sameNameOnly(l: Labels, name: string): boolean {
  const nv = l.pairs();
  let seen = '';
  for (let i = 0; i < nv.length; i += 2) {
    const n = nv[i]!;
    if (n > '__unit__') break;
    if (n === METRIC_NAME) seen = nv[i + 1]!;
    else if (n === '__type__' || n === '__unit__') return false;
  }
  return seen === name;
}

/**
 * mergeSameLabels merges rows with identical label sets into one; two rows with a value at the
 * same step is an error ("vector cannot contain metrics with the same labelset").
 */
export function mergeSameLabels(v: StepVector): StepVector {
  if (v.n < 2) return v;
  const first = new Map<string, number>();
  let dup = false;
  for (let r = 0; r < v.n; r++) {
    const k = v.labels[r]!.key();
    if (first.has(k)) {
      dup = true;
      break;
    }
    first.set(k, r);
  }
  if (!dup) return v;
  const out = new StepVector(v.steps, v.n);
  const rowOf = new Map<string, number>();
  const s = v.steps;
  for (let r = 0; r < v.n; r++) {
    const k = v.labels[r]!.key();
    const o = rowOf.get(k);
    if (o === undefined) {
      rowOf.set(k, out.copyRowFrom(v, r));
      continue;
    }
    for (let i = 0; i < s; i++) {
      if (v.p[r * s + i] !== 1) continue;
      if (out.p[o * s + i] === 1) throw new QueryError(SAME_LABELSET);
      out.p[o * s + i] = 1;
      out.v[o * s + i] = v.v[r * s + i]!;
    }
  }
  return out;
}
