/**
 * Regular expressions with capture groups for label_replace(): RE2 semantics (re2js, linear
 * time, no catastrophic backtracking), anchored like Prometheus (`^(?s:re)$`), and Go's
 * regexp.Expand rules for `$1`, `$name` and `${name}` in the replacement.
 * @module
 */
import { RE2JS } from 're2js';
import { isValidUtf8 } from './parser/index.js';

/** LabelRegex matches a whole string and returns its capture groups. */
export interface LabelRegex {
  /** match returns [whole, g1, g2, …] (undefined for unmatched groups), or undefined. */
  match(s: string): (string | undefined)[] | undefined;
  /** names maps group names to group indices. */
  readonly names: ReadonlyMap<string, number>;
}

/** compileLabelRegex compiles an anchored RE2 pattern; undefined when it does not compile. */
export function compileLabelRegex(source: string): LabelRegex | undefined {
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?s:${source})$`);
  } catch {
    return undefined;
  }
  const names = new Map<string, number>(Object.entries(re.namedGroups()));
  const count = re.groupCount();
  return {
    names,
    match(s: string) {
      const m = re.matcher(s);
      if (!m.matches()) return undefined;
      const out: (string | undefined)[] = [];
      for (let i = 0; i <= count; i++) out.push(m.group(i) ?? undefined);
      return out;
    },
  };
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** expandTemplate expands `$1`, `${1}`, `$name`, `${name}` and `$$` like Go's regexp.Expand. */
export function expandTemplate(template: string, groups: readonly (string | undefined)[], names: ReadonlyMap<string, number>): string {
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = extractName(t);
    if (ref === undefined) {
      out += '$';
      continue;
    }
    t = ref.rest;
    const idx = ref.num >= 0 ? ref.num : names.get(ref.name);
    if (idx !== undefined && idx < groups.length) out += groups[idx] ?? '';
  }
  return out + t;
}

function extractName(s: string): { name: string; num: number; rest: string } | undefined {
  if (s === '') return undefined;
  let brace = false;
  let str = s;
  if (str[0] === '{') {
    brace = true;
    str = str.slice(1);
  }
  let i = 0;
  for (const ch of str) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = str.slice(0, i);
  if (brace) {
    if (i >= str.length || str[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: str.slice(i) };
}

/** isValidLabelName tells whether a label name is valid (Prometheus 3: non-empty UTF-8). */
export function isValidLabelName(n: string): boolean {
  return n !== '' && isValidUtf8(n);
}
