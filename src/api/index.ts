/**
 * The HTTP layer: one server and router for every API (Prometheus, Loki, vigil) and the UI.
 * Nothing imports from here except cli/.
 * @module
 */
export { HttpServer, parseListenAddress } from './server.js';
export type { HttpServerOptions } from './server.js';
export { Router, HttpError, readBody, formParams, sendJSON, sendText } from './router.js';
export type { Handler, Request } from './router.js';
export { mountLifecycle } from './lifecycle-routes.js';
export type { LifecycleOptions } from './lifecycle-routes.js';
export { mountMetrics } from './metrics-route.js';
export { mountPrometheusApi } from './prometheus-api.js';
export type {
  AlertJSON,
  BuildInfo,
  HeadView,
  PrometheusApiDeps,
  RuleGroupJSON,
  RuleJSON,
  RulesSource,
  RuntimeState,
  TargetSource,
} from './prometheus-api.js';
export { DEFAULT_BUILD_INFO } from './prometheus-status.js';
export { QueryGate } from './prometheus-query-gate.js';
export type { QueryGateOptions } from './prometheus-query-gate.js';
export { goString, goFloat, labelsObject, valueChunks } from './prometheus-json.js';
export { negotiateEncoding, sendBody } from './prometheus-response.js';
export type { BodyOptions, ContentEncoding } from './prometheus-response.js';
export { ApiError, BadDataError, RemoteWriteDecodeError, classify, errorBody, statusOf } from './errors.js';
export type { ApiErrorType } from './errors.js';
export { parseTime, parseDurationParam, parseTimeParam, parseLimitParam, invalidParam, MIN_TIME, MAX_TIME } from './prom-params.js';
export { WriteRequestDecoder } from './remote-write-decoder.js';
export type { WriteRequestVisitor } from './remote-write-decoder.js';
export { encodeReadResponse, encodeChunkedReadResponse } from './remote-read-encoder.js';
export type { SeriesSamples, SeriesChunks, ChunkData } from './remote-read-encoder.js';
export { prompb, prompbType } from './remote-proto.js';
