/**
 * EntryJoiner turns parsed lines into entries where one entry spans several lines:
 * CRI `P` and Docker split lines are joined per stream, `journalctl -o short` continuation
 * lines (indented under the message) are appended, and, when multi-line grouping is on,
 * stack traces (Java, Python, Go panics) stay with the line that logged them.
 * @module
 */
import { LogFormat, ParsedLine } from './parsed-line.js';
import { RAW_FIELD } from './raw-bytes.js';

/** ParsedLineSink receives finished entries; the ParsedLine is only valid during the call. */
export type ParsedLineSink = (p: ParsedLine) => void;

/** EntryJoinerOptions configure an EntryJoiner. */
export interface EntryJoinerOptions {
  /** Group stack traces and other continuation lines with the line before (default true). */
  readonly multiline?: boolean;
  /** Most lines in one group (default 1000); the next line starts a new entry. */
  readonly maxGroupLines?: number;
  /** Most UTF-16 code units in one joined entry (default 1 Mi); past it the entry is emitted. */
  readonly maxGroupChars?: number;
}

// Formats whose lines may be followed by continuation lines (stack traces and the like).
const HEADS: ReadonlySet<string> = new Set([
  LogFormat.Unknown, LogFormat.Text, LogFormat.Klog, LogFormat.Logfmt, LogFormat.JournalShort,
  LogFormat.SyslogRfc3164, LogFormat.SyslogRfc5424, LogFormat.Cri, LogFormat.DockerJson,
]);

const JAVA_EXCEPTION = /^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::|$)/;
const PY_TRACEBACK = 'Traceback (most recent call last):';

/** Python traceback states. */
const Py = { None: 0, InTrace: 1, AfterException: 2, Chained: 3 } as const;

/** EntryJoiner holds at most one multi-line group and one partial line per stream. */
export class EntryJoiner {
  readonly #multiline: boolean;
  readonly #maxLines: number;
  readonly #maxChars: number;
  #pending: ParsedLine | undefined;
  #lines = 0;
  #blanks = 0;
  #blankT = 0;
  #py: number = Py.None;
  #go = false;
  // Original text and bytes of each line of the pending group, kept only to rebuild raw bytes:
  // the head's alone until a continuation line comes (most groups have none), then in the lists.
  #headText = '';
  #headRaw: Buffer | undefined;
  readonly #texts: string[] = [];
  readonly #raws: (Buffer | undefined)[] = [];
  #anyRaw = false;
  readonly #partials = new Map<string, { p: ParsedLine; texts: string[]; raws: (Buffer | undefined)[]; anyRaw: boolean }>();
  readonly #spares: ParsedLine[] = [];

  constructor({ multiline = true, maxGroupLines = 1000, maxGroupChars = 1 << 20 }: EntryJoinerOptions = {}) {
    this.#multiline = multiline;
    this.#maxLines = maxGroupLines;
    this.#maxChars = maxGroupChars;
  }

  /** holding tells whether an entry is held back waiting for possible continuation lines. */
  get holding(): boolean {
    return this.#pending !== undefined || this.#blanks > 0 || this.#partials.size > 0;
  }

  /**
   * push takes the next parsed line. `text` is the line as received (decoded) and `raw` its
   * bytes when they are not valid UTF-8. Returns the ParsedLine the caller should parse the
   * next line into: `p` itself, or a spare when the joiner kept `p`.
   */
  push(p: ParsedLine, text: string, raw: Buffer | undefined, sink: ParsedLineSink): ParsedLine {
    if (p.partial || ((p.format === LogFormat.Cri || p.format === LogFormat.DockerJson) && this.#partials.size > 0)) {
      const key = p.format + '\u0000' + p.stream;
      const held = this.#partials.get(key);
      if (held !== undefined) {
        held.p.line += p.line;
        held.texts.push(text);
        held.raws.push(raw);
        held.anyRaw ||= raw !== undefined;
        if (p.partial && held.p.line.length < this.#maxChars) return p;
        this.#partials.delete(key);
        const joinedRaw = held.anyRaw ? joinRaw(held.texts, held.raws) : undefined;
        if (joinedRaw !== undefined) held.p.setField(RAW_FIELD, joinedRaw.toString('base64'));
        held.p.partial = p.partial;
        this.#release(p);
        return this.#complete(held.p, held.texts.join('\n'), joinedRaw, sink, true);
      }
      if (p.partial) {
        this.#partials.set(key, { p, texts: [text], raws: [raw], anyRaw: raw !== undefined });
        return this.#spare();
      }
    }
    return this.#complete(p, text, raw, sink, false);
  }

  /** flush emits everything held. */
  flush(sink: ParsedLineSink): void {
    this.#emitPending(sink);
    for (const held of this.#partials.values()) {
      if (held.anyRaw) setRaw(held.p, held.texts, held.raws);
      sink(held.p);
      this.#release(held.p);
    }
    this.#partials.clear();
  }

  #spare(): ParsedLine {
    return this.#spares.pop() ?? new ParsedLine();
  }

  #release(p: ParsedLine): void {
    if (this.#spares.length < 8) this.#spares.push(p);
  }

  /** A complete line (or a joined partial line): group it or emit it. */
  #complete(p: ParsedLine, text: string, raw: Buffer | undefined, sink: ParsedLineSink, owned: boolean): ParsedLine {
    const pend = this.#pending;
    if (pend !== undefined) {
      const verdict = this.#continues(pend, p);
      if (verdict === 'blank') {
        if (this.#blanks === 0) this.#blankT = p.t;
        this.#blanks++;
        return owned ? this.#spare() : p;
      }
      if (verdict === 'yes') {
        const add = pend.format === LogFormat.JournalShort && p.format === LogFormat.Unknown ? p.line.slice(pend.indent) : p.line;
        pend.line += '\n'.repeat(this.#blanks + 1) + add;
        if (this.#texts.length === 0) {
          this.#texts.push(this.#headText);
          this.#raws.push(this.#headRaw);
        }
        for (let k = 0; k < this.#blanks; k++) {
          this.#texts.push('');
          this.#raws.push(undefined);
        }
        this.#blanks = 0;
        this.#lines += 1;
        this.#texts.push(text);
        this.#raws.push(raw);
        this.#anyRaw ||= raw !== undefined;
        if (owned) this.#release(p);
        return owned ? this.#spare() : p;
      }
      this.#emitPending(sink);
    }
    if (p.line.length === 0 && p.format === LogFormat.Unknown) {
      sink(p);
      return owned ? (this.#release(p), this.#spare()) : p;
    }
    if (HEADS.has(p.format) && (this.#multiline || p.format === LogFormat.JournalShort)) {
      this.#pending = p;
      this.#lines = 1;
      this.#blanks = 0;
      this.#py = p.line.startsWith(PY_TRACEBACK) ? Py.InTrace : Py.None;
      this.#go = p.format === LogFormat.Unknown && (p.line.startsWith('panic: ') || p.line.startsWith('fatal error: '));
      if (this.#texts.length > 0) {
        this.#texts.length = 0;
        this.#raws.length = 0;
      }
      this.#headText = text;
      this.#headRaw = raw;
      this.#anyRaw = raw !== undefined;
      return this.#spare();
    }
    sink(p);
    if (owned) {
      this.#release(p);
      return this.#spare();
    }
    return p;
  }

  #emitPending(sink: ParsedLineSink): void {
    const pend = this.#pending;
    if (pend !== undefined) {
      if (this.#anyRaw && this.#texts.length > 1) setRaw(pend, this.#texts, this.#raws);
      this.#pending = undefined;
      sink(pend);
      this.#release(pend);
    }
    if (this.#blanks > 0) {
      const b = this.#spare();
      for (let k = 0; k < this.#blanks; k++) {
        b.reset(this.#blankT);
        sink(b);
      }
      this.#release(b);
      this.#blanks = 0;
    }
  }

  /** Whether `p` continues the pending group: 'yes', 'no', or 'blank' (decided by the next line). */
  #continues(pend: ParsedLine, p: ParsedLine): 'yes' | 'no' | 'blank' {
    if (this.#lines >= this.#maxLines || pend.line.length + p.line.length > this.#maxChars) return 'no';
    const text = p.line;
    if (pend.format === LogFormat.JournalShort && p.format === LogFormat.Unknown && pend.indent > 0 && startsWithSpaces(text, pend.indent)) {
      return 'yes';
    }
    if (!this.#multiline) return 'no';
    if (pend.format === LogFormat.Cri || pend.format === LogFormat.DockerJson) {
      if (p.format !== pend.format || p.stream !== pend.stream) return 'no';
    } else if (p.format !== LogFormat.Unknown) {
      return 'no';
    }
    if (text.length === 0) return this.#py !== Py.None || this.#go || this.#lines > 1 ? 'blank' : 'no';
    const c = text.charCodeAt(0);
    if (c === 32 || c === 9) return 'yes';
    if (this.#py === Py.InTrace) {
      this.#py = Py.AfterException;
      return 'yes';
    }
    if (text.startsWith(PY_TRACEBACK)) {
      this.#py = Py.InTrace;
      return 'yes';
    }
    if (this.#py === Py.AfterException && (text.startsWith('During handling of the above exception') || text.startsWith('The above exception was the direct cause'))) {
      this.#py = Py.Chained;
      return 'yes';
    }
    if (text.startsWith('Caused by: ')) return 'yes';
    if (this.#go) return 'yes';
    if (this.#lines === 1 && pend.format !== LogFormat.Unknown && JAVA_EXCEPTION.test(text)) return 'yes';
    return 'no';
  }
}

function startsWithSpaces(s: string, n: number): boolean {
  if (s.length < n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== 32) return false;
  return true;
}

function joinRaw(texts: readonly string[], raws: readonly (Buffer | undefined)[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) parts.push(NL);
    parts.push(raws[i] ?? Buffer.from(texts[i]!, 'utf8'));
  }
  return Buffer.concat(parts);
}

function setRaw(p: ParsedLine, texts: readonly string[], raws: readonly (Buffer | undefined)[]): void {
  p.setField(RAW_FIELD, joinRaw(texts, raws).toString('base64'));
}

const NL = Buffer.from('\n');
