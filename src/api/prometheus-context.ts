/**
 * What every Prometheus API handler shares: resolved dependencies and defaults, the query
 * queue, and the route wrapper that reads parameters, answers 503 before the server is ready,
 * cancels work when the client goes away, and maps errors to Prometheus's envelope.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Family, Histogram } from '../instrument/index.js';
import { Labels } from '../model/index.js';
import type { Engine } from '../promql/index.js';
import type { Queryable } from '../storage/index.js';
import { BadDataError } from './errors.js';
import type { PrometheusApiDeps } from './prometheus-api.js';
import { QueryGate } from './prometheus-query-gate.js';
import { type ApiAnswer, type CorsPolicy, corsHeaders, sendFailure, sendSuccess } from './prometheus-response.js';
import { HttpError, type Request, type Router, formParams, sendText } from './router.js';

/** ApiHandler computes an answer; `undefined` means 204 No Content. */
export type ApiHandler = (req: Request, params: URLSearchParams, signal: AbortSignal) => Promise<ApiAnswer | undefined>;

/** ApiContext holds the API's dependencies with defaults applied. */
export class ApiContext {
  readonly deps: PrometheusApiDeps;
  readonly engine: Engine;
  readonly queryable: Queryable;
  readonly gate: QueryGate;
  readonly cors: CorsPolicy;
  readonly lookbackDeltaMs: number;
  readonly queryTimeoutMs: number;
  readonly maxRequestBytes: number;
  readonly now: () => number;
  readonly #requests: Family<Counter> | undefined;
  readonly #durations: Family<Histogram> | undefined;

  constructor(deps: PrometheusApiDeps) {
    const { lookbackDeltaMs = 5 * 60_000, queryTimeoutMs = 120_000, maxConcurrentQueries = 20, maxRequestBytes = 32 << 20, now = Date.now } = deps;
    if (!(lookbackDeltaMs > 0)) throw new Error(`PrometheusApiDeps.lookbackDeltaMs must be positive, got ${lookbackDeltaMs}`);
    if (!(queryTimeoutMs > 0)) throw new Error(`PrometheusApiDeps.queryTimeoutMs must be positive, got ${queryTimeoutMs}`);
    if (!(maxRequestBytes > 0)) throw new Error(`PrometheusApiDeps.maxRequestBytes must be positive, got ${maxRequestBytes}`);
    this.deps = deps;
    this.engine = deps.engine;
    this.queryable = deps.queryable;
    this.gate = new QueryGate({ maxConcurrent: maxConcurrentQueries });
    this.cors = deps.corsOrigin === undefined ? {} : { origin: deps.corsOrigin };
    this.lookbackDeltaMs = lookbackDeltaMs;
    this.queryTimeoutMs = queryTimeoutMs;
    this.maxRequestBytes = maxRequestBytes;
    this.now = now;
    // Prometheus's own HTTP metrics, so its self-monitoring dashboards work on vigil.
    this.#requests = deps.registry?.counter({ name: 'prometheus_http_requests_total', help: 'Counter of HTTP requests.', labelNames: ['code', 'handler'] });
    this.#durations = deps.registry?.histogram({
      name: 'prometheus_http_request_duration_seconds',
      help: 'Histogram of latencies for HTTP requests.',
      labelNames: ['handler'],
      buckets: [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120],
    });
  }

  /** instrument counts a request to `handler` and times it until its response is finished. */
  instrument(handler: string, res: ServerResponse): void {
    if (this.#requests === undefined) return;
    const started = performance.now();
    res.once('finish', () => {
      this.#requests!.labels(String(res.statusCode), handler).inc();
      this.#durations!.labels(handler).observe((performance.now() - started) / 1000);
    });
  }

  /** ready tells whether the server takes API requests yet. */
  ready(): boolean {
    return this.deps.ready?.() ?? true;
  }

  /** externalLabels returns the configured `global.external_labels`. */
  externalLabels(): Labels {
    return this.deps.config?.()?.global.externalLabels ?? Labels.EMPTY;
  }

  /** report passes a failure worth logging to the owner. */
  report(message: string, fields: Readonly<Record<string, unknown>>): void {
    this.deps.onError?.(message, fields);
  }

  /**
   * route registers a JSON API handler under `/api/v1` + path for the given methods, with
   * Prometheus's readiness gate, form parsing, CORS, compression and error envelope.
   */
  route(router: Router, methods: readonly string[], path: string, fn: ApiHandler): void {
    const handler = '/api/v1' + path;
    router.handle([...methods, 'OPTIONS'], handler, async (req, res) => {
      if (req.method === 'OPTIONS') return preflight(req, res, this.cors);
      this.instrument(handler, res);
      if (!this.ready()) return sendText(res, 503, 'Service Unavailable\n');
      const signal = requestSignal(req.raw, res);
      try {
        let params: URLSearchParams;
        try {
          params = await formParams(req, this.maxRequestBytes);
        } catch (e) {
          if (e instanceof HttpError && e.status !== 400) throw e;
          throw new BadDataError(`error parsing form values: ${(e as Error).message}`);
        }
        const answer = await fn(req, params, signal);
        if (answer === undefined) {
          res.writeHead(204, corsHeaders(req, this.cors));
          res.end();
          return;
        }
        await sendSuccess(req, res, answer, this.cors);
      } catch (e) {
        if (e instanceof HttpError) throw e;
        if (res.headersSent) {
          res.destroy();
          return;
        }
        await sendFailure(req, res, e, this.cors);
      }
    });
  }

}

/** preflight answers a CORS preflight (OPTIONS) request with 204 and the CORS headers. */
export function preflight(req: Request, res: ServerResponse, cors: CorsPolicy): void {
  res.writeHead(204, corsHeaders(req, cors));
  res.end();
}

/**
 * requestSignal aborts when the client closes the connection before the response is
 * finished, so abandoned queries stop using the CPU.
 */
export function requestSignal(raw: IncomingMessage, res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  raw.once('aborted', () => ac.abort(new Error('client closed the connection')));
  return ac.signal;
}
