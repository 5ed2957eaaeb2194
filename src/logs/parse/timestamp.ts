/**
 * Timestamp scanners for the forms logs are written in. Each reads from a position in a
 * string, writes the instant into a TimeResult (Unix ms `t` plus `ns` nanoseconds past it)
 * and the end position, and returns false without side effects on the caller's data when
 * the text there is not that form. No Date objects, no RegExp, no allocation.
 * @module
 */
import type { TimeZone } from './time-zone.js';

const DAY_MS = 86_400_000;
/** Instants outside [1980, 2200) are not taken as timestamps: they are durations, ids or noise. */
const MIN_T = 315_532_800_000;
const MAX_T = 7_258_118_400_000;

/** TimeResult receives a parsed instant and where the timestamp ended. */
export class TimeResult {
  t = 0;
  ns = 0;
  end = 0;
}

// The last date asked for: consecutive log lines are mostly of the same day.
let lastY = NaN;
let lastM = NaN;
let lastD = NaN;
let lastDays = 0;

/** daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  if (d === lastD && m === lastM && y === lastY) return lastDays;
  lastDays = civilDays(y, m, d);
  lastY = y;
  lastM = m;
  lastD = d;
  return lastDays;
}

function civilDays(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** yearOfDays returns the Gregorian year of a day number since 1970-01-01. */
export function yearOfDays(z: number): number {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (m <= 2 ? 1 : 0);
}

function d1(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function d4(s: string, i: number): number {
  const a = d2(s, i);
  const b = d2(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}

const MONTHS: ReadonlyMap<number, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [key3(m, 0), i + 1]),
);
const WEEKDAYS: ReadonlySet<number> = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => key3(d, 0)));

function key3(s: string, i: number): number {
  return ((s.charCodeAt(i) | 32) << 16) | ((s.charCodeAt(i + 1) | 32) << 8) | (s.charCodeAt(i + 2) | 32);
}

/** monthAt returns the month (1–12) named by the three letters at i in any case, or -1. */
export function monthAt(s: string, i: number): number {
  if (i + 3 > s.length) return -1;
  return MONTHS.get(key3(s, i)) ?? -1;
}

// Fraction scratch: nanoseconds of the last fraction read by readFraction.
let fracNs = 0;

/** Reads `[.,]digits` at i; returns the end (i when there is none) and sets fracNs. */
function readFraction(s: string, i: number): number {
  fracNs = 0;
  const c = s.charCodeAt(i);
  if (c !== 46 /* . */ && c !== 44 /* , */) return i;
  let j = i + 1;
  let n = 0;
  let digits = 0;
  for (;;) {
    const d = d1(s, j);
    if (d < 0) break;
    if (digits < 9) {
      n = n * 10 + d;
      digits++;
    }
    j++;
  }
  if (j === i + 1) return i;
  for (let k = digits; k < 9; k++) n *= 10;
  fracNs = n;
  return j;
}

/** Sets out from a wall-clock ms in zone offset already applied (utcMs) and fracNs. */
function finish(out: TimeResult, utcMs: number, end: number): boolean {
  const ms = utcMs + Math.floor(fracNs / 1_000_000);
  if (!(ms >= MIN_T && ms < MAX_T)) return false;
  out.t = ms;
  out.ns = fracNs % 1_000_000;
  out.end = end;
  return true;
}

/** Reads HH:MM[:SS] at i into hms scratch; returns the end or -1. Seconds 60 (leap) allowed. */
let hmsMs = 0;
function readClock(s: string, i: number, needSeconds: boolean): number {
  const h = d2(s, i);
  if (h < 0 || h > 23 || s.charCodeAt(i + 2) !== 58) return -1;
  const mi = d2(s, i + 3);
  if (mi < 0 || mi > 59) return -1;
  let sec = 0;
  let end = i + 5;
  if (s.charCodeAt(end) === 58) {
    sec = d2(s, end + 1);
    if (sec < 0 || sec > 60) return -1;
    end += 3;
  } else if (needSeconds) {
    return -1;
  }
  hmsMs = h * 3_600_000 + mi * 60_000 + sec * 1000;
  return end;
}

/**
 * readZone reads a zone designator at i: `Z`, `±HH:MM`, `±HHMM`, `±HH`, optionally after one
 * space, or ` UTC`/` GMT`. Returns the end (i when there is none) and sets zoneMs, or -1
 * after a sign that is not followed by a valid offset.
 */
let zoneMs = 0;
let zoneFound = false;
function readZone(s: string, i: number): number {
  zoneMs = 0;
  zoneFound = false;
  let j = i;
  let c = s.charCodeAt(j);
  if (c === 32) {
    const n = s.charCodeAt(j + 1);
    if (n === 43 || n === 45) {
      if (d2(s, j + 2) < 0) return i;
    } else if (n === 90 /* Z */) {
      const after = s.charCodeAt(j + 2);
      if (!(Number.isNaN(after) || after === 32 || after === 93)) return i;
    } else if (!((n === 85 && s.startsWith('UTC', j + 1)) || (n === 71 && s.startsWith('GMT', j + 1)))) {
      return i;
    }
    j++;
    c = s.charCodeAt(j);
  }
  if (c === 90 || c === 122) {
    zoneFound = true;
    return j + 1;
  }
  if ((c === 85 && s.startsWith('UTC', j)) || (c === 71 && s.startsWith('GMT', j))) {
    zoneFound = true;
    return j + 3;
  }
  if (c !== 43 && c !== 45) return i;
  const h = d2(s, j + 1);
  if (h < 0 || h > 23) return i;
  let k = j + 3;
  let m = 0;
  if (s.charCodeAt(k) === 58) {
    m = d2(s, k + 1);
    if (m < 0 || m > 59) return i;
    k += 3;
  } else {
    const mm = d2(s, k);
    if (mm >= 0) {
      if (mm > 59) return i;
      m = mm;
      k += 2;
    }
  }
  zoneMs = (c === 45 ? -1 : 1) * (h * 3_600_000 + m * 60_000);
  zoneFound = true;
  return k;
}

/**
 * parseIso reads an RFC 3339 / ISO 8601 timestamp at i: `YYYY-MM-DD`, then `T`, `t`, `_` or
 * a space, `HH:MM[:SS]`, an optional `.` or `,` fraction (up to 9 digits kept), and an
 * optional zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`, ` UTC`). Zone-less times are read in `tz`.
 * Also accepts `YYYY/MM/DD HH:MM:SS` (Go's log package, nginx error logs).
 */
export function parseIso(s: string, i: number, tz: TimeZone, out: TimeResult): boolean {
  const y = d4(s, i);
  if (y < 0) return false;
  const sep = s.charCodeAt(i + 4);
  if ((sep !== 45 && sep !== 47) || s.charCodeAt(i + 7) !== sep) return false;
  const mo = d2(s, i + 5);
  const d = d2(s, i + 8);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  const tc = s.charCodeAt(i + 10);
  if (tc !== 84 && tc !== 116 && tc !== 32 && tc !== 95) return false;
  let end = readClock(s, i + 11, sep === 47);
  if (end < 0) return false;
  const wall = daysFromCivil(y, mo, d) * DAY_MS + hmsMs;
  end = readFraction(s, end);
  const f = fracNs;
  end = readZone(s, end);
  fracNs = f;
  const utc = zoneFound ? wall - zoneMs : tz.toUtc(wall);
  return finish(out, utc, end);
}

/**
 * yearlessToUtc resolves a wall-clock date without a year (syslog, `journalctl -o short`,
 * klog) to an instant: the year is the one that puts it at most 31 days after `refMs` (the
 * arrival time) and at most 335 days before it, so December lines read in January land in
 * the previous year and a sender's clock slightly ahead over New Year lands in the next.
 */
export function yearlessToUtc(mo: number, d: number, timeOfDayMs: number, refMs: number, tz: TimeZone): number {
  const refWall = refMs + tz.offsetAt(refMs);
  const y = yearOfDays(Math.floor(refWall / DAY_MS));
  let wall = daysFromCivil(y, mo, d) * DAY_MS + timeOfDayMs;
  if (wall - refWall > 31 * DAY_MS) wall = daysFromCivil(y - 1, mo, d) * DAY_MS + timeOfDayMs;
  else if (refWall - wall > 335 * DAY_MS) wall = daysFromCivil(y + 1, mo, d) * DAY_MS + timeOfDayMs;
  return tz.toUtc(wall);
}

/**
 * parseBsd reads the BSD syslog / `journalctl -o short` form at i: `Mmm dd HH:MM:SS` with the
 * month in any case, the day space- or zero-padded, an optional fraction (short-precise),
 * an optional year between day and time (`Mar 7 2008 19:06:53`) and an optional colon after
 * the time. Without a year, see yearlessToUtc.
 */
export function parseBsd(s: string, i: number, tz: TimeZone, refMs: number, out: TimeResult): boolean {
  const mo = monthAt(s, i);
  if (mo < 0 || s.charCodeAt(i + 3) !== 32) return false;
  let j = i + 4;
  if (s.charCodeAt(j) === 32) j++;
  let d = d1(s, j);
  if (d < 0) return false;
  j++;
  const d2nd = d1(s, j);
  if (d2nd >= 0) {
    d = d * 10 + d2nd;
    j++;
  }
  if (d < 1 || d > 31 || s.charCodeAt(j) !== 32) return false;
  j++;
  let year = -1;
  const y = d4(s, j);
  if (y >= 0 && s.charCodeAt(j + 4) === 32) {
    year = y;
    j += 5;
  }
  let end = readClock(s, j, true);
  if (end < 0) return false;
  const tod = hmsMs;
  end = readFraction(s, end);
  if (s.charCodeAt(end) === 58 && s.charCodeAt(end + 1) === 32) end++;
  const utc = year >= 0 ? tz.toUtc(daysFromCivil(year, mo, d) * DAY_MS + tod) : yearlessToUtc(mo, d, tod, refMs, tz);
  return finish(out, utc, end);
}

/**
 * parseKlogTime reads klog's `mmdd HH:MM:SS.uuuuuu` at i (after the severity letter); the
 * year is resolved as for syslog.
 */
export function parseKlogTime(s: string, i: number, tz: TimeZone, refMs: number, out: TimeResult): boolean {
  const mo = d2(s, i);
  const d = d2(s, i + 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || s.charCodeAt(i + 4) !== 32) return false;
  let end = readClock(s, i + 5, true);
  if (end < 0) return false;
  const tod = hmsMs;
  end = readFraction(s, end);
  return finish(out, yearlessToUtc(mo, d, tod, refMs, tz), end);
}

/**
 * parseClf reads the Common Log Format time `dd/Mmm/yyyy:HH:MM:SS ±zzzz` at i (inside the
 * brackets of an Apache/nginx access log line). Also accepts Tomcat's `dd-Mmm-yyyy HH:MM:SS.fff`.
 */
export function parseClf(s: string, i: number, tz: TimeZone, out: TimeResult): boolean {
  const d = d2(s, i);
  const sep = s.charCodeAt(i + 2);
  if (d < 1 || d > 31 || (sep !== 47 && sep !== 45) || s.charCodeAt(i + 6) !== sep) return false;
  const mo = monthAt(s, i + 3);
  const y = d4(s, i + 7);
  if (mo < 0 || y < 0) return false;
  const tc = s.charCodeAt(i + 11);
  if (!(sep === 47 ? tc === 58 : tc === 32)) return false;
  let end = readClock(s, i + 12, true);
  if (end < 0) return false;
  const wall = daysFromCivil(y, mo, d) * DAY_MS + hmsMs;
  end = readFraction(s, end);
  const f = fracNs;
  end = readZone(s, end);
  fracNs = f;
  return finish(out, zoneFound ? wall - zoneMs : tz.toUtc(wall), end);
}

/**
 * parseAnsic reads the ANSI C / ctime form `Www Mmm dd HH:MM:SS[.frac] [ZONE ]yyyy` at i
 * (Apache error logs, many C programs).
 */
export function parseAnsic(s: string, i: number, tz: TimeZone, out: TimeResult): boolean {
  if (i + 3 > s.length || !WEEKDAYS.has(key3(s, i)) || s.charCodeAt(i + 3) !== 32) return false;
  const mo = monthAt(s, i + 4);
  if (mo < 0 || s.charCodeAt(i + 7) !== 32) return false;
  let j = i + 8;
  if (s.charCodeAt(j) === 32) j++;
  let d = d1(s, j);
  if (d < 0) return false;
  j++;
  const dd = d1(s, j);
  if (dd >= 0) {
    d = d * 10 + dd;
    j++;
  }
  if (d < 1 || d > 31 || s.charCodeAt(j) !== 32) return false;
  let end = readClock(s, j + 1, true);
  if (end < 0) return false;
  const tod = hmsMs;
  end = readFraction(s, end);
  const f = fracNs;
  if (s.charCodeAt(end) !== 32) return false;
  end++;
  let utcZone = false;
  if (s.startsWith('UTC ', end) || s.startsWith('GMT ', end)) {
    utcZone = true;
    end += 4;
  }
  const y = d4(s, end);
  if (y < 0) return false;
  end += 4;
  fracNs = f;
  const wall = daysFromCivil(y, mo, d) * DAY_MS + tod;
  return finish(out, utcZone ? wall : tz.toUtc(wall), end);
}

/**
 * parseEpoch reads a Unix time written as decimal digits with an optional fraction, over the
 * whole of s[start, end). The unit follows from the number of integer digits: up to 11
 * seconds, 12–14 milliseconds, 15–17 microseconds, 18–19 nanoseconds. Exact to the
 * nanosecond without BigInt.
 */
export function parseEpoch(s: string, start: number, end: number, out: TimeResult): boolean {
  let dot = -1;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === 46) {
      if (dot >= 0) return false;
      dot = k;
    } else if (c < 48 || c > 57) {
      return false;
    }
  }
  const intEnd = dot < 0 ? end : dot;
  const n = intEnd - start;
  if (n === 0 || n > 19 || (dot >= 0 && dot === end - 1)) return false;
  fracNs = 0;
  let t: number;
  let ns = 0;
  if (n <= 11) {
    t = Number(s.slice(start, intEnd)) * 1000;
    if (dot >= 0) {
      readFraction(s, dot);
      t += Math.floor(fracNs / 1_000_000);
      ns = fracNs % 1_000_000;
    }
  } else if (n <= 14) {
    t = Number(s.slice(start, intEnd));
    if (dot >= 0) {
      readFraction(s, dot);
      ns = Math.floor(fracNs / 1000);
    }
  } else if (n <= 17) {
    t = Number(s.slice(start, intEnd - 3));
    ns = Number(s.slice(intEnd - 3, intEnd)) * 1000;
  } else {
    t = Number(s.slice(start, intEnd - 6));
    ns = Number(s.slice(intEnd - 6, intEnd));
  }
  if (!(t >= MIN_T && t < MAX_T)) return false;
  out.t = t;
  out.ns = ns;
  out.end = end;
  return true;
}

/** parseEpochNumber takes a Unix time given as a JSON number (unit by magnitude, as parseEpoch). */
export function parseEpochNumber(v: number, out: TimeResult): boolean {
  if (!Number.isFinite(v) || v <= 0) return false;
  let t: number;
  let ns = 0;
  if (v < 1e11) {
    t = Math.floor(v * 1000);
    ns = Math.round((v * 1000 - t) * 1e6);
  } else if (v < 1e14) {
    t = Math.floor(v);
    ns = Math.round((v - t) * 1e6);
  } else if (v < 1e17) {
    t = Math.floor(v / 1000);
    ns = Math.round(v - t * 1000) * 1000;
  } else {
    t = Math.floor(v / 1e6);
    ns = Math.max(0, Math.min(999_999, Math.round(v - t * 1e6)));
  }
  if (ns >= 1_000_000) {
    t += 1;
    ns -= 1_000_000;
  }
  if (!(t >= MIN_T && t < MAX_T)) return false;
  out.t = t;
  out.ns = ns;
  out.end = 0;
  return true;
}

/**
 * parseTimeValue reads a whole string as a timestamp: RFC 3339/ISO 8601, Unix epoch digits,
 * BSD syslog, CLF or ANSI C. Used for the values of time keys in JSON and logfmt.
 */
export function parseTimeValue(s: string, tz: TimeZone, refMs: number, out: TimeResult): boolean {
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (parseIso(s, 0, tz, out) && out.end === s.length) return true;
    if (parseEpoch(s, 0, s.length, out)) return true;
    return parseClf(s, 0, tz, out) && out.end === s.length;
  }
  if (parseBsd(s, 0, tz, refMs, out) && out.end === s.length) return true;
  return parseAnsic(s, 0, tz, out) && out.end === s.length;
}
