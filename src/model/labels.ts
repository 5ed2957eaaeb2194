/**
 * Immutable label sets, the identity of every series and stream.
 *
 * A `Labels` keeps its pairs sorted by name with unique names, as Prometheus's
 * `labels.Labels` does, so equality, ordering and hashing are cheap and well defined.
 * Empty values are never stored: Prometheus treats an empty value as an absent label.
 * @module
 */

/** The label that holds a series' metric name. */
export const METRIC_NAME = '__name__';

/** Labels is an immutable, sorted set of name/value pairs with unique names. */
export class Labels {
  /** The empty label set. */
  static readonly EMPTY: Labels = new Labels([]);

  // Flat [name0, value0, name1, value1, …], sorted by name, no duplicates, no empty values.
  readonly #nv: readonly string[];
  #key: string | undefined;

  private constructor(nv: readonly string[]) {
    this.#nv = nv;
  }

  /**
   * fromStrings builds Labels from alternating names and values, in any order.
   * Later duplicates win; pairs with an empty value are dropped.
   */
  static fromStrings(...nv: string[]): Labels {
    if (nv.length % 2 !== 0) throw new Error(`Labels.fromStrings: odd number of strings (${nv.length})`);
    const b = new LabelsBuilder(Labels.EMPTY);
    for (let i = 0; i < nv.length; i += 2) b.set(nv[i]!, nv[i + 1]!);
    return b.labels();
  }

  /** fromObject builds Labels from a plain object; empty values are dropped. */
  static fromObject(obj: Readonly<Record<string, string>>): Labels {
    const names = Object.keys(obj).filter((n) => obj[n] !== '').sort(compareStrings);
    const nv: string[] = new Array(names.length * 2);
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      nv[2 * i] = n;
      nv[2 * i + 1] = obj[n]!;
    }
    return new Labels(nv);
  }

  /**
   * fromSortedPairs wraps a flat [name, value, …] array the caller guarantees is sorted by
   * name (UTF-16 code unit order equals byte order for the names Prometheus allows), free of
   * duplicates and empty values. The array is owned by the Labels afterwards.
   */
  static fromSortedPairs(nv: string[]): Labels {
    return nv.length === 0 ? Labels.EMPTY : new Labels(nv);
  }

  /** length is the number of labels. */
  get length(): number {
    return this.#nv.length >> 1;
  }

  /** isEmpty tells whether there are no labels. */
  isEmpty(): boolean {
    return this.#nv.length === 0;
  }

  /** nameAt returns the i-th name in sorted order. */
  nameAt(i: number): string {
    return this.#nv[2 * i]!;
  }

  /** valueAt returns the i-th value in name order. */
  valueAt(i: number): string {
    return this.#nv[2 * i + 1]!;
  }

  /** get returns the value of the label `name`, or '' when absent (Prometheus semantics). */
  get(name: string): string {
    const nv = this.#nv;
    // Label sets are small: a linear scan beats a binary search up to a few dozen labels.
    for (let i = 0; i < nv.length; i += 2) {
      if (nv[i] === name) return nv[i + 1]!;
    }
    return '';
  }

  /** has tells whether the label `name` is present. */
  has(name: string): boolean {
    const nv = this.#nv;
    for (let i = 0; i < nv.length; i += 2) if (nv[i] === name) return true;
    return false;
  }

  /** metricName returns the value of `__name__`, or ''. */
  metricName(): string {
    return this.get(METRIC_NAME);
  }

  /** forEach calls fn for every pair in name order. */
  forEach(fn: (name: string, value: string) => void): void {
    const nv = this.#nv;
    for (let i = 0; i < nv.length; i += 2) fn(nv[i]!, nv[i + 1]!);
  }

  /** pairs returns the flat sorted [name, value, …] array; callers must not modify it. */
  pairs(): readonly string[] {
    return this.#nv;
  }

  /** names returns the label names in sorted order. */
  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#nv.length; i += 2) out.push(this.#nv[i]!);
    return out;
  }

  /**
   * key returns a string that identifies this label set exactly, for use as a Map key.
   * It is length-prefixed, so no name or value content can make two sets collide.
   */
  key(): string {
    if (this.#key === undefined) {
      let k = '';
      const nv = this.#nv;
      for (let i = 0; i < nv.length; i++) {
        const s = nv[i]!;
        k += s.length.toString(36) + ':' + s;
      }
      this.#key = k;
    }
    return this.#key;
  }

  /** equals tells whether both sets hold the same pairs. */
  equals(o: Labels): boolean {
    if (o === this) return true;
    const a = this.#nv;
    const b = o.#nv;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * compare orders label sets as Prometheus's labels.Compare does: pair by pair, name before
   * value, and a set that is a prefix of the other sorts first.
   */
  compare(o: Labels): number {
    const a = this.#nv;
    const b = o.#nv;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i += 2) {
      if (a[i] !== b[i]) return compareStrings(a[i]!, b[i]!);
      if (a[i + 1] !== b[i + 1]) return compareStrings(a[i + 1]!, b[i + 1]!);
    }
    return a.length - b.length;
  }

  /** without returns a copy with the named labels removed. */
  without(...names: string[]): Labels {
    const nv = this.#nv;
    const out: string[] = [];
    for (let i = 0; i < nv.length; i += 2) {
      if (!names.includes(nv[i]!)) out.push(nv[i]!, nv[i + 1]!);
    }
    return out.length === nv.length ? this : Labels.fromSortedPairs(out);
  }

  /** only returns a copy holding just the named labels. */
  only(...names: string[]): Labels {
    const nv = this.#nv;
    const out: string[] = [];
    for (let i = 0; i < nv.length; i += 2) {
      if (names.includes(nv[i]!)) out.push(nv[i]!, nv[i + 1]!);
    }
    return out.length === nv.length ? this : Labels.fromSortedPairs(out);
  }

  /** withoutMetricName returns a copy without `__name__`. */
  withoutMetricName(): Labels {
    return this.has(METRIC_NAME) ? this.without(METRIC_NAME) : this;
  }

  /** toObject returns the pairs as a plain object (insertion in name order). */
  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    const nv = this.#nv;
    for (let i = 0; i < nv.length; i += 2) o[nv[i]!] = nv[i + 1]!;
    return o;
  }

  /** toString formats as Prometheus does: `{a="1", b="2"}` with Go-style quoting. */
  toString(): string {
    const nv = this.#nv;
    let s = '{';
    for (let i = 0; i < nv.length; i += 2) {
      if (i > 0) s += ', ';
      s += nv[i] + '=' + quoteGo(nv[i + 1]!);
    }
    return s + '}';
  }

  /**
   * internStrings replaces each name and value by `intern(s)`, which must return a string equal
   * to s (a shared copy, to save memory). The set is unchanged for every observer: only which
   * string objects hold its pairs changes.
   */
  internStrings(intern: (s: string) => string): void {
    const nv = this.#nv as string[];
    for (let i = 0; i < nv.length; i++) {
      const k = intern(nv[i]!);
      if (k !== nv[i]) throw new Error('Labels.internStrings: intern must return an equal string');
      nv[i] = k;
    }
  }

  /** byteSize returns the summed UTF-16 length of names and values, a proxy for memory. */
  byteSize(): number {
    let n = 0;
    for (const s of this.#nv) n += s.length;
    return n;
  }
}

/** LabelsBuilder makes modified copies of a Labels without intermediate allocations per change. */
export class LabelsBuilder {
  #base: Labels;
  #set = new Map<string, string>();
  #del = new Set<string>();

  constructor(base: Labels = Labels.EMPTY) {
    this.#base = base;
  }

  /** reset starts over from a new base set. */
  reset(base: Labels): this {
    this.#base = base;
    this.#set.clear();
    this.#del.clear();
    return this;
  }

  /** set sets a label; an empty value deletes it. */
  set(name: string, value: string): this {
    if (value === '') return this.del(name);
    this.#set.set(name, value);
    this.#del.delete(name);
    return this;
  }

  /** del removes labels by name. */
  del(...names: string[]): this {
    for (const n of names) {
      this.#set.delete(n);
      this.#del.add(n);
    }
    return this;
  }

  /** get returns the current value of a label, or ''. */
  get(name: string): string {
    const v = this.#set.get(name);
    if (v !== undefined) return v;
    if (this.#del.has(name)) return '';
    return this.#base.get(name);
  }

  /** has tells whether a label currently has a non-empty value. */
  has(name: string): boolean {
    return this.get(name) !== '';
  }

  /** keep removes every label whose name is not listed. */
  keep(...names: string[]): this {
    this.forEach((n) => {
      if (!names.includes(n)) this.del(n);
    });
    return this;
  }

  /** forEach visits the current labels in name order. */
  forEach(fn: (name: string, value: string) => void): void {
    this.labels().forEach(fn);
  }

  /** labels returns the resulting immutable set. */
  labels(): Labels {
    if (this.#set.size === 0 && this.#del.size === 0) return this.#base;
    const nv = this.#base.pairs();
    const out: string[] = [];
    for (let i = 0; i < nv.length; i += 2) {
      const n = nv[i]!;
      if (this.#del.has(n) || this.#set.has(n)) continue;
      out.push(n, nv[i + 1]!);
    }
    if (this.#set.size > 0) {
      for (const [n, v] of this.#set) out.push(n, v);
      return Labels.fromSortedPairs(sortPairs(out));
    }
    return Labels.fromSortedPairs(out);
  }
}

/**
 * compareStrings orders strings by code point, which is the UTF-8 byte order Go (and so
 * Prometheus: its index symbols, postings table and labels.Compare) sorts by. It differs from
 * JS's UTF-16 order only where a character above U+FFFF meets one in U+E000–U+FFFF at the first
 * difference: the former sorts last here. Returns -1, 0 or 1.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  let ca = a.charCodeAt(i);
  let cb = b.charCodeAt(i);
  if (ca >= 0xd800 && cb >= 0xd800) {
    // Surrogates (code points above U+FFFF) move above U+E000–U+FFFF; order within each kept.
    ca = ca < 0xe000 ? ca + 0x2000 : ca - 0x800;
    cb = cb < 0xe000 ? cb + 0x2000 : cb - 0x800;
  }
  return ca < cb ? -1 : 1;
}

function sortPairs(nv: string[]): string[] {
  const idx: number[] = [];
  for (let i = 0; i < nv.length; i += 2) idx.push(i);
  idx.sort((x, y) => compareStrings(nv[x]!, nv[y]!));
  const out: string[] = new Array(nv.length);
  for (let k = 0; k < idx.length; k++) {
    out[2 * k] = nv[idx[k]!]!;
    out[2 * k + 1] = nv[idx[k]! + 1]!;
  }
  return out;
}

/**
 * quoteGo quotes a string as Go's strconv.Quote does, which is how Prometheus prints label
 * values: backslash, double quote and control characters escaped; other Unicode kept as is.
 */
export function quoteGo(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
      needs = true;
      break;
    }
  }
  if (!needs) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x0b: out += '\\v'; break;
      default:
        if (c < 0x20 || c === 0x7f) {
          out += '\\x' + c.toString(16).padStart(2, '0');
        } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            out += s[i]! + s[i + 1]!;
            i++;
          } else {
            out += '\\ufffd';
          }
        } else if (c >= 0xd800 && c <= 0xdfff) {
          out += '\\ufffd';
        } else {
          out += s[i]!;
        }
    }
  }
  return out + '"';
}
