/**
 * LogStreamDecoder: the byte-stream front of the parsers, for TCP connections, HTTP bodies
 * and files. It frames lines (LF or CRLF), bounds their length, decodes UTF-8 without losing
 * bytes, follows `journalctl -o export` records (including binary length-prefixed fields)
 * and `-o short` boot separators, then parses each line and joins multi-line entries.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { EntryJoiner, type EntryJoinerOptions, type ParsedLineSink } from './entry-joiner.js';
import { ParserOptionError } from './errors.js';
import { JournalRecord } from './journal-fields.js';
import { LineParser, type LineParserOptions } from './line-parser.js';
import { PARSE_ERROR_FIELD } from './parse-context.js';
import { LogFormat, ParsedLine } from './parsed-line.js';
import { RAW_FIELD } from './raw-bytes.js';

/** LongLinePolicy says what happens to a line longer than maxLineBytes. */
export type LongLinePolicy = 'truncate' | 'split';

/** LogStreamDecoderOptions configure a LogStreamDecoder. */
export interface LogStreamDecoderOptions extends EntryJoinerOptions {
  /** The line parser, or options for a new one. */
  readonly parser?: LineParser | LineParserOptions;
  /** Longest line in bytes (default 256 KiB, Loki's default max_line_size). */
  readonly maxLineBytes?: number;
  /**
   * `truncate` (default) keeps the first maxLineBytes (cut at a character boundary) with the
   * fields `cut=truncated` and `cut_bytes=<bytes dropped>`; `split` stores every piece, each
   * with `cut=split` and `part=<n>`, the last also with `parts=<n>`.
   */
  readonly longLines?: LongLinePolicy;
}

/** CUT_FIELD marks an entry whose line was cut: `truncated`, `split` or `timeout` (an unfinished line cut after a quiet period). */
export const CUT_FIELD = 'cut';

const Mode = { Lines: 0, Export: 1 } as const;
const Exp = { Line: 0, BinLen: 1, BinData: 2, BinNl: 3 } as const;
const Cut = { None: 0, Truncate: 1, Split: 2 } as const;
const BOOT_PREFIX = '-- Boot ';

/**
 * LogStreamDecoder turns a byte stream into entries. Feed it with `write`, call `flushHeld`
 * when the stream has been quiet for a while (entries waiting for possible continuation
 * lines are emitted), `cutPartialLine` to bound how long an unfinished line may wait, and
 * `end` when the stream ends. Entries go to the sink as ParsedLines valid during the call.
 */
export class LogStreamDecoder {
  readonly #parser: LineParser;
  readonly #joiner: EntryJoiner;
  readonly #max: number;
  readonly #split: boolean;
  #cur = new ParsedLine();
  #arrival = 0;
  #sink: ParsedLineSink = () => {};
  // Unfinished line (line mode) or unfinished export text line.
  #carry: Buffer[] = [];
  #carryLen = 0;
  #carrySince = -1;
  #cut: number = Cut.None;
  #cutDropped = 0;
  #cutPart = 0;
  #truncHead: Buffer | undefined;
  readonly #splitHead = new ParsedLine();
  #bootId = '';
  // journalctl -o export state
  #mode: number = Mode.Lines;
  #exp: number = Exp.Line;
  readonly #rec = new JournalRecord();
  #recFields = 0;
  #binName = '';
  #binNeed = 0;
  #binGot = 0;
  #binKept: Buffer[] = [];
  #binKeptLen = 0;
  readonly #lenBuf = Buffer.alloc(8);
  #lenGot = 0;

  constructor(options: LogStreamDecoderOptions = {}) {
    const { parser, maxLineBytes = 256 * 1024, longLines = 'truncate' } = options;
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 16) throw new ParserOptionError('maxLineBytes', `must be an integer ≥ 16, got ${maxLineBytes}`);
    if (longLines !== 'truncate' && longLines !== 'split') throw new ParserOptionError('longLines', `must be "truncate" or "split", got ${String(longLines)}`);
    this.#parser = parser instanceof LineParser ? parser : new LineParser(parser);
    this.#joiner = new EntryJoiner({ ...options, maxGroupChars: options.maxGroupChars ?? maxLineBytes });
    this.#max = maxLineBytes;
    this.#split = longLines === 'split';
  }

  /** bufferedBytes is the size of the unfinished line held (bounded by maxLineBytes). */
  get bufferedBytes(): number {
    return this.#carryLen + (this.#truncHead?.length ?? 0);
  }

  /** partialSince is the arrival time of the first byte of the unfinished line, or -1 when there is none. */
  get partialSince(): number {
    return this.#carryLen > 0 || this.#cut !== Cut.None ? this.#carrySince : -1;
  }

  /** holding tells whether entries are held back waiting for possible continuation lines. */
  get holding(): boolean {
    return this.#joiner.holding;
  }

  /** write feeds the next bytes, received at `arrivalMs`. */
  write(chunk: Buffer, arrivalMs: number, sink: ParsedLineSink): void {
    this.#arrival = arrivalMs;
    this.#sink = sink;
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.#mode === Mode.Export) {
        pos = this.#exportFeed(chunk, pos);
        continue;
      }
      if (this.#cut === Cut.Truncate) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          this.#cutDropped += n - pos;
          return;
        }
        this.#cutDropped += nl - pos;
        this.#finishTruncated();
        pos = nl + 1;
        continue;
      }
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        this.#appendCarry(chunk, pos, n);
        return;
      }
      if (this.#carryLen > 0 || this.#cut !== Cut.None) {
        this.#appendCarry(chunk, pos, nl);
        pos = nl + 1;
        if (this.#cut === Cut.Truncate) {
          this.#finishTruncated();
          continue;
        }
        const buf = this.#takeCarry();
        if (this.#cut === Cut.Split) this.#emitPiece(buf, 0, buf.length, true);
        else if (this.#isExportStart(buf, 0, buf.length)) this.#enterExport(buf, 0, buf.length);
        else this.#lineBytes(buf, 0, buf.length);
        continue;
      }
      pos = this.#lines(chunk, pos, chunk.lastIndexOf(10));
    }
  }

  /**
   * writeLine feeds one complete line, buf[a, nl] with buf[nl] its newline: the same as
   * `write(buf.subarray(a, nl + 1), …)`, without the framing work when nothing is pending (a
   * file tailer hands over its lines one at a time, to keep a position per line).
   */
  writeLine(buf: Buffer, a: number, nl: number, arrivalMs: number, sink: ParsedLineSink): void {
    if (this.#mode !== Mode.Lines || this.#cut !== Cut.None || this.#carryLen > 0 || buf[a] === 95 || (nl - a) * 3 > this.#max) {
      this.write(buf.subarray(a, nl + 1), arrivalMs, sink);
      return;
    }
    this.#arrival = arrivalMs;
    this.#sink = sink;
    const e = nl > a && buf[nl - 1] === 13 ? nl - 1 : nl;
    const text = buf.toString('utf8', a, e);
    // Bytes that are not UTF-8 decode to U+FFFD: only then is the line checked (and kept raw if so).
    if (text.indexOf('\uFFFD') >= 0 && !isUtf8(buf.subarray(a, e))) this.#lineBytes(buf, a, nl);
    else this.#lineText(text, undefined);
  }

  /** flushHeld emits the entries held for possible continuation lines. */
  flushHeld(sink: ParsedLineSink): void {
    this.#joiner.flush(sink);
  }

  /**
   * cutPartialLine emits the unfinished line held so far as an entry with `cut=timeout`
   * (what follows becomes a new line); used to bound a sender that never finishes a line.
   * Returns whether anything was emitted.
   */
  cutPartialLine(arrivalMs: number, sink: ParsedLineSink): boolean {
    if (this.#mode !== Mode.Lines || (this.#carryLen === 0 && this.#cut === Cut.None)) return false;
    this.#arrival = arrivalMs;
    this.#sink = sink;
    if (this.#cut === Cut.Truncate) {
      this.#finishTruncated();
    } else if (this.#cut === Cut.Split) {
      const buf = this.#takeCarry();
      this.#emitPiece(buf, 0, buf.length, true);
    } else {
      const buf = this.#takeCarry();
      this.#lineBytes(buf, 0, buf.length, 'timeout');
    }
    this.#joiner.flush(sink);
    return true;
  }

  /** end flushes everything: the unfinished line, an unfinished export record and held entries. */
  end(arrivalMs: number, sink: ParsedLineSink): void {
    this.#arrival = arrivalMs;
    this.#sink = sink;
    if (this.#mode === Mode.Export) {
      if (this.#exp !== Exp.Line) this.#recError(`journal export: stream ended inside binary field ${this.#binName}`);
      else if (this.#carryLen > 0) {
        const buf = this.#takeCarry();
        if (this.#exportLine(buf, 0, buf.length) === 'stray') {
          this.#mode = Mode.Lines;
          this.#lineBytes(buf, 0, buf.length);
        }
      }
      if (this.#recFields > 0) this.#emitRecord();
      this.#mode = Mode.Lines;
      this.#exp = Exp.Line;
    } else if (this.#cut === Cut.Truncate) {
      this.#finishTruncated();
    } else if (this.#carryLen > 0 || this.#cut === Cut.Split) {
      const buf = this.#takeCarry();
      if (this.#cut === Cut.Split) this.#emitPiece(buf, 0, buf.length, true);
      else if (this.#isExportStart(buf, 0, buf.length)) {
        this.#enterExport(buf, 0, buf.length);
        if (this.#recFields > 0) this.#emitRecord();
        this.#mode = Mode.Lines;
      } else this.#lineBytes(buf, 0, buf.length);
    }
    this.#joiner.flush(sink);
  }

  // ---- line mode

  /** Processes the complete lines in chunk[start, last] (last is a newline); returns where to go on. */
  #lines(chunk: Buffer, start: number, last: number): number {
    const region = chunk.subarray(start, last);
    if (!isUtf8(region)) {
      let a = start;
      while (a <= last) {
        const b = chunk.indexOf(10, a);
        if (this.#isExportStart(chunk, a, b)) {
          this.#enterExport(chunk, a, b);
        } else {
          this.#lineBytes(chunk, a, b);
        }
        a = b + 1;
        if (this.#mode === Mode.Export) return a;
      }
      return last + 1;
    }
    const str = chunk.toString('utf8', start, last);
    const ascii = str.length === last - start;
    const max = this.#max;
    let a = 0;
    for (;;) {
      let b = str.indexOf('\n', a);
      if (b < 0) b = str.length;
      const c0 = str.charCodeAt(a);
      if ((b - a) * 3 > max || c0 === 95) {
        // Rare cases, handled on bytes: a possibly over-long line, an export record start.
        const bs = start + (ascii ? a : Buffer.byteLength(str.slice(0, a)));
        const be = start + (ascii ? b : bs - start + Buffer.byteLength(str.slice(a, b)));
        if (c0 === 95 && this.#isExportStart(chunk, bs, be)) {
          this.#enterExport(chunk, bs, be);
          return be + 1;
        }
        this.#lineBytes(chunk, bs, be);
      } else {
        const e = b > a && str.charCodeAt(b - 1) === 13 ? b - 1 : b;
        this.#lineText(str.slice(a, e), undefined);
      }
      if (b >= str.length) return last + 1;
      a = b + 1;
    }
  }

  /** One complete line in bytes (without its LF); handles CR, length, UTF-8 and markers. */
  #lineBytes(buf: Buffer, a: number, b: number, cut?: 'timeout'): void {
    let e = b;
    if (e > a && buf[e - 1] === 13) e--;
    if (e - a > this.#max) {
      if (this.#split) {
        let p = a;
        while (e - p > this.#max) {
          const cutAt = charBoundary(buf, p + this.#max, p);
          this.#emitPiece(buf, p, cutAt, false);
          p = cutAt;
        }
        this.#emitPiece(buf, p, e, true);
      } else {
        this.#truncHead = Buffer.from(buf.subarray(a, charBoundary(buf, a + this.#max, a)));
        this.#cutDropped = e - a - this.#truncHead.length;
        this.#finishTruncated();
      }
      return;
    }
    const valid = isUtf8(buf.subarray(a, e));
    const text = buf.toString('utf8', a, e);
    this.#lineText(text, valid ? undefined : Buffer.from(buf.subarray(a, e)), cut);
  }

  #lineText(text: string, raw: Buffer | undefined, cut?: string, fields?: Record<string, string>): void {
    if (text.charCodeAt(0) === 45 && this.#journalMarker(text)) return;
    const cur = this.#cur;
    this.#parser.parse(text, this.#arrival, cur);
    if (raw !== undefined) cur.setField(RAW_FIELD, raw.toString('base64'));
    if (cut !== undefined) cur.setField(CUT_FIELD, cut);
    if (fields !== undefined) for (const k of Object.keys(fields)) cur.setField(k, fields[k]!);
    if (this.#bootId !== '' && cur.format === LogFormat.JournalShort) cur.setField('_BOOT_ID', this.#bootId);
    this.#cur = this.#joiner.push(cur, text, raw, this.#sink);
  }

  /** journalctl's own lines: `-- Boot <id> --` (kept as the _BOOT_ID of the lines after it), `-- No entries --`, `-- Logs begin at … --`. */
  #journalMarker(text: string): boolean {
    if (!text.startsWith('-- ') || !text.endsWith(' --')) return false;
    if (text.startsWith(BOOT_PREFIX)) {
      const id = text.slice(BOOT_PREFIX.length, -3);
      if (/^[0-9a-f]{32}$/.test(id)) {
        this.#joiner.flush(this.#sink);
        this.#bootId = id;
        return true;
      }
      return false;
    }
    return text === '-- No entries --' || text === '-- Reboot --' || text.startsWith('-- Logs begin at ') || text.startsWith('-- Journal begins at ');
  }

  #appendCarry(chunk: Buffer, a: number, b: number): void {
    if (b <= a) {
      if (this.#carryLen === 0 && this.#cut === Cut.None) this.#carrySince = this.#arrival;
      return;
    }
    if (this.#carryLen === 0 && this.#cut === Cut.None) this.#carrySince = this.#arrival;
    if (this.#cut === Cut.Truncate) {
      this.#cutDropped += b - a;
      return;
    }
    this.#carry.push(chunk.subarray(a, b));
    this.#carryLen += b - a;
    // An export text line may be long too; it is bounded the same way (the value is cut).
    while (this.#carryLen > this.#max) {
      const buf = this.#takeCarry();
      const cutAt = charBoundary(buf, this.#max, 0);
      if (this.#mode === Mode.Export) {
        // Keep the head of the field line; the rest of it is dropped up to its newline.
        this.#carry.push(buf.subarray(0, cutAt));
        this.#carryLen = cutAt;
        this.#exportDrop = true;
        return;
      }
      if (this.#split) {
        this.#emitPiece(buf, 0, cutAt, false);
        if (cutAt < buf.length) {
          this.#carry.push(buf.subarray(cutAt));
          this.#carryLen = buf.length - cutAt;
        }
      } else {
        this.#truncHead = Buffer.from(buf.subarray(0, cutAt));
        this.#cutDropped = buf.length - cutAt;
        this.#cut = Cut.Truncate;
        return;
      }
    }
  }

  #exportDrop = false;

  #takeCarry(): Buffer {
    const buf = this.#carry.length === 1 ? this.#carry[0]! : Buffer.concat(this.#carry, this.#carryLen);
    this.#carry = [];
    this.#carryLen = 0;
    return buf;
  }

  #finishTruncated(): void {
    const head = this.#truncHead ?? Buffer.alloc(0);
    let e = head.length;
    if (e > 0 && head[e - 1] === 13) e--;
    const valid = isUtf8(head.subarray(0, e));
    this.#cut = Cut.None;
    this.#truncHead = undefined;
    const dropped = this.#cutDropped;
    this.#cutDropped = 0;
    this.#lineText(head.toString('utf8', 0, e), valid ? undefined : Buffer.from(head.subarray(0, e)), 'truncated', { cut_bytes: String(dropped) });
  }

  /** Emits one piece of a split line; pieces after the first take the first one's time and labels. */
  #emitPiece(buf: Buffer, a: number, b: number, last: boolean): void {
    let e = b;
    if (last && e > a && buf[e - 1] === 13) e--;
    const part = ++this.#cutPart;
    const valid = isUtf8(buf.subarray(a, e));
    const text = buf.toString('utf8', a, e);
    const cur = this.#cur;
    if (part === 1) {
      this.#joiner.flush(this.#sink);
      this.#parser.parse(text, this.#arrival, cur);
      this.#splitHead.copyFrom(cur);
      this.#splitHead.fields = undefined;
    } else {
      cur.copyFrom(this.#splitHead);
      cur.line = text;
      cur.format = LogFormat.Unknown;
    }
    if (!valid) cur.setField(RAW_FIELD, Buffer.from(buf.subarray(a, e)).toString('base64'));
    cur.setField(CUT_FIELD, 'split');
    cur.setField('part', String(part));
    if (last) {
      cur.setField('parts', String(part));
      this.#cutPart = 0;
      this.#cut = Cut.None;
    } else {
      this.#cut = Cut.Split;
    }
    this.#sink(cur);
  }

  // ---- journalctl -o export

  #isExportStart(buf: Buffer, a: number, b: number): boolean {
    if (buf[a] !== 95 || buf[a + 1] !== 95) return false;
    const n = b - a;
    return (n > 9 && buf.toString('latin1', a, a + 9) === '__CURSOR=') || (n > 21 && buf.toString('latin1', a, a + 21) === '__REALTIME_TIMESTAMP=');
  }

  #enterExport(buf: Buffer, a: number, b: number): void {
    this.#joiner.flush(this.#sink);
    this.#mode = Mode.Export;
    this.#exp = Exp.Line;
    this.#rec.reset();
    this.#recFields = 0;
    this.#exportLine(buf, a, b);
  }

  /** Feeds export-mode bytes from pos; returns the position reached. */
  #exportFeed(chunk: Buffer, pos: number): number {
    const n = chunk.length;
    switch (this.#exp) {
      case Exp.Line: {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (!this.#exportDrop) this.#appendCarry(chunk, pos, n);
          return n;
        }
        let buf = chunk;
        let a = pos;
        let b = nl;
        if (this.#carryLen > 0 || this.#exportDrop) {
          if (!this.#exportDrop) this.#appendCarry(chunk, pos, nl);
          buf = this.#takeCarry();
          a = 0;
          b = buf.length;
          this.#exportDrop = false;
        }
        if (this.#exportLine(buf, a, b) === 'stray') {
          this.#mode = Mode.Lines;
          this.#lineBytes(buf, a, b);
        }
        return nl + 1;
      }
      case Exp.BinLen: {
        const k = Math.min(8 - this.#lenGot, n - pos);
        chunk.copy(this.#lenBuf, this.#lenGot, pos, pos + k);
        this.#lenGot += k;
        if (this.#lenGot < 8) return n;
        const lo = this.#lenBuf.readUInt32LE(0);
        const hi = this.#lenBuf.readUInt32LE(4);
        if (hi !== 0) {
          this.#recError(`journal export: binary field ${this.#binName} has an impossible length`);
          this.#mode = Mode.Lines;
          this.#exp = Exp.Line;
          return pos + k;
        }
        this.#binNeed = lo;
        this.#binGot = 0;
        this.#binKept = [];
        this.#binKeptLen = 0;
        this.#exp = Exp.BinData;
        return pos + k;
      }
      case Exp.BinData: {
        const k = Math.min(this.#binNeed - this.#binGot, n - pos);
        const keep = Math.min(k, this.#max - this.#binKeptLen);
        if (keep > 0) {
          this.#binKept.push(chunk.subarray(pos, pos + keep));
          this.#binKeptLen += keep;
        }
        this.#binGot += k;
        if (this.#binGot === this.#binNeed) this.#exp = Exp.BinNl;
        return pos + k;
      }
      default: {
        const value = Buffer.concat(this.#binKept, this.#binKeptLen);
        this.#binKept = [];
        this.#addField(this.#binName, value, 0, value.length);
        if (this.#binNeed > this.#binKeptLen) this.#rec.add(this.#binName + '_cut_bytes', String(this.#binNeed - this.#binKeptLen));
        this.#exp = Exp.Line;
        if (chunk[pos] === 10) return pos + 1;
        this.#recError(`journal export: binary field ${this.#binName} not followed by a newline`);
        this.#mode = Mode.Lines;
        return pos;
      }
    }
  }

  /** One export text line: a field, a binary field name, the blank line ending a record, or a stray line. */
  #exportLine(buf: Buffer, a: number, b: number): 'ok' | 'stray' {
    if (a === b) {
      if (this.#recFields > 0) this.#emitRecord();
      return 'ok';
    }
    const eq = buf.indexOf(61, a);
    const nameEnd = eq < 0 || eq > b ? b : eq;
    if (!validFieldName(buf, a, nameEnd)) {
      if (this.#recFields > 0) this.#emitRecord();
      return 'stray';
    }
    const name = buf.toString('latin1', a, nameEnd);
    if (nameEnd === b) {
      this.#binName = name;
      this.#lenGot = 0;
      this.#exp = Exp.BinLen;
      return 'ok';
    }
    this.#addField(name, buf, nameEnd + 1, b);
    return 'ok';
  }

  #addField(name: string, buf: Buffer, a: number, b: number): void {
    const sub = buf.subarray(a, b);
    const valid = isUtf8(sub);
    this.#rec.add(name, buf.toString('utf8', a, b), valid ? undefined : Buffer.from(sub));
    this.#recFields++;
  }

  #recError(msg: string): void {
    this.#rec.add(PARSE_ERROR_FIELD, msg);
    this.#recFields++;
    this.#emitRecord();
  }

  #emitRecord(): void {
    const cur = this.#cur;
    this.#rec.write(this.#parser.context, cur, this.#arrival, LogFormat.JournalExport);
    this.#rec.reset();
    this.#recFields = 0;
    this.#cur = this.#joiner.push(cur, '', undefined, this.#sink);
  }
}

/** validFieldName: journald field names are A–Z, 0–9 and _, not starting with a digit, at most 64 bytes. */
function validFieldName(buf: Buffer, a: number, b: number): boolean {
  if (b <= a || b - a > 64) return false;
  const c0 = buf[a]!;
  if (c0 >= 48 && c0 <= 57) return false;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** charBoundary moves a cut position back (at most 3 bytes, not before min) so it does not split a UTF-8 sequence. */
function charBoundary(buf: Buffer, at: number, min: number): number {
  if (at >= buf.length) return buf.length;
  let p = at;
  for (let k = 0; k < 3 && p > min && (buf[p]! & 0xc0) === 0x80; k++) p--;
  return p > min ? p : at;
}
