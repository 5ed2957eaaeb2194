/**
 * LogQL: the engine over a QueryableLogStore (pipelines, range and vector aggregations, binary
 * operators), Loki's HTTP query API as framework-free functions, and live tail.
 * @module
 */
export { LogQLEngine } from './engine.js';
export type { InstantQuery, LogQLEngineOptions, RangeQuery } from './engine.js';
export { LokiApi, lokiHandler, lokiErrorStatus, renderValue, renderStats, formatSampleValue } from './loki-api.js';
export type { ApiRequest, ApiResponse, LokiApiOptions, LokiHandlerOptions } from './loki-api.js';
export { LokiTail } from './loki-tail.js';
export type { LokiTailOptions } from './loki-tail.js';
export { parseLokiTime, parseSecondsOrDuration, nsString } from './loki-params.js';
export type { TimeNs } from './log-eval.js';
export type { MatrixSeries, QueryResult, QueryStats, QueryValue, ResultEntry, ResultStream, VectorSample } from './query-result.js';
export { BadRequestError, LimitExceededError, QueryCanceledError, QueryError, QueryTimeoutError } from './errors.js';
export { appMatcher, scopeToApps, APP_LABEL } from './app-scope.js';
export { Pipeline } from './pipeline.js';
export { pushdownOf, requiredLiterals } from './line-filter.js';
export { executeTemplate, TemplateExecError } from './template-exec.js';
export { parseExpr, ParseError } from './parser/index.js';
