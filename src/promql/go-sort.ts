/**
 * Go's `sort.Sort` as Go 1.19+ runs it (pattern-defeating quicksort over a Less/Swap interface),
 * step for step, so that elements that compare equal — and NaNs, which Prometheus's comparators
 * do not order consistently — end up in the very order Prometheus returns them in (`sort`,
 * `sort_desc`, `topk`, `bottomk`). The algorithm is not stable; reproducing its permutation
 * is the point.
 * @module
 */

/** SortData is the index-based view Go's sort.Interface gives: less(i, j) and swap(i, j). */
export interface SortData {
  less(i: number, j: number): boolean;
  swap(i: number, j: number): void;
}

const MAX_INSERTION = 12;
const HINT_UNKNOWN = 0;
const HINT_INCREASING = 1;
const HINT_DECREASING = 2;

/** goSort sorts positions [0, n) of data exactly as Go's sort.Sort does. */
export function goSort(data: SortData, n: number): void {
  if (n <= 1) return;
  pdq(data, 0, n, bitLen(n));
}

/** bitLen is Go's bits.Len for non-negative integers below 2^53. */
function bitLen(x: number): number {
  let n = 0;
  while (x >= 1) {
    x = Math.floor(x / 2);
    n++;
  }
  return n;
}

function insertion(d: SortData, a: number, b: number): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && d.less(j, j - 1); j--) d.swap(j, j - 1);
  }
}

function sift(d: SortData, lo: number, hi: number, first: number): void {
  let root = lo;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= hi) return;
    if (child + 1 < hi && d.less(first + child, first + child + 1)) child++;
    if (!d.less(first + root, first + child)) return;
    d.swap(first + root, first + child);
    root = child;
  }
}

function heapsort(d: SortData, a: number, b: number): void {
  const hi = b - a;
  for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) sift(d, i, hi, a);
  for (let i = hi - 1; i >= 0; i--) {
    d.swap(a, a + i);
    sift(d, 0, i, a);
  }
}

function pdq(d: SortData, a: number, b: number, limit: number): void {
  let balanced = true;
  let partitioned = true;
  for (;;) {
    const length = b - a;
    if (length <= MAX_INSERTION) {
      insertion(d, a, b);
      return;
    }
    if (limit === 0) {
      heapsort(d, a, b);
      return;
    }
    if (!balanced) {
      breakPatterns(d, a, b);
      limit--;
    }
    let [pivot, hint] = choosePivot(d, a, b);
    if (hint === HINT_DECREASING) {
      reverse(d, a, b);
      pivot = b - 1 - (pivot - a);
      hint = HINT_INCREASING;
    }
    if (balanced && partitioned && hint === HINT_INCREASING && partialInsertion(d, a, b)) return;
    // Many elements equal to the one before the range: split off those equal to the pivot.
    if (a > 0 && !d.less(a - 1, pivot)) {
      a = partitionEqual(d, a, b, pivot);
      continue;
    }
    const [mid, already] = partition(d, a, b, pivot);
    partitioned = already;
    const left = mid - a;
    const right = b - mid;
    const threshold = Math.trunc(length / 8);
    if (left < right) {
      balanced = left >= threshold;
      pdq(d, a, mid, limit);
      a = mid + 1;
    } else {
      balanced = right >= threshold;
      pdq(d, mid + 1, b, limit);
      b = mid;
    }
  }
}

function partition(d: SortData, a: number, b: number, pivot: number): [number, boolean] {
  d.swap(a, pivot);
  let i = a + 1;
  let j = b - 1;
  while (i <= j && d.less(i, a)) i++;
  while (i <= j && !d.less(j, a)) j--;
  if (i > j) {
    d.swap(j, a);
    return [j, true];
  }
  d.swap(i, j);
  i++;
  j--;
  for (;;) {
    while (i <= j && d.less(i, a)) i++;
    while (i <= j && !d.less(j, a)) j--;
    if (i > j) break;
    d.swap(i, j);
    i++;
    j--;
  }
  d.swap(j, a);
  return [j, false];
}

function partitionEqual(d: SortData, a: number, b: number, pivot: number): number {
  d.swap(a, pivot);
  let i = a + 1;
  let j = b - 1;
  for (;;) {
    while (i <= j && !d.less(a, i)) i++;
    while (i <= j && d.less(a, j)) j--;
    if (i > j) break;
    d.swap(i, j);
    i++;
    j--;
  }
  return i;
}

function partialInsertion(d: SortData, a: number, b: number): boolean {
  const maxSteps = 5;
  const shortestShifting = 50;
  let i = a + 1;
  for (let step = 0; step < maxSteps; step++) {
    while (i < b && !d.less(i, i - 1)) i++;
    if (i === b) return true;
    if (b - a < shortestShifting) return false;
    d.swap(i, i - 1);
    // Move the smaller element left and the larger one right.
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!d.less(j, j - 1)) break;
        d.swap(j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!d.less(j, j - 1)) break;
        d.swap(j, j - 1);
      }
    }
  }
  return false;
}

/** XorShift is Go's 64-bit xorshift (shifts 13, 17, 5) on two 32-bit halves. */
class XorShift {
  hi: number;
  lo: number;
  constructor(seed: number) {
    this.hi = Math.floor(seed / 2 ** 32) >>> 0;
    this.lo = seed >>> 0;
  }
  /** next advances the state and returns its low 32 bits. */
  next(): number {
    // x ^= x << 13
    let h = (this.hi ^ ((this.hi << 13) | (this.lo >>> 19))) >>> 0;
    let l = (this.lo ^ (this.lo << 13)) >>> 0;
    // x ^= x >> 17
    l = (l ^ ((l >>> 17) | (h << 15))) >>> 0;
    h = (h ^ (h >>> 17)) >>> 0;
    // x ^= x << 5
    h = (h ^ ((h << 5) | (l >>> 27))) >>> 0;
    l = (l ^ (l << 5)) >>> 0;
    this.hi = h;
    this.lo = l;
    return l;
  }
}

function breakPatterns(d: SortData, a: number, b: number): void {
  const length = b - a;
  if (length < 8) return;
  const random = new XorShift(length);
  const mask = 2 ** bitLen(length) - 1;
  const mid = a + Math.trunc(length / 4) * 2;
  for (let idx = mid - 1; idx <= mid + 1; idx++) {
    // The mask is below 2^32 for any array that fits in memory: the low half suffices.
    let other = (random.next() & mask) >>> 0;
    if (other >= length) other -= length;
    d.swap(idx, a + other);
  }
}

function choosePivot(d: SortData, a: number, b: number): [number, number] {
  const shortestNinther = 50;
  const maxSwaps = 4 * 3;
  const l = b - a;
  const q = Math.trunc(l / 4);
  const swaps = { n: 0 };
  let i = a + q;
  let j = a + q * 2;
  let k = a + q * 3;
  if (l >= 8) {
    if (l >= shortestNinther) {
      i = median(d, i - 1, i, i + 1, swaps);
      j = median(d, j - 1, j, j + 1, swaps);
      k = median(d, k - 1, k, k + 1, swaps);
    }
    j = median(d, i, j, k, swaps);
  }
  if (swaps.n === 0) return [j, HINT_INCREASING];
  if (swaps.n === maxSwaps) return [j, HINT_DECREASING];
  return [j, HINT_UNKNOWN];
}

/** median returns whichever of a, b, c holds the median, counting the comparisons that swapped. */
function median(d: SortData, a: number, b: number, c: number, swaps: { n: number }): number {
  if (d.less(b, a)) {
    swaps.n++;
    [a, b] = [b, a];
  }
  if (d.less(c, b)) {
    swaps.n++;
    [b, c] = [c, b];
  }
  if (d.less(b, a)) {
    swaps.n++;
    [a, b] = [b, a];
  }
  return b;
}

function reverse(d: SortData, a: number, b: number): void {
  for (let i = a, j = b - 1; i < j; i++, j--) d.swap(i, j);
}
