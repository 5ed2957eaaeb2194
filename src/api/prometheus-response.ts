/**
 * Writing Prometheus API responses: the `{"status":…}` envelope, CORS headers as Prometheus
 * sets them, gzip or deflate when the client accepts it (Prometheus compresses every API
 * answer, errors included), and streaming of large bodies with backpressure, so neither the
 * body nor its compressed form is ever built as one string.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createDeflate, createGzip, deflateSync, gzipSync } from 'node:zlib';
import type { Regex } from '../model/index.js';
import { type ApiErrorType, classify, errorBody, statusOf } from './errors.js';
import { goStringArray } from './prometheus-json.js';
import type { Request } from './router.js';

/** ContentEncoding is a response compression Prometheus offers. */
export type ContentEncoding = 'gzip' | 'deflate';

// Fastest zlib level: API bodies are JSON that compresses well even so, and the CPU is shared.
const ZLIB_OPTS = { level: zc.Z_BEST_SPEED } as const;

/**
 * negotiateEncoding picks the compression for an Accept-Encoding header as Prometheus does:
 * the first of the listed codings that is exactly `gzip` or `deflate` (no q-values).
 */
export function negotiateEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  if (acceptEncoding === undefined || acceptEncoding === '') return undefined;
  for (const part of acceptEncoding.split(',')) {
    const e = part.trim();
    if (e === 'gzip' || e === 'deflate') return e;
  }
  return undefined;
}

/** CorsPolicy says which browser origins may read API answers (`--web.cors.origin`). */
export interface CorsPolicy {
  /** Anchored regex over the Origin header; undefined means `.*` (any origin, answered with `*`). */
  readonly origin?: Regex;
}

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Expose-Headers': 'Date',
  Vary: 'Origin',
};

/** corsHeaders returns the CORS headers for a request with an Origin header (none without). */
export function corsHeaders(req: Request, policy: CorsPolicy | undefined): Record<string, string> {
  const origin = req.raw.headers.origin;
  if (origin === undefined || origin === '') return {};
  const out: Record<string, string> = { ...CORS_HEADERS };
  if (policy?.origin === undefined) out['Access-Control-Allow-Origin'] = '*';
  else if (policy.origin.test(origin)) out['Access-Control-Allow-Origin'] = origin;
  return out;
}

/** BodyOptions describe one response. */
export interface BodyOptions {
  readonly status: number;
  readonly contentType: string;
  /** Compress per Accept-Encoding (default true). */
  readonly compress?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/** STREAM_FROM is the body size (characters) from which responses are streamed. */
const STREAM_FROM = 256 * 1024;

/**
 * sendBody writes a response from string chunks. A small body is sent whole with a
 * Content-Length; a large one is streamed (chunked encoding), pulling chunks only as fast as
 * the client reads them. Resolves when done or when the client went away.
 */
export async function sendBody(req: Request, res: ServerResponse, chunks: Iterable<string>, o: BodyOptions): Promise<void> {
  const enc = o.compress === false ? undefined : negotiateEncoding(req.raw.headers['accept-encoding']);
  const headers: Record<string, string | number> = { 'Content-Type': o.contentType, ...o.headers };
  if (enc !== undefined) headers['Content-Encoding'] = enc;
  // Bodies up to STREAM_FROM are built whole and sent with a Content-Length; past that the rest
  // is streamed as it is encoded.
  const it = chunks[Symbol.iterator]();
  const head: string[] = [];
  let size = 0;
  let r = it.next();
  while (r.done !== true && size < STREAM_FROM) {
    head.push(r.value);
    size += r.value.length;
    r = it.next();
  }
  if (r.done === true) {
    let body = Buffer.from(head.length === 1 ? head[0]! : head.join(''), 'utf8');
    if (enc === 'gzip') body = gzipSync(body, ZLIB_OPTS);
    else if (enc === 'deflate') body = deflateSync(body, ZLIB_OPTS);
    headers['Content-Length'] = body.length;
    res.writeHead(o.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(o.status, headers);
  const pending = r.value;
  function* all(): Generator<string> {
    yield head.join('');
    yield pending;
    for (let x = it.next(); x.done !== true; x = it.next()) yield x.value;
  }
  const source = Readable.from(all(), { objectMode: false, highWaterMark: 4 * 64 * 1024 });
  try {
    if (enc === undefined) await pipeline(source, res);
    else await pipeline(source, enc === 'gzip' ? createGzip(ZLIB_OPTS) : createDeflate(ZLIB_OPTS), res);
  } catch (e) {
    // The client went away mid-body: nothing left to tell it.
    if (res.destroyed || isPrematureClose(e)) return;
    throw e;
  }
}

function isPrematureClose(e: unknown): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** ApiAnswer is a successful API result: the `data` JSON (whole or in chunks) and annotations. */
export interface ApiAnswer {
  /** The JSON of the `data` field. */
  readonly data: string | Iterable<string>;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

function* envelope(a: ApiAnswer): Generator<string> {
  if (typeof a.data === 'string') {
    yield `{"status":"success","data":${a.data}${annotations(a)}}`;
    return;
  }
  let head = '{"status":"success","data":';
  for (const c of a.data) {
    if (head !== '') {
      yield head + c;
      head = '';
    } else yield c;
  }
  yield head + annotations(a) + '}';
}

function annotations(a: ApiAnswer): string {
  let s = '';
  if (a.warnings !== undefined && a.warnings.length > 0) s += ',"warnings":' + goStringArray(a.warnings);
  if (a.infos !== undefined && a.infos.length > 0) s += ',"infos":' + goStringArray(a.infos);
  return s;
}

/** sendSuccess writes `{"status":"success","data":…}` with status 200. */
export function sendSuccess(req: Request, res: ServerResponse, a: ApiAnswer, cors?: CorsPolicy): Promise<void> {
  return sendBody(req, res, envelope(a), { status: 200, contentType: 'application/json', headers: corsHeaders(req, cors) });
}

/** sendError writes Prometheus's error envelope with the status of its type. */
export function sendError(req: Request, res: ServerResponse, type: ApiErrorType, message: string, cors?: CorsPolicy): Promise<void> {
  return sendBody(req, res, [errorBody(type, message)], { status: statusOf(type), contentType: 'application/json', headers: corsHeaders(req, cors) });
}

/** sendFailure classifies any error (see errors.ts) and writes the error envelope. */
export function sendFailure(req: Request, res: ServerResponse, err: unknown, cors?: CorsPolicy): Promise<void> {
  const { type, message } = classify(err);
  return sendError(req, res, type, message, cors);
}

/**
 * sendPlainError answers like Go's http.Error: text/plain, `nosniff`, the message and a line
 * break (remote write and read, /federate).
 */
export function sendPlainError(res: ServerResponse, status: number, message: string): void {
  const body = message + '\n';
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
