/**
 * Label extraction from lines, with Loki 2.x's semantics: JSON (nested keys joined by `_`,
 * arrays skipped, numbers kept as written), JSON path parameters, logfmt (lenient or
 * `--strict`), promtail's `unpack`, and `pattern` expressions.
 * @module
 */
import { flattenJson, sanitizeKey } from '../store/index.js';

/** SetLabel receives one extracted label (name already sanitized). */
export type SetLabel = (name: string, value: string) => void;

/**
 * extractJson flattens a JSON object line into labels (`{"a":{"b":1}}` → `a_b="1"`), skipping
 * arrays and nulls; strings are unescaped, numbers and booleans kept as written. Returns false
 * when the line is not a JSON object (Loki's JSONParserErr). The store indexes JSON fields with
 * the very same code.
 */
export function extractJson(line: string, set: SetLabel): boolean {
  return flattenJson(line, set);
}

export { sanitizeKey };

/** JsonPath is a parsed parameter expression: keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/**
 * parseJsonPath parses a json parameter expression: `a.b`, `a[0]`, `a["b c"].d`, `[0]`.
 * Returns undefined for invalid syntax.
 */
export function parseJsonPath(expr: string): JsonPath | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  const s = expr.trim();
  if (s === '') return undefined;
  while (i < s.length) {
    if (s[i] === '.') {
      if (out.length === 0) return undefined;
      i++;
    }
    if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = s.slice(i + 1, close).trim();
      if (/^[0-9]+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner) || /^'(?:[^'\\]|\\.)*'$/.test(inner)) {
        try {
          out.push(inner[0] === '"' ? (JSON.parse(inner) as string) : inner.slice(1, -1));
        } catch {
          return undefined;
        }
      } else return undefined;
      i = close + 1;
      continue;
    }
    const m = /^[^.[\]]+/.exec(s.slice(i));
    if (m === null) return undefined;
    out.push(m[0]);
    i += m[0].length;
  }
  return out;
}

/**
 * jsonPathValues extracts parameter values from a JSON line: for each path, the string value,
 * the number or boolean as text, or the compact JSON of an object or array; undefined where
 * the path does not exist. Returns undefined when the line is not JSON.
 */
export function jsonPathValues(line: string, paths: readonly JsonPath[]): (string | undefined)[] | undefined {
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return undefined;
  }
  return paths.map((p) => {
    let v: unknown = root;
    for (const seg of p) {
      if (v === null || typeof v !== 'object') return undefined;
      v = typeof seg === 'number' ? (Array.isArray(v) ? v[seg] : undefined) : Array.isArray(v) ? undefined : (v as Record<string, unknown>)[seg];
      if (v === undefined) return undefined;
    }
    if (v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return JSON.stringify(v);
  });
}

/**
 * unpackJson extracts the top-level string fields of a JSON object as labels; the `_entry`
 * field, when present, becomes the new line. Returns undefined when the line is not a JSON
 * object, else the line to continue with.
 */
export function unpackJson(line: string, set: SetLabel): string | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  let entry = line;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    if (k === '_entry') entry = v;
    else set(sanitizeKey(k), v);
  }
  return entry;
}

// ---------------------------------------------------------------- logfmt

/**
 * extractLogfmt reads `key=value key="quoted value" bare` pairs. Lenient mode skips malformed
 * pairs; strict mode stops at the first one and returns its description (Loki's
 * LogfmtParserErr). Returns undefined on success.
 */
export function extractLogfmt(line: string, set: SetLabel, strict: boolean, keepEmpty: boolean): string | undefined {
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const ks = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c <= 32 || c === 61 || c === 34) break;
      i++;
    }
    const key = line.slice(ks, i);
    if (key === '') {
      // '=' or '"' where a key should start.
      if (strict) return `logfmt syntax error at pos ${i + 1} : unexpected '${line[i]}'`;
      while (i < n && line.charCodeAt(i) > 32) i++;
      continue;
    }
    let value = '';
    if (i < n && line.charCodeAt(i) === 61) {
      i++;
      if (i < n && line.charCodeAt(i) === 34) {
        const qs = i;
        i++;
        let esc = false;
        while (i < n && line.charCodeAt(i) !== 34) {
          if (line.charCodeAt(i) === 92) {
            esc = true;
            i++;
          }
          i++;
        }
        if (i >= n) {
          if (strict) return `logfmt syntax error at pos ${qs + 1} : unterminated quoted value`;
          break;
        }
        i++;
        const raw = line.slice(qs, i);
        if (!esc) value = raw.slice(1, -1);
        else {
          try {
            value = JSON.parse(raw) as string;
          } catch {
            value = raw.slice(1, -1).replace(/\\(.)/g, '$1');
          }
        }
      } else {
        const vs = i;
        let bad = false;
        while (i < n && line.charCodeAt(i) > 32) {
          const c = line.charCodeAt(i);
          if (c === 34 || c === 61) bad = true;
          i++;
        }
        if (bad) {
          if (strict) return `logfmt syntax error at pos ${vs + 1} : unexpected character in value`;
          continue;
        }
        value = line.slice(vs, i);
      }
    }
    if (value === '' && !keepEmpty) continue;
    const name = sanitizeKey(key);
    if (name !== '') set(name, value);
  }
  return undefined;
}

// ---------------------------------------------------------------- pattern

/** PatternPart is a literal or a capture (`name` '_' for unnamed). */
export type PatternPart = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'capture'; readonly name: string };

/** compilePattern splits a pattern expression into literals and `<name>` captures. */
export function compilePattern(p: string): PatternPart[] {
  const parts: PatternPart[] = [];
  const re = /<(_|[a-zA-Z_][a-zA-Z0-9_]*)>/g;
  let last = 0;
  for (let m = re.exec(p); m !== null; m = re.exec(p)) {
    if (m.index > last) parts.push({ kind: 'literal', text: p.slice(last, m.index) });
    parts.push({ kind: 'capture', name: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < p.length) parts.push({ kind: 'literal', text: p.slice(last) });
  return parts;
}

/**
 * matchPattern applies a compiled pattern: a leading literal must start the line; each capture
 * runs to the next literal, or to the end of the line when that literal is missing (then
 * matching stops). Calls `set` for named captures; returns false when nothing matched.
 */
export function matchPattern(parts: readonly PatternPart[], line: string, set: SetLabel): boolean {
  if (line === '' || parts.length === 0) return false;
  let k = 0;
  let pos = 0;
  const first = parts[0]!;
  if (first.kind === 'literal') {
    if (!line.startsWith(first.text)) return false;
    pos = first.text.length;
    k = 1;
  }
  if (k >= parts.length) return false;
  while (k < parts.length) {
    const cap = parts[k] as { kind: 'capture'; name: string };
    if (k + 1 >= parts.length) {
      if (cap.name !== '_') set(cap.name, line.slice(pos));
      return true;
    }
    const lit = parts[k + 1] as { kind: 'literal'; text: string };
    k += 2;
    const i = line.indexOf(lit.text, pos);
    if (i < 0) {
      if (cap.name !== '_') set(cap.name, line.slice(pos));
      return true;
    }
    if (cap.name !== '_') set(cap.name, line.slice(pos, i));
    pos = i + lit.text.length;
  }
  return true;
}
