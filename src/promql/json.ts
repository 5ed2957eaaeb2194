/**
 * JSON encoding of query results exactly as Prometheus's HTTP API writes them: timestamps as
 * seconds with up to millisecond decimals (`1.5` is `1.500`), values as strings formatted like
 * Go (`'f'` layout, `'e'` below 1e-6 or from 1e21), labels as objects in name order.
 * @module
 */
import { type Labels, formatFloatF } from '../model/index.js';
import type { Value } from './value.js';

/** formatTimestamp writes t (ms) as Prometheus's API does: `1435781451.781`, `-1.5` → `-1.500`. */
export function formatTimestamp(t: number): string {
  let sign = '';
  let x = t;
  if (x < 0) {
    sign = '-';
    x = -x;
  }
  const secs = Math.trunc(x / 1000);
  const frac = x - secs * 1000;
  if (frac === 0) return sign + secs;
  return `${sign}${secs}.${String(Math.trunc(frac)).padStart(3, '0')}`;
}

/** formatSampleValue writes a float like Prometheus's API (Go's AppendFloat 'f' or 'e', shortest). */
export function formatSampleValue(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && Number.isFinite(a) && (a < 1e-6 || a >= 1e21)) return formatFloatE(v);
  return formatFloatF(v);
}

/** formatFloatE formats like Go's strconv.FormatFloat(v, 'e', -1, 64). */
export function formatFloatE(v: number): string {
  const s = v.toExponential();
  const i = s.indexOf('e');
  const mant = s.slice(0, i);
  const exp = Number(s.slice(i + 1));
  const ea = Math.abs(exp);
  return `${mant}e${exp < 0 ? '-' : '+'}${ea < 10 ? '0' : ''}${ea}`;
}

/** labelsJSON writes labels as a JSON object in name order. */
export function labelsJSON(l: Labels): string {
  let s = '{';
  const nv = l.pairs();
  for (let i = 0; i < nv.length; i += 2) {
    if (i > 0) s += ',';
    s += JSON.stringify(nv[i]) + ':' + JSON.stringify(nv[i + 1]);
  }
  return s + '}';
}

function point(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatSampleValue(v)}"]`;
}

/**
 * resultJSON encodes a value as the `data` object of `/api/v1/query` and `/api/v1/query_range`:
 * `{"resultType":"vector","result":[…]}`.
 */
export function resultJSON(v: Value): string {
  switch (v.kind) {
    case 'scalar':
      return `{"resultType":"scalar","result":${point(v.t, v.v)}}`;
    case 'string':
      return `{"resultType":"string","result":[${formatTimestamp(v.t)},${JSON.stringify(v.v)}]}`;
    case 'vector': {
      const parts = v.samples.map((s) => `{"metric":${labelsJSON(s.labels)},"value":${point(s.t, s.f)}}`);
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of v.series) {
        const pts: string[] = new Array(s.ts.length);
        for (let i = 0; i < s.ts.length; i++) pts[i] = point(s.ts[i]!, s.vs[i]!);
        parts.push(`{"metric":${labelsJSON(s.labels)},"values":[${pts.join(',')}]}`);
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

/**
 * queryResponseJSON encodes a whole successful API response:
 * `{"status":"success","data":{…},"warnings":[…],"infos":[…]}` (empty lists omitted).
 */
export function queryResponseJSON(v: Value, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  let s = `{"status":"success","data":${resultJSON(v)}`;
  if (warnings.length > 0) s += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) s += `,"infos":${JSON.stringify(infos)}`;
  return s + '}';
}
