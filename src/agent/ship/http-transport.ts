/**
 * HttpTransport: posts batch bodies to the log gateway over HTTP or HTTPS (CA verification,
 * optional client certificate), with a bearer token and an `Idempotency-Key` naming the batch,
 * and classifies the answer: 2xx is an acknowledgement, 408/429/5xx and network failures are
 * worth retrying, other 4xx refuse the batch for good (except 401/403/404, which are
 * configuration problems: retried, so nothing is lost while they are fixed).
 * @module
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryError, ShipOptionError } from './errors.js';

/** TlsClientOptions configure HTTPS. */
export interface TlsClientOptions {
  /** PEM file of the CA(s) that sign the server's certificate (default: Node's bundled roots). */
  readonly caFile?: string;
  /** PEM file of a client certificate, with keyFile, for servers that ask for one. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Name to verify the certificate against (default: the URL's host). */
  readonly serverName?: string;
  /** Accept any certificate (for tests only; default false). */
  readonly insecureSkipVerify?: boolean;
}

/** HttpTransportOptions configure an HttpTransport. */
export interface HttpTransportOptions {
  /** Full URL of the push endpoint. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  readonly tls?: TlsClientOptions;
  /** Per-request timeout (default 30 s): no answer by then counts as a failed, retryable send. */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. `X-Scope-OrgID` for a Loki tenant). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly userAgent?: string;
}

/** PostRequest is one batch to post. */
export interface PostRequest {
  readonly body: Buffer;
  readonly contentType: string;
  /** Content-Encoding of the body ('' for none). */
  readonly contentEncoding: string;
  /** Unique per batch and stable across resends, so the server can drop a repeat. */
  readonly idempotencyKey: string;
}

/** PostResult is the server's acknowledgement. */
export interface PostResult {
  readonly status: number;
  readonly body: string;
  /** The `Vigil-Logs-Features` answer header ('' without one): the NDJSON forms the server takes. */
  readonly features: string;
}

const MAX_ANSWER = 64 * 1024;

/** HttpTransport sends batches over keep-alive connections. */
export class HttpTransport {
  readonly url: URL;
  readonly #agent: HttpAgent;
  readonly #https: boolean;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string; rejectUnauthorized: boolean };

  constructor(options: HttpTransportOptions) {
    const { token, tls = {}, timeoutMs = 30_000, headers = {}, userAgent = 'vigil-agent' } = options;
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ShipOptionError('url', `"${options.url}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ShipOptionError('url', `scheme must be http or https, got ${url.protocol}`);
    if (!(timeoutMs > 0)) throw new ShipOptionError('timeoutMs', `must be positive, got ${timeoutMs}`);
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new ShipOptionError('tls', 'certFile and keyFile go together');
    const read = (opt: string, f: string | undefined): Buffer | undefined => {
      if (f === undefined) return undefined;
      try {
        return readFileSync(f);
      } catch (e) {
        throw new ShipOptionError(`tls.${opt}`, `cannot read ${f}: ${(e as Error).message}`);
      }
    };
    this.url = url;
    this.#https = url.protocol === 'https:';
    this.#tls = { rejectUnauthorized: tls.insecureSkipVerify !== true };
    const ca = read('caFile', tls.caFile);
    const cert = read('certFile', tls.certFile);
    const key = read('keyFile', tls.keyFile);
    if (ca !== undefined) this.#tls.ca = ca;
    if (cert !== undefined) this.#tls.cert = cert;
    if (key !== undefined) this.#tls.key = key;
    if (tls.serverName !== undefined) this.#tls.servername = tls.serverName;
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true, maxSockets: 2, ...this.#tls }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
    this.#headers = { 'user-agent': userAgent, ...lower(headers) };
    if (token !== undefined && token !== '') this.#headers.authorization = `Bearer ${token}`;
    this.#timeoutMs = timeoutMs;
  }

  /** post sends one batch; resolves on a 2xx answer, rejects with a DeliveryError otherwise. */
  post(req: PostRequest, signal?: AbortSignal): Promise<PostResult> {
    const where = this.url.origin + this.url.pathname;
    return new Promise<PostResult>((resolve, reject) => {
      let settled = false;
      const fail = (status: number, retryable: boolean, detail: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(new DeliveryError(where, status, retryable, detail, cause === undefined ? undefined : { cause }));
      };
      const headers: Record<string, string> = {
        ...this.#headers,
        'content-type': req.contentType,
        'content-length': String(req.body.length),
        'idempotency-key': req.idempotencyKey,
      };
      if (req.contentEncoding !== '') headers['content-encoding'] = req.contentEncoding;
      const opts = { method: 'POST', agent: this.#agent, headers, ...(this.#https ? this.#tls : {}) };
      const r = (this.#https ? httpsRequest : httpRequest)(this.url, opts, (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (b: Buffer) => {
          if (n < MAX_ANSWER) parts.push(b);
          n += b.length;
        });
        res.on('error', (e) => fail(0, true, `reading the answer: ${e.message}`, e));
        res.on('end', () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(parts).toString('utf8').slice(0, 2000).trim();
          if (status >= 200 && status < 300) {
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            const f = res.headers['vigil-logs-features'];
            resolve({ status, body: text, features: typeof f === 'string' ? f : '' });
            return;
          }
          fail(status, retryableStatus(status), `HTTP ${status}${text === '' ? '' : `: ${text}`}`);
        });
      });
      const onAbort = (): void => {
        r.destroy();
        fail(0, true, 'aborted');
      };
      const timer = setTimeout(() => {
        r.destroy();
        fail(0, true, `no answer within ${this.#timeoutMs} ms`);
      }, this.#timeoutMs);
      timer.unref();
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      r.on('error', (e: NodeJS.ErrnoException) => fail(0, true, `${e.code ?? 'error'}: ${e.message}`, e));
      r.end(req.body);
    });
  }

  /** close drops idle connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** retryableStatus tells whether resending after this HTTP status may succeed. */
export function retryableStatus(status: number): boolean {
  if (status === 408 || status === 429 || status >= 500) return true;
  // Wrong token, scope or path: an operator fixes the configuration; keep the data meanwhile.
  return status === 401 || status === 403 || status === 404;
}

function lower(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
