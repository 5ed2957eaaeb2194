/**
 * parseTimestampValue: one entry point for a timestamp given as a value (JSON field, query
 * parameter, push API): RFC 3339/ISO 8601, Unix epoch digits or a JSON number (unit from the
 * magnitude), BSD syslog, CLF or ctime text.
 * @module
 */
import { TimeResult, parseEpochNumber, parseTimeValue } from './timestamp.js';
import { TimeZone } from './time-zone.js';

const scratch = new TimeResult();

/** parseTimestampValue returns `{t, ns}` for a timestamp value, or undefined when it is none. */
export function parseTimestampValue(v: string | number, tz: TimeZone = TimeZone.UTC, refMs: number = Date.now()): { t: number; ns: number } | undefined {
  const ok = typeof v === 'number' ? parseEpochNumber(v, scratch) : v.length > 0 && parseTimeValue(v, tz, refMs, scratch);
  return ok ? { t: scratch.t, ns: scratch.ns } : undefined;
}
