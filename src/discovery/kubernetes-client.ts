/**
 * A minimal Kubernetes API client for discovery: paginated lists and watch streams over plain
 * HTTP(S), with bearer-token, basic or client-certificate authentication.
 * @module
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import { DiscoveryError } from './errors.js';
import type { KubeObject } from './kubernetes-objects.js';

/** KubeClientOptions say where the API server is and how to authenticate. */
export interface KubeClientOptions {
  /** Base URL, e.g. `https://10.0.0.1:6443`. */
  readonly server: string;
  /** Returns the bearer token for each request (re-read from a file when rotated). */
  readonly token?: () => Promise<string | undefined>;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** TLS settings applied to https requests (ca, cert, key, servername, rejectUnauthorized). */
  readonly tls?: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;
  /** Largest accepted list response or watch line, in bytes; default 256 MiB. */
  readonly maxBodyBytes?: number;
}

/** WatchEvent is one line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject & { readonly code?: number; readonly message?: string };
}

/** GoneError means the resource version is too old: list again. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}

/** KubeClient talks to one API server. */
export class KubeClient {
  readonly #base: URL;
  readonly #options: KubeClientOptions;
  readonly #maxBody: number;

  constructor(options: KubeClientOptions) {
    this.#base = new URL(options.server);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') throw new Error(`KubeClient: server must be http(s), got ${options.server}`);
    this.#options = options;
    this.#maxBody = options.maxBodyBytes ?? 256 << 20;
  }

  async #open(path: string, query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.#base);
    url.pathname = this.#base.pathname.replace(/\/$/, '') + path;
    for (const [k, v] of Object.entries(query)) if (v !== '') url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'vigil' };
    const token = await this.#options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    else if (this.#options.basicAuth) headers.authorization = `Basic ${Buffer.from(`${this.#options.basicAuth.username}:${this.#options.basicAuth.password}`).toString('base64')}`;
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal, ...(https ? this.#options.tls : {}) }, resolve);
      req.on('error', reject);
      req.end();
    });
  }

  /** list fetches every item of a collection, following `continue` pages. */
  async list(path: string, query: Record<string, string>, signal: AbortSignal): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let cont = '';
    for (;;) {
      const res = await this.#open(path, { ...query, limit: '500', continue: cont }, signal);
      const body = await this.#readAll(res);
      const doc = parseJson(body, path) as { items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string }; message?: string };
      if (res.statusCode === 410) throw new GoneError(`${path}: ${doc.message ?? 'gone'}`);
      if (res.statusCode !== 200) throw new DiscoveryError('kubernetes', `GET ${path}: HTTP ${res.statusCode}: ${doc.message ?? body.slice(0, 200)}`);
      items.push(...(doc.items ?? []));
      cont = doc.metadata?.continue ?? '';
      if (cont === '') return { items, resourceVersion: doc.metadata?.resourceVersion ?? '' };
    }
  }

  /** watch streams changes after resourceVersion until the server closes or signal aborts. */
  async *watch(path: string, query: Record<string, string>, resourceVersion: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const res = await this.#open(path, { ...query, watch: '1', resourceVersion, allowWatchBookmarks: 'true' }, signal);
    if (res.statusCode === 410) {
      res.resume();
      throw new GoneError(`${path}: resource version ${resourceVersion} is gone`);
    }
    if (res.statusCode !== 200) {
      const body = await this.#readAll(res);
      throw new DiscoveryError('kubernetes', `watch ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        if (buf.length > this.#maxBody) throw new DiscoveryError('kubernetes', `watch ${path}: event larger than ${this.#maxBody} bytes`);
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const ev = parseJson(line, path) as WatchEvent;
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) throw new GoneError(`${path}: ${ev.object.message ?? 'gone'}`);
            throw new DiscoveryError('kubernetes', `watch ${path}: ${ev.object.message ?? 'error event'}`);
          }
          yield ev;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    } finally {
      res.destroy();
    }
  }

  async #readAll(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > this.#maxBody) {
        res.destroy();
        throw new DiscoveryError('kubernetes', `response larger than ${this.#maxBody} bytes`);
      }
      chunks.push(c);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DiscoveryError('kubernetes', `${path}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
