/**
 * syslog messages: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and the BSD
 * format of RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), read the tolerant way
 * rsyslog reads them: upper-case months, a year or an RFC 3339 time in the 3164 timestamp,
 * a colon after the time, missing hostname or tag, over-long tags.
 *
 * HOSTNAME becomes the `host` label, APP-NAME/TAG the `identifier` label, the severity the
 * `level`; `facility` and `severity` (keywords), `pid` (3164), `procid`, `msgid` (5424) and the
 * structured data (`<SD-ID>_<PARAM>`, made label-safe; `<SD-ID>` = "true" for an element
 * without parameters) are fields. The line is MSG, without a leading BOM and, for 3164, without
 * the one space after the tag.
 * @module
 */
import { SYSLOG_FACILITY_NAMES, SYSLOG_SEVERITY_NAMES, levelFromSeverity } from './level.js';
import { PARSE_ERROR_FIELD, sanitizeFieldName, type ParseContext } from './parse-context.js';
import { LogFormat, type ParsedLine } from './parsed-line.js';
import { parseBsd, parseIso } from './timestamp.js';

/** SyslogMode says how strictly a line must be syslog. */
export interface SyslogMode {
  /**
   * PRI assumed for a message without one (rsyslog uses 13, user.notice); undefined means a
   * message must start with `<PRI>`.
   */
  readonly defaultPri?: number;
  /** On failure, keep the line unchanged with a `parse_error` field instead of returning false. */
  readonly keepInvalid: boolean;
}

/** readPri reads `<PRI>` at 0; returns the value and sets priEnd, or -1 when it is not a valid PRI (0–191, no leading zeros). */
let priEnd = 0;
function readPri(s: string): number {
  if (s.charCodeAt(0) !== 60) return -1;
  let v = 0;
  let i = 1;
  for (; i < 5; i++) {
    const c = s.charCodeAt(i);
    if (c === 62) break;
    if (c < 48 || c > 57) return -1;
    if (i === 2 && v === 0) return -1;
    v = v * 10 + (c - 48);
  }
  if (i === 1 || i === 5 || v > 191) return -1;
  priEnd = i + 1;
  return v;
}

function setPri(out: ParsedLine, pri: number): void {
  const fac = pri >> 3;
  const sev = pri & 7;
  out.setField('facility', SYSLOG_FACILITY_NAMES[fac] ?? String(fac));
  out.setField('severity', SYSLOG_SEVERITY_NAMES[sev]!);
  out.level = levelFromSeverity(sev);
}

/**
 * parseSyslog parses `s` as one syslog message into `out`. Returns false, leaving `out` reset,
 * when it is not syslog and `mode.keepInvalid` is false; with `keepInvalid`, an invalid message
 * is stored unchanged (arrival time) with a `parse_error` field saying what is wrong and where.
 */
export function parseSyslog(ctx: ParseContext, s: string, arrivalMs: number, out: ParsedLine, mode: SyslogMode): boolean {
  out.reset(arrivalMs);
  let pri = readPri(s);
  let i = priEnd;
  if (pri < 0) {
    if (s.charCodeAt(0) === 60 || mode.defaultPri === undefined) return invalid(s, out, mode, 1, s.charCodeAt(0) === 60 ? 'invalid PRI (want <0> to <191>)' : 'no <PRI>');
    pri = mode.defaultPri;
    i = 0;
  }
  // RFC 5424: VERSION (1–3 digits, no leading zero) then SP or the end.
  const c = s.charCodeAt(i);
  if (c >= 49 && c <= 57) {
    let j = i + 1;
    while (j < i + 3 && isDigit(s.charCodeAt(j))) j++;
    const after = s.charCodeAt(j);
    if (j === s.length || after === 32) return parse5424(ctx, s, j, pri, out, mode);
  }
  parse3164(ctx, s, i, pri, arrivalMs, out);
  return true;
}

function invalid(s: string, out: ParsedLine, mode: SyslogMode, at: number, detail: string): boolean {
  if (!mode.keepInvalid) return false;
  out.line = s;
  out.setField(PARSE_ERROR_FIELD, `syslog: ${detail} at offset ${at}`);
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Reads a header token up to SP or the end; sets tokEnd. '-' is the nil value. */
let tokEnd = 0;
function token(s: string, i: number): string {
  let j = s.indexOf(' ', i);
  if (j < 0) j = s.length;
  tokEnd = j;
  return s.slice(i, j);
}

function parse5424(ctx: ParseContext, s: string, i: number, pri: number, out: ParsedLine, mode: SyslogMode): boolean {
  out.format = LogFormat.SyslogRfc5424;
  setPri(out, pri);
  const fail = (at: number, what: string): boolean => {
    if (!mode.keepInvalid) return false;
    out.line = s;
    out.setField(PARSE_ERROR_FIELD, `syslog-rfc5424: ${what} at offset ${at}`);
    return true;
  };
  // Each header field is preceded by one SP; the message may end after any of them.
  if (i >= s.length) return true;
  i++;
  // TIMESTAMP
  if (s.charCodeAt(i) === 45 && (i + 1 === s.length || s.charCodeAt(i + 1) === 32)) {
    i++;
  } else if (i < s.length) {
    const tr = ctx.time;
    if (!parseIso(s, i, ctx.tz, tr) || !(tr.end === s.length || s.charCodeAt(tr.end) === 32)) return fail(i, 'invalid TIMESTAMP');
    out.setTime(tr.t, tr.ns);
    i = tr.end;
  }
  const header = ['host', 'identifier', 'procid', 'msgid'] as const;
  for (const h of header) {
    if (i >= s.length) return true;
    i++;
    const v = token(s, i);
    if (v === '' && i < s.length) return fail(i, 'empty header field (two spaces)');
    i = tokEnd;
    if (v === '-' || v === '') continue;
    if (h === 'host' || h === 'identifier') out[h] = v;
    else out.setField(h, v);
  }
  if (i >= s.length) return true;
  i++;
  // STRUCTURED-DATA
  if (s.charCodeAt(i) === 45) {
    i++;
  } else if (s.charCodeAt(i) === 91) {
    while (s.charCodeAt(i) === 91) {
      const e = readSdElement(s, i, out);
      if (e < 0) return fail(sdErrorAt, sdError);
      i = e;
    }
  } else if (i < s.length) {
    return fail(i, 'invalid STRUCTURED-DATA (want - or [)');
  }
  if (i >= s.length) return true;
  if (s.charCodeAt(i) !== 32) return fail(i, 'expected SP before MSG');
  i++;
  if (s.charCodeAt(i) === 0xfeff) i++;
  out.line = s.slice(i);
  return true;
}

let sdErrorAt = 0;
let sdError = '';
function sdFail(at: number, what: string): number {
  sdErrorAt = at;
  sdError = what;
  return -1;
}

/** Reads one `[SD-ID PARAM="VALUE" …]` at i; returns the index after `]` or -1. Tolerates spaces around `=`. */
function readSdElement(s: string, i: number, out: ParsedLine): number {
  let j = i + 1;
  const idStart = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 93 || c === 61 || c === 34) break;
    j++;
  }
  if (j === idStart) return sdFail(j, 'empty SD-ID');
  const id = sanitizeFieldName(s.slice(idStart, j));
  let params = 0;
  for (;;) {
    while (s.charCodeAt(j) === 32) j++;
    const c = s.charCodeAt(j);
    if (c === 93) {
      if (params === 0) out.setField(id, 'true');
      return j + 1;
    }
    if (Number.isNaN(c)) return sdFail(j, 'unterminated STRUCTURED-DATA');
    const ns = j;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === 61 || d === 32 || d === 93 || d === 34) break;
      j++;
    }
    if (j === ns) return sdFail(j, 'invalid SD-PARAM name');
    const name = s.slice(ns, j);
    while (s.charCodeAt(j) === 32) j++;
    if (s.charCodeAt(j) !== 61) return sdFail(j, 'expected = after SD-PARAM name');
    j++;
    while (s.charCodeAt(j) === 32) j++;
    if (s.charCodeAt(j) !== 34) return sdFail(j, 'expected " before SD-PARAM value');
    j++;
    let v = '';
    let last = j;
    for (;;) {
      const d = s.charCodeAt(j);
      if (Number.isNaN(d)) return sdFail(j, 'unterminated SD-PARAM value');
      if (d === 92) {
        const n = s.charCodeAt(j + 1);
        if (n === 34 || n === 92 || n === 93) {
          v += s.slice(last, j);
          last = j + 1;
          j += 2;
          continue;
        }
      } else if (d === 34) {
        break;
      }
      j++;
    }
    v += s.slice(last, j);
    j++;
    out.setField(id + '_' + sanitizeFieldName(name), v);
    params++;
  }
}

/**
 * parse3164 reads the BSD format after PRI at i. Without a timestamp the rest is the message
 * (RFC 3164 §4.3.2). Never fails: whatever follows a valid header is the message.
 */
function parse3164(ctx: ParseContext, s: string, i: number, pri: number, arrivalMs: number, out: ParsedLine): void {
  out.format = LogFormat.SyslogRfc3164;
  setPri(out, pri);
  while (s.charCodeAt(i) === 32) i++;
  const tr = ctx.time;
  const ok = parseBsd(s, i, ctx.tz, arrivalMs, tr) || parseIso(s, i, ctx.tz, tr);
  if (!ok) {
    out.line = s.slice(i);
    return;
  }
  out.setTime(tr.t, tr.ns);
  readHostTag(s, tr.end, out, true);
}

/**
 * readHostTag reads `SP HOSTNAME SP TAG[PID]: MSG` (RFC 3164 / journalctl -o short) at i into
 * host, identifier, the pid field and the line. With `hostOptional`, a first word that ends in
 * `:` or holds `[` is taken as the tag of a message without hostname. Returns whether a tag
 * ending in `:` was found.
 */
export function readHostTag(s: string, i: number, out: ParsedLine, hostOptional: boolean): boolean {
  if (s.charCodeAt(i) !== 32) {
    out.line = s.slice(i);
    return false;
  }
  i++;
  let host = token(s, i);
  let tagStart = tokEnd + 1;
  if (hostOptional && (host.endsWith(':') || host.includes('['))) {
    host = '';
    tagStart = i;
  }
  out.host = host;
  if (tagStart > s.length) {
    out.line = '';
    return false;
  }
  // TAG: up to ':' or SP; a trailing [PID] is split off.
  let j = tagStart;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 58 || c === 32) break;
    j++;
  }
  let tag = s.slice(tagStart, j);
  const colon = s.charCodeAt(j) === 58;
  if (colon) j++;
  const lb = tag.indexOf('[');
  if (lb > 0 && tag.endsWith(']')) {
    out.setField('pid', tag.slice(lb + 1, -1));
    tag = tag.slice(0, lb);
  }
  out.identifier = tag;
  if (s.charCodeAt(j) === 32) j++;
  out.line = s.slice(j);
  return colon;
}
