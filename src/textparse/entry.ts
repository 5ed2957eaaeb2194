/**
 * What a parser's `next()` returns, and the metric types of the exposition formats.
 * @module
 */

/** EntryKind says what kind of entry the parser is positioned at. */
export const EntryKind = { EOF: 0, Series: 1, Help: 2, Type: 3, Unit: 4, Comment: 5 } as const;
/** One of EntryKind's values. */
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/**
 * MetricType is a metric family's type as Prometheus records it. The text format's `untyped`
 * is reported as `unknown`, as Prometheus does.
 */
export const MetricType = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
  GaugeHistogram: 'gaugehistogram',
  Summary: 'summary',
  Info: 'info',
  Stateset: 'stateset',
  Unknown: 'unknown',
} as const;
/** One of MetricType's values. */
export type MetricType = (typeof MetricType)[keyof typeof MetricType];
