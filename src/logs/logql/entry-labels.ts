/**
 * EntryLabels: the labels of one entry while it runs through a pipeline. It starts from the
 * stream's labels and records changes, so an entry that no stage touches costs nothing, and
 * the final label set is built (and cached per distinct set) only when a result needs it.
 * @module
 */
import { Labels } from '../../model/index.js';

/** The label holding a pipeline error, and the one holding its details, as in Loki. */
export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';

/** Loki's error label values. */
export const PipelineError = {
  Json: 'JSONParserErr',
  Logfmt: 'LogfmtParserErr',
  LabelFilter: 'LabelFilterErr',
  SampleExtraction: 'SampleExtractionErr',
  TemplateFormat: 'TemplateFormatErr',
} as const;

/** EntryLabels is a mutable view of an entry's labels: stream labels plus changes. */
export class EntryLabels {
  #base: Labels = Labels.EMPTY;
  readonly #set = new Map<string, string>();
  readonly #del = new Set<string>();
  #dirty = false;

  /** reset starts over for a new entry of the stream with labels `base`. */
  reset(base: Labels): void {
    this.#base = base;
    if (this.#dirty) {
      this.#set.clear();
      this.#del.clear();
      this.#dirty = false;
    }
  }

  /** base is the stream's label set. */
  get base(): Labels {
    return this.#base;
  }

  /** isUnchanged tells whether no stage changed the labels. */
  get isUnchanged(): boolean {
    return !this.#dirty;
  }

  /** baseHas tells whether the stream itself has the label (Loki's rule for `_extracted`). */
  baseHas(name: string): boolean {
    return this.#base.has(name);
  }

  /** get returns a label's value, or undefined when absent. */
  get(name: string): string | undefined {
    if (this.#dirty) {
      const v = this.#set.get(name);
      if (v !== undefined) return v;
      if (this.#del.has(name)) return undefined;
    }
    const b = this.#base.get(name);
    return b === '' ? undefined : b;
  }

  /** has tells whether a label is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** set sets a label ('' removes it, as an empty value means absent). */
  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    this.#dirty = true;
    this.#set.set(name, value);
    this.#del.delete(name);
  }

  /** setExtracted sets a parsed label, renaming it `<name>_extracted` when the stream has that label. */
  setExtracted(name: string, value: string): void {
    this.set(this.#base.has(name) ? name + '_extracted' : name, value);
  }

  /** del removes a label. */
  del(name: string): void {
    this.#dirty = true;
    this.#set.delete(name);
    if (this.#base.has(name)) this.#del.add(name);
  }

  /** hasErr tells whether a pipeline error was recorded. */
  hasErr(): boolean {
    return this.#dirty && this.#set.has(ERROR_LABEL);
  }

  /** setErr records a pipeline error (the first one wins, as in Loki). */
  setErr(err: string, details?: string): void {
    if (this.hasErr()) return;
    this.set(ERROR_LABEL, err);
    if (details !== undefined && details !== '') this.set(ERROR_DETAILS_LABEL, details);
  }

  /** forEach visits the current labels in no particular order. */
  forEach(fn: (name: string, value: string) => void): void {
    this.#base.forEach((n, v) => {
      if (this.#dirty && (this.#del.has(n) || this.#set.has(n))) return;
      fn(n, v);
    });
    if (this.#dirty) for (const [n, v] of this.#set) fn(n, v);
  }

  /** names lists the current label names. */
  names(): string[] {
    const out: string[] = [];
    this.forEach((n) => out.push(n));
    return out;
  }

  /** toRecord returns the labels as a plain object (template data). */
  toRecord(): Record<string, string> {
    const o: Record<string, string> = {};
    this.forEach((n, v) => {
      o[n] = v;
    });
    return o;
  }

  /** labels returns the current label set; `cache` maps change keys to label sets already built. */
  labels(cache?: Map<string, Labels>): Labels {
    if (!this.#dirty) return this.#base;
    let key = '';
    if (cache !== undefined) {
      for (const n of this.#del) key += '-' + n.length + ':' + n;
      for (const [n, v] of this.#set) key += '+' + n.length + ':' + n + v.length + ':' + v;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
    }
    const nv: string[] = [];
    this.forEach((n, v) => nv.push(n, v));
    const l = Labels.fromStrings(...nv);
    if (cache !== undefined) {
      if (cache.size > 100_000) cache.clear();
      cache.set(key, l);
    }
    return l;
  }
}

/** withFields returns stream labels extended by an entry's structured fields (stream labels win). */
export function withFields(base: Labels, fields: Readonly<Record<string, string>>): Labels {
  const nv: string[] = [...base.pairs()];
  for (const k of Object.keys(fields)) if (!base.has(k)) nv.push(k, fields[k]!);
  return Labels.fromStrings(...nv);
}
