/**
 * Loki's HTTP parameter formats: timestamps (Unix nanoseconds, Unix seconds with or without a
 * fraction, RFC 3339), durations or float seconds for `step`/`interval`/`since`, and the
 * defaults Loki applies.
 * @module
 */
import { parseDuration } from '../../model/index.js';
import { BadRequestError } from './errors.js';
import type { TimeNs } from './log-eval.js';

/**
 * parseLokiTime parses a timestamp as Loki does: with a '.', float Unix seconds (fraction
 * rounded to ms); an integer of up to 10 digits, Unix seconds; a longer one, Unix nanoseconds;
 * else RFC 3339 with optional fraction. Returns `def` for an empty value.
 */
export function parseLokiTime(value: string | null, def: TimeNs, name: string): TimeNs {
  if (value === null || value === '') return def;
  if (value.includes('.') && /^[+-]?[0-9]*\.[0-9]*(?:[eE][+-]?[0-9]+)?$/.test(value)) {
    const f = Number(value);
    if (Number.isFinite(f)) {
      const s = Math.trunc(f);
      const fracMs = Math.round((f - s) * 1000);
      return { ms: s * 1000 + fracMs, ns: 0 };
    }
  }
  if (/^-?[0-9]+$/.test(value)) {
    const neg = value.startsWith('-');
    const digits = neg ? value.slice(1) : value;
    if (value.length <= 10) return { ms: Number(value) * 1000, ns: 0 };
    // Nanoseconds: split without losing precision.
    const msPart = digits.length > 6 ? Number(digits.slice(0, -6)) : 0;
    const nsPart = Number(digits.slice(-6));
    if (!neg) return { ms: msPart, ns: nsPart };
    return nsPart === 0 ? { ms: -msPart, ns: 0 } : { ms: -msPart - 1, ns: 1_000_000 - nsPart };
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
  if (m !== null) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone![0] === '-' ? -1 : 1;
      ms -= sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
    }
    const f = (frac ?? '').padEnd(9, '0');
    return { ms: ms + Number(f.slice(0, 3)), ns: Number(f.slice(3)) };
  }
  throw new BadRequestError(`invalid parameter "${name}": cannot parse "${value}" to a valid timestamp`);
}

/** parseSecondsOrDuration parses float seconds or a Prometheus duration into ms. */
export function parseSecondsOrDuration(value: string, name: string): number {
  if (/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value)) {
    const f = Number(value);
    if (Number.isFinite(f)) return Math.round(f * 1000);
  }
  try {
    return parseDuration(value);
  } catch {
    throw new BadRequestError(`invalid parameter "${name}": cannot parse "${value}" to a valid duration`);
  }
}

/** parseLimit parses `limit` (default 100, Loki's). */
export function parseLimit(value: string | null, def = 100): number {
  if (value === null || value === '') return def;
  if (!/^[0-9]+$/.test(value)) throw new BadRequestError(`invalid parameter "limit": cannot parse "${value}" as an integer`);
  const n = Number(value);
  if (n <= 0) throw new BadRequestError('limit must be a positive value');
  return n;
}

/** parseDirection parses `direction` (default backward). */
export function parseDirection(value: string | null): 'forward' | 'backward' {
  if (value === null || value === '') return 'backward';
  const v = value.toLowerCase();
  if (v === 'forward' || v === 'backward') return v;
  throw new BadRequestError(`invalid direction "${value}": must be forward or backward`);
}

/** nsString prints a TimeNs as a Unix nanosecond string. */
export function nsString(t: number, ns: number): string {
  if (t >= 0) return t === 0 ? String(ns) : `${t}${String(ns).padStart(6, '0')}`;
  return String(BigInt(t) * 1_000_000n + BigInt(ns));
}

/** addMs shifts a TimeNs by ms. */
export function addMs(t: TimeNs, ms: number): TimeNs {
  return { ms: t.ms + ms, ns: t.ns };
}
