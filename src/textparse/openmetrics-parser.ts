/**
 * Pull parser for OpenMetrics 1.0 text (`application/openmetrics-text`), with the syntax rules
 * Prometheus's OpenMetrics parser enforces: single spaces as separators, no blank lines or free
 * comments, `# HELP`/`# TYPE`/`# UNIT` metadata, timestamps in seconds (with fractions),
 * exemplars, quoted UTF-8 names, and a mandatory `# EOF` with nothing after it.
 * `_created` lines are ordinary series, as Prometheus 2.42 ingests them. Semantic rules of the
 * specification (family grouping, histogram shape, counter values) are checked separately by
 * `OpenMetricsValidator`.
 * @module
 */
import { type Labels, METRIC_NAME } from '../model/index.js';
import { CHAR_CLASS as CHAR_CLASS_TABLE } from './char-class.js';
import { EntryKind, MetricType } from './entry.js';
import { ParseError } from './errors.js';
import { scanFloat } from './float-scan.js';
import type { Exemplar, Parser } from './parser.js';
import { QuotedScan, hasFloatExtension, indexOfLF, matchType, scanQuoted, tokenText } from './scan.js';
import { type LabelNormalization, SeriesSpans, decodeSpan, unescapeLabelValue } from './series-spans.js';
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
const K_EOF = EntryKind.EOF;
const K_HELP = EntryKind.Help;
const K_SERIES = EntryKind.Series;
const K_TYPE = EntryKind.Type;
const K_UNIT = EntryKind.Unit;
const CHAR_CLASS = CHAR_CLASS_TABLE;
const METRIC_START = 1;
const METRIC_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;

/** OpenMetricsParserOptions tune the OpenMetrics parser. */
export interface OpenMetricsParserOptions {
  /** Rewrite histogram `le` and summary `quantile` values canonically (Prometheus 3.x). Off by default. */
  readonly normalizeBucketLabels?: boolean;
}

const OM_TYPES: readonly (readonly [string, MetricType])[] = [
  ['counter', MetricType.Counter],
  ['gauge', MetricType.Gauge],
  ['histogram', MetricType.Histogram],
  ['gaugehistogram', MetricType.GaugeHistogram],
  ['summary', MetricType.Summary],
  ['info', MetricType.Info],
  ['stateset', MetricType.Stateset],
  ['unknown', MetricType.Unknown],
];

const NORM_LE: LabelNormalization = { label: 'le' };
const NORM_QUANTILE: LabelNormalization = { label: 'quantile' };
const NO_EOF = 'data does not end with "# EOF"';

// Slots of the numeric scratch array.
const VALUE = 0;
const TS_MS = 1;
const TS_S = 2;
const EX_VALUE = 3;
const EX_TS_MS = 4;
const EX_TS_S = 5;
const SCRATCH = 6;

/** OpenMetricsParser parses OpenMetrics 1.0 text from a Buffer. */
export class OpenMetricsParser implements Parser {
  readonly buffer: Buffer;
  readonly #end: number;
  readonly #normalize: boolean;
  readonly #spans = new SeriesSpans();
  readonly #ex = new SeriesSpans();
  readonly #num = new Float64Array(7);
  readonly #scratch = this.#num.subarray(SCRATCH);
  readonly #q = new QuotedScan();
  #pos = 0;
  #entry = 0;
  #done = false;
  #hasTs = false;
  #hasEx = false;
  #hasExTs = false;
  #seriesStart = 0;
  #seriesEnd = 0;
  #famStart = 0;
  #famEnd = 0;
  #famFlags = 0;
  #textStart = 0;
  #textEnd = 0;
  #type: MetricType = MetricType.Unknown;

  constructor(buffer: Buffer, options: OpenMetricsParserOptions = {}) {
    const { normalizeBucketLabels = false } = options;
    this.buffer = buffer;
    this.#end = buffer.length;
    this.#normalize = normalizeBucketLabels;
  }

  next(): EntryKind {
    if (this.#done) return K_EOF;
    const b = this.buffer;
    const i = this.#pos;
    this.#entry = i;
    if (i >= this.#end) throw this.#error(i, NO_EOF);
    const c = b[i]!;
    if ((CHAR_CLASS[c]! & METRIC_START) !== 0 || c === LBRACE) return this.#series(i);
    if (c === HASH) return this.#hash(i);
    if (c === LF) throw this.#error(i, 'blank line');
    throw this.#error(i, `expected a metric name, "{" or "#" at the start of a line, got ${tokenText(b, i, i + 1)}`);
  }

  seriesStart(): number {
    return this.#seriesStart;
  }

  seriesEnd(): number {
    return this.#seriesEnd;
  }

  value(): number {
    return this.#num[VALUE]!;
  }

  hasTimestamp(): boolean {
    return this.#hasTs;
  }

  timestamp(): number {
    return this.#hasTs ? this.#num[TS_MS]! : 0;
  }

  /** timestampSeconds is the current sample's timestamp as exposed, in seconds (0 when none). */
  timestampSeconds(): number {
    return this.#hasTs ? this.#num[TS_S]! : 0;
  }

  labels(): Labels {
    let norm: LabelNormalization | undefined;
    if (this.#normalize) {
      if (this.#type === MetricType.Histogram) norm = NORM_LE;
      else if (this.#type === MetricType.Summary) norm = NORM_QUANTILE;
    }
    return this.#spans.labels(this.buffer, norm);
  }

  metricName(): string {
    return this.#spans.metricName(this.buffer);
  }

  hasExemplar(): boolean {
    return this.#hasEx;
  }

  exemplar(): Exemplar | undefined {
    if (!this.#hasEx) return undefined;
    return {
      labels: this.#ex.labels(this.buffer, undefined),
      value: this.#num[EX_VALUE]!,
      hasTimestamp: this.#hasExTs,
      t: this.#hasExTs ? this.#num[EX_TS_MS]! : 0,
    };
  }

  /** exemplarRuneCount counts the code points of the exemplar's label names and values. */
  exemplarRuneCount(): number {
    return this.#hasEx ? this.#ex.runeCount(this.buffer) : 0;
  }

  family(): string {
    return decodeSpan(this.buffer, this.#famStart, this.#famEnd, this.#famFlags);
  }

  help(): string {
    return unescapeLabelValue(this.buffer.toString('utf8', this.#textStart, this.#textEnd));
  }

  type(): MetricType {
    return this.#type;
  }

  unit(): string {
    return this.buffer.toString('utf8', this.#textStart, this.#textEnd);
  }

  comment(): string {
    return '';
  }

  entryOffset(): number {
    return this.#entry;
  }

  expect(): void {
    // Hints are not used: OpenMetrics series lines are tokenized in full.
  }

  matchedExpected(): boolean {
    return false;
  }

  #hash(i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    if (i + 1 >= end || b[i + 1] !== SP) throw this.#error(i + 1, 'expected a space after "#"');
    const j = i + 2;
    if (j + 4 < end && b[j + 4] === SP) {
      const k = word4(b, j);
      if (k !== K_EOF) return this.#meta(k, j + 5);
    }
    if (j + 2 < end && b[j] === 0x45 && b[j + 1] === 0x4f && b[j + 2] === 0x46) {
      let k = j + 3;
      if (k < end && b[k] === LF) k++;
      if (k !== end) throw this.#error(k, 'unexpected data after "# EOF"');
      this.#done = true;
      this.#pos = end;
      return K_EOF;
    }
    throw this.#error(j, `expected HELP, TYPE, UNIT or EOF after "# ", got ${tokenText(b, j, indexOfLF(b, j, end))}`);
  }

  #meta(kind: EntryKind, i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    const what = kind === K_HELP ? 'HELP' : kind === K_TYPE ? 'TYPE' : 'UNIT';
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
      throw this.#error(i, `expected metric name after ${what}, got ${i < end ? tokenText(b, i, i + 1) : 'end of input'}`);
    }
    if (j >= end || b[j] !== SP) throw this.#error(j, `expected a space and text after the metric name in ${what}`);
    const nl = indexOfLF(b, j + 1, end);
    if (nl >= end) throw this.#error(j, NO_EOF);
    this.#textStart = j + 1;
    this.#textEnd = nl;
    this.#pos = nl + 1;
    switch (kind) {
      case K_TYPE:
        this.#type = matchType(b, j + 1, nl, OM_TYPES, () => this.#error(j + 1, `invalid metric type ${tokenText(b, j + 1, nl)}`));
        break;
      case K_HELP:
        if (!validUtf8(b, j + 1, nl)) throw this.#error(j + 1, 'help text is not valid UTF-8');
        break;
      default: {
        if (!validUtf8(b, j + 1, nl)) throw this.#error(j + 1, 'unit is not valid UTF-8');
        const unit = this.unit();
        const name = this.family();
        if (unit !== '' && !(name.length > unit.length && name.endsWith('_' + unit))) {
          throw this.#error(j + 1, `unit "${unit}" is not a suffix of metric "${name}"`);
        }
      }
    }
    return kind;
  }

  #series(i: number): EntryKind {
    const b = this.buffer;
    const end = this.#end;
    const spans = this.#spans;
    spans.reset();
    this.#hasEx = false;
    this.#hasExTs = false;
    this.#hasTs = false;
    this.#seriesStart = i;
    let j: number;
    if (b[i] !== LBRACE) {
      j = i + 1;
      while (j < end && (CHAR_CLASS[b[j]!]! & METRIC_CHAR) !== 0) j++;
      spans.nameStart = i;
      spans.nameEnd = j;
      if (j < end && b[j] === LBRACE) j = this.#labels(j, spans, false);
    } else {
      j = this.#labels(i, spans, false);
      // A label set without a name is a series only when it spells out __name__ (as
      // promtool's dumps do), which Prometheus's parser would refuse.
      if (spans.nameStart < 0 && spans.indexOf(b, METRIC_NAME) < 0) {
        throw this.#error(i, 'metric name missing (no name before "{", no quoted name or __name__ inside)');
      }
    }
    this.#seriesEnd = j;
    j = this.#number(j, VALUE, 'value');
    if (b[j] === LF) {
      this.#pos = j + 1;
      return K_SERIES;
    }
    // b[j] is a space: an exemplar or a timestamp follows.
    if (!isExemplarStart(b, j, end)) {
      j = this.#number(j, TS_S, 'timestamp');
      this.#hasTs = true;
      if (b[j] === LF) {
        this.#pos = j + 1;
        return K_SERIES;
      }
      if (!isExemplarStart(b, j, end)) throw this.#error(j, 'expected a line break or an exemplar after the timestamp');
    }
    this.#pos = this.#exemplar(j + 3);
    return K_SERIES;
  }

  // #number scans ` <number>` at j (the space) into slot and returns the index after it: a
  // space, a line break or the end of input.
  #number(j: number, slot: number, what: string): number {
    const b = this.buffer;
    const end = this.#end;
    if (j >= end) throw this.#error(j, NO_EOF);
    if (b[j] !== SP) throw this.#error(j, `expected a space and the ${what}, got ${tokenText(b, j, j + 1)}`);
    const s = j + 1;
    let k = s;
    while (k < end && b[k] !== SP && b[k] !== LF) k++;
    if (k === s) throw this.#error(s, `expected the ${what}, got ${s < end ? tokenText(b, s, s + 1) : 'end of input'}`);
    if (hasFloatExtension(b, s, k) || !scanFloat(b, s, k, this.#scratch)) throw this.#error(s, `invalid ${what} ${tokenText(b, s, k)}`);
    const v = this.#scratch[0]!;
    if (slot === TS_S || slot === EX_TS_S) {
      if (!Number.isFinite(v)) throw this.#error(s, `invalid ${what} ${tokenText(b, s, k)}`);
      // Go's int64 conversion truncates towards zero.
      this.#num[slot === TS_S ? TS_MS : EX_TS_MS] = Math.trunc(v * 1000);
    }
    this.#num[slot] = v;
    if (k >= end) throw this.#error(k, NO_EOF);
    return k;
  }

  // #exemplar parses an exemplar from its opening brace and returns the index after its line.
  #exemplar(open: number): number {
    const b = this.buffer;
    const ex = this.#ex;
    ex.reset();
    let j = this.#labels(open, ex, true);
    j = this.#number(j, EX_VALUE, 'exemplar value');
    this.#hasEx = true;
    if (b[j] === SP) {
      j = this.#number(j, EX_TS_S, 'exemplar timestamp');
      this.#hasExTs = true;
      if (b[j] !== LF) throw this.#error(j, 'expected a line break after the exemplar timestamp');
    }
    return j + 1;
  }

  // #labels parses `{…}` from the brace into spans and returns the index after the closing brace.
  #labels(open: number, spans: SeriesSpans, exemplar: boolean): number {
    const b = this.buffer;
    const end = this.#end;
    const q = this.#q;
    let k = open + 1;
    if (k < end && b[k] === RBRACE) return k + 1;
    for (;;) {
      if (k >= end) throw this.#error(k, NO_EOF);
      const c = b[k]!;
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
      if (quoted && !exemplar && k < end && (b[k] === COMMA || b[k] === RBRACE)) {
        if (spans.nameStart >= 0) throw this.#error(pairStart, 'metric name set twice');
        spans.nameStart = ns;
        spans.nameEnd = ne;
        spans.nameFlags = nf;
      } else {
        if (k >= end || b[k] !== EQ) {
          throw this.#error(k, `expected "=" after label name, got ${k < end ? tokenText(b, k, k + 1) : 'end of input'}`);
        }
        k++;
        if (k >= end || b[k] !== QUOTE) {
          throw this.#error(k, `expected quoted label value, got ${k < end ? tokenText(b, k, k + 1) : 'end of input'}`);
        }
        if (!scanQuoted(b, k, end, false, !exemplar, q)) throw this.#error(q.errorAt, q.error.replace('quoted string', 'label value'));
        spans.add(ns, ne, nf, k + 1, q.end, q.flags, pairStart);
        k = q.end + 1;
      }
      if (k >= end) throw this.#error(k, NO_EOF);
      if (b[k] === RBRACE) return k + 1;
      if (b[k] !== COMMA) throw this.#error(k, `expected "," or "}" after label, got ${tokenText(b, k, k + 1)}`);
      k++;
      if (k < end && b[k] === RBRACE) return k + 1;
    }
  }

  #error(offset: number, detail: string): ParseError {
    return new ParseError(offset, detail, this.buffer);
  }
}

function isExemplarStart(b: Uint8Array, j: number, end: number): boolean {
  return j + 3 < end && b[j] === SP && b[j + 1] === HASH && b[j + 2] === SP && b[j + 3] === LBRACE;
}

// word4 recognises HELP, TYPE or UNIT at i (EOF when none).
function word4(b: Uint8Array, i: number): EntryKind {
  const a = b[i];
  const c1 = b[i + 1];
  const c2 = b[i + 2];
  const c3 = b[i + 3];
  if (a === 0x48 && c1 === 0x45 && c2 === 0x4c && c3 === 0x50) return K_HELP;
  if (a === 0x54 && c1 === 0x59 && c2 === 0x50 && c3 === 0x45) return K_TYPE;
  if (a === 0x55 && c1 === 0x4e && c2 === 0x49 && c3 === 0x54) return K_UNIT;
  return K_EOF;
}
