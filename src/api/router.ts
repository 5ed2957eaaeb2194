/**
 * A small HTTP router over node:http: exact paths and `:param` segments, per method, with
 * helpers to read bodies and parameters the way Prometheus and Loki do (query string plus
 * form-encoded POST bodies).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** Request is what a route handler receives. */
export interface Request {
  readonly raw: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly url: URL;
  /** Path parameters from `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/** Handler answers a request by writing to res. */
export type Handler = (req: Request, res: ServerResponse) => Promise<void> | void;

interface Route {
  readonly methods: readonly string[];
  readonly parts: readonly string[];
  readonly prefix: boolean;
  readonly handler: Handler;
}

/** HttpError carries a status code for errors raised while reading a request. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Router dispatches requests to handlers by method and path. */
export class Router {
  readonly #routes: Route[] = [];

  /**
   * handle registers a handler. `path` may contain `:name` segments, and may end in `/*` to
   * match any sub-path (the rest is in params['*']).
   */
  handle(methods: string | readonly string[], path: string, handler: Handler): this {
    const prefix = path.endsWith('/*');
    const parts = (prefix ? path.slice(0, -2) : path).split('/').slice(1);
    this.#routes.push({ methods: typeof methods === 'string' ? [methods] : methods, parts, prefix, handler });
    return this;
  }

  /** match finds the handler for a method and path; `undefined` path means 404, `'method'` means 405. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    const segs = path.split('/').slice(1);
    let methodMismatch = false;
    for (const r of this.#routes) {
      const params = matchParts(r, segs);
      if (params === undefined) continue;
      const m = method === 'HEAD' && r.methods.includes('GET') ? 'GET' : method;
      if (!r.methods.includes(m) && !r.methods.includes('*')) {
        methodMismatch = true;
        continue;
      }
      return { handler: r.handler, params };
    }
    return methodMismatch ? 'method' : undefined;
  }
}

function matchParts(r: Route, segs: readonly string[]): Record<string, string> | undefined {
  if (r.prefix ? segs.length < r.parts.length : segs.length !== r.parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < r.parts.length; i++) {
    const p = r.parts[i]!;
    const s = segs[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) {
      return undefined;
    }
  }
  if (r.prefix) params['*'] = segs.slice(r.parts.length).join('/');
  return params;
}

/**
 * readBody reads a request body up to `limitBytes` (413 beyond), un-gzipping when the request
 * says Content-Encoding: gzip (the limit applies to the decoded size).
 */
export async function readBody(raw: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const enc = (raw.headers['content-encoding'] ?? '').toLowerCase();
  let stream: Readable = raw;
  if (enc === 'gzip') stream = raw.pipe(createGunzip());
  else if (enc !== '' && enc !== 'identity') throw new HttpError(415, `unsupported Content-Encoding "${enc}"`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of stream) {
      const b = c as Buffer;
      size += b.length;
      if (size > limitBytes) {
        raw.resume();
        throw new HttpError(413, `request body larger than ${limitBytes} bytes`);
      }
      chunks.push(b);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, `reading request body: ${e instanceof Error ? e.message : String(e)}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * formParams returns the request's parameters as Prometheus reads them: the URL query merged
 * with a form-encoded POST body (body values first, like Go's Request.FormValue).
 */
export async function formParams(req: Request, limitBytes = 32 << 20): Promise<URLSearchParams> {
  const out = new URLSearchParams();
  const ct = (req.raw.headers['content-type'] ?? '').toLowerCase();
  if ((req.method === 'POST' || req.method === 'PUT') && ct.startsWith('application/x-www-form-urlencoded')) {
    const body = await readBody(req.raw, limitBytes);
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out.append(k, v);
  }
  for (const [k, v] of req.url.searchParams) out.append(k, v);
  return out;
}

/** sendText writes a plain-text response. */
export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** sendJSON writes a JSON response from an already-serialized body. */
export function sendJSON(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
