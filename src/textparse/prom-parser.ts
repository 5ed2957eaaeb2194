/**
 * Pull parser for the Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`),
 * accepting exactly what Prometheus's own text parser accepts: spaces and tabs between tokens,
 * blank lines, free-form comments, label pairs without commas, trailing commas, a last line
 * without a line break, and quoted (UTF-8) metric and label names. One extension: a label set
 * that spells out `__name__` needs no metric name in front (`promtool tsdb dump` writes that).
 * @module
 */
import { type Labels, METRIC_NAME } from '../model/index.js';
import { CHAR_CLASS as CHAR_CLASS_TABLE } from './char-class.js';
import { EntryKind, MetricType } from './entry.js';
import { ParseError } from './errors.js';
import { scanFloat, scanInt64 } from './float-scan.js';
import type { Exemplar, Parser } from './parser.js';
import { QuotedScan, hasFloatExtension, indexOfLF, matchType, scanQuoted, tokenText } from './scan.js';
import { type LabelNormalization, SeriesSpans, decodeSpan, unescapeHelp } from './series-spans.js';
import { validUtf8 } from './utf8.js';

// Byte values and name classes, as module constants so the scanning loops read no imports.
const COMMA = 0x2c;
const EQ = 0x3d;
const HASH = 0x23;
const LBRACE = 0x7b;
const LF = 0x0a;
const QUOTE = 0x22;
const RBRACE = 0x7d;
const SP = 0x20;
const TAB = 0x09;
const K_COMMENT = EntryKind.Comment;
const K_EOF = EntryKind.EOF;
const K_HELP = EntryKind.Help;
const K_SERIES = EntryKind.Series;
const K_TYPE = EntryKind.Type;
const CHAR_CLASS = CHAR_CLASS_TABLE;
const METRIC_START = 1;
const METRIC_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;

/** PromParserOptions tune the text parser. */
export interface PromParserOptions {
  /**
   * Rewrite `le` values of histograms and `quantile` values of summaries canonically
   * (`le="1"` becomes `1.0`) as Prometheus 3.x does. Off by default: Prometheus 2.42 keeps the
   * values as exposed.
   */
  readonly normalizeBucketLabels?: boolean;
}

const TEXT_TYPES: readonly (readonly [string, MetricType])[] = [
  ['counter', MetricType.Counter],
  ['gauge', MetricType.Gauge],
  ['histogram', MetricType.Histogram],
  ['summary', MetricType.Summary],
  ['untyped', MetricType.Unknown],
];

const NORM_LE: LabelNormalization = { label: 'le' };
const NORM_QUANTILE: LabelNormalization = { label: 'quantile' };

/** PromParser parses the Prometheus text format 0.0.4 from a Buffer. */
export class PromParser implements Parser {
  readonly buffer: Buffer;
  readonly #end: number;
  readonly #normalize: boolean;
  readonly #spans = new SeriesSpans();
  readonly #num = new Float64Array(2); // [value, timestamp]
  readonly #tsOut = this.#num.subarray(1);
  readonly #q = new QuotedScan();
  #pos = 0;
  #entry = 0;
  #hasTs = false;
  #seriesStart = 0;
  #seriesEnd = 0;
  #famStart = 0;
  #famEnd = 0;
  #famFlags = 0;
  #textStart = 0;
  #textEnd = 0;
  #type: MetricType = MetricType.Unknown;
  // The expected series text (see expect()) and whether the current series matched it; when it
  // did, the label spans are recorded only if labels() or metricName() ask for them.
  #hint: Uint8Array | undefined;
  #hintView: DataView | undefined; // over #hintBytes, for comparing four bytes at a time
  #hintBytes: Uint8Array | undefined;
  #view: DataView;
  #hintOff = 0;
  #hintLen = 0;
  #matched = false;
  #spansStale = false;

  constructor(buffer: Buffer, options: PromParserOptions = {}) {
    const { normalizeBucketLabels = false } = options;
    this.buffer = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#end = buffer.length;
    this.#normalize = normalizeBucketLabels;
  }

  next(): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    for (;;) {
      let i = this.#pos;
      this.#entry = i;
      while (i < end && (b[i] === SP || b[i] === TAB)) i++;
      if (i >= end) {
        this.#pos = end;
        return K_EOF;
      }
      const c = b[i]!;
      if (c === LF) {
        this.#pos = i + 1;
        continue;
      }
      if ((CHAR_CLASS[c]! & METRIC_START) !== 0 || c === LBRACE) return this.#series(i);
      if (c === HASH) return this.#comment(i);
      if (c === 0) {
        // Prometheus's lexer reads a NUL byte where a line should start as the end of input.
        this.#pos = end;
        return K_EOF;
      }
      throw this.#error(i, `expected a metric name, "{" or "#" at the start of a line, got ${tokenText(b, i, i + 1)}`);
    }
  }

  seriesStart(): number {
    return this.#seriesStart;
  }

  seriesEnd(): number {
    return this.#seriesEnd;
  }

  value(): number {
    return this.#num[0]!;
  }

  hasTimestamp(): boolean {
    return this.#hasTs;
  }

  timestamp(): number {
    return this.#hasTs ? this.#num[1]! : 0;
  }

  labels(): Labels {
    if (this.#spansStale) this.#rescan();
    let norm: LabelNormalization | undefined;
    if (this.#normalize) {
      if (this.#type === MetricType.Histogram) norm = NORM_LE;
      else if (this.#type === MetricType.Summary) norm = NORM_QUANTILE;
    }
    return this.#spans.labels(this.buffer, norm);
  }

  metricName(): string {
    if (this.#spansStale) this.#rescan();
    return this.#spans.metricName(this.buffer);
  }

  hasExemplar(): boolean {
    return false;
  }

  exemplar(): Exemplar | undefined {
    return undefined;
  }

  family(): string {
    return decodeSpan(this.buffer, this.#famStart, this.#famEnd, this.#famFlags);
  }

  help(): string {
    return unescapeHelp(this.buffer.toString('utf8', this.#textStart, this.#textEnd));
  }

  type(): MetricType {
    return this.#type;
  }

  unit(): string {
    return '';
  }

  comment(): string {
    return this.buffer.toString('utf8', this.#textStart, this.#textEnd);
  }

  entryOffset(): number {
    return this.#entry;
  }

  expect(key: Uint8Array | undefined, off: number, len: number): void {
    this.#hint = len > 0 ? key : undefined;
    if (key !== this.#hintBytes && key !== undefined) {
      this.#hintBytes = key;
      this.#hintView = new DataView(key.buffer, key.byteOffset, key.byteLength);
    }
    this.#hintOff = off;
    this.#hintLen = len;
  }

  matchedExpected(): boolean {
    return this.#matched;
  }

  // #matchHint tells whether the series text starting at i is exactly the hint, followed by
  // what ends a series text there: the hint's bytes were parsed into a series before, so equal
  // bytes parse the same way up to the hint's end. A hint ending in "}" ends the text by
  // itself; a bare metric name ends where a blank follows that leads to no "{".
  #matchHint(i: number): boolean {
    const h = this.#hint!;
    const len = this.#hintLen;
    const end = this.#end;
    const e = i + len;
    if (e >= end) return false;
    const b = this.buffer;
    const hv = this.#hintView!;
    const bv = this.#view;
    let k = this.#hintOff;
    let j = i;
    for (; j + 4 <= e; j += 4, k += 4) if (bv.getInt32(j) !== hv.getInt32(k)) return false;
    for (; j < e; j++, k++) if (b[j] !== h[k]) return false;
    if (h[k - 1] === RBRACE) return true;
    let c = b[e];
    if (c !== SP && c !== TAB) return false;
    for (j = e + 1; j < end && ((c = b[j]) === SP || c === TAB); j++);
    return c !== LBRACE;
  }

  // #rescan records the label spans of a series that matched the hint.
  #rescan(): void {
    this.#spansStale = false;
    const spans = this.#spans;
    spans.reset();
    const b = this.buffer;
    const i = this.#seriesStart;
    if (b[i] === LBRACE) {
      this.#labels(i);
      return;
    }
    let j = i + 1;
    while (j < this.#end && (CHAR_CLASS[b[j]!]! & METRIC_CHAR) !== 0) j++;
    spans.nameStart = i;
    spans.nameEnd = j;
    while (j < this.#end && (b[j] === SP || b[j] === TAB)) j++;
    if (j < this.#end && b[j] === LBRACE) this.#labels(j);
  }

  #comment(i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    let j = i + 1;
    if (j < end && (b[j] === SP || b[j] === TAB)) {
      while (j < end && (b[j] === SP || b[j] === TAB)) j++;
      const kind = keyword(b, j, end);
      if (kind !== K_EOF) return this.#meta(kind, j + 4);
      // A comment after "# ": NUL bytes are part of its text.
      return this.#commentLine(i, indexOfLF(b, j, end));
    }
    // A comment glued to "#": Prometheus's lexer reads a NUL byte in it as the end of input.
    for (; j < end; j++) {
      const c = b[j]!;
      if (c === LF) break;
      if (c === 0) {
        this.#pos = end;
        return K_EOF;
      }
    }
    return this.#commentLine(i, j);
  }

  #commentLine(start: number, nl: number): EntryKind {
    this.#textStart = start;
    this.#textEnd = nl;
    this.#pos = nl < this.#end ? nl + 1 : nl;
    return K_COMMENT;
  }

  // #meta parses the rest of a HELP or TYPE line; i is just after the keyword.
  #meta(kind: EntryKind, i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    while (i < end && (b[i] === SP || b[i] === TAB)) i++;
    const what = kind === K_HELP ? 'HELP' : 'TYPE';
    let j: number;
    if (i < end && b[i] === QUOTE) {
      if (!scanQuoted(b, i, end, false, false, this.#q)) throw this.#error(this.#q.errorAt, `${this.#q.error} in ${what}`);
      this.#famStart = i + 1;
      this.#famEnd = this.#q.end;
      this.#famFlags = this.#q.flags;
      j = this.#q.end + 1;
    } else if (i < end && (CHAR_CLASS[b[i]!]! & METRIC_START) !== 0) {
      j = i + 1;
      while (j < end && (CHAR_CLASS[b[j]!]! & METRIC_CHAR) !== 0) j++;
      this.#famStart = i;
      this.#famEnd = j;
      this.#famFlags = 0;
    } else {
      throw this.#error(i, `expected metric name after ${what}, got ${tokenText(b, i, i + 1)}`);
    }
    const nl = indexOfLF(b, j, end);
    // The text is the rest of the line without its first byte (the separator); a rest made of
    // blanks only is empty text.
    let blank = true;
    for (let k = j; k < nl; k++) {
      if (b[k] !== SP && b[k] !== TAB) {
        blank = false;
        break;
      }
    }
    this.#textStart = blank ? nl : j + 1;
    this.#textEnd = nl;
    this.#pos = nl < end ? nl + 1 : nl;
    if (kind === K_TYPE) {
      this.#type = matchType(b, this.#textStart, nl, TEXT_TYPES, () =>
        this.#error(this.#textStart, `invalid metric type ${tokenText(b, this.#textStart, nl)}`),
      );
    } else if (!validUtf8(b, this.#textStart, nl)) {
      throw this.#error(this.#textStart, 'help text is not valid UTF-8');
    }
    return kind;
  }

  #series(i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    const spans = this.#spans;
    this.#seriesStart = i;
    let j = i;
    if (this.#hint !== undefined && this.#matchHint(i)) {
      this.#hint = undefined;
      this.#matched = true;
      this.#spansStale = true;
      j = i + this.#hintLen;
      this.#seriesEnd = j;
    } else if (b[i] !== LBRACE) {
      this.#hint = undefined;
      this.#matched = false;
      this.#spansStale = false;
      spans.reset();
      j = i + 1;
      while (j < end && (CHAR_CLASS[b[j]!]! & METRIC_CHAR) !== 0) j++;
      spans.nameStart = i;
      spans.nameEnd = j;
      this.#seriesEnd = j;
      let k = j;
      while (k < end && (b[k] === SP || b[k] === TAB)) k++;
      if (k < end && b[k] === LBRACE) {
        j = this.#labels(k);
        this.#seriesEnd = j;
      } else {
        j = k;
      }
    } else {
      this.#hint = undefined;
      this.#matched = false;
      this.#spansStale = false;
      spans.reset();
      j = this.#labels(i);
      this.#seriesEnd = j;
      // A label set without a name is a series only when it spells out __name__ (as
      // promtool's dumps do), which Prometheus's parser would refuse.
      if (spans.nameStart < 0 && spans.indexOf(b, METRIC_NAME) < 0) {
        throw this.#error(i, 'metric name missing (no name before "{", no quoted name or __name__ inside)');
      }
    }
    while (j < end && (b[j] === SP || b[j] === TAB)) j++;
    const vs = j;
    while (j < end) {
      const c = b[j]!;
      if (c === SP || c === TAB || c === LF || c === LBRACE) break;
      j++;
    }
    if (j === vs) throw this.#error(vs, `expected value after metric, got ${vs < end ? tokenText(b, vs, vs + 1) : 'end of input'}`);
    if (hasFloatExtension(b, vs, j) || !scanFloat(b, vs, j, this.#num)) {
      throw this.#error(vs, `invalid value ${tokenText(b, vs, j)}`);
    }
    while (j < end && (b[j] === SP || b[j] === TAB)) j++;
    this.#hasTs = false;
    if (j < end && b[j] !== LF) {
      const ts = j;
      while (j < end && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
      if (j === ts) throw this.#error(ts, `expected timestamp or line break after value, got ${tokenText(b, ts, ts + 1)}`);
      if (!scanInt64(b, ts, j, this.#tsOut)) throw this.#error(ts, `timestamp ${tokenText(b, ts, j)} out of range`);
      this.#hasTs = true;
      while (j < end && (b[j] === SP || b[j] === TAB)) j++;
      if (j < end && b[j] !== LF) throw this.#error(j, `expected line break after timestamp, got ${tokenText(b, j, j + 1)}`);
    }
    this.#pos = j < end ? j + 1 : end;
    return K_SERIES;
  }

  // #labels parses `{…}` starting at the brace and returns the index after the closing brace.
  #labels(open: number): number {
    const b = this.buffer;
    const end = this.#end;
    const spans = this.#spans;
    const q = this.#q;
    let k = open + 1;
    for (;;) {
      while (k < end && (b[k] === SP || b[k] === TAB)) k++;
      if (k >= end) throw this.#error(k, 'expected label name or "}", got end of input');
      const c = b[k]!;
      if (c === RBRACE) return k + 1;
      const pairStart = k;
      let ns: number;
      let ne: number;
      let nf = 0;
      let quoted = false;
      if ((CHAR_CLASS[c]! & LABEL_START) !== 0) {
        ns = k;
        k++;
        while (k < end && (CHAR_CLASS[b[k]!]! & LABEL_CHAR) !== 0) k++;
        ne = k;
      } else if (c === QUOTE) {
        if (!scanQuoted(b, k, end, false, false, q)) throw this.#error(q.errorAt, q.error);
        ns = k + 1;
        ne = q.end;
        nf = q.flags;
        quoted = true;
        k = q.end + 1;
      } else {
        throw this.#error(k, `expected label name, got ${tokenText(b, k, k + 1)}`);
      }
      while (k < end && (b[k] === SP || b[k] === TAB)) k++;
      if (quoted && k < end && (b[k] === COMMA || b[k] === RBRACE)) {
        if (spans.nameStart >= 0) throw this.#error(pairStart, 'metric name set twice');
        spans.nameStart = ns;
        spans.nameEnd = ne;
        spans.nameFlags = nf;
        if (b[k] === RBRACE) return k + 1;
        k++;
        continue;
      }
      if (k >= end || b[k] !== EQ) {
        throw this.#error(k, `expected "=" after label name, got ${k < end ? tokenText(b, k, k + 1) : 'end of input'}`);
      }
      k++;
      while (k < end && (b[k] === SP || b[k] === TAB)) k++;
      if (k >= end || b[k] !== QUOTE) {
        throw this.#error(k, `expected quoted label value, got ${k < end ? tokenText(b, k, k + 1) : 'end of input'}`);
      }
      if (!scanQuoted(b, k, end, true, true, q)) throw this.#error(q.errorAt, q.error.replace('quoted string', 'label value'));
      spans.add(ns, ne, nf, k + 1, q.end, q.flags, pairStart);
      k = q.end + 1;
      while (k < end && (b[k] === SP || b[k] === TAB)) k++;
      if (k < end && b[k] === COMMA) k++;
    }
  }

  #error(offset: number, detail: string): ParseError {
    return new ParseError(offset, detail, this.buffer);
  }
}

// keyword recognises `HELP` or `TYPE` followed by a space or tab at i (EOF when neither).
function keyword(b: Uint8Array, i: number, end: number): EntryKind {
  if (i + 4 >= end) return K_EOF;
  const sep = b[i + 4];
  if (sep !== SP && sep !== TAB) return K_EOF;
  if (b[i] === 0x48 && b[i + 1] === 0x45 && b[i + 2] === 0x4c && b[i + 3] === 0x50) return K_HELP;
  if (b[i] === 0x54 && b[i + 1] === 0x59 && b[i + 2] === 0x50 && b[i + 3] === 0x45) return K_TYPE;
  return K_EOF;
}
