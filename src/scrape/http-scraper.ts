/**
 * Fetching a target's page over HTTP(S) as Prometheus does: the Accept header of 2.42, gzip,
 * the scrape timeout header, basic auth or an Authorization header, TLS settings, an HTTP
 * proxy, redirects, and body_size_limit enforced while streaming so an oversized body is cut
 * off instead of buffered. Connections are kept alive per scrape pool. Plain-http targets
 * without a proxy are fetched with the lean client of http1-connection.ts; TLS and proxies go
 * through Node's `http`/`https`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import type { HttpClientConfig } from '../discovery/index.js';
import { SCRAPE_ACCEPT_HEADER } from '../textparse/index.js';
import { BodySizeLimitError, ScrapeHttpError, ScrapeRequestError } from './errors.js';
import { BufferPool } from './buffer-pool.js';
import { Http1Connection, Http1Error, type Http1Response } from './http1-connection.js';
import { OAuth2TokenSource } from './oauth2-token.js';

/** ScrapeResult is a fetched page. */
export interface ScrapeResult {
  /** The page; valid until release() is called. */
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** release hands the body's memory back for other scrapes; the body must not be used after. */
  release?(): void;
}

/** Scraper fetches one target's page. */
export interface Scraper {
  /** scrape fetches the page; the signal aborts it (shutdown). Throws the reason of a failure. */
  scrape(signal: AbortSignal): Promise<ScrapeResult>;
}

/**
 * Without body_size_limit, bodies are still cut at this size (512 MiB): a runaway target must
 * not exhaust the process.
 */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024 * 1024;
const MAX_REDIRECTS = 10;
// Idle kept-alive connections kept per host:port for the lean client (Node's Agent keeps 256).
const MAX_IDLE_PER_HOST = 256;

/** HttpClient holds the connection pools, TLS settings and body buffers of one scrape job. */
export class HttpClient {
  readonly config: HttpClientConfig;
  /** Body buffers shared by the job's scrapes. */
  readonly buffers = new BufferPool();
  readonly #http: http.Agent;
  #https: https.Agent | undefined;
  #tlsOptions: Promise<tls.ConnectionOptions> | undefined;
  readonly #oauth2: OAuth2TokenSource | undefined;
  readonly #idle = new Map<string, Http1Connection[]>();
  // Every socket read of the lean client lands here first (reads are handled one at a time).
  readonly #scratch = Buffer.allocUnsafe(64 * 1024);
  #closed = false;

  constructor(config: HttpClientConfig) {
    this.config = config;
    this.#http = new http.Agent({ keepAlive: true });
    this.#oauth2 = config.oauth2 === undefined ? undefined : new OAuth2TokenSource(config.oauth2);
  }

  /** agentFor returns the keep-alive agent for a URL's protocol. */
  async agentFor(u: URL): Promise<http.Agent> {
    if (u.protocol !== 'https:') return this.#http;
    if (this.#https === undefined) {
      const opts = await this.tlsOptions();
      this.#https ??= new https.Agent({ keepAlive: true, ...opts });
    }
    return this.#https;
  }

  /** tlsOptions reads the CA, certificate and key files of tls_config once. */
  tlsOptions(): Promise<tls.ConnectionOptions> {
    this.#tlsOptions ??= (async () => {
      const t = this.config.tlsConfig;
      if (t === undefined) return {};
      const o: tls.ConnectionOptions = { rejectUnauthorized: t.insecureSkipVerify !== true };
      if (t.caFile !== undefined) o.ca = await readFile(t.caFile);
      if (t.certFile !== undefined) o.cert = await readFile(t.certFile);
      if (t.keyFile !== undefined) o.key = await readFile(t.keyFile);
      if (t.serverName !== undefined && t.serverName !== '') o.servername = t.serverName;
      return o;
    })();
    return this.#tlsOptions;
  }

  /** authorization computes the Authorization header, reading secret files at each request as Prometheus does. */
  async authorization(): Promise<string | undefined> {
    const { basicAuth, authorization } = this.config;
    if (this.#oauth2 !== undefined) return this.#oauth2.authorization();
    if (basicAuth !== undefined) {
      let password = basicAuth.password ?? '';
      if (basicAuth.passwordFile !== undefined && basicAuth.passwordFile !== '') password = (await readFile(basicAuth.passwordFile, 'utf8')).trim();
      return 'Basic ' + Buffer.from(`${basicAuth.username}:${password}`).toString('base64');
    }
    if (authorization !== undefined) {
      let creds = authorization.credentials ?? '';
      if (authorization.credentialsFile !== undefined && authorization.credentialsFile !== '') creds = (await readFile(authorization.credentialsFile, 'utf8')).trim();
      return `${authorization.type === '' ? 'Bearer' : authorization.type} ${creds}`;
    }
    return undefined;
  }

  /**
   * connection returns an idle kept-alive connection to host:port, or a new one; give it back
   * with release() once its response is read.
   */
  connection(host: string, port: number): Http1Connection {
    const key = `${host}:${port}`;
    const list = this.#idle.get(key);
    for (let c = list?.pop(); c !== undefined; c = list!.pop()) if (c.reusable) return c;
    const conn = new Http1Connection({
      host,
      port,
      scratch: this.#scratch,
      onIdleClose: () => {
        const l = this.#idle.get(key);
        const i = l === undefined ? -1 : l.indexOf(conn);
        if (i >= 0) l!.splice(i, 1);
      },
    });
    return conn;
  }

  /** release keeps a connection for the next request, or closes it when it cannot be reused. */
  release(conn: Http1Connection): void {
    if (this.#closed || !conn.reusable) {
      conn.close();
      return;
    }
    let list = this.#idle.get(conn.key);
    if (list === undefined) this.#idle.set(conn.key, (list = []));
    if (list.length >= MAX_IDLE_PER_HOST) conn.close();
    else list.push(conn);
  }

  /** close drops idle keep-alive connections. */
  close(): void {
    this.#closed = true;
    this.#http.destroy();
    this.#https?.destroy();
    for (const list of this.#idle.values()) for (const c of list.splice(0)) c.close();
  }
}

/** TargetScraperOptions configure a TargetScraper. */
export interface TargetScraperOptions {
  readonly url: string;
  readonly client: HttpClient;
  readonly timeoutMs: number;
  /** body_size_limit in bytes; 0 means DEFAULT_MAX_BODY_BYTES. */
  readonly bodySizeLimitBytes: number;
  readonly userAgent?: string;
  readonly acceptHeader?: string;
}

/** TargetScraper fetches one target, reusing its body buffer between scrapes. */
export class TargetScraper implements Scraper {
  readonly #url: string;
  readonly #client: HttpClient;
  readonly #timeoutMs: number;
  readonly #limit: number;
  readonly #userAgent: string;
  readonly #accept: string;
  #lastSize = 0;

  constructor(options: TargetScraperOptions) {
    const { url, client, timeoutMs, bodySizeLimitBytes, userAgent = 'vigil', acceptHeader = SCRAPE_ACCEPT_HEADER } = options;
    if (!(timeoutMs > 0)) throw new Error(`TargetScraper: timeoutMs must be > 0, got ${timeoutMs}`);
    this.#url = url;
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#limit = bodySizeLimitBytes > 0 ? bodySizeLimitBytes : DEFAULT_MAX_BODY_BYTES;
    this.#userAgent = userAgent;
    this.#accept = acceptHeader;
  }

  async scrape(signal: AbortSignal): Promise<ScrapeResult> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.#timeoutMs);
    const onAbort = (): void => ctl.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) ctl.abort();
    let url = this.#url;
    try {
      for (let redirects = 0; ; redirects++) {
        const u = new URL(url);
        const lean = u.protocol === 'http:' && (this.#client.config.proxyUrl === undefined || this.#client.config.proxyUrl === '');
        const pool = this.#client.buffers;
        let status: number;
        let statusText: string;
        let location: string | undefined;
        let contentType: string | undefined;
        let buf: Buffer;
        let len: number;
        if (lean) {
          const res = await this.#fetchLean(u, ctl.signal).catch((e: unknown) => {
            if (e instanceof BodySizeLimitError) throw e;
            if (e instanceof Error && e.name === 'OAuth2TokenError') throw new ScrapeRequestError(url, e.message, false, { cause: e });
            throw requestError(url, e, timedOut);
          });
          ({ status, statusText, location, contentType, body: buf, len } = res);
        } else {
          const res = await this.#request(url, ctl.signal).catch((e: unknown) => {
            if (e instanceof Error && e.name === 'OAuth2TokenError') throw new ScrapeRequestError(url, e.message, false, { cause: e });
            throw requestError(url, e, timedOut);
          });
          status = res.statusCode ?? 0;
          statusText = res.statusMessage ?? '';
          location = res.headers.location;
          if (status !== 200 && !(status >= 300 && status < 400 && location !== undefined)) {
            res.resume();
            throw new ScrapeHttpError(status, statusText);
          }
          if (status !== 200) {
            res.resume();
            buf = Buffer.alloc(0);
            len = 0;
          } else {
            const gzip = res.headers['content-encoding'] === 'gzip';
            ({ buf, len } = await this.#read(res, gzip, ctl.signal).catch((e: unknown) => {
              if (e instanceof BodySizeLimitError) throw e;
              throw requestError(url, e, timedOut);
            }));
          }
          const ct = res.headers['content-type'];
          contentType = Array.isArray(ct) ? ct[0] : ct;
        }
        if (status >= 300 && status < 400 && location !== undefined && this.#client.config.followRedirects && redirects < MAX_REDIRECTS) {
          pool.put(buf);
          url = new URL(location, url).toString();
          continue;
        }
        if (status !== 200) {
          pool.put(buf);
          throw new ScrapeHttpError(status, statusText);
        }
        // Misbehaving targets sometimes answer empty; that must not shrink the next buffer.
        if (len > 0) this.#lastSize = len;
        return { body: buf.subarray(0, len), contentType, release: () => pool.put(buf) };
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  // #fetchLean GETs a plain-http URL with the lean client, retrying once on a new connection
  // when a kept-alive one turns out to be closed.
  async #fetchLean(u: URL, signal: AbortSignal): Promise<Http1Response> {
    const head = Buffer.from(await this.#requestHead(u), 'latin1');
    const client = this.#client;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = u.port === '' ? 80 : Number(u.port);
    for (let attempt = 0; ; attempt++) {
      const conn = client.connection(host, port);
      try {
        const res = await conn.request({ head, limit: this.#limit, sizeHint: this.#lastSize, pool: client.buffers, signal });
        client.release(conn);
        return res;
      } catch (e) {
        conn.close();
        if (attempt === 0 && e instanceof Http1Error && e.retriable) continue;
        throw e;
      }
    }
  }

  // #requestHead builds the request line and headers, as Node's client would send them.
  async #requestHead(u: URL): Promise<string> {
    const headers = await this.#headers(u);
    let head = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      const v = String(value);
      if (!VALID_HEADER_VALUE.test(v)) throw new Error(`invalid character in header "${name}"`);
      head += `${name}: ${v}\r\n`;
    }
    return head + '\r\n';
  }

  async #headers(u: URL): Promise<http.OutgoingHttpHeaders> {
    const headers: http.OutgoingHttpHeaders = {
      'User-Agent': this.#userAgent,
      Accept: this.#accept,
      'Accept-Encoding': 'gzip',
      'X-Prometheus-Scrape-Timeout-Seconds': String(this.#timeoutMs / 1000),
    };
    const auth = await this.#client.authorization();
    if (auth !== undefined) headers.Authorization = auth;
    else if (u.username !== '' || u.password !== '') {
      headers.Authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
    }
    return headers;
  }

  async #request(url: string, signal: AbortSignal, retried = false): Promise<http.IncomingMessage> {
    const u = new URL(url);
    const client = this.#client;
    const headers = await this.#headers(u);
    const proxy = client.config.proxyUrl !== undefined && client.config.proxyUrl !== '' ? new URL(client.config.proxyUrl) : undefined;
    const path = u.pathname + u.search;
    let options: http.RequestOptions;
    let mod: typeof http | typeof https = u.protocol === 'https:' ? https : http;
    if (proxy !== undefined && u.protocol === 'http:') {
      // Plain HTTP through a proxy: absolute-form request line to the proxy.
      mod = proxy.protocol === 'https:' ? https : http;
      options = { host: proxy.hostname, port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80), path: url, headers: { ...headers, Host: u.host } };
      if (proxy.username !== '') options.headers = { ...options.headers, 'Proxy-Authorization': proxyAuth(proxy) };
    } else if (proxy !== undefined) {
      const socket = await connectTunnel(proxy, u, signal);
      const tlsOpts = await client.tlsOptions();
      options = {
        host: u.hostname,
        port: u.port || 443,
        path,
        headers,
        agent: false,
        createConnection: () => tls.connect({ ...tlsOpts, socket, servername: tlsOpts.servername ?? u.hostname }),
      } as https.RequestOptions;
    } else {
      options = { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port || (u.protocol === 'https:' ? 443 : 80), path, headers, agent: await client.agentFor(u) };
    }
    options.signal = signal;
    return new Promise((resolve, reject) => {
      const req = mod.request(options, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive connection the target closed meanwhile: retry once on a new one, as Go's
        // transport does for idempotent requests.
        if (!retried && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) resolve(this.#request(url, signal, true));
        else reject(e);
      });
      req.end();
    });
  }

  // #read streams the body into a pooled buffer (sized by the last body), gunzipping if needed,
  // and fails as soon as it reaches the limit (Prometheus fails at n >= limit).
  #read(res: http.IncomingMessage, gzip: boolean, signal: AbortSignal): Promise<{ buf: Buffer; len: number }> {
    const limit = this.#limit;
    const pool = this.#client.buffers;
    let buf = pool.get(Math.min(limit, Math.max(this.#lastSize + 1, 16 * 1024)));
    return new Promise((resolve, reject) => {
      let len = 0;
      let done = false;
      const src: NodeJS.ReadableStream = gzip ? res.pipe(zlib.createGunzip()) : res;
      const finish = (err: unknown): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          res.destroy();
          if (gzip) (src as zlib.Gunzip).destroy();
          pool.put(buf);
          reject(err);
        } else {
          resolve({ buf, len });
        }
      };
      const onAbort = (): void => finish(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      src.on('data', (chunk: Buffer) => {
        if (done) return;
        if (len + chunk.length >= limit) {
          finish(new BodySizeLimitError(limit));
          return;
        }
        if (len + chunk.length > buf.length) {
          const grown = pool.get(len + chunk.length);
          buf.copy(grown, 0, 0, len);
          pool.put(buf);
          buf = grown;
        }
        chunk.copy(buf, len);
        len += chunk.length;
      });
      src.on('end', () => finish(undefined));
      src.on('error', (e: unknown) => finish(e));
      res.on('error', (e: unknown) => finish(e));
      res.on('aborted', () => finish(new Error('connection closed before the body was complete')));
    });
  }
}

// Header values Node's client accepts: tab, visible ASCII and space, and Latin-1 bytes.
const VALID_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function proxyAuth(proxy: URL): string {
  return 'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64');
}

// connectTunnel opens a CONNECT tunnel through an HTTP proxy for an https target.
function connectTunnel(proxy: URL, target: URL, signal: AbortSignal): Promise<Socket> {
  const mod = proxy.protocol === 'https:' ? https : http;
  const authority = `${target.hostname}:${target.port || 443}`;
  const headers: http.OutgoingHttpHeaders = { Host: authority };
  if (proxy.username !== '') headers['Proxy-Authorization'] = proxyAuth(proxy);
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: proxy.hostname, port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80), method: 'CONNECT', path: authority, headers, signal });
    req.on('connect', (res: http.IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy CONNECT returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
      } else {
        resolve(socket);
      }
    });
    req.on('error', reject);
    req.end();
  });
}

// requestError words a failed request like Go's net/http client errors.
function requestError(url: string, e: unknown, timedOut: boolean): Error {
  if (timedOut) return new ScrapeRequestError(url, 'context deadline exceeded', true, { cause: e });
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err?.code === 'ECONNREFUSED') {
    const host = err.address?.includes(':') ? `[${err.address}]` : err.address;
    return new ScrapeRequestError(url, `dial tcp ${host}:${err.port}: connect: connection refused`, false, { cause: e });
  }
  if (err?.code === 'ENOTFOUND') return new ScrapeRequestError(url, `dial tcp: lookup ${new URL(url).hostname}: no such host`, false, { cause: e });
  if (err?.code === 'ECONNRESET') return new ScrapeRequestError(url, 'read: connection reset by peer', false, { cause: e });
  return new ScrapeRequestError(url, err instanceof Error ? err.message : String(e), false, { cause: e });
}
