/**
 * Floating-point helpers shared by functions and aggregations: Kahan–Neumaier summation and the
 * φ-quantile of Prometheus, computed exactly as Prometheus computes them.
 * @module
 */

/**
 * KahanSum accumulates with Neumaier's compensated summation, the way Prometheus does: `s` is
 * the running sum and `c` the compensation; the result is s + c (unless s overflowed).
 */
export class KahanSum {
  s = 0;
  c = 0;

  /** reset sets the sum to v with no compensation. */
  reset(v = 0): this {
    this.s = v;
    this.c = 0;
    return this;
  }

  /** add adds inc. */
  add(inc: number): void {
    const sum = this.s;
    const t = sum + inc;
    if (t === Infinity || t === -Infinity) this.c = 0;
    else if (Math.abs(sum) >= Math.abs(inc)) this.c += sum - t + inc;
    else this.c += inc - t + sum;
    this.s = t;
  }
}

/**
 * sortForQuantile sorts values ascending with NaN first, the order Prometheus's quantile
 * computation sorts in.
 */
export function sortForQuantile(vals: Float64Array): void {
  // Typed-array sort puts NaN last; move NaNs to the front to match Prometheus.
  vals.sort();
  let nan = 0;
  for (let i = vals.length - 1; i >= 0 && Number.isNaN(vals[i]!); i--) nan++;
  if (nan > 0 && nan < vals.length) {
    vals.copyWithin(nan, 0, vals.length - nan);
    vals.fill(NaN, 0, nan);
  }
}

/** quantileSorted returns the φ-quantile of values sorted by sortForQuantile (NaN if empty). */
export function quantileSorted(q: number, vals: ArrayLike<number>): number {
  const n = vals.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return vals[lower]! * (1 - weight) + vals[upper]! * weight;
}

/** almostEqual compares like Prometheus's almost.Equal (relative to the sum of magnitudes). */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}
