/**
 * JSON as Prometheus's API writes it, byte for byte: Go's string escaping (HTML characters,
 * U+2028/U+2029 and invalid UTF-16 escaped), Go's float layout for scalar and string results,
 * and a streaming encoder of query results that hands out chunks of bounded size so a huge
 * matrix never becomes one giant string.
 * @module
 */
import type { Labels } from '../model/index.js';
import { formatFloatE, type Value } from '../promql/index.js';

// Characters Go's encoding/json (and jsoniter in its standard-library mode) escape.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

const HEX = '0123456789abcdef';

/**
 * goString renders s as a JSON string literal exactly like Go's encoding/json: `<`, `>`, `&`,
 * U+2028 and U+2029 as `\u` escapes, control characters other than `\n`, `\r`, `\t` as
 * `\u00XX`, and an unpaired surrogate (invalid UTF-8 in Go) as `\ufffd`.
 */
export function goString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : '\\u00' + HEX[c >> 4]! + HEX[c & 15]!;
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c === 0x3c) rep = '\\u003c';
    else if (c === 0x3e) rep = '\\u003e';
    else if (c === 0x26) rep = '\\u0026';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair stays as is
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep === undefined) continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/**
 * goFloat renders a finite number as Go's encoding/json does (shortest digits, exponent
 * below 1e-6 and from 1e21): the layout of the timestamps in scalar and string results.
 */
export function goFloat(v: number): string {
  if (Object.is(v, -0)) return '-0';
  // JavaScript's Number→string uses the same shortest digits and the same thresholds; only
  // Go's two-digit positive exponents ("1e+21") match JS already, negative ones are "1e-7" in both.
  return String(v);
}

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
export function labelsObject(l: Labels): string {
  let s = '{';
  const n = l.length;
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += goString(l.nameAt(i)) + ':' + goString(l.valueAt(i));
  }
  return s + '}';
}

/**
 * sampleValue formats a sample value as Prometheus's API does (Go's 'f' layout with the
 * shortest digits, 'e' below 1e-6 and from 1e21, +Inf/-Inf/NaN). In the 'f' range JavaScript's
 * own number formatting produces the same text, and is several times faster.
 */
export function sampleValue(v: number): string {
  const a = v < 0 ? -v : v;
  if (a >= 1e-6 && a < 1e21) return String(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (v !== v) return 'NaN';
  if (a === Infinity) return v > 0 ? '+Inf' : '-Inf';
  return formatFloatE(v);
}

/** sampleTime formats a timestamp (ms) as Prometheus's API does: seconds, 3 decimals when not whole. */
export function sampleTime(t: number): string {
  if (t % 1000 === 0) return String(t / 1000);
  const neg = t < 0;
  const a = neg ? -t : t;
  const sec = Math.floor(a / 1000);
  const ms = Math.trunc(a - sec * 1000);
  return (neg ? '-' : '') + sec + (ms < 10 ? '.00' : ms < 100 ? '.0' : '.') + ms;
}

/** CHUNK_CHARS is the size at which the streaming encoders hand out a chunk. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * valueChunks encodes a query result as the `data` object of /api/v1/query and
 * /api/v1/query_range (`{"resultType":…,"result":…}`), yielding chunks of about
 * CHUNK_CHARS characters. `limit` > 0 keeps only the first `limit` series of a vector or
 * matrix (the caller adds the truncation warning).
 */
export function* valueChunks(v: Value, limit = 0): Generator<string, void, undefined> {
  switch (v.kind) {
    case 'scalar':
      yield `{"resultType":"scalar","result":[${goFloat(v.t / 1000)},"${sampleValue(v.v)}"]}`;
      return;
    case 'string':
      yield `{"resultType":"string","result":[${goFloat(v.t / 1000)},${goString(v.v)}]}`;
      return;
    case 'vector': {
      let buf = '{"resultType":"vector","result":[';
      const n = limit > 0 ? Math.min(limit, v.samples.length) : v.samples.length;
      for (let i = 0; i < n; i++) {
        const s = v.samples[i]!;
        if (i > 0) buf += ',';
        buf += `{"metric":${labelsObject(s.labels)},"value":[${sampleTime(s.t)},"${sampleValue(s.f)}"]}`;
        if (buf.length >= CHUNK_CHARS) {
          yield buf;
          buf = '';
        }
      }
      yield buf + ']}';
      return;
    }
    case 'matrix': {
      let buf = '{"resultType":"matrix","result":[';
      const n = limit > 0 ? Math.min(limit, v.series.length) : v.series.length;
      for (let i = 0; i < n; i++) {
        const s = v.series[i]!;
        if (i > 0) buf += ',';
        buf += `{"metric":${labelsObject(s.labels)},"values":[`;
        const ts = s.ts;
        const vs = s.vs;
        for (let j = 0; j < ts.length; j++) {
          if (j > 0) buf += ',';
          buf += '[' + sampleTime(ts[j]!) + ',"' + sampleValue(vs[j]!) + '"]';
          if (buf.length >= CHUNK_CHARS) {
            yield buf;
            buf = '';
          }
        }
        buf += ']}';
      }
      yield buf + ']}';
      return;
    }
  }
}

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
