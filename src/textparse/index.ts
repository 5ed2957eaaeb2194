/**
 * Exposition formats: pull parsers for the Prometheus text format 0.0.4 and OpenMetrics 1.0
 * over Buffers, parser choice by Content-Type, strict OpenMetrics validation, and a text-format
 * writer. Imports only model.
 * @module
 */
export { EntryKind, MetricType } from './entry.js';
export type { Exemplar, Parser } from './parser.js';
export { PromParser } from './prom-parser.js';
export type { PromParserOptions } from './prom-parser.js';
export { OpenMetricsParser } from './openmetrics-parser.js';
export type { OpenMetricsParserOptions } from './openmetrics-parser.js';
export { validateOpenMetrics } from './openmetrics-validator.js';
export {
  ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  SCRAPE_ACCEPT_HEADER,
  TEXT_CONTENT_TYPE,
  formatForContentType,
  newParser,
  parseMediaType,
} from './content-type.js';
export type { MediaType, ParserOptions } from './content-type.js';
export { TextWriter, escapeHelp, escapeLabelValue, formatSeries } from './text-writer.js';
export { isLegacyLabelName, isLegacyMetricName } from './char-class.js';
export { scanFloat } from './float-scan.js';
export { ParseError, UnsupportedContentTypeError } from './errors.js';
