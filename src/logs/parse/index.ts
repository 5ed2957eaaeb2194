/**
 * Log format parsers: detect the format of each line (journald, syslog, Docker, CRI, klog,
 * JSON, logfmt, text with a timestamp) and decode it into a common entry; the stream decoder
 * adds framing, journald export records, partial-line joining and multi-line grouping.
 * @module
 */
export { InvalidTimeZoneError, LineParseError, ParserOptionError } from './errors.js';
export { Level, SYSLOG_FACILITY_NAMES, SYSLOG_SEVERITY_NAMES, levelFromNumber, levelFromSeverity, levelFromWord } from './level.js';
export { LineParser } from './line-parser.js';
export type { LineParserOptions } from './line-parser.js';
export { PARSE_ERROR_FIELD } from './parse-context.js';
export { LogFormat, ParsedLine, STREAM_LABEL_NAMES } from './parsed-line.js';
export type { ParsedEntry, StreamLabelName } from './parsed-line.js';
export { RAW_FIELD, rawBytes } from './raw-bytes.js';
export { TimeZone } from './time-zone.js';
export { EntryJoiner } from './entry-joiner.js';
export type { EntryJoinerOptions, ParsedLineSink } from './entry-joiner.js';
export { CUT_FIELD, LogStreamDecoder } from './log-stream-decoder.js';
export type { LogStreamDecoderOptions, LongLinePolicy } from './log-stream-decoder.js';
export { flattenJson } from './json-fields.js';
export { parseTimestampValue } from './time-value.js';
export { sanitizeFieldName } from './parse-context.js';
