/**
 * Kernels of the functions over range vectors (`rate`, `*_over_time`, …). Each kernel reads one
 * window of samples — indices [lo, hi) of parallel typed arrays — and returns a value, or sets
 * `ok = false` when the window yields no sample. Nothing is allocated per sample.
 * @module
 */
import { QueryError } from './errors.js';
import { KahanSum, quantileSorted, sortForQuantile } from './float-math.js';

// Accumulators reused by the kernels (evaluation is synchronous, kernels never nest).
const K1 = new KahanSum();
const K2 = new KahanSum();
const K3 = new KahanSum();
const K4 = new KahanSum();

/** Window is the sample window of one series at one step. */
export interface Window {
  ts: Float64Array;
  vs: Float64Array;
  lo: number;
  hi: number;
  /** Evaluation timestamp of the step, ms. */
  t: number;
  /** Exclusive start and inclusive end of the window, ms. */
  rangeStart: number;
  rangeEnd: number;
  /** The selector's range, ms. */
  rangeMs: number;
  /** Scalar arguments at this step (quantile, prediction horizon, smoothing factors). */
  a: number;
  b: number;
  /** Scratch space a kernel may use (e.g. for sorting). */
  scratch: Float64Array;
  /** Set to false by a kernel that yields no sample. */
  ok: boolean;
  /**
   * 0 for a plain range; 1 for `anchored` and 2 for `smoothed`, whose windows also hold the
   * samples up to a lookback before rangeStart (and, smoothed, after rangeEnd).
   */
  mode: number;
}

/** interpolate returns the value at t on the line through two points (a counter restarts at 0). */
function interpolate(t1: number, v1: number, t2: number, v2: number, t: number, isCounter: boolean): number {
  let y1 = v1;
  if (isCounter && v2 < y1) y1 = 0;
  return y1 + ((v2 - y1) * (t - t1)) / (t2 - t1);
}

/** firstAfter returns the first index in [lo, hi) whose timestamp is > t (hi when none). */
function firstAfter(ts: Float64Array, lo: number, hi: number, t: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (ts[m]! > t) b = m;
    else a = m + 1;
  }
  return a;
}

/** firstAtOrAfter returns the first index in [lo, hi) whose timestamp is >= t (hi when none). */
function firstAtOrAfter(ts: Float64Array, lo: number, hi: number, t: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (ts[m]! >= t) b = m;
    else a = m + 1;
  }
  return a;
}

/**
 * extendedRate computes rate/increase/delta of an anchored or smoothed window: the value at the
 * range start is the last sample at or before it (anchored) or interpolated there (smoothed),
 * likewise at the end when smoothed, with counter resets corrected in between.
 */
function extendedRate(w: Window, isCounter: boolean, isRate: boolean): number {
  const { ts, vs, lo, hi } = w;
  const smoothed = w.mode === 2;
  let last = hi - 1;
  let first = Math.max(lo, firstAfter(ts, lo, last, w.rangeStart) - 1);
  if (smoothed) last = firstAtOrAfter(ts, lo, last, w.rangeEnd);
  if (ts[last]! <= w.rangeStart || (smoothed && ts[first]! > w.rangeEnd)) {
    w.ok = false;
    return 0;
  }
  const left =
    smoothed && ts[first]! < w.rangeStart ? interpolate(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, w.rangeStart, isCounter) : vs[first]!;
  const right =
    smoothed && last > lo && ts[last]! > w.rangeEnd ? interpolate(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, w.rangeEnd, isCounter) : vs[last]!;
  let result = right - left;
  if (isCounter) {
    if (ts[first]! <= w.rangeStart) first++;
    if (ts[last]! >= w.rangeEnd) last--;
    let correction = 0;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (vs[i]! < prev) correction += prev;
      prev = vs[i]!;
    }
    if (right < prev) correction += prev;
    result += correction;
  }
  if (isRate) result /= w.rangeMs / 1000;
  return result;
}

/** anchoredStart returns where changes()/resets() start: the last sample at or before the range start. */
function anchoredStart(w: Window): number {
  if (w.mode !== 1) return w.lo;
  const after = firstAfter(w.ts, w.lo, w.hi, w.rangeStart);
  if (after >= w.hi) return -1;
  return after > w.lo ? after - 1 : w.lo;
}

/** RangeKernel computes a function's value over one window. */
export type RangeKernel = (w: Window) => number;

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number {
  if (w.mode !== 0) return extendedRate(w, isCounter, isRate);
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) {
    w.ok = false;
    return 0;
  }
  const first = vs[lo]!;
  let result = vs[hi - 1]! - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let durationToStart = (firstT - w.rangeStart) / 1000;
  let durationToEnd = (w.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avg = sampledInterval / (n - 1);
  const threshold = avg * 1.1;
  if (durationToStart >= threshold) durationToStart = avg / 2;
  if (isCounter && result > 0 && first >= 0) {
    // A counter cannot go below zero: do not extrapolate past the point where it would.
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

function instantValue(w: Window, isRate: boolean): number {
  const { ts, vs, hi } = w;
  if (hi - w.lo < 2) {
    w.ok = false;
    return 0;
  }
  const t0 = ts[hi - 2]!;
  const t1 = ts[hi - 1]!;
  const v0 = vs[hi - 2]!;
  const v1 = vs[hi - 1]!;
  const interval = t1 - t0;
  if (interval === 0) {
    w.ok = false;
    return 0;
  }
  let r = v1;
  if (!isRate || !(v1 < v0)) r = v1 - v0;
  if (isRate) r /= interval / 1000;
  return r;
}

/** linearRegression fits v = slope·(t - interceptT)/1000 + intercept over the window. */
export function linearRegression(ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptT: number): [number, number] {
  let n = 0;
  const sx = K1.reset();
  const sy = K2.reset();
  const sxy = K3.reset();
  const sx2 = K4.reset();
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptT) / 1e3;
    sx.add(x);
    sy.add(y);
    sxy.add(x * y);
    sx2.add(x * x);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return [NaN, NaN];
    return [0, initY];
  }
  const sumX = sx.s + sx.c;
  const sumY = sy.s + sy.c;
  const sumXY = sxy.s + sxy.c;
  const sumX2 = sx2.s + sx2.c;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function avgOverTime(w: Window): number {
  const { vs, lo, hi } = w;
  const k = K1.reset(vs[lo]!);
  let count = 1;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i]!;
    count = i - lo + 1;
    if (!incremental) {
      const s = k.s;
      const c = k.c;
      k.add(f);
      if (k.s !== Infinity && k.s !== -Infinity) continue;
      // The sum would overflow: continue with an incremental mean from the previous sum.
      incremental = true;
      k.s = s / (count - 1);
      k.c = c / (count - 1);
    }
    const q = (count - 1) / count;
    k.s *= q;
    k.c *= q;
    k.add(f / count);
  }
  if (incremental) return k.s + k.c;
  return k.s / count + k.c / count;
}

function sumOverTime(w: Window): number {
  const k = K1.reset();
  for (let i = w.lo; i < w.hi; i++) k.add(w.vs[i]!);
  if (k.s === Infinity || k.s === -Infinity) return k.s;
  return k.s + k.c;
}

function varianceOverTime(w: Window): number {
  let count = 0;
  const mean = K1.reset();
  const aux = K2.reset();
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.vs[i]!;
    count++;
    const delta = f - (mean.s + mean.c);
    mean.add(delta / count);
    aux.add(delta * (f - (mean.s + mean.c)));
  }
  return (aux.s + aux.c) / count;
}

function compareOverTime(w: Window, cmp: (cur: number, best: number) => boolean, returnTimestamp: boolean): number {
  let best = w.vs[w.lo]!;
  let bestT = w.ts[w.lo]!;
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.vs[i]!;
    if (cmp(f, best)) {
      best = f;
      bestT = w.ts[i]!;
    }
  }
  return returnTimestamp ? bestT / 1000 : best;
}

function quantileOverTime(w: Window): number {
  const n = w.hi - w.lo;
  const buf = w.scratch.length >= n ? w.scratch : new Float64Array(n);
  buf.set(w.vs.subarray(w.lo, w.hi));
  const vals = buf.subarray(0, n);
  sortForQuantile(vals);
  return quantileSorted(w.a, vals);
}

function madOverTime(w: Window): number {
  const n = w.hi - w.lo;
  const buf = w.scratch.length >= n ? w.scratch : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = w.vs[w.lo + i]!;
    if (Number.isNaN(f)) return NaN;
    buf[i] = f;
  }
  const vals = buf.subarray(0, n);
  sortForQuantile(vals);
  const median = quantileSorted(0.5, vals);
  for (let i = 0; i < n; i++) vals[i] = Math.abs(vals[i]! - median);
  sortForQuantile(vals);
  return quantileSorted(0.5, vals);
}

function changes(w: Window): number {
  const start = anchoredStart(w);
  if (start < 0) {
    w.ok = false;
    return 0;
  }
  let c = 0;
  let prev = w.vs[start]!;
  for (let i = start + 1; i < w.hi; i++) {
    const cur = w.vs[i]!;
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) c++;
    prev = cur;
  }
  return c;
}

function resets(w: Window): number {
  const start = anchoredStart(w);
  if (start < 0) {
    w.ok = false;
    return 0;
  }
  let c = 0;
  let prev = w.vs[start]!;
  for (let i = start + 1; i < w.hi; i++) {
    const cur = w.vs[i]!;
    if (cur < prev) c++;
    prev = cur;
  }
  return c;
}

function deriv(w: Window): number {
  if (w.hi - w.lo < 2) {
    w.ok = false;
    return 0;
  }
  return linearRegression(w.ts, w.vs, w.lo, w.hi, w.ts[w.lo]!)[0];
}

function predictLinear(w: Window): number {
  if (w.hi - w.lo < 2) {
    w.ok = false;
    return 0;
  }
  const [slope, intercept] = linearRegression(w.ts, w.vs, w.lo, w.hi, w.t);
  return slope * w.a + intercept;
}

function doubleExponentialSmoothing(w: Window): number {
  const sf = w.a;
  const tf = w.b;
  if (!(sf > 0 && sf < 1)) throw new QueryError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
  if (!(tf > 0 && tf < 1)) throw new QueryError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
  const { vs, lo, hi } = w;
  if (hi - lo < 2) {
    w.ok = false;
    return 0;
  }
  let s0 = 0;
  let s1 = vs[lo]!;
  let b = vs[lo + 1]! - vs[lo]!;
  for (let i = 1; i < hi - lo; i++) {
    const x = sf * vs[lo + i]!;
    // The trend of the first step is the initial difference.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

/** ANCHORED_SAFE and SMOOTHED_SAFE list the functions that accept those modifiers. */
export const ANCHORED_SAFE: ReadonlySet<string> = new Set(['changes', 'delta', 'increase', 'rate', 'resets']);
/** Functions that accept `smoothed` ranges. */
export const SMOOTHED_SAFE: ReadonlySet<string> = new Set(['delta', 'increase', 'rate']);

/**
 * extendWindow turns the samples of an anchored or smoothed range into the points the range
 * selector returns: a point at the range start and one at the range end (picked or
 * interpolated), with the samples strictly between. Writes into out arrays; returns the count.
 */
export function extendWindow(
  ts: Float64Array,
  vs: Float64Array,
  n: number,
  mint: number,
  maxt: number,
  smoothed: boolean,
  outTs: number[],
  outVs: number[],
): number {
  outTs.length = 0;
  outVs.length = 0;
  if (n === 0) return 0;
  let last = n - 1;
  let first = Math.max(0, firstAfter(ts, 0, last, mint) - 1);
  if (smoothed) last = firstAtOrAfter(ts, 0, last, maxt);
  if (ts[last]! <= mint) return 0;
  const left = smoothed && ts[first]! < mint ? interpolate(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, mint, false) : vs[first]!;
  const right = smoothed && last > 0 && ts[last]! > maxt ? interpolate(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, maxt, false) : vs[last]!;
  if (ts[first]! <= mint) first++;
  if (ts[last]! >= maxt) last--;
  outTs.push(mint);
  outVs.push(left);
  for (let i = first; i <= last; i++) {
    outTs.push(ts[i]!);
    outVs.push(vs[i]!);
  }
  outTs.push(maxt);
  outVs.push(right);
  return outTs.length;
}

/** smoothedValue returns the value at t of samples around it (exact, interpolated or carried forward). */
export function smoothedValue(ts: Float64Array, vs: Float64Array, n: number, t: number): number | undefined {
  const i = firstAtOrAfter(ts, 0, n, t);
  if (i < n && ts[i] === t) return vs[i]!;
  if (i > 0 && i < n) return interpolate(ts[i - 1]!, vs[i - 1]!, ts[i]!, vs[i]!, t, false);
  if (i > 0) return vs[i - 1]!;
  return undefined;
}

/** RANGE_KERNELS maps each function over a range vector to its kernel. */
export const RANGE_KERNELS: ReadonlyMap<string, RangeKernel> = new Map<string, RangeKernel>([
  ['rate', (w) => extrapolatedRate(w, true, true)],
  ['increase', (w) => extrapolatedRate(w, true, false)],
  ['delta', (w) => extrapolatedRate(w, false, false)],
  ['irate', (w) => instantValue(w, true)],
  ['idelta', (w) => instantValue(w, false)],
  ['changes', changes],
  ['resets', resets],
  ['deriv', deriv],
  ['predict_linear', predictLinear],
  ['double_exponential_smoothing', doubleExponentialSmoothing],
  ['avg_over_time', avgOverTime],
  ['sum_over_time', sumOverTime],
  ['count_over_time', (w) => w.hi - w.lo],
  ['min_over_time', (w) => compareOverTime(w, (cur, best) => cur < best || Number.isNaN(best), false)],
  ['max_over_time', (w) => compareOverTime(w, (cur, best) => cur > best || Number.isNaN(best), false)],
  ['ts_of_min_over_time', (w) => compareOverTime(w, (cur, best) => cur <= best || Number.isNaN(best), true)],
  ['ts_of_max_over_time', (w) => compareOverTime(w, (cur, best) => cur >= best || Number.isNaN(best), true)],
  ['first_over_time', (w) => w.vs[w.lo]!],
  ['last_over_time', (w) => w.vs[w.hi - 1]!],
  ['ts_of_first_over_time', (w) => w.ts[w.lo]! / 1000],
  ['ts_of_last_over_time', (w) => w.ts[w.hi - 1]! / 1000],
  ['stddev_over_time', (w) => Math.sqrt(varianceOverTime(w))],
  ['stdvar_over_time', varianceOverTime],
  ['quantile_over_time', quantileOverTime],
  ['mad_over_time', madOverTime],
  ['present_over_time', () => 1],
  ['absent_over_time', () => 1],
]);
