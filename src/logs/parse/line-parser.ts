/**
 * LineParser: recognizes the format of each line on its own and decodes it into a
 * ParsedLine. What it cannot recognize is kept unchanged with the arrival time.
 * @module
 */
import { jsonLineLevel, parseJsonLine } from './json-line.js';
import { levelFromWord, type Level } from './level.js';
import { ParseContext, sanitizeFieldName } from './parse-context.js';
import { LogFormat, ParsedLine } from './parsed-line.js';
import { parseSyslog, readHostTag, type SyslogMode } from './syslog.js';
import { levelAfter, parseCri, parseKlog, parseText } from './text-line.js';
import { parseBsd, parseTimeValue } from './timestamp.js';
import { TimeZone } from './time-zone.js';

/** LineParserOptions configure a LineParser. */
export interface LineParserOptions {
  /**
   * Zone of timestamps written without one (journalctl -o short, RFC 3164, klog, most text
   * logs): `UTC` (default), an offset like `+05:30`, `local` or an IANA name.
   */
  readonly timeZone?: string | TimeZone;
  /**
   * Also copy the keys of JSON and logfmt lines (and klog's header) into fields. Off by
   * default: those lines are stored whole, as Loki stores them, and `| json` / `| logfmt`
   * read them at query time; envelope formats (journald, syslog, Docker, CRI, audit) always
   * yield fields.
   */
  readonly payloadFields?: boolean;
  /**
   * For application JSON lines with a message key (`msg`, `message`, `@m`, `@mt`): store the
   * message as the line and the other keys as fields (flattened with `_`), as Elasticsearch
   * shippers do. Off by default (the JSON line is kept whole).
   */
  readonly jsonMessage?: boolean;
}

const GENERIC_SYSLOG: SyslogMode = { keepInvalid: false };

/**
 * LineParser parses one line at a time. `parse` detects the format from the line itself:
 * JSON (Docker json-file, journald, Kubernetes audit, application JSON), syslog (`<PRI>`),
 * CRI, klog, `journalctl -o short*`, logfmt, text with a leading timestamp, access logs.
 */
export class LineParser {
  readonly #ctx: ParseContext;

  constructor({ timeZone = 'UTC', payloadFields = false, jsonMessage = false }: LineParserOptions = {}) {
    const tz = typeof timeZone === 'string' ? TimeZone.of(timeZone) : timeZone;
    this.#ctx = new ParseContext(tz, payloadFields, jsonMessage);
  }

  /** context returns the shared parse context (zone, options, scratch). */
  get context(): ParseContext {
    return this.#ctx;
  }

  /**
   * parse decodes `line` (without its newline) into `out`. `arrivalMs` is the time the line
   * was received: the timestamp when the line has none, and the reference for year-less ones.
   */
  parse(line: string, arrivalMs: number, out: ParsedLine): void {
    out.reset(arrivalMs);
    if (line.length === 0) return;
    const ctx = this.#ctx;
    const c = line.charCodeAt(0);
    // Indented lines are continuations (stack frames, journalctl's wrapped messages): kept as they are.
    if (c === 32 || c === 9) {
      out.line = line;
      return;
    }
    if (c === 123 /* { */) {
      if (parseJsonLine(ctx, line, arrivalMs, out)) {
        if ((out.format === LogFormat.DockerJson) && out.level === '') out.level = this.#innerLevel(out.line, arrivalMs);
        return;
      }
      const err = out.fields;
      out.reset(arrivalMs);
      out.fields = err;
      out.line = line;
      return;
    }
    if (c === 60 /* < */) {
      if (parseSyslog(ctx, line, arrivalMs, out, GENERIC_SYSLOG)) return;
      out.reset(arrivalMs);
    } else if (c >= 48 && c <= 57) {
      if (parseCri(ctx, line, out)) {
        if (out.level === '') out.level = this.#innerLevel(out.line, arrivalMs);
        return;
      }
      out.reset(arrivalMs);
      if (this.#shortIso(line, arrivalMs, out)) return;
    } else if (c === 73 || c === 87 || c === 69 || c === 70) {
      // I W E F: klog
      if (parseKlog(ctx, line, arrivalMs, out)) return;
      out.reset(arrivalMs);
    }
    if (((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) && this.#shortBsd(line, arrivalMs, out)) return;
    if (parseText(ctx, line, arrivalMs, out)) return;
    out.reset(arrivalMs);
    if (this.#logfmt(line, arrivalMs, out)) return;
    out.reset(arrivalMs);
    out.line = line;
  }

  /**
   * parseSyslog decodes one syslog message (RFC 5424 or 3164). A message without `<PRI>` is
   * read with `defaultPri` (rsyslog's choice is 13, user.notice); an invalid one is kept
   * unchanged with a `parse_error` field.
   */
  parseSyslog(line: string, arrivalMs: number, out: ParsedLine, defaultPri = 13): void {
    parseSyslog(this.#ctx, line, arrivalMs, out, { defaultPri, keepInvalid: true });
  }

  /** `journalctl -o short`/`short-precise`: `Mmm dd hh:mm:ss[.us] host ident[pid]: msg`. */
  #shortBsd(s: string, refMs: number, out: ParsedLine): boolean {
    const tr = this.#ctx.time;
    if (!parseBsd(s, 0, this.#ctx.tz, refMs, tr)) return false;
    return this.#hostTag(s, refMs, out);
  }

  /** `journalctl -o short-iso`/`short-iso-precise`: an RFC 3339 time with a zone, then host and tag. */
  #shortIso(s: string, refMs: number, out: ParsedLine): boolean {
    const tr = this.#ctx.time;
    if (!this.#ctx.isoAtStart(s)) return false;
    // Only a time with an explicit numeric zone (as journalctl prints it) and no fraction-less space form.
    const z5 = s.charCodeAt(tr.end - 5);
    const z6 = s.charCodeAt(tr.end - 6);
    if (s.charCodeAt(10) !== 84 || !(z5 === 43 || z5 === 45 || ((z6 === 43 || z6 === 45) && s.charCodeAt(tr.end - 3) === 58))) return false;
    return this.#hostTag(s, refMs, out);
  }

  #hostTag(s: string, refMs: number, out: ParsedLine): boolean {
    const tr = this.#ctx.time;
    const t = tr.t;
    const ns = tr.ns;
    const end = tr.end;
    // host must be a plain word, not a level (`2024-… INFO server: …` is text).
    const sp = s.indexOf(' ', end + 1);
    if (sp < 0 || levelFromWord(s.slice(end + 1, sp)) !== '') return false;
    if (!readHostTag(s, end, out, false) || out.identifier === '' || out.host === '') {
      out.reset(refMs);
      return false;
    }
    out.format = LogFormat.JournalShort;
    out.setTime(t, ns);
    out.indent = s.length - out.line.length;
    return true;
  }

  /**
   * logfmt: at least two `key=value` pairs, no more bare words than pairs, and a time, level
   * or message key. The line is kept; the time and level are read from it.
   */
  #logfmt(s: string, refMs: number, out: ParsedLine): boolean {
    if (s.indexOf('=') < 0) return false;
    const ctx = this.#ctx;
    const sc = ctx.logfmt;
    sc.reset(s);
    let pairs = 0;
    let bare = 0;
    let known = false;
    let timeDone = false;
    let levelDone = false;
    const payload = ctx.payloadFields;
    while (sc.next()) {
      if (!sc.hasEq) {
        bare++;
        continue;
      }
      pairs++;
      if (!timeDone && (sc.keyIs('time') || sc.keyIs('ts') || sc.keyIs('timestamp') || sc.keyIs('t'))) {
        known = true;
        const tr = ctx.time;
        if (parseTimeValue(sc.value(), ctx.tz, refMs, tr)) {
          out.setTime(tr.t, tr.ns);
          timeDone = true;
        }
      } else if (!levelDone && (sc.keyIs('level') || sc.keyIs('lvl') || sc.keyIs('severity'))) {
        known = true;
        levelDone = true;
        out.level = levelFromWord(sc.value());
      } else if (sc.keyIs('msg') || sc.keyIs('message')) {
        known = true;
      }
      if (payload) out.setField(sanitizeFieldName(sc.key()), sc.value());
    }
    // A line cut off inside a quoted value (errorAt ≥ 0) still counts when what came before is logfmt.
    if (pairs < 2 || bare > pairs || !known) return false;
    out.format = LogFormat.Logfmt;
    out.line = s;
    return true;
  }

  /** The level of a message inside an envelope (Docker, CRI): JSON/logfmt level keys or a level word. */
  #innerLevel(msg: string, refMs: number): Level | '' {
    if (msg.length === 0) return '';
    const probe = this.#probe;
    probe.reset(refMs);
    const c = msg.charCodeAt(0);
    if (c === 123) {
      return jsonLineLevel(this.#ctx, msg, refMs, probe);
    }
    if (parseText(this.#ctx, msg, refMs, probe)) return probe.level;
    probe.reset(refMs);
    if (this.#logfmt(msg, refMs, probe)) return probe.level;
    if (c === 73 || c === 87 || c === 69 || c === 70) {
      probe.reset(refMs);
      if (parseKlog(this.#ctx, msg, refMs, probe)) return probe.level;
    }
    return levelAfter(msg, 0);
  }

  readonly #probe = new ParsedLine();
}
