/**
 * PromQL: the engine (instant and range queries over storage), its result types and JSON
 * encoding, errors, and the promqltest script runner. The parser lives in ./parser.
 * @module
 */
export { Annotations } from './annotations.js';
export type { Annotation, AnnotationLevel } from './annotations.js';
export { Engine, compareLabelsBytes, compareUtf8 } from './engine.js';
export type { EngineOptions, QueryInput, QueryOptions, QueryResult, QueryStats } from './engine.js';
export {
  BadQueryError,
  QueryCanceledError,
  QueryError,
  QueryTimeoutError,
  StorageError,
  TooManySamplesError,
  UnsupportedError,
} from './errors.js';
export { formatFloatE, formatSampleValue, formatTimestamp, labelsJSON, queryResponseJSON, resultJSON } from './json.js';
export type { Matrix, Sample, Scalar, SeriesPoints, StringValue, Value, Vector } from './value.js';
