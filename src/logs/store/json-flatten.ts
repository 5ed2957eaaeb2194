/**
 * JSON flattening with the semantics of LogQL's `| json` parser (Loki 2.x): nested objects'
 * keys joined by `_`, arrays and nulls skipped, strings unescaped, numbers and booleans kept as
 * written, keys sanitized to label names. Kept here, as JavaScript source, because the store's
 * workers use it at ingest to index JSON fields (json-index.ts) and LogQL uses it at query time:
 * both must extract exactly the same labels.
 * @module
 */

/**
 * JSON_KERNEL defines `sanitizeKey(key)` and `flattenJson(line, set)`; the latter calls
 * `set(name, value)` per field and returns false when the line is not a JSON object.
 */
export const JSON_KERNEL = `
const jsonKeyCache = new Map();
function sanitizeKey(key) {
  const hit = jsonKeyCache.get(key);
  if (hit !== undefined) return hit;
  let k = key.trim();
  if (k === '') return '';
  let out = k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57 ? '_' : '';
  let clean = true;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) { clean = false; break; }
  }
  if (!clean) k = k.replace(/[^A-Za-z0-9_]/g, '_');
  out += k;
  if (jsonKeyCache.size > 10000) jsonKeyCache.clear();
  jsonKeyCache.set(key, out);
  return out;
}
function sanitizeNested(key) {
  const k = key.trim();
  return /^[A-Za-z0-9_]*$/.test(k) ? k : k.replace(/[^A-Za-z0-9_]/g, '_');
}
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
function flattenJson(s, set) {
  let i = 0;
  let ok = true;
  const n = s.length;
  const ws = () => {
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const str = () => {
    const start = i + 1;
    let j = start;
    let esc = false;
    for (;;) {
      const c = s.charCodeAt(j);
      if (c !== c) { ok = false; return ''; }
      if (c === 34) break;
      if (c === 92) { esc = true; j += 2; continue; }
      j++;
    }
    i = j + 1;
    if (!esc) return s.slice(start, j);
    try { return JSON.parse(s.slice(start - 1, j + 1)); } catch { ok = false; return ''; }
  };
  const scalar = () => {
    const start = i;
    let j = start;
    for (;;) {
      const c = s.charCodeAt(j);
      if (c !== c || c === 44 || c === 125 || c === 93 || c === 32 || c === 9 || c === 10 || c === 13) break;
      j++;
    }
    i = j;
    const t = s.slice(start, j);
    if (t === '' || !(t === 'true' || t === 'false' || t === 'null' || JSON_NUMBER.test(t))) ok = false;
    return t;
  };
  const skip = () => {
    const c = s.charCodeAt(i);
    if (c === 34) { str(); return; }
    if (c === 123 || c === 91) {
      let depth = 0;
      for (; i < n; i++) {
        const d = s.charCodeAt(i);
        if (d === 34) { str(); if (!ok) return; i--; }
        else if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) { depth--; if (depth === 0) { i++; return; } }
      }
      ok = false;
      return;
    }
    scalar();
  };
  const object = (prefix) => {
    i++;
    ws();
    if (s.charCodeAt(i) === 125) { i++; return; }
    for (;;) {
      ws();
      if (s.charCodeAt(i) !== 34) { ok = false; return; }
      const key = str();
      if (!ok) return;
      ws();
      if (s.charCodeAt(i) !== 58) { ok = false; return; }
      i++;
      ws();
      const c = s.charCodeAt(i);
      const name = prefix === '' ? sanitizeKey(key) : prefix + sanitizeNested(key);
      if (c === 34) set(name, str());
      else if (c === 123) object(name + '_');
      else if (c === 91) skip();
      else { const v = scalar(); if (ok && v !== 'null') set(name, v); }
      if (!ok) return;
      ws();
      const d = s.charCodeAt(i);
      if (d === 44) { i++; continue; }
      if (d === 125) { i++; return; }
      ok = false;
      return;
    }
  };
  ws();
  if (s.charCodeAt(i) !== 123) return false;
  object('');
  return ok;
}
`;

interface JsonKernel {
  sanitizeKey(key: string): string;
  flattenJson(line: string, set: (name: string, value: string) => void): boolean;
}

const kernel = new Function(`${JSON_KERNEL}\nreturn { sanitizeKey, flattenJson };`)() as JsonKernel;

/**
 * sanitizeKey turns a key into a label name as Loki does: trimmed, every character outside
 * [A-Za-z0-9_] replaced by `_`, and `_` prefixed when it starts with a digit.
 */
export function sanitizeKey(key: string): string {
  return kernel.sanitizeKey(key);
}

/**
 * flattenJson extracts the fields of a JSON object line as `| json` does, calling `set` per
 * field; returns false when the line is not a JSON object (Loki's JSONParserErr).
 */
export function flattenJson(line: string, set: (name: string, value: string) => void): boolean {
  return kernel.flattenJson(line, set);
}
