/**
 * PromQL: the engine (instant and range queries over storage), its result types and JSON
 * encoding, errors, and the promqltest script runner. The parser lives in ./parser.
 * @module
 */
export { Annotations } from './annotations.js';
export type { Annotation, AnnotationLevel } from './annotations.js';
export { Engine, compareLabelsBytes, compareUtf8 } from './engine.js';
export type { EngineOptions, QueryInput, QueryOptions, QueryResult, QueryStats } from './engine.js';
export { goSort } from './go-sort.js';
export type { SortData } from './go-sort.js';
export {
  BadQueryError,
  QueryCanceledError,
  QueryError,
  QueryTimeoutError,
  StorageError,
  TooManySamplesError,
  UnsupportedError,
} from './errors.js';
export {
  CHUNK_CHARS,
  formatFloatE,
  formatSampleValue,
  formatScalarValue,
  formatTimestamp,
  goFloat,
  goString,
  labelsJSON,
  queryResponseJSON,
  resultJSON,
  valueChunks,
} from './json.js';
export type { Matrix, Sample, Scalar, SeriesPoints, StringValue, Value, Vector } from './value.js';
