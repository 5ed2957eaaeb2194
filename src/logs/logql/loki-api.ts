/**
 * Loki's HTTP query API as framework-free functions: each takes the request's parameters (a
 * URLSearchParams of query string and form body), the apps the caller may read and an abort
 * signal, and returns status, content type and body exactly as Loki 2.x answers. `lokiHandler`
 * mounts them on node:http; tail (WebSocket) is in loki-tail.ts.
 *
 * This module is the edge of the Loki API, so it maps engine errors to Loki's statuses: bad
 * queries and limits 400 (plain text, as Loki), timeouts 504, cancellations 499, else 500.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatFloatF, Matcher, type Labels } from '../../model/index.js';
import type { QueryableLogStore } from '../store/index.js';
import { appMatcher } from './app-scope.js';
import type { LogQLEngine } from './engine.js';
import { BadRequestError } from './errors.js';
import type { TimeNs } from './log-eval.js';
import { addMs, nsString, parseDirection, parseLimit, parseLokiTime, parseSecondsOrDuration } from './loki-params.js';
import { parseMatchers, parseLogSelector } from './parser/index.js';
import type { QueryResult, QueryValue } from './query-result.js';
import { toMatchers } from './range-eval.js';

/** ApiResponse is what a handler answers. */
export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** ApiRequest is what a handler reads. */
export interface ApiRequest {
  readonly params: URLSearchParams;
  /** Apps the caller may read (from its token); undefined: no restriction. */
  readonly allowedApps?: readonly string[];
  readonly signal?: AbortSignal;
}

/** LokiApiOptions configures LokiApi. */
export interface LokiApiOptions {
  readonly engine: LogQLEngine;
  /** Clock for default time ranges (tests). */
  readonly now?: () => number;
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** The Loki release whose query API vigil answers like (labels and series with `query`, index stats). */
export const LOKI_API_VERSION = '2.9.0';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function ok(data: unknown): ApiResponse {
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'success', data }) };
}

/** lokiErrorStatus maps an error to the HTTP status Loki answers with. */
export function lokiErrorStatus(e: unknown): number {
  const name = e instanceof Error ? e.name : '';
  switch (name) {
    case 'ParseError':
    case 'BadRequestError':
    case 'LimitExceededError':
    case 'QueryError':
    case 'RegexSyntaxError':
    case 'InvalidEntryError':
      return 400;
    case 'QueryTimeoutError':
    case 'TimeoutError':
      return 504;
    case 'QueryCanceledError':
    case 'AbortError':
      return 499;
    case 'StoreClosedError':
      return 503;
    default:
      return 500;
  }
}

function fail(e: unknown): ApiResponse {
  const msg = e instanceof Error ? e.message : String(e);
  return { status: lokiErrorStatus(e), contentType: TEXT_TYPE, body: msg + '\n' };
}

async function guard(f: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await f();
  } catch (e) {
    return fail(e);
  }
}

function labelsObject(l: Labels): Record<string, string> {
  return l.toObject();
}

/** renderValue prints a query value as Loki's `data` (resultType and result). */
export function renderValue(v: QueryValue): { resultType: string; result: unknown } {
  switch (v.kind) {
    case 'streams':
      return {
        resultType: 'streams',
        result: v.streams.map((s) => ({ stream: labelsObject(s.labels), values: s.entries.map((e) => [nsString(e.t, e.ns), e.line]) })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.series.map((s) => ({ metric: labelsObject(s.labels), values: s.t.map((t, i) => [t / 1000, formatSampleValue(s.v[i]!)]) })),
      };
    case 'vector':
      return { resultType: 'vector', result: v.samples.map((s) => ({ metric: labelsObject(s.labels), value: [s.t / 1000, formatSampleValue(s.v)] })) };
    case 'scalar':
      return { resultType: 'scalar', result: [v.t / 1000, formatSampleValue(v.v)] };
  }
}

/** formatSampleValue prints a value as Prometheus does in JSON (Go's 'f' -1, NaN, +Inf, -Inf). */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return formatFloatF(v);
}

/** renderStats prints statistics in Loki 2.4's shape (summary, querier.store, ingester). */
export function renderStats(r: QueryResult): unknown {
  const s = r.stats;
  const exec = s.execTime;
  const chunk = { headChunkBytes: 0, headChunkLines: 0, decompressedBytes: s.bytesProcessed, decompressedLines: s.linesProcessed, compressedBytes: 0, totalDuplicates: 0 };
  const store = { totalChunksRef: s.chunks, totalChunksDownloaded: s.chunks, chunksDownloadTime: 0, chunk };
  return {
    summary: {
      bytesProcessedPerSecond: exec > 0 ? Math.floor(s.bytesProcessed / exec) : 0,
      linesProcessedPerSecond: exec > 0 ? Math.floor(s.linesProcessed / exec) : 0,
      totalBytesProcessed: s.bytesProcessed,
      totalLinesProcessed: s.linesProcessed,
      execTime: exec,
      queueTime: 0,
      subqueries: 1,
    },
    querier: { store },
    ingester: { totalReached: 0, totalChunksMatched: 0, totalBatches: 0, totalLinesSent: 0, store: { totalChunksRef: 0, totalChunksDownloaded: 0, chunksDownloadTime: 0, chunk: { ...chunk, decompressedBytes: 0, decompressedLines: 0 } } },
  };
}

/** LokiApi answers Loki's query endpoints. */
export class LokiApi {
  readonly #engine: LogQLEngine;
  readonly #store: QueryableLogStore;
  readonly #now: () => number;

  constructor(opts: LokiApiOptions) {
    const { engine, now = Date.now } = opts;
    this.#engine = engine;
    this.#store = engine.store;
    this.#now = now;
  }

  #nowNs(): TimeNs {
    return { ms: this.#now(), ns: 0 };
  }

  /** query answers `GET|POST /loki/api/v1/query` (instant metric query at `time`). */
  query(req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const p = req.params;
      const query = p.get('query') ?? '';
      if (query === '') throw new BadRequestError('query parameter is required');
      const time = parseLokiTime(p.get('time'), this.#nowNs(), 'time');
      const limit = parseLimit(p.get('limit'));
      const direction = parseDirection(p.get('direction'));
      const r = await this.#engine.instantQuery({ query, time, limit, direction, allowedApps: req.allowedApps, signal: req.signal });
      return ok({ ...renderValue(r.value), stats: renderStats(r) });
    });
  }

  /** queryRange answers `GET|POST /loki/api/v1/query_range`. */
  queryRange(req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const p = req.params;
      const query = p.get('query') ?? '';
      if (query === '') throw new BadRequestError('query parameter is required');
      const end = parseLokiTime(p.get('end'), this.#nowNs(), 'end');
      const since = p.get('since');
      const start = parseLokiTime(p.get('start'), addMs(end, -(since !== null && since !== '' ? parseSecondsOrDuration(since, 'since') : 3_600_000)), 'start');
      if (end.ms < start.ms || (end.ms === start.ms && end.ns < start.ns)) throw new BadRequestError('end timestamp must not be before or equal to start time');
      const limit = parseLimit(p.get('limit'));
      const direction = parseDirection(p.get('direction'));
      const stepText = p.get('step');
      const stepMs =
        stepText !== null && stepText !== '' ? parseSecondsOrDuration(stepText, 'step') : Math.max(1, Math.floor((end.ms - start.ms) / 1000 / 250)) * 1000;
      if (!(stepMs > 0)) throw new BadRequestError('zero or negative query resolution step widths are not accepted. Try a positive integer');
      const intervalText = p.get('interval');
      const intervalMs = intervalText !== null && intervalText !== '' ? parseSecondsOrDuration(intervalText, 'interval') : 0;
      if (intervalMs < 0) throw new BadRequestError('negative interval is not accepted');
      const r = await this.#engine.rangeQuery({ query, start, end, stepMs, intervalMs, limit, direction, allowedApps: req.allowedApps, signal: req.signal });
      return ok({ ...renderValue(r.value), stats: renderStats(r) });
    });
  }

  #labelRange(p: URLSearchParams): { mint: number; maxt: number } {
    const end = parseLokiTime(p.get('end'), this.#nowNs(), 'end');
    const since = p.get('since');
    const start = parseLokiTime(p.get('start'), addMs(end, -(since !== null && since !== '' ? parseSecondsOrDuration(since, 'since') : 6 * 3_600_000)), 'start');
    return { mint: start.ms, maxt: end.ms };
  }

  #scope(matchers: Matcher[], apps: readonly string[] | undefined): Matcher[] {
    return apps === undefined ? matchers : [...matchers, appMatcher(apps)];
  }

  /** labels answers `GET /loki/api/v1/labels`. */
  labels(req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const { mint, maxt } = this.#labelRange(req.params);
      const q = req.params.get('query');
      const ms = q !== null && q !== '' ? toMatchers(parseMatchers(q)) : [];
      return ok(await this.#store.labelNames(mint, maxt, this.#scope(ms, req.allowedApps)));
    });
  }

  /** labelValues answers `GET /loki/api/v1/label/<name>/values`. */
  labelValues(name: string, req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const { mint, maxt } = this.#labelRange(req.params);
      const q = req.params.get('query');
      const ms = q !== null && q !== '' ? toMatchers(parseMatchers(q)) : [];
      return ok(await this.#store.labelValues(name, mint, maxt, this.#scope(ms, req.allowedApps)));
    });
  }

  /** series answers `GET|POST /loki/api/v1/series` (`match[]`, one or more selectors). */
  series(req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const { mint, maxt } = this.#labelRange(req.params);
      const sels = [...req.params.getAll('match[]'), ...req.params.getAll('match')];
      if (sels.length === 0) throw new BadRequestError('at least one match[] argument must be provided');
      const seen = new Map<string, Labels>();
      for (const sel of sels) {
        const ms = this.#scope(toMatchers(parseLogSelector(sel).matchers), req.allowedApps);
        for (const l of await this.#store.series(ms, mint, maxt)) seen.set(l.key(), l);
      }
      const out = [...seen.values()].sort((a, b) => a.compare(b)).map(labelsObject);
      return ok(out);
    });
  }

  /** indexStats answers `GET /loki/api/v1/index/stats` with `{streams, chunks, entries, bytes}`. */
  indexStats(req: ApiRequest): Promise<ApiResponse> {
    return guard(async () => {
      const { mint, maxt } = this.#labelRange(req.params);
      const q = req.params.get('query') ?? '';
      if (q === '') throw new BadRequestError('query parameter is required');
      const ms = this.#scope(toMatchers(parseLogSelector(q).matchers), req.allowedApps);
      const st = await this.#store.indexStats(ms, mint, maxt);
      return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(st) };
    });
  }

  /**
   * buildInfo answers `GET /loki/api/v1/status/buildinfo` as Loki does (a bare object, no
   * status envelope). Grafana reads `version` to decide which Loki features to use; vigil
   * reports the Loki API level it implements.
   */
  buildInfo(): Promise<ApiResponse> {
    return Promise.resolve({
      status: 200,
      contentType: JSON_TYPE,
      body: JSON.stringify({ version: LOKI_API_VERSION, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: process.version }),
    });
  }

  /** flush answers `POST /flush`: persists everything in memory; 204 when done. */
  flush(): Promise<ApiResponse> {
    return guard(async () => {
      await this.#store.flush();
      return { status: 204, contentType: TEXT_TYPE, body: '' };
    });
  }
}

/** LokiHandlerOptions configures lokiHandler. */
export interface LokiHandlerOptions {
  /** Maps a request to the apps it may read (e.g. from its bearer token); undefined: all. */
  readonly appsOf?: (req: IncomingMessage) => readonly string[] | undefined;
  /** Largest accepted form body (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

/**
 * lokiHandler returns a node:http handler for Loki's query endpoints and `POST /flush`. It
 * resolves to false (writing nothing) when the path is not one of them.
 */
export function lokiHandler(api: LokiApi, opts: LokiHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { appsOf = () => undefined, maxBodyBytes = 1 << 20 } = opts;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let route: ((r: ApiRequest) => Promise<ApiResponse>) | undefined;
    if (path === '/loki/api/v1/query') route = (r) => api.query(r);
    else if (path === '/loki/api/v1/query_range') route = (r) => api.queryRange(r);
    else if (path === '/loki/api/v1/labels' || path === '/loki/api/v1/label') route = (r) => api.labels(r);
    else if (path === '/loki/api/v1/series') route = (r) => api.series(r);
    else if (path === '/loki/api/v1/index/stats') route = (r) => api.indexStats(r);
    else if (path === '/loki/api/v1/status/buildinfo') route = () => api.buildInfo();
    else if (path === '/flush' && method === 'POST') route = () => api.flush();
    else {
      const m = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
      if (m !== null) {
        let name: string;
        try {
          name = decodeURIComponent(m[1]!);
        } catch {
          name = m[1]!;
        }
        route = (r) => api.labelValues(name, r);
      }
    }
    if (route === undefined) return false;
    const params = new URLSearchParams(url.search);
    if (method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > maxBodyBytes) {
          send(res, { status: 413, contentType: TEXT_TYPE, body: `request body larger than ${maxBodyBytes} bytes\n` });
          return true;
        }
        chunks.push(c as Buffer);
      }
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.append(k, v);
    }
    const ac = new AbortController();
    const onClose = (): void => {
      if (!res.writableEnded) ac.abort();
    };
    res.on('close', onClose);
    try {
      send(res, await route({ params, allowedApps: appsOf(req), signal: ac.signal }));
    } finally {
      res.off('close', onClose);
    }
    return true;
  };
}

function send(res: ServerResponse, r: ApiResponse): void {
  if (res.headersSent) return;
  if (r.status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  res.writeHead(r.status, { 'Content-Type': r.contentType, 'Content-Length': Buffer.byteLength(r.body) });
  res.end(r.body);
}
