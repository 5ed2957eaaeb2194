/**
 * vigil's self-metrics: a registry of counters, gauges and histograms rendered for `/metrics`.
 * Imports nothing of vigil, so every engine may use it.
 * @module
 */
export { Counter, DEFAULT_BUCKETS, ExpositionWriter, Family, Gauge, Histogram, Registry, formatValue } from './registry.js';
export type { Collector, ExpositionSink, FamilyType, HistogramOpts, MetricOpts } from './registry.js';
export { registerProcessMetrics } from './process-metrics.js';
export { LogfmtLogger, NOP_LOGGER } from './logger.js';
export type { LogFields, LogLevel, Logger, LogfmtLoggerOptions } from './logger.js';
