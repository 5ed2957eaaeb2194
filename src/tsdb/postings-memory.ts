/**
 * The head's in-memory postings index: label name → value → sorted series refs, plus the list
 * of every series under ("", ""). Refs grow monotonically, so adding a series appends to each
 * of its lists and keeps them sorted; deletions rebuild the affected lists (copy on write), so
 * a list handed out earlier never changes under its reader.
 * @module
 */
import { compareStrings, type Labels } from '../model/index.js';
import { EMPTY_POSTINGS, mergePostings, type Postings, type PostingsSource } from './index/index.js';

/** A growable sorted list of refs. Only the first `n` entries are live. */
interface RefList {
  a: Uint32Array;
  n: number;
}

function view(l: RefList): Postings {
  return l.a.subarray(0, l.n);
}

function push(l: RefList, ref: number): void {
  if (l.n > 0 && l.a[l.n - 1]! >= ref) {
    // Out of order (replay of a WAL whose refs are not monotonic): insert into a copy, so that
    // views handed out before stay unchanged.
    const a = l.a;
    let i = l.n;
    while (i > 0 && a[i - 1]! > ref) i--;
    if (i > 0 && a[i - 1] === ref) return;
    const b = new Uint32Array(Math.max(4, l.n * 2));
    b.set(a.subarray(0, i));
    b[i] = ref;
    b.set(a.subarray(i, l.n), i + 1);
    l.a = b;
    l.n++;
    return;
  }
  if (l.n === l.a.length) {
    const b = new Uint32Array(l.a.length < 4 ? 4 : l.a.length * 2);
    b.set(l.a);
    l.a = b;
  }
  l.a[l.n++] = ref;
}

/** MemPostings indexes the head's series by label pair. */
export class MemPostings implements PostingsSource {
  readonly #m = new Map<string, Map<string, RefList>>();
  readonly #all: RefList = { a: new Uint32Array(1024), n: 0 };
  // Sorted values per name, rebuilt lazily after a value appears or disappears.
  readonly #sorted = new Map<string, readonly string[]>();
  #sortedNames: readonly string[] | undefined;

  /** add indexes a series. `ref` must fit in 32 bits. */
  add(ref: number, labels: Labels): void {
    if (ref > 0xffffffff || ref < 0) throw new RangeError(`series ref ${ref} does not fit the postings index`);
    const nv = labels.pairs();
    for (let i = 0; i < nv.length; i += 2) {
      const name = nv[i]!;
      let values = this.#m.get(name);
      if (values === undefined) {
        values = new Map();
        this.#m.set(name, values);
        this.#sortedNames = undefined;
      }
      const value = nv[i + 1]!;
      let l = values.get(value);
      if (l === undefined) {
        l = { a: new Uint32Array(2), n: 0 };
        values.set(value, l);
        this.#sorted.delete(name);
      }
      push(l, ref);
    }
    push(this.#all, ref);
  }

  /**
   * delete removes series from the index. `deleted` holds their refs; `labelsOf` gives each
   * one's labels, so only the lists they are in are rebuilt.
   */
  delete(deleted: ReadonlySet<number>, labelsOf: (ref: number) => Labels): void {
    if (deleted.size === 0) return;
    const touched = new Map<string, Set<string>>();
    for (const ref of deleted) {
      const nv = labelsOf(ref).pairs();
      for (let i = 0; i < nv.length; i += 2) {
        let vs = touched.get(nv[i]!);
        if (vs === undefined) {
          vs = new Set();
          touched.set(nv[i]!, vs);
        }
        vs.add(nv[i + 1]!);
      }
    }
    for (const [name, vs] of touched) {
      const values = this.#m.get(name);
      if (values === undefined) continue;
      for (const v of vs) {
        const l = values.get(v);
        if (l === undefined) continue;
        const kept = without(l, deleted);
        if (kept.n === 0) {
          values.delete(v);
          this.#sorted.delete(name);
        } else {
          values.set(v, kept);
        }
      }
      if (values.size === 0) {
        this.#m.delete(name);
        this.#sorted.delete(name);
        this.#sortedNames = undefined;
      }
    }
    const all = without(this.#all, deleted);
    this.#all.a = all.a;
    this.#all.n = all.n;
  }

  /** postings returns the union of the lists of name=v over `values`. */
  postings(name: string, values: readonly string[]): Postings {
    if (name === '' && values.length === 1 && values[0] === '') return view(this.#all);
    const m = this.#m.get(name);
    if (m === undefined) return EMPTY_POSTINGS;
    if (values.length === 1) {
      const l = m.get(values[0]!);
      return l === undefined ? EMPTY_POSTINGS : view(l);
    }
    const lists: Postings[] = [];
    for (const v of values) {
      const l = m.get(v);
      if (l !== undefined) lists.push(view(l));
    }
    return mergePostings(lists);
  }

  /** sortedLabelValues returns the values of a label name in sorted order. */
  sortedLabelValues(name: string): readonly string[] {
    let s = this.#sorted.get(name);
    if (s === undefined) {
      const m = this.#m.get(name);
      if (m === undefined) return [];
      s = [...m.keys()].sort(compareStrings);
      this.#sorted.set(name, s);
    }
    return s;
  }

  /** labelNames returns every label name in sorted order. */
  labelNames(): readonly string[] {
    if (this.#sortedNames === undefined) this.#sortedNames = [...this.#m.keys()].sort(compareStrings);
    return this.#sortedNames;
  }

  /** all returns every indexed ref, sorted. */
  all(): Postings {
    return view(this.#all);
  }

  /** numValues returns the number of distinct values of a name (0 when absent). */
  numValues(name: string): number {
    return this.#m.get(name)?.size ?? 0;
  }

  /** stats returns the number of label pairs and the bytes the lists hold. */
  stats(): { pairs: number; postingsBytes: number } {
    let pairs = 0;
    let bytes = this.#all.a.byteLength;
    for (const values of this.#m.values()) {
      pairs += values.size;
      for (const l of values.values()) bytes += l.a.byteLength;
    }
    return { pairs, postingsBytes: bytes };
  }
}

// without returns a new list holding l's refs minus `deleted` (never modifies l).
function without(l: RefList, deleted: ReadonlySet<number>): RefList {
  const out = new Uint32Array(Math.max(2, l.n));
  let n = 0;
  for (let i = 0; i < l.n; i++) {
    const r = l.a[i]!;
    if (!deleted.has(r)) out[n++] = r;
  }
  return { a: out, n };
}
