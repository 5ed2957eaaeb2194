/**
 * JSON encoding of query results exactly as Prometheus's HTTP API writes them (checked against
 * Prometheus 2.42): vector and matrix points as `[1.500,"v"]` — timestamps in seconds with
 * three decimals unless whole, values as Go's shortest 'f' layout, or 'e' with a two-digit
 * exponent below 1e-6 and from 1e21 (jsoniter's float layout) — while scalar and string results
 * go through Go's encoding/json: `[1.5,"v"]` with the value always in 'f' layout (1e300 is a 1
 * and 300 zeros). Strings and labels are escaped as Go escapes them. Large results are handed
 * out in chunks of bounded size, so a huge matrix never becomes one giant string.
 * @module
 */
import { type Labels, formatFloatF } from '../model/index.js';
import type { Value } from './value.js';

/** formatTimestamp writes t (ms) as Prometheus's API does in points: `1435781451.781`, `-1.5` → `-1.500`. */
export function formatTimestamp(t: number): string {
  if (t % 1000 === 0) return String(t / 1000);
  const neg = t < 0;
  const a = neg ? -t : t;
  const sec = Math.floor(a / 1000);
  const ms = Math.trunc(a - sec * 1000);
  return (neg ? '-' : '') + sec + (ms < 10 ? '.00' : ms < 100 ? '.0' : '.') + ms;
}

/**
 * formatSampleValue writes a sample value of a vector or matrix as Prometheus's API does: Go's
 * 'f' layout with the shortest digits, 'e' below 1e-6 and from 1e21, `+Inf`, `-Inf`, `NaN`. In
 * the 'f' range JavaScript's own number formatting yields the same text, and is much faster.
 */
export function formatSampleValue(v: number): string {
  const a = v < 0 ? -v : v;
  if (a >= 1e-6 && a < 1e21) return String(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (v !== v) return 'NaN';
  if (a === Infinity) return v > 0 ? '+Inf' : '-Inf';
  return formatFloatE(v);
}

/** formatScalarValue writes a scalar result's value as Prometheus does: always Go's 'f' layout. */
export function formatScalarValue(v: number): string {
  return formatFloatF(v);
}

/** formatFloatE formats like Go's strconv.FormatFloat(v, 'e', -1, 64): `1e-07`, `1.5e+300`. */
export function formatFloatE(v: number): string {
  const s = v.toExponential();
  const i = s.indexOf('e');
  const mant = s.slice(0, i);
  const exp = Number(s.slice(i + 1));
  const ea = Math.abs(exp);
  return `${mant}e${exp < 0 ? '-' : '+'}${ea < 10 ? '0' : ''}${ea}`;
}

/**
 * goFloat renders a finite number as Prometheus's JSON encoder (jsoniter) renders a float64:
 * shortest digits, 'e' layout with a two-digit exponent below 1e-6 and from 1e21. Scalar and
 * string result timestamps, stats timings and other numeric fields use it.
 */
export function goFloat(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = v < 0 ? -v : v;
  if (a >= 1e-6 && a < 1e21) return String(v);
  return formatFloatE(v);
}

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

/** labelsJSON writes labels as a JSON object in name order, Go-escaped. */
export function labelsJSON(l: Labels): string {
  let s = '{';
  const n = l.length;
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += goString(l.nameAt(i)) + ':' + goString(l.valueAt(i));
  }
  return s + '}';
}

/** CHUNK_CHARS is the size at which valueChunks hands out a chunk. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * valueChunks encodes a query result as the `data` object of /api/v1/query and
 * /api/v1/query_range (`{"resultType":…,"result":…}`), yielding chunks of about CHUNK_CHARS
 * characters. `limit` > 0 keeps only the first `limit` series of a vector or matrix.
 */
export function* valueChunks(v: Value, limit = 0): Generator<string, void, undefined> {
  switch (v.kind) {
    case 'scalar':
      yield `{"resultType":"scalar","result":[${goFloat(v.t / 1000)},"${formatScalarValue(v.v)}"]}`;
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
        buf += `{"metric":${labelsJSON(s.labels)},"value":[${formatTimestamp(s.t)},"${formatSampleValue(s.f)}"]}`;
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
      // The series of a range query share the step timestamps: their `[t,"` prefixes are
      // formatted once, by position, and reused while the timestamps agree.
      const prefixT: number[] = [];
      const prefix: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = v.series[i]!;
        if (i > 0) buf += ',';
        buf += `{"metric":${labelsJSON(s.labels)},"values":[`;
        const ts = s.ts;
        const vs = s.vs;
        // A value equal to the previous one (not ±0, whose signs differ) reuses its text.
        let prevV = NaN;
        let prevS = '';
        for (let j = 0; j < ts.length; j++) {
          const t = ts[j]!;
          let p: string;
          if (j < prefixT.length && prefixT[j] === t) p = prefix[j]!;
          else {
            p = (j > 0 ? ',[' : '[') + formatTimestamp(t) + ',"';
            prefixT[j] = t;
            prefix[j] = p;
          }
          const x = vs[j]!;
          if (x !== prevV || x === 0) {
            prevS = formatSampleValue(x);
            prevV = x;
          }
          buf += p + prevS + '"]';
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

/**
 * resultJSON encodes a value as the `data` object of `/api/v1/query` and `/api/v1/query_range`:
 * `{"resultType":"vector","result":[…]}`.
 */
export function resultJSON(v: Value): string {
  let s = '';
  for (const c of valueChunks(v)) s += c;
  return s;
}

/**
 * queryResponseJSON encodes a whole successful API response:
 * `{"status":"success","data":{…},"warnings":[…],"infos":[…]}` (empty lists omitted).
 */
export function queryResponseJSON(v: Value, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  let s = `{"status":"success","data":${resultJSON(v)}`;
  if (warnings.length > 0) s += `,"warnings":[${warnings.map(goString).join(',')}]`;
  if (infos.length > 0) s += `,"infos":[${infos.map(goString).join(',')}]`;
  return s + '}';
}
