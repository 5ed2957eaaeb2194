/**
 * Storage interfaces (Appender, Querier, SeriesSet, SampleIterator), their errors, and
 * in-memory implementations. Imports only model.
 * @module
 */
export { ValueType } from './interface.js';
export type {
  Appendable,
  Appender,
  Queryable,
  Querier,
  SampleIterator,
  FloatSink,
  SelectHints,
  Series,
  SeriesRef,
  SeriesSet,
  Storage,
} from './interface.js';
export { DuplicateSampleError, OutOfBoundsError, OutOfOrderSampleError, TooOldSampleError } from './errors.js';
export { ArraySampleIterator, EMPTY_SERIES_SET, ListSeries, ListSeriesSet } from './list-series.js';
export { MemoryStorage } from './memory-storage.js';
export { ChainSampleIterator, ChainedSeries, MergeSeriesSet } from './merge-series-set.js';
export { MergeQuerier, mergeQueriers } from './merge-querier.js';
