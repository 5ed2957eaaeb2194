/**
 * Applying relabel_configs to a label set, step by step as Prometheus 2.42 does.
 * @module
 */
import { createHash } from 'node:crypto';
import { Labels, assertNever } from '../model/index.js';
import { expandTemplate, parseTemplate } from './expand-template.js';
import type { Template } from './expand-template.js';
import { isValidLabelName } from './label-name.js';
import type { RelabelConfig } from './relabel-config.js';

const templates = new Map<string, Template>();

function template(s: string): Template {
  let t = templates.get(s);
  if (t === undefined) {
    t = parseTemplate(s);
    if (templates.size > 10_000) templates.clear();
    templates.set(s, t);
  }
  return t;
}

/**
 * relabel applies the configs in order and returns the resulting labels, or undefined when a
 * step dropped the set. Each step sees the labels the previous one produced. The input is
 * returned as is when no step changed it.
 */
export function relabel(lset: Labels, cfgs: readonly RelabelConfig[]): Labels | undefined {
  const work = new WorkingSet(lset);
  for (const cfg of cfgs) {
    if (!relabelStep(work, cfg)) return undefined;
  }
  return work.result();
}

// WorkingSet is a sorted flat [name, value, …] array edited in place, copied from the input on
// the first change, so a chain of steps costs no rebuild or sort per step.
class WorkingSet {
  readonly #input: Labels;
  #nv: string[] | undefined;

  constructor(input: Labels) {
    this.#input = input;
  }

  get(name: string): string {
    const nv = this.#nv;
    if (nv === undefined) return this.#input.get(name);
    const i = this.#find(nv, name);
    return i >= 0 ? nv[i + 1]! : '';
  }

  // find returns the index of name, or -(insertion index) - 1.
  #find(nv: readonly string[], name: string): number {
    let lo = 0;
    let hi = nv.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const n = nv[2 * mid]!;
      if (n === name) return 2 * mid;
      if (n < name) lo = mid + 1;
      else hi = mid;
    }
    return -(2 * lo) - 1;
  }

  #own(): string[] {
    if (this.#nv === undefined) this.#nv = this.#input.pairs().slice();
    return this.#nv;
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    if (this.#nv === undefined && this.#input.get(name) === value) return;
    const nv = this.#own();
    const i = this.#find(nv, name);
    if (i >= 0) nv[i + 1] = value;
    else nv.splice(-i - 1, 0, name, value);
  }

  del(name: string): void {
    if (this.#nv === undefined && !this.#input.has(name)) return;
    const nv = this.#own();
    const i = this.#find(nv, name);
    if (i >= 0) nv.splice(i, 2);
  }

  // snapshot returns the current pairs; callers may edit the set while iterating it.
  snapshot(): readonly string[] {
    return this.#nv === undefined ? this.#input.pairs() : this.#nv.slice();
  }

  result(): Labels {
    return this.#nv === undefined ? this.#input : Labels.fromSortedPairs(this.#nv);
  }
}

function sourceValue(work: WorkingSet, cfg: RelabelConfig): string {
  const names = cfg.sourceLabels;
  if (names.length === 0) return '';
  if (names.length === 1) return work.get(names[0]!);
  let val = work.get(names[0]!);
  for (let i = 1; i < names.length; i++) val += cfg.separator + work.get(names[i]!);
  return val;
}

function relabelStep(work: WorkingSet, cfg: RelabelConfig): boolean {
  const val = sourceValue(work, cfg);
  switch (cfg.action) {
    case 'drop':
      return !cfg.regex.test(val);
    case 'keep':
      return cfg.regex.test(val);
    case 'dropequal':
      return work.get(cfg.targetLabel) !== val;
    case 'keepequal':
      return work.get(cfg.targetLabel) === val;
    case 'replace': {
      const groups = cfg.regex.match(val);
      if (groups === undefined) return true;
      const names = cfg.regex.groupNames;
      const target = expandTemplate(template(cfg.targetLabel), groups, names);
      // Prometheus 2.42 deletes the label named by the unexpanded target_label in both cases.
      if (!isValidLabelName(target)) {
        work.del(cfg.targetLabel);
        return true;
      }
      const res = expandTemplate(template(cfg.replacement), groups, names);
      if (res === '') work.del(cfg.targetLabel);
      else work.set(target, res);
      return true;
    }
    case 'lowercase':
      work.set(cfg.targetLabel, goToLower(val));
      return true;
    case 'uppercase':
      work.set(cfg.targetLabel, goToUpper(val));
      return true;
    case 'hashmod':
      work.set(cfg.targetLabel, hashMod(val, cfg.modulus).toString());
      return true;
    case 'labelmap': {
      const tpl = template(cfg.replacement);
      const names = cfg.regex.groupNames;
      const nv = work.snapshot();
      for (let i = 0; i < nv.length; i += 2) {
        const name = nv[i]!;
        if (!cfg.regex.test(name)) continue;
        const groups = cfg.regex.match(name);
        if (groups !== undefined) work.set(expandTemplate(tpl, groups, names), nv[i + 1]!);
      }
      return true;
    }
    case 'labeldrop':
    case 'labelkeep': {
      const keep = cfg.action === 'labelkeep';
      const nv = work.snapshot();
      for (let i = 0; i < nv.length; i += 2) if (cfg.regex.test(nv[i]!) !== keep) work.del(nv[i]!);
      return true;
    }
    default:
      return assertNever(cfg.action, 'relabel action');
  }
}

/**
 * hashMod is Prometheus's hashmod: the MD5 of the value, its last 8 bytes read as a big-endian
 * unsigned 64-bit integer, modulo `modulus`.
 */
export function hashMod(value: string, modulus: number): number {
  const h = createHash('md5').update(value, 'utf8').digest();
  const hi = h.readUInt32BE(8);
  const lo = h.readUInt32BE(12);
  if (modulus <= 0x200000) {
    // (hi mod m) * 2^32 < 2^53, so this stays exact without BigInt.
    return (((hi % modulus) * 0x100000000) + lo) % modulus;
  }
  return Number(((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(modulus));
}

// Go's strings.ToLower/ToUpper map each code point on its own (no locale, no special casing
// that changes length), so non-ASCII input is mapped code point by code point.
function goToLower(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  return mapCodePoints(s, (c) => c.toLowerCase());
}

function goToUpper(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toUpperCase();
  return mapCodePoints(s, (c) => c.toUpperCase());
}

function mapCodePoints(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    // An expanding mapping (ß → SS) has no single-rune form in Go, which keeps the rune; the
    // one exception Go's tables make is İ → i.
    if (m.length === 1 || (m.length === 2 && m.codePointAt(0)! > 0xffff)) out += m;
    else out += c === '\u0130' ? 'i' : c;
  }
  return out;
}
