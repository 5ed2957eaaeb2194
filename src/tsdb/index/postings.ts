/**
 * Postings lists: sorted, duplicate-free series refs as Uint32Array, with the set operations
 * matcher evaluation needs. Inputs are never modified; results may share an input when that is
 * the answer (treat every list as read-only).
 * @module
 */

/** Postings is a sorted list of distinct series refs. */
export type Postings = Uint32Array;

/** EMPTY_POSTINGS has no refs. */
export const EMPTY_POSTINGS: Postings = new Uint32Array(0);

/** ALL_POSTINGS_KEY is the label pair under which an index lists every series: ("", ""). */
export const ALL_POSTINGS_KEY = { name: '', value: '' } as const;

// gallop returns the first index i in a[lo:] with a[i] >= x (a sorted).
function gallop(a: Uint32Array, lo: number, x: number): number {
  let step = 1;
  let hi = lo;
  while (hi < a.length && a[hi]! < x) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > a.length) hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** intersectPostings returns the refs present in every list (no lists: empty). */
export function intersectPostings(lists: readonly Postings[]): Postings {
  if (lists.length === 0) return EMPTY_POSTINGS;
  if (lists.length === 1) return lists[0]!;
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  let cur = sorted[0]!;
  for (let k = 1; k < sorted.length && cur.length > 0; k++) {
    const other = sorted[k]!;
    const out = new Uint32Array(cur.length);
    let n = 0;
    let j = 0;
    for (let i = 0; i < cur.length && j < other.length; i++) {
      const x = cur[i]!;
      if (other[j]! < x) j = gallop(other, j, x);
      if (j < other.length && other[j] === x) out[n++] = x;
    }
    cur = n === out.length ? out : out.slice(0, n);
  }
  return cur;
}

/** mergePostings returns the union of the lists. */
export function mergePostings(lists: readonly Postings[]): Postings {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY_POSTINGS;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  if (nonEmpty.length === 2) return merge2(nonEmpty[0]!, nonEmpty[1]!);
  let total = 0;
  for (const l of nonEmpty) total += l.length;
  // Many lists (a regex over many values): concatenate, sort, deduplicate.
  const all = new Uint32Array(total);
  let off = 0;
  for (const l of nonEmpty) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[n - 1] !== all[i]) all[n++] = all[i]!;
  return n === all.length ? all : all.slice(0, n);
}

function merge2(a: Postings, b: Postings): Postings {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return n === out.length ? out : out.slice(0, n);
}

/** subtractPostings returns the refs of `a` that are not in `b`. */
export function subtractPostings(a: Postings, b: Postings): Postings {
  if (a.length === 0 || b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (j < b.length && b[j]! < x) j = gallop(b, j, x);
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return n === a.length ? a : out.slice(0, n);
}
