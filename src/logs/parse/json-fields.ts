/**
 * Flattening parsed JSON into string fields the way LogQL's `| json` names them: nested
 * object keys joined with `_`, names made label-safe, arrays skipped.
 * @module
 */
import { sanitizeFieldName } from './parse-context.js';

const MAX_DEPTH = 8;

/**
 * flattenJson copies the scalar members of `obj` into `out` as strings: nested objects become
 * `parent_child`, numbers and booleans their JSON text, null and arrays are skipped (as LogQL's
 * json parser does). Keys in `skip` (top level only) are left out.
 */
export function flattenJson(obj: Readonly<Record<string, unknown>>, out: Record<string, string>, skip?: ReadonlySet<string>, prefix = '', depth = 0): void {
  for (const k of Object.keys(obj)) {
    if (depth === 0 && skip?.has(k)) continue;
    const v = obj[k];
    const name = prefix === '' ? sanitizeFieldName(k) : prefix + '_' + sanitizeFieldName(k);
    if (typeof v === 'string') out[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = String(v);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
      flattenJson(v as Record<string, unknown>, out, undefined, name, depth + 1);
    }
  }
}
