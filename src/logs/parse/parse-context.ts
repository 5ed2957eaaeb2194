/**
 * ParseContext: the options and reusable scratch objects every format parser shares, so
 * parsing a line allocates nothing but the strings it keeps.
 * @module
 */
import { JsonLineScan } from './json-scan.js';
import { LogfmtScanner } from './logfmt.js';
import { TimeResult, parseIso } from './timestamp.js';
import { TimeZone } from './time-zone.js';

/** ParseContext carries the zone for zone-less timestamps, the payload-fields switch and scratch space. */
export class ParseContext {
  readonly tz: TimeZone;
  readonly payloadFields: boolean;
  /** JSON lines: the message key's value is the line, the other keys fields. */
  readonly jsonMessage: boolean;
  readonly time = new TimeResult();
  readonly time2 = new TimeResult();
  readonly logfmt = new LogfmtScanner();
  readonly json = new JsonLineScan();

  constructor(tz: TimeZone, payloadFields: boolean, jsonMessage = false) {
    this.tz = tz;
    this.payloadFields = payloadFields;
    this.jsonMessage = jsonMessage;
  }

  #isoLine: string | undefined;
  #isoOk = false;
  readonly #iso = new TimeResult();

  /**
   * isoAtStart reads an RFC 3339/ISO timestamp at the start of `s` into `time`, remembering
   * the answer for the same string (several formats start with one: CRI, short-iso, text).
   */
  isoAtStart(s: string): boolean {
    if (this.#isoLine !== s) {
      this.#isoLine = s;
      this.#isoOk = parseIso(s, 0, this.tz, this.#iso);
    }
    if (this.#isoOk) {
      this.time.t = this.#iso.t;
      this.time.ns = this.#iso.ns;
      this.time.end = this.#iso.end;
    }
    return this.#isoOk;
  }
}

/** PARSE_ERROR_FIELD is the field that says why a line that looked like a format was kept unparsed. */
export const PARSE_ERROR_FIELD = 'parse_error';

/** sanitizeFieldName turns any key into a label-safe name: `[A-Za-z0-9_]`, not starting with a digit. */
export function sanitizeFieldName(k: string): string {
  let ok = k.length > 0;
  for (let i = 0; i < k.length && ok; i++) {
    const c = k.charCodeAt(i);
    ok = c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (i > 0 && c >= 48 && c <= 57);
  }
  if (ok) return k;
  let out = '';
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    out += c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? k[i] : '_';
  }
  const c0 = out.charCodeAt(0);
  return out === '' ? '_' : c0 >= 48 && c0 <= 57 ? '_' + out : out;
}
