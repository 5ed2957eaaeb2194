/**
 * The pull-parser contract shared by the exposition formats.
 * @module
 */
import type { Labels } from '../model/index.js';
import type { EntryKind, MetricType } from './entry.js';

/** Exemplar is a sample's exemplar, built on demand by `Parser.exemplar()`. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Whether the exposition gave the exemplar a timestamp. */
  readonly hasTimestamp: boolean;
  /** The exemplar's timestamp in Unix ms (0 when it has none). */
  readonly t: number;
}

/**
 * Parser pulls entries from one exposition body. `next()` advances and says what the parser is
 * positioned at; the accessors read the current entry and are valid until the next `next()`.
 * Scanning allocates nothing per series: the series accessors expose numbers and byte offsets,
 * and strings or `Labels` are built only by the methods that return them.
 *
 * Series accessors (after `EntryKind.Series`): `seriesStart`/`seriesEnd`, `value`,
 * `hasTimestamp`/`timestamp`, `labels`, `metricName`, `hasExemplar`/`exemplar`.
 * Metadata accessors: `family` (after Help, Type or Unit), `help`, `type`, `unit`, `comment`.
 */
export interface Parser {
  /** The body being parsed; series offsets index into it. The parser never modifies it. */
  readonly buffer: Buffer;
  /** next advances to the next entry; EOF at the end. Throws ParseError on malformed input. */
  next(): EntryKind;
  /**
   * seriesStart is the byte offset where the current series' name and labels begin; with
   * `seriesEnd` it delimits the raw series text, which maps to one label set (the scrape cache
   * keys on these bytes so that labels are built only for series it has not seen).
   */
  seriesStart(): number;
  /** seriesEnd is the byte offset just after the current series' name and labels. */
  seriesEnd(): number;
  /** value is the current sample's value. */
  value(): number;
  /** hasTimestamp tells whether the current sample carries its own timestamp. */
  hasTimestamp(): boolean;
  /** timestamp is the current sample's timestamp in Unix ms (0 when it has none). */
  timestamp(): number;
  /** labels builds the current series' labels (with `__name__`); throws ParseError on a repeated label name. */
  labels(): Labels;
  /** metricName decodes the current series' metric name. */
  metricName(): string;
  /** hasExemplar tells whether the current sample has an exemplar. */
  hasExemplar(): boolean;
  /** exemplar builds the current sample's exemplar, or undefined. */
  exemplar(): Exemplar | undefined;
  /** family is the metric name of the current HELP, TYPE or UNIT entry. */
  family(): string;
  /** help is the unescaped text of the current HELP entry. */
  help(): string;
  /** type is the metric type of the current TYPE entry. */
  type(): MetricType;
  /** unit is the unit of the current UNIT entry (OpenMetrics only). */
  unit(): string;
  /** comment is the text of the current comment line, `#` included (text format only). */
  comment(): string;
  /** entryOffset is the byte offset where the current entry's line starts. */
  entryOffset(): number;
  /**
   * expect hints that the next series is probably the series text `key[off, off + len)`, as
   * met in an earlier body (a scrape cache knows what usually comes next). When the next
   * series text is exactly those bytes, `next()` skips tokenizing its labels and
   * `matchedExpected()` is true; the hint applies to the next series entry only. A hint must be
   * the text of a series this parser's format accepted before, so that equal bytes mean an
   * equally valid series. Parsers may ignore hints. `undefined` clears the hint.
   */
  expect(key: Uint8Array | undefined, off: number, len: number): void;
  /** matchedExpected tells whether the current series is exactly the text given to `expect()`. */
  matchedExpected(): boolean;
}
