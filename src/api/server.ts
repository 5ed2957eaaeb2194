/**
 * The HTTP server every API and the UI share: one port, one router, request logging of
 * failures, and no handler error ever taking the process down.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, HttpError, sendText, type Request } from './router.js';

/** HttpServerOptions configures the listener. */
export interface HttpServerOptions {
  /** host:port, e.g. `127.0.0.1:9700` or `:9700` (all interfaces). */
  readonly listenAddress: string;
  readonly router: Router;
  /** Called with errors no handler answered, for the log. */
  readonly onError?: (err: unknown, req: Request | undefined) => void;
}

/** parseListenAddress splits `host:port` (IPv6 in brackets) into parts. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (m === null) throw new Error(`invalid listen address "${addr}": want host:port`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

/** HttpServer runs the router on a port until its signal aborts. */
export class HttpServer {
  readonly #opts: HttpServerOptions;
  readonly #server: Server;

  constructor(opts: HttpServerOptions) {
    this.#opts = opts;
    this.#server = createServer((raw, res) => {
      let req: Request | undefined;
      const fail = (e: unknown): void => {
        if (e instanceof HttpError) {
          if (!res.headersSent) sendText(res, e.status, e.message + '\n');
          else res.destroy();
          return;
        }
        this.#opts.onError?.(e, req);
        if (!res.headersSent) sendText(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}\n`);
        else res.destroy();
      };
      try {
        const url = new URL(raw.url ?? '/', 'http://localhost');
        const method = raw.method ?? 'GET';
        const m = this.#opts.router.match(method, url.pathname);
        if (m === undefined) return sendText(res, 404, '404 page not found\n');
        if (m === 'method') return sendText(res, 405, 'Method Not Allowed\n');
        req = { raw, method, path: url.pathname, url, params: m.params };
        const r = m.handler(req, res);
        if (r instanceof Promise) r.catch(fail);
      } catch (e) {
        fail(e);
      }
    });
    this.#server.keepAliveTimeout = 65_000;
    this.#server.headersTimeout = 70_000;
    this.#server.requestTimeout = 0; // long queries and tails; handlers bound their own work
  }

  /** listen binds the port; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListenAddress(this.#opts.listenAddress);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  /** server exposes the node server (for WebSocket upgrades). */
  get server(): Server {
    return this.#server;
  }

  /** run listens (if not yet) and serves until signal aborts, then closes connections. */
  async run(signal: AbortSignal): Promise<void> {
    if (!this.#server.listening) await this.listen();
    if (signal.aborted) return this.close();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  /** close stops accepting and ends idle and active connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
      setTimeout(() => this.#server.closeAllConnections(), 2000).unref();
    });
  }
}
