/**
 * Plain-text lines: a leading timestamp in a common form, an access-log line, klog, CRI
 * container log lines, and the level word that usually follows the timestamp.
 * @module
 */
import { levelFromWord, type Level } from './level.js';
import type { ParseContext } from './parse-context.js';
import { LogFormat, type ParsedLine } from './parsed-line.js';
import { parseAnsic, parseBsd, parseClf, parseEpoch, parseIso, parseKlogTime, parseTimeValue, type TimeResult } from './timestamp.js';

/**
 * leadingTimestamp reads a timestamp at the start of `s` in one of the common forms: RFC 3339 /
 * ISO 8601 (`T` or space, `.` or `,` fraction, any zone form), `YYYY/MM/DD HH:MM:SS`, BSD
 * syslog (`Mmm dd HH:MM:SS`), ANSI C (`Mon Jan  2 15:04:05 2006`), CLF (`02/Jan/2006:15:04:05
 * -0700`), Tomcat (`02-Jan-2006 15:04:05.000`) or Unix seconds with a fraction
 * (`1700000000.123`), optionally in square brackets. The timestamp must be followed by a space,
 * a bracket, a colon or the end. Returns the end of the timestamp (after a closing bracket) or -1.
 */
export function leadingTimestamp(ctx: ParseContext, s: string, refMs: number, tr: TimeResult): number {
  let i = 0;
  const bracket = s.charCodeAt(0) === 91;
  if (bracket) i = 1;
  const c = s.charCodeAt(i);
  let ok = false;
  if (c >= 48 && c <= 57) {
    ok = (i === 0 && tr === ctx.time ? ctx.isoAtStart(s) : parseIso(s, i, ctx.tz, tr)) || parseClf(s, i, ctx.tz, tr);
    if (!ok && isDigitRun(s, i, 10) && s.charCodeAt(i + 10) === 46) {
      let e = i + 11;
      while (isDigitAt(s, e)) e++;
      ok = e > i + 11 && parseEpoch(s, i, e, tr);
    }
  } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    ok = parseBsd(s, i, ctx.tz, refMs, tr) || parseAnsic(s, i, ctx.tz, tr);
  }
  if (!ok) return -1;
  let end = tr.end;
  if (bracket) {
    if (s.charCodeAt(end) !== 93) return -1;
    end++;
  }
  const after = s.charCodeAt(end);
  if (!(Number.isNaN(after) || after === 32 || after === 9 || after === 93 || after === 58 || after === 124 || after === 44)) return -1;
  return end;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function isDigitRun(s: string, i: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (!isDigitAt(s, i + k)) return false;
  return true;
}

/**
 * levelAfter looks for a level word among the first three words after position i: an
 * upper-case word (`ERROR`, `WARN`), or a word of any case inside `[]`, `<>` or followed by a
 * colon (`[error]`, `<info>`, `warning:`), as Spring Boot, log4j, Python's logging, nginx and
 * Go's log write them.
 */
export function levelAfter(s: string, i: number): Level | '' {
  const n = Math.min(s.length, i + 64);
  for (let w = 0; w < 3 && i < n; w++) {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 45 || c === 124) i++;
      else break;
    }
    let start = i;
    let enclosed = false;
    const open = s.charCodeAt(i);
    if (open === 91 || open === 60 || open === 40) {
      start++;
      enclosed = true;
    }
    let j = start;
    let upper = true;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c >= 65 && c <= 90) {
        j++;
        continue;
      }
      if (c >= 97 && c <= 122) {
        upper = false;
        j++;
        continue;
      }
      break;
    }
    const close = s.charCodeAt(j);
    if (j > start && j - start <= 13) {
      const closes = close === 93 || close === 62 || close === 41 || close === 58;
      if (upper || (enclosed && closes) || close === 58) {
        const lvl = levelFromWord(s.slice(start, j));
        if (lvl !== '') return lvl;
      }
      // Apache's `[module:level]`.
      if (enclosed && close === 58) {
        let k = j + 1;
        while (k < n && ((s.charCodeAt(k) | 32) >= 97 && (s.charCodeAt(k) | 32) <= 122)) k++;
        if (s.charCodeAt(k) === 93 && k - j - 1 <= 13) {
          const lvl = levelFromWord(s.slice(j + 1, k));
          if (lvl !== '') return lvl;
        }
      }
    }
    // Skip to the end of this word.
    while (j < n && s.charCodeAt(j) !== 32 && s.charCodeAt(j) !== 9) j++;
    if (j === i) return '';
    i = j;
  }
  return '';
}

// The keys refineFromLogfmt acts on, as substrings (a fixed pattern of ours: one native scan
// instead of four indexOf calls).
const TAIL_KEYS = /level=|lvl=|time=|ts=/g;

/**
 * refineFromLogfmt reads a logfmt tail (`… time="…" level=debug msg="…"`, as in dockerd output
 * prefixed by a capture timestamp): its level, and its time when it falls in the same second
 * as the leading timestamp (more precise). Returns whether the tail was logfmt.
 */
function refineFromLogfmt(ctx: ParseContext, s: string, from: number, refMs: number, out: ParsedLine): boolean {
  // Only a level or a time key changes anything: a tail without one is not scanned (the caller
  // then looks for the level word, as it does for a logfmt tail without a level key).
  TAIL_KEYS.lastIndex = from;
  if (!TAIL_KEYS.test(s)) return false;
  const sc = ctx.logfmt;
  sc.reset(from === 0 ? s : s.slice(from));
  let pairs = 0;
  let bare = 0;
  let level = '';
  let time = '';
  while (sc.next()) {
    if (!sc.hasEq) {
      bare++;
      continue;
    }
    pairs++;
    if (level === '' && (sc.keyIs('level') || sc.keyIs('lvl'))) level = sc.value();
    else if (time === '' && (sc.keyIs('time') || sc.keyIs('ts'))) time = sc.value();
  }
  // A tail cut off inside a quoted value still yields the pairs before the cut.
  if (pairs < 2 || bare > pairs) return false;
  if (level !== '') {
    const l = levelFromWord(level);
    if (l !== '') out.level = l;
  }
  const tr = ctx.time2;
  if (time !== '' && parseTimeValue(time, ctx.tz, refMs, tr) && Math.floor(tr.t / 1000) === Math.floor(out.t / 1000)) {
    out.setTime(tr.t, tr.ns);
  }
  return true;
}

/**
 * parseText recognizes plain text that starts with a timestamp (format `text`), keeping the
 * line unchanged; also the Common/Combined Log Format of access logs (`host ident user [time]
 * "request" …`). Returns false when there is no timestamp.
 */
export function parseText(ctx: ParseContext, s: string, refMs: number, out: ParsedLine): boolean {
  const tr = ctx.time;
  const end = leadingTimestamp(ctx, s, refMs, tr);
  if (end < 0) return parseAccessLog(ctx, s, out);
  out.format = LogFormat.Text;
  out.line = s;
  out.setTime(tr.t, tr.ns);
  // A key=value tail without a level key leaves the level word after the timestamp (`… ERROR boom code=7`).
  if (!refineFromLogfmt(ctx, s, end, refMs, out) || out.level === '') out.level = levelAfter(s, end);
  return true;
}

/** parseAccessLog reads the `[dd/Mmm/yyyy:HH:MM:SS zone]` of a CLF line in its first 300 characters. */
function parseAccessLog(ctx: ParseContext, s: string, out: ParsedLine): boolean {
  // host SP ident SP user SP [time]: the bracket follows the third space.
  let sp = -1;
  for (let k = 0; k < 3; k++) {
    sp = s.indexOf(' ', sp + 1);
    if (sp < 0 || sp > 300) return false;
  }
  if (s.charCodeAt(sp + 1) !== 91) return false;
  const tr = ctx.time;
  if (!parseClf(s, sp + 2, ctx.tz, tr) || s.charCodeAt(tr.end) !== 93) return false;
  out.format = LogFormat.Text;
  out.line = s;
  out.setTime(tr.t, tr.ns);
  return true;
}

const KLOG_LEVELS: Readonly<Record<string, Level>> = { I: 'info', W: 'warn', E: 'error', F: 'critical' };

/**
 * parseKlog recognizes klog's header `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`; the line
 * is kept unchanged. With payload fields, `thread_id` and `caller` become fields.
 */
export function parseKlog(ctx: ParseContext, s: string, refMs: number, out: ParsedLine): boolean {
  const lvl = KLOG_LEVELS[s[0] ?? ''];
  if (lvl === undefined || s.charCodeAt(5) !== 32) return false;
  const tr = ctx.time;
  if (!parseKlogTime(s, 1, ctx.tz, refMs, tr)) return false;
  let i = tr.end;
  if (s.charCodeAt(i) !== 32) return false;
  while (s.charCodeAt(i) === 32) i++;
  const tid = i;
  while (isDigitAt(s, i)) i++;
  if (i === tid || s.charCodeAt(i) !== 32) return false;
  const threadId = s.slice(tid, i);
  const callerStart = i + 1;
  const rb = s.indexOf('] ', callerStart);
  const rbEnd = rb < 0 && s.endsWith(']') ? s.length - 1 : rb;
  if (rbEnd < 0 || s.indexOf(':', callerStart) > rbEnd || s.indexOf(':', callerStart) < 0) return false;
  out.format = LogFormat.Klog;
  out.line = s;
  out.setTime(tr.t, tr.ns);
  out.level = lvl;
  if (ctx.payloadFields) {
    out.setField('thread_id', threadId);
    out.setField('caller', s.slice(callerStart, rbEnd));
  }
  return true;
}

/**
 * parseCri recognizes a CRI container log line: `<RFC 3339 nano time> stdout|stderr F|P <msg>`.
 * The line is the message; `stream` is a label; `partial` is set for `P` (the message goes on
 * in the next line of the same stream).
 */
export function parseCri(ctx: ParseContext, s: string, out: ParsedLine): boolean {
  const tr = ctx.time;
  if (!ctx.isoAtStart(s)) return false;
  const i = tr.end;
  if (s.charCodeAt(i) !== 32) return false;
  let stream: string;
  if (s.startsWith('stdout ', i + 1)) stream = 'stdout';
  else if (s.startsWith('stderr ', i + 1)) stream = 'stderr';
  else return false;
  const tagAt = i + 8;
  const tag = s.charCodeAt(tagAt);
  if (tag !== 70 && tag !== 80) return false;
  const after = s.charCodeAt(tagAt + 1);
  if (!(Number.isNaN(after) || after === 32 || after === 58)) return false;
  // Newer runtimes may add more tags after a colon (`F:x`); skip to the space.
  let m = tagAt + 1;
  while (m < s.length && s.charCodeAt(m) !== 32) m++;
  out.format = LogFormat.Cri;
  out.stream = stream;
  out.partial = tag === 80;
  out.setTime(tr.t, tr.ns);
  out.line = m < s.length ? s.slice(m + 1) : '';
  return true;
}
