/**
 * JSON as Prometheus's API writes it, byte for byte. The string escaping, float layouts and the
 * streaming encoder of query results are the engine's (promql's json module), shared so the two
 * can never disagree; this module adds the API's plain-data encoder.
 * @module
 */
import {
  CHUNK_CHARS,
  type Value,
  formatSampleValue,
  formatTimestamp,
  goFloat,
  goString,
  labelsJSON,
  valueChunks,
} from '../promql/index.js';

export { CHUNK_CHARS, goFloat, goString, valueChunks };

/** goStringArray renders a list of strings as a JSON array with Go's escaping. */
export function goStringArray(list: readonly string[]): string {
  let s = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) s += ',';
    s += goString(list[i]!);
  }
  return s + ']';
}

/** labelsObject renders a label set as a JSON object in label-name order, Go-escaped. */
export const labelsObject = labelsJSON;

/** sampleValue formats a vector or matrix sample value as Prometheus's API does. */
export const sampleValue = formatSampleValue;

/** sampleTime formats a point's timestamp (ms) as Prometheus's API does: seconds, 3 decimals when not whole. */
export const sampleTime = formatTimestamp;

/** seriesCount returns how many series a vector or matrix holds (0 for scalars and strings). */
export function seriesCount(v: Value): number {
  return v.kind === 'vector' ? v.samples.length : v.kind === 'matrix' ? v.series.length : 0;
}

/** JsonValue is plain data goJSON can render. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue | undefined };

/**
 * goJSON renders plain data like Go's encoding/json renders a struct: keys in the order
 * given (undefined fields left out), strings Go-escaped, numbers in Go's float layout.
 */
export function goJSON(v: JsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goString(v);
    case 'number':
      return Number.isFinite(v) ? goFloat(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Array.isArray(v)) return '[' + (v as readonly JsonValue[]).map(goJSON).join(',') + ']';
  let s = '{';
  for (const [k, x] of Object.entries(v as { readonly [k: string]: JsonValue | undefined })) {
    if (x === undefined) continue;
    if (s.length > 1) s += ',';
    s += goString(k) + ':' + goJSON(x);
  }
  return s + '}';
}

/** joinJSON wraps already-encoded JSON values into an array. */
export function joinJSON(parts: readonly string[]): string {
  return '[' + parts.join(',') + ']';
}
