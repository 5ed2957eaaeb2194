/**
 * Where a series' name and labels sit in the parsed buffer, recorded while scanning so that
 * strings and `Labels` are built only when asked for (the scrape cache asks only for series it
 * has not seen before).
 * @module
 */
import { Labels, METRIC_NAME, formatFloatG } from '../model/index.js';
import { ParseError } from './errors.js';
import { scanFloat } from './float-scan.js';

/** Span flag: the bytes contain a backslash escape. */
export const SPAN_ESCAPED = 1;
/** Span flag: the bytes contain non-ASCII (UTF-8) bytes. */
export const SPAN_NON_ASCII = 2;

const FIELDS = 7; // nameStart, nameEnd, nameFlags, valueStart, valueEnd, valueFlags, pairStart

/** LabelNormalization rewrites `le`/`quantile` values canonically (Prometheus 3.x behaviour). */
export interface LabelNormalization {
  /** The label whose value is a float to print canonically (`le` or `quantile`), or ''. */
  readonly label: string;
}

const floatOut = new Float64Array(1);

/** SeriesSpans holds the spans of one series (or one exemplar's label set). */
export class SeriesSpans {
  nameStart = -1;
  nameEnd = -1;
  nameFlags = 0;
  #spans = new Int32Array(FIELDS * 16);
  #count = 0;

  /** reset forgets every span. */
  reset(): void {
    this.nameStart = -1;
    this.nameEnd = -1;
    this.nameFlags = 0;
    this.#count = 0;
  }

  /** count is the number of label pairs recorded (the metric name excluded). */
  get count(): number {
    return this.#count;
  }

  /** add records one label pair; pairStart is where the pair begins, for error positions. */
  add(ns: number, ne: number, nf: number, vs: number, ve: number, vf: number, pairStart: number): void {
    let s = this.#spans;
    const o = this.#count * FIELDS;
    if (o + FIELDS > s.length) {
      const grown = new Int32Array(s.length * 2);
      grown.set(s);
      this.#spans = s = grown;
    }
    s[o] = ns;
    s[o + 1] = ne;
    s[o + 2] = nf;
    s[o + 3] = vs;
    s[o + 4] = ve;
    s[o + 5] = vf;
    s[o + 6] = pairStart;
    this.#count++;
  }

  /** labelName decodes the i-th label's name. */
  labelName(buf: Buffer, i: number): string {
    const s = this.#spans;
    const o = i * FIELDS;
    return decodeSpan(buf, s[o]!, s[o + 1]!, s[o + 2]!);
  }

  /** labelValue decodes the i-th label's value. */
  labelValue(buf: Buffer, i: number): string {
    const s = this.#spans;
    const o = i * FIELDS;
    return decodeSpan(buf, s[o + 3]!, s[o + 4]!, s[o + 5]!);
  }

  /**
   * metricName decodes the metric name: the recorded name, else the value of a `__name__`
   * label, else ''.
   */
  metricName(buf: Buffer): string {
    if (this.nameStart >= 0) return decodeSpan(buf, this.nameStart, this.nameEnd, this.nameFlags);
    const i = this.indexOf(buf, METRIC_NAME);
    return i < 0 ? '' : this.labelValue(buf, i);
  }

  /** indexOf returns the index of the label called `name`, or -1. */
  indexOf(buf: Buffer, name: string): number {
    for (let i = 0; i < this.#count; i++) if (this.labelName(buf, i) === name) return i;
    return -1;
  }

  /**
   * labels builds the sorted label set, with `__name__` when a metric name was recorded.
   * Throws ParseError when a label name repeats. Empty values are dropped, as `Labels` never
   * holds them.
   */
  labels(buf: Buffer, norm: LabelNormalization | undefined): Labels {
    const n = this.#count;
    const nv: string[] = [];
    if (this.nameStart >= 0) nv.push(METRIC_NAME, this.metricName(buf));
    const s = this.#spans;
    for (let i = 0; i < n; i++) {
      const o = i * FIELDS;
      const name = decodeSpan(buf, s[o]!, s[o + 1]!, s[o + 2]!);
      let value = decodeSpan(buf, s[o + 3]!, s[o + 4]!, s[o + 5]!);
      if (norm !== undefined && name === norm.label) value = canonicalFloat(value);
      nv.push(name, value);
    }
    sortPairs(nv);
    let w = 0;
    for (let r = 0; r < nv.length; r += 2) {
      if (r > 0 && nv[r] === nv[r - 2]) {
        throw new ParseError(this.#pairStartOf(buf, nv[r]!), `duplicate label name "${nv[r]}"`, buf);
      }
      if (nv[r + 1] === '') continue;
      nv[w] = nv[r]!;
      nv[w + 1] = nv[r + 1]!;
      w += 2;
    }
    nv.length = w;
    return Labels.fromSortedPairs(nv);
  }

  /** exemplarRunes counts the code points of every name and value, for OpenMetrics' 128 limit. */
  runeCount(buf: Buffer): number {
    let n = 0;
    for (let i = 0; i < this.#count; i++) n += [...this.labelName(buf, i)].length + [...this.labelValue(buf, i)].length;
    return n;
  }

  #pairStartOf(buf: Buffer, name: string): number {
    let last = -1;
    for (let i = 0; i < this.#count; i++) if (this.labelName(buf, i) === name) last = this.#spans[i * FIELDS + 6]!;
    return last < 0 ? Math.max(this.nameStart, 0) : last;
  }
}

/**
 * decodeSpan turns a span into a string, undoing the escapes `\\`, `\"` and `\n`. Short
 * plain-ASCII spans (names, and values such as `GET`, `200` or a namespace) come from a shared
 * intern table, so that new series mostly reuse the strings of the series before them.
 */
export function decodeSpan(buf: Buffer, start: number, end: number, flags: number): string {
  if (flags === 0 && end - start <= INTERN_MAX_LEN) return intern(buf, start, end);
  const s = (flags & SPAN_NON_ASCII) !== 0 ? buf.toString('utf8', start, end) : buf.toString('latin1', start, end);
  return (flags & SPAN_ESCAPED) !== 0 ? unescapeLabelValue(s) : s;
}

const INTERN_MAX_LEN = 64;
const INTERN_SLOTS = 1 << 13;
const INTERN_MASK = INTERN_SLOTS - 1;
const internStrings: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
const internHashes = new Int32Array(INTERN_SLOTS);
let internCount = 0;

// intern returns the string of an ASCII span, shared with earlier identical spans. The table
// is cleared when it fills up, so churning values cannot make it grow.
function intern(b: Uint8Array, start: number, end: number): string {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const len = end - start;
  let idx = h & INTERN_MASK;
  for (;;) {
    const s = internStrings[idx];
    if (s === undefined) break;
    if (internHashes[idx] === h && s.length === len) {
      let j = 0;
      while (j < len && s.charCodeAt(j) === b[start + j]) j++;
      if (j === len) return s;
    }
    idx = (idx + 1) & INTERN_MASK;
  }
  const str = Buffer.from(b.buffer, b.byteOffset + start, len).toString('latin1');
  if (internCount >= (INTERN_SLOTS * 3) / 4) {
    internStrings.fill(undefined);
    internCount = 0;
    idx = h & INTERN_MASK;
  }
  internStrings[idx] = str;
  internHashes[idx] = h;
  internCount++;
  return str;
}

/**
 * unescapeLabelValue undoes the label-value escapes of both formats: `\\`, `\"` and `\n`.
 * Any other backslash is kept as is, as Prometheus's parsers do.
 */
export function unescapeLabelValue(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('\\'); i >= 0 && i < s.length - 1; i = s.indexOf('\\', i)) {
    const n = s.charCodeAt(i + 1);
    const rep = n === 0x5c ? '\\' : n === 0x22 ? '"' : n === 0x6e ? '\n' : undefined;
    if (rep === undefined) {
      i++;
      continue;
    }
    out += s.slice(from, i) + rep;
    i += 2;
    from = i;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** unescapeHelp undoes the text format's HELP escapes, `\\` and `\n` only. */
export function unescapeHelp(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('\\'); i >= 0 && i < s.length - 1; i = s.indexOf('\\', i)) {
    const n = s.charCodeAt(i + 1);
    const rep = n === 0x5c ? '\\' : n === 0x6e ? '\n' : undefined;
    if (rep === undefined) {
      i++;
      continue;
    }
    out += s.slice(from, i) + rep;
    i += 2;
    from = i;
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * canonicalFloat prints a float label value the way Prometheus 3.x normalises `le` and
 * `quantile` (Go's %g, with `.0` added to integral values); values that are not floats stay.
 */
export function canonicalFloat(v: string): string {
  const b = Buffer.from(v, 'latin1');
  if (!scanFloat(b, 0, b.length, floatOut)) return v;
  const f = floatOut[0]!;
  const s = formatFloatG(f);
  if (Number.isNaN(f) || !Number.isFinite(f) || s.includes('e') || s.includes('.')) return s;
  return s + '.0';
}

// sortPairs sorts a flat [name, value, …] array by name; insertion sort, as exposed label sets
// are small and usually sorted already.
function sortPairs(nv: string[]): void {
  for (let i = 2; i < nv.length; i += 2) {
    const n = nv[i]!;
    const v = nv[i + 1]!;
    let j = i - 2;
    while (j >= 0 && nv[j]! > n) {
      nv[j + 2] = nv[j]!;
      nv[j + 3] = nv[j + 1]!;
      j -= 2;
    }
    nv[j + 2] = n;
    nv[j + 3] = v;
  }
}
