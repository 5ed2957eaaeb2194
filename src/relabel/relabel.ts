/**
 * Applying relabel_configs to a label set, step by step as Prometheus 2.42 does.
 * @module
 */
import { createHash } from 'node:crypto';
import { Labels, LabelsBuilder, assertNever } from '../model/index.js';
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
 * step dropped the set. Each step sees the labels the previous one produced.
 */
export function relabel(lset: Labels, cfgs: readonly RelabelConfig[]): Labels | undefined {
  const lb = new LabelsBuilder(lset);
  let cur = lset;
  for (const cfg of cfgs) {
    const next = relabelStep(cur, cfg, lb);
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

function sourceValue(lset: Labels, cfg: RelabelConfig): string {
  const names = cfg.sourceLabels;
  if (names.length === 0) return '';
  if (names.length === 1) return lset.get(names[0]!);
  let val = lset.get(names[0]!);
  for (let i = 1; i < names.length; i++) val += cfg.separator + lset.get(names[i]!);
  return val;
}

function relabelStep(lset: Labels, cfg: RelabelConfig, lb: LabelsBuilder): Labels | undefined {
  const val = sourceValue(lset, cfg);
  lb.reset(lset);
  switch (cfg.action) {
    case 'drop':
      if (cfg.regex.test(val)) return undefined;
      return lset;
    case 'keep':
      if (!cfg.regex.test(val)) return undefined;
      return lset;
    case 'dropequal':
      if (lset.get(cfg.targetLabel) === val) return undefined;
      return lset;
    case 'keepequal':
      if (lset.get(cfg.targetLabel) !== val) return undefined;
      return lset;
    case 'replace': {
      const groups = cfg.regex.match(val);
      if (groups === undefined) return lset;
      const names = cfg.regex.groupNames;
      const target = expandTemplate(template(cfg.targetLabel), groups, names);
      // Prometheus 2.42 deletes the label named by the unexpanded target_label in both cases.
      if (!isValidLabelName(target)) {
        lb.del(cfg.targetLabel);
        break;
      }
      const res = expandTemplate(template(cfg.replacement), groups, names);
      if (res === '') {
        lb.del(cfg.targetLabel);
        break;
      }
      lb.set(target, res);
      break;
    }
    case 'lowercase':
      lb.set(cfg.targetLabel, goToLower(val));
      break;
    case 'uppercase':
      lb.set(cfg.targetLabel, goToUpper(val));
      break;
    case 'hashmod':
      lb.set(cfg.targetLabel, hashMod(val, cfg.modulus).toString());
      break;
    case 'labelmap': {
      const tpl = template(cfg.replacement);
      const names = cfg.regex.groupNames;
      lset.forEach((name, value) => {
        const groups = cfg.regex.test(name) ? cfg.regex.match(name) : undefined;
        if (groups !== undefined) lb.set(expandTemplate(tpl, groups, names), value);
      });
      break;
    }
    case 'labeldrop':
      lset.forEach((name) => {
        if (cfg.regex.test(name)) lb.del(name);
      });
      break;
    case 'labelkeep':
      lset.forEach((name) => {
        if (!cfg.regex.test(name)) lb.del(name);
      });
      break;
    default:
      return assertNever(cfg.action, 'relabel action');
  }
  return lb.labels();
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
