/**
 * MetricBatch: the samples one collection cycle produced, grouped in families, ready to be
 * rendered as exposition text (pull) or encoded as remote-write series (push). Collectors
 * declare a family once (name, type, help, label names) and then add values with label
 * values in the declared order; nothing per sample is an object.
 * @module
 */
import { formatFloatG } from '../../model/index.js';
import { MetricBatchError } from './errors.js';

/** MetricType is the exposition type of a family. */
export const MetricType = { counter: 'counter', gauge: 'gauge', untyped: 'untyped' } as const;
/** MetricType is the exposition type of a family. */
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

/** FamilyView is read access to one family of a batch. */
export interface FamilyView {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label names sorted by name (the order of exposition and remote write). */
  readonly labelNames: readonly string[];
  /** Number of samples. */
  readonly size: number;
  /** value returns the value of sample i. */
  value(i: number): number;
  /** labelValue returns the value of label `labelNames[j]` of sample i. */
  labelValue(i: number, j: number): string;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class Family implements FamilyView {
  readonly labelNames: readonly string[];
  /** For sorted label j, its index in the declared order. */
  readonly #perm: Int32Array;
  readonly #width: number;
  /** Values in a typed array: a plain array would turn the stale-marker NaN into the canonical NaN. */
  values = new Float64Array(8);
  count = 0;
  readonly labels: string[] = [];
  /** sortedSampleOrder's answer, kept until the next push (render, encode and staleness all ask). */
  order: readonly number[] | undefined;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly declared: readonly string[],
  ) {
    this.#width = declared.length;
    const idx = declared.map((_, i) => i).sort((a, b) => (declared[a]! < declared[b]! ? -1 : declared[a]! > declared[b]! ? 1 : 0));
    this.#perm = Int32Array.from(idx);
    this.labelNames = idx.map((i) => declared[i]!);
  }

  get size(): number {
    return this.count;
  }

  push(v: number): void {
    this.order = undefined;
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = v;
  }

  value(i: number): number {
    return this.values[i]!;
  }

  labelValue(i: number, j: number): string {
    return this.labels[i * this.#width + this.#perm[j]!]!;
  }
}

/**
 * MetricBatch collects families and samples. A family name may be declared again (by
 * another collector, or per device) with the same type and label names; the samples join
 * the first declaration. Adding the same label values twice keeps both in the batch; render
 * and encode keep the first (as client_golang refuses duplicates).
 */
export class MetricBatch {
  readonly #families: Family[] = [];
  readonly #byName = new Map<string, number>();
  #samples = 0;

  /** family declares (or finds) a family and returns its handle for add. */
  family(name: string, type: MetricType, help: string, labelNames: readonly string[] = []): number {
    const found = this.#byName.get(name);
    if (found !== undefined) {
      const f = this.#families[found]!;
      if (f.type !== type || f.declared.length !== labelNames.length || f.declared.some((n, i) => n !== labelNames[i])) {
        throw new MetricBatchError(name, `declared again with a different type or labels (${type} ${labelNames.join(',')} vs ${f.type} ${f.declared.join(',')})`);
      }
      return found;
    }
    if (!NAME_RE.test(name)) throw new MetricBatchError(name, 'invalid metric name');
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l.startsWith('__')) throw new MetricBatchError(name, `invalid label name "${l}"`);
      if (seen.has(l)) throw new MetricBatchError(name, `duplicate label name "${l}"`);
      seen.add(l);
    }
    this.#families.push(new Family(name, type, help, labelNames));
    this.#byName.set(name, this.#families.length - 1);
    return this.#families.length - 1;
  }

  /** add appends a sample; labelValues follow the declared label names. */
  add(family: number, value: number, labelValues: readonly string[] = []): void {
    const f = this.#families[family];
    if (f === undefined) throw new MetricBatchError(String(family), 'unknown family handle');
    if (labelValues.length !== f.declared.length) {
      throw new MetricBatchError(f.name, `expected ${f.declared.length} label values, got ${labelValues.length}`);
    }
    f.push(value);
    for (let i = 0; i < labelValues.length; i++) f.labels.push(labelValues[i]!);
    this.#samples++;
  }

  /** single declares a family without labels and adds its one value. */
  single(name: string, type: MetricType, help: string, value: number): void {
    this.add(this.family(name, type, help), value);
  }

  /** samples is the number of samples added. */
  get samples(): number {
    return this.#samples;
  }

  /** families lists the families in declaration order. */
  families(): readonly FamilyView[] {
    return this.#families;
  }

  /** merge appends every sample of another batch. */
  merge(other: MetricBatch): void {
    for (const f of other.families()) {
      const src = f as Family;
      const h = this.family(src.name, src.type, src.help, src.declared);
      const dst = this.#families[h]!;
      for (let i = 0; i < src.count; i++) dst.push(src.values[i]!);
      for (let i = 0; i < src.labels.length; i++) dst.labels.push(src.labels[i]!);
      this.#samples += src.count;
    }
  }
}

/**
 * sortedSampleOrder returns the sample indices of a family ordered by label values (label
 * names sorted, values compared as strings, as client_golang orders them), without
 * duplicates (the first wins). A batch's family computes it once until samples are added;
 * the array is shared, so callers must not change it.
 */
export function sortedSampleOrder(f: FamilyView): readonly number[] {
  if (f instanceof Family) return (f.order ??= computeOrder(f));
  return computeOrder(f);
}

function computeOrder(f: FamilyView): number[] {
  const n = f.size;
  const w = f.labelNames.length;
  const idx: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (w === 0) return n > 0 ? [0] : [];
  idx.sort((a, b) => compareSamples(f, a, f, b, w) || a - b);
  const out: number[] = [];
  for (const i of idx) {
    const prev = out[out.length - 1];
    if (prev !== undefined && sameLabels(f, prev, i, w)) continue;
    out.push(i);
  }
  return out;
}

/** compareSamples orders sample a of family fa against sample b of fb by their first w label values (same label names). */
export function compareSamples(fa: FamilyView, a: number, fb: FamilyView, b: number, w: number): number {
  for (let j = 0; j < w; j++) {
    const x = fa.labelValue(a, j);
    const y = fb.labelValue(b, j);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sameLabels(f: FamilyView, a: number, b: number, w: number): boolean {
  for (let j = 0; j < w; j++) if (f.labelValue(a, j) !== f.labelValue(b, j)) return false;
  return true;
}

/** renderText writes a batch in the Prometheus text format 0.0.4, families sorted by name. */
export function renderText(batch: MetricBatch): string {
  const fams = [...batch.families()].filter((f) => f.size > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: string[] = [];
  for (const f of fams) {
    parts.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    const w = f.labelNames.length;
    for (const i of sortedSampleOrder(f)) {
      let s = f.name;
      if (w > 0) {
        s += '{';
        for (let j = 0; j < w; j++) {
          if (j > 0) s += ',';
          s += `${f.labelNames[j]!}="${escapeLabel(f.labelValue(i, j))}"`;
        }
        s += '}';
      }
      parts.push(`${s} ${formatFloatG(f.value(i))}\n`);
    }
  }
  return parts.join('');
}

function escapeHelp(s: string): string {
  return s.includes('\\') || s.includes('\n') ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : s;
}

function escapeLabel(s: string): string {
  return s.includes('\\') || s.includes('\n') || s.includes('"') ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : s;
}
