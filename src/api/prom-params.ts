/**
 * Parameter parsing for the Prometheus HTTP API: timestamps as RFC 3339 or Unix seconds with
 * fractions, durations as seconds or Prometheus duration strings, with Prometheus's errors.
 * @module
 */
import { parseDuration } from '../model/index.js';
import { BadDataError } from './errors.js';

/**
 * MIN_TIME is the lower bound Prometheus uses for "unbounded" (its MinTime, in ms: the
 * earliest time whose Unix ms still fits an int64). As a double it is approximate, which is
 * fine for a bound.
 */
export const MIN_TIME = -9_223_309_901_257_974_000;
/** MAX_TIME is Prometheus's MaxTime in ms (approximate as a double). */
export const MAX_TIME = 9_223_309_901_257_974_999;

// Prometheus's MinTime and MaxTime printed as RFC 3339 (beyond what a 4-digit year parser takes).
const MIN_TIME_STRINGS = new Set(['-292273086-05-16T16:47:06Z']);
const MAX_TIME_STRINGS = new Set(['292277025-08-18T07:12:54.999999999Z']);

// Go's time.Parse(time.RFC3339Nano, …) takes only an upper-case T and Z.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * parseTime parses a timestamp parameter into Unix ms. Seconds are rounded to milliseconds
 * as Prometheus does; RFC 3339 keeps millisecond precision.
 */
export function parseTime(s: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    if (Number.isFinite(v)) {
      const sec = Math.trunc(v);
      const frac = Math.round((v - sec) * 1000) / 1000;
      const ms = sec * 1000 + Math.round(frac * 1000);
      return ms;
    }
  }
  const m = RFC3339.exec(s);
  if (m !== null) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) {
      // Date.parse keeps ms; finer fractions are truncated, as time.Time → ms does.
      return ms;
    }
  }
  if (MIN_TIME_STRINGS.has(s)) return MIN_TIME;
  if (MAX_TIME_STRINGS.has(s)) return MAX_TIME;
  throw new BadDataError(`cannot parse "${s}" to a valid timestamp`);
}

/** parseDurationParam parses a step/timeout parameter (seconds as a float, or `5m`) into ms. */
export function parseDurationParam(s: string): number {
  // strconv.ParseFloat also takes infinities and NaN: ±Inf overflows; NaN converts to Go's
  // minimum duration, which every caller then rejects as negative.
  if (/^[+-]?(inf|infinity)$/i.test(s)) throw new BadDataError(`cannot parse "${s}" to a valid duration. It overflows int64`);
  if (/^[+-]?nan$/i.test(s)) return -9.223372036854776e15;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    const ms = v * 1000;
    if (!Number.isFinite(ms) || Math.abs(ms) >= 9.223372036854776e15) {
      throw new BadDataError(`cannot parse "${s}" to a valid duration. It overflows int64`);
    }
    return Math.round(ms);
  }
  try {
    return parseDuration(s);
  } catch {
    throw new BadDataError(`cannot parse "${s}" to a valid duration`);
  }
}

/** formatTimeSeconds renders Unix ms as the API does in JSON: seconds with up to 3 decimals. */
export function formatTimeSeconds(t: number): number {
  return t / 1000;
}

/** invalidParam wraps an error as Prometheus's `invalid parameter "<name>": <message>` bad-data error. */
export function invalidParam(name: string, err: unknown): BadDataError {
  const message = err instanceof Error ? err.message : String(err);
  return new BadDataError(`invalid parameter ${JSON.stringify(name)}: ${message}`, { cause: err });
}

/**
 * parseTimeParam reads an optional timestamp parameter (first value), returning `dflt` when
 * absent or empty; a bad value fails as Prometheus words it.
 */
export function parseTimeParam(params: URLSearchParams, name: string, dflt: number): number {
  const v = params.get(name) ?? '';
  if (v === '') return dflt;
  try {
    return parseTime(v);
  } catch (e) {
    throw invalidParam(name, new BadDataError(`Invalid time value for '${name}': ${(e as Error).message}`));
  }
}

const MAX_INT64 = 9223372036854775807n;

/**
 * parseAtoi parses a decimal integer as Go's strconv.Atoi does (optional sign, digits only),
 * with Go's error texts.
 */
export function parseAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new BadDataError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  // Exact range check on the decimal text (not a hot path): Go's int is 64-bit.
  const big = BigInt(s);
  if (big > MAX_INT64 || big < -MAX_INT64 - 1n) throw new BadDataError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(big);
}

/** parseLimitParam reads the `limit` parameter of queries, series and labels: 0 (none) when empty. */
export function parseLimitParam(s: string | null): number {
  if (s === null || s === '') return 0;
  let n: number;
  try {
    n = parseAtoi(s);
  } catch (e) {
    throw invalidParam('limit', e);
  }
  if (n < 0) throw invalidParam('limit', new BadDataError('limit must be non-negative'));
  return n;
}
