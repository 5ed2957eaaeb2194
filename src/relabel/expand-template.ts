/**
 * Replacement templates with the exact semantics of Go's regexp.Expand, which Prometheus uses
 * for `replacement` and `target_label`: `$$` is a literal dollar, `$name` takes the longest run
 * of letters, digits and underscores as the name (so `$1x` names group "1x", which is empty),
 * `${name}` delimits it, a number names a group by index, and a malformed reference is kept as
 * a literal `$`.
 * @module
 */

/** Template is a parsed replacement: literal text and group references. */
export type Template = readonly TemplatePart[];

/** TemplatePart is one literal run or one group reference of a Template. */
export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'name'; readonly name: string };

// Go's unicode.IsLetter, unicode.IsDigit (Nd) and '_'. A fixed pattern, not user input.
const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** parseTemplate splits a Go regexp.Expand template into parts. */
export function parseTemplate(template: string): Template {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    lit += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      lit += '$';
      i++;
      continue;
    }
    const ref = extractRef(template, i);
    if (ref === undefined) {
      lit += '$';
      continue;
    }
    if (lit !== '') parts.push({ kind: 'literal', text: lit });
    lit = '';
    parts.push(ref.part);
    i = ref.end;
  }
  lit += template.slice(i);
  if (lit !== '') parts.push({ kind: 'literal', text: lit });
  return parts;
}

function extractRef(s: string, start: number): { part: TemplatePart; end: number } | undefined {
  let i = start;
  const brace = s[i] === '{';
  if (brace) i++;
  const nameStart = i;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === nameStart) return undefined;
  const name = s.slice(nameStart, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x30 || c > 0x39 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 0x30);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { part: num >= 0 ? { kind: 'index', index: num } : { kind: 'name', name }, end: i };
}

/**
 * expandTemplate fills a template from a match: `groups[i]` is group i's text (null when the
 * group did not take part), `names` maps group names to indexes.
 */
export function expandTemplate(
  template: Template,
  groups: readonly (string | null)[],
  names: Readonly<Record<string, number>>,
): string {
  let out = '';
  for (const p of template) {
    switch (p.kind) {
      case 'literal':
        out += p.text;
        break;
      case 'index':
        out += groups[p.index] ?? '';
        break;
      case 'name': {
        const idx = Object.hasOwn(names, p.name) ? names[p.name] : undefined;
        if (idx !== undefined) out += groups[idx] ?? '';
        break;
      }
    }
  }
  return out;
}
