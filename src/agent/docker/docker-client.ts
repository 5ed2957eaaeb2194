/**
 * A small Docker Engine API client over node:http: container list and inspect, the events
 * stream and container logs. Works with Docker and with podman's compatible service. Paths
 * carry no version prefix unless `apiVersion` is set, so the engine answers in its own
 * current version (Docker 29 refuses versions below 1.44; podman 4 speaks 1.41).
 * @module
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseContainerDetails, parseContainerSummary, type ContainerDetails, type ContainerSummary } from './container-info.js';
import { parseDockerEvent, type DockerEvent } from './docker-event.js';
import { describeEndpoint, parseDockerHost, type DockerEndpoint } from './docker-host.js';
import { DockerApiError, DockerConnectionError } from './errors.js';
import { JsonObjectSplitter } from './json-stream.js';
import { LogDecoder, type ContainerLogLine } from './log-decoder.js';

/** DockerClientOptions configure a client. */
export interface DockerClientOptions {
  /** A `DOCKER_HOST` value; default from the environment, else the default socket. */
  readonly host?: string;
  /** Or an already parsed endpoint (wins over `host`). */
  readonly endpoint?: DockerEndpoint;
  /** Pin an API version (`1.41`); default: none, the engine's own. */
  readonly apiVersion?: string;
  /** Time limit of non-streaming requests, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Largest JSON answer accepted, bytes (default 64 MiB). */
  readonly maxBodyBytes?: number;
}

/** EventsQuery selects events: `since`/`until` are Unix seconds (fractions allowed) or RFC 3339 text. */
export interface EventsQuery {
  readonly since?: string | number;
  readonly until?: string | number;
  /** Engine filters, e.g. `{ type: ['container'] }`. */
  readonly filters?: Readonly<Record<string, readonly string[]>>;
}

/** LogsQuery selects a container's output. */
export interface LogsQuery {
  /** Keep the stream open and send new output as it comes (default false). */
  readonly follow?: boolean;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  /** Ask for timestamps (default true: resuming needs them). */
  readonly timestamps?: boolean;
  /** Only output at or after this time: Unix seconds with optional fraction (`1700000000.123456789`), inclusive. */
  readonly since?: string | number;
  /** Only the last N lines (`all` by default). */
  readonly tail?: number;
  /** Whether the container has a TTY (raw stream); looked up with inspect when omitted. */
  readonly tty?: boolean;
  /** Cut lines longer than this many bytes (default 1 MiB). */
  readonly maxLineBytes?: number;
}

/** ListQuery selects containers. */
export interface ListQuery {
  /** Include stopped containers (default false). */
  readonly all?: boolean;
  readonly filters?: Readonly<Record<string, readonly string[]>>;
}

/**
 * DockerClient talks to one engine. Methods taking a `signal` stop when it aborts: a request
 * rejects with the abort reason, a stream simply ends. Streams end too when the engine
 * closes them; callers that follow forever reconnect (see events/EventsService).
 */
export class DockerClient {
  readonly endpoint: DockerEndpoint;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  #tlsOpts: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;

  constructor(opts: DockerClientOptions = {}) {
    this.endpoint = opts.endpoint ?? parseDockerHost(opts.host ?? process.env.DOCKER_HOST, process.env);
    if (opts.apiVersion !== undefined && !/^\d+\.\d+$/.test(opts.apiVersion)) throw new Error(`DockerClient: apiVersion "${opts.apiVersion}" is not like 1.41`);
    this.#prefix = opts.apiVersion !== undefined ? `/v${opts.apiVersion}` : '';
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    if (!(this.#timeoutMs > 0)) throw new Error('DockerClient: timeoutMs must be positive');
    this.#maxBodyBytes = opts.maxBodyBytes ?? 64 << 20;
  }

  /** describe names the endpoint (`unix:///var/run/docker.sock`). */
  describe(): string {
    return describeEndpoint(this.endpoint);
  }

  /** ping checks the engine answers `GET /_ping`; resolves to its `Api-Version` header ('' if absent). */
  async ping(signal?: AbortSignal): Promise<string> {
    const res = await this.#send('GET', '/_ping', undefined, this.#limit(signal));
    await this.#readBody(res, '/_ping');
    const v = res.headers['api-version'];
    return typeof v === 'string' ? v : '';
  }

  /** version returns `GET /version` as the engine sent it. */
  async version(signal?: AbortSignal): Promise<Record<string, unknown>> {
    return (await this.#json('GET', '/version', undefined, signal)) as Record<string, unknown>;
  }

  /** listContainers returns `GET /containers/json`. */
  async listContainers(q: ListQuery = {}, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const query = new URLSearchParams();
    if (q.all === true) query.set('all', '1');
    if (q.filters !== undefined) query.set('filters', JSON.stringify(q.filters));
    const raw = await this.#json('GET', '/containers/json', query, signal);
    if (!Array.isArray(raw)) throw new DockerApiError('GET', '/containers/json', 200, 'answer is not a JSON array');
    return raw.map(parseContainerSummary);
  }

  /** inspectContainer returns `GET /containers/{id}/json`; a missing container rejects with DockerApiError status 404. */
  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    return parseContainerDetails(await this.#json('GET', `/containers/${encodeURIComponent(id)}/json`, undefined, signal));
  }

  /**
   * events streams `GET /events`. Without `until` the stream stays open and yields events as
   * they happen; it ends when the engine closes it or `signal` aborts.
   */
  async *events(q: EventsQuery = {}, signal?: AbortSignal): AsyncGenerator<DockerEvent> {
    const query = new URLSearchParams();
    if (q.since !== undefined) query.set('since', String(q.since));
    if (q.until !== undefined) query.set('until', String(q.until));
    if (q.filters !== undefined) query.set('filters', JSON.stringify(q.filters));
    const path = '/events';
    const res = await this.#send('GET', path, query, signal);
    if (res.statusCode !== 200) throw await this.#apiError('GET', path, res);
    const splitter = new JsonObjectSplitter({ path });
    let offset = 0;
    for await (const chunk of this.#chunks(res, path, signal)) {
      for (const text of splitter.push(chunk)) yield parseDockerEvent(text, path, offset);
      offset += chunk.length;
    }
    if (signal?.aborted !== true) splitter.end();
  }

  /**
   * logs streams `GET /containers/{id}/logs` as lines (stdout and stderr, with timestamps by
   * default). With `follow` it stays open until the container stops, the engine closes it
   * or `signal` aborts. Lines come in the order the engine sent them.
   */
  async *logs(id: string, q: LogsQuery = {}, signal?: AbortSignal): AsyncGenerator<ContainerLogLine> {
    const timestamps = q.timestamps ?? true;
    const tty = q.tty ?? (await this.inspectContainer(id, signal)).tty;
    const query = new URLSearchParams();
    query.set('stdout', q.stdout === false ? '0' : '1');
    query.set('stderr', q.stderr === false ? '0' : '1');
    if (timestamps) query.set('timestamps', '1');
    if (q.follow === true) query.set('follow', '1');
    if (q.since !== undefined) query.set('since', String(q.since));
    if (q.tail !== undefined) query.set('tail', String(q.tail));
    const path = `/containers/${encodeURIComponent(id)}/logs`;
    const res = await this.#send('GET', path, query, signal);
    if (res.statusCode !== 200) throw await this.#apiError('GET', path, res);
    const ct = String(res.headers['content-type'] ?? '');
    // Engines announce a multiplexed body with this content type since API 1.42; older ones
    // (and podman) multiplex whenever the container has no TTY.
    const multiplexed = ct.includes('application/vnd.docker.multiplexed-stream') || (!ct.includes('application/vnd.docker.raw-stream') && !tty);
    const dec = new LogDecoder({ multiplexed, timestamps, maxLineBytes: q.maxLineBytes, path });
    for await (const chunk of this.#chunks(res, path, signal)) {
      for (const l of dec.push(chunk)) yield l;
    }
    if (signal?.aborted === true) return;
    for (const l of dec.end()) yield l;
  }

  /** request sends any API request and resolves to the parsed JSON answer (or undefined for an empty body). */
  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const q = path.indexOf('?');
    const query = q >= 0 ? new URLSearchParams(path.slice(q + 1)) : undefined;
    return this.#json(method, q >= 0 ? path.slice(0, q) : path, query, signal, body);
  }

  async #json(method: string, path: string, query: URLSearchParams | undefined, signal: AbortSignal | undefined, body?: unknown): Promise<unknown> {
    const limited = this.#limit(signal);
    const res = await this.#send(method, path, query, limited, body);
    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) throw await this.#apiError(method, path, res);
    const text = (await this.#readBody(res, path)).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new DockerApiError(method, path, res.statusCode, `answer is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  #limit(signal: AbortSignal | undefined): AbortSignal {
    const t = AbortSignal.timeout(this.#timeoutMs);
    return signal === undefined ? t : AbortSignal.any([signal, t]);
  }

  #send(method: string, path: string, query: URLSearchParams | undefined, signal: AbortSignal | undefined, body?: unknown): Promise<IncomingMessage> {
    const qs = query !== undefined && query.size > 0 ? `?${query.toString()}` : '';
    const fullPath = `${this.#prefix}${path}${qs}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Host: 'docker' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const e = this.endpoint;
    const opts: RequestOptions = { method, path: fullPath, headers, signal };
    let req;
    if (e.kind === 'unix') {
      req = httpRequest({ ...opts, socketPath: e.socketPath });
    } else if (e.tls === undefined) {
      req = httpRequest({ ...opts, host: e.host, port: e.port });
    } else {
      this.#tlsOpts ??= { ca: readFileSync(e.tls.caFile), cert: readFileSync(e.tls.certFile), key: readFileSync(e.tls.keyFile) };
      req = httpsRequest({ ...opts, host: e.host, port: e.port, ...this.#tlsOpts });
    }
    return new Promise((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (signal?.aborted === true) reject(signal.reason instanceof Error ? signal.reason : err);
        else reject(new DockerConnectionError(describeEndpoint(e), path, err.code, { cause: err }));
      });
      req.end(payload);
    });
  }

  async #readBody(res: IncomingMessage, path: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > this.#maxBodyBytes) {
        res.destroy();
        throw new DockerApiError('GET', path, res.statusCode ?? 0, `answer longer than ${this.#maxBodyBytes} bytes`);
      }
      parts.push(c);
    }
    return Buffer.concat(parts);
  }

  async *#chunks(res: IncomingMessage, path: string, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
    try {
      for await (const c of res as AsyncIterable<Buffer>) yield c;
    } catch (err) {
      if (signal?.aborted === true) return;
      throw new DockerConnectionError(this.describe(), path, (err as NodeJS.ErrnoException).code, { cause: err });
    } finally {
      res.destroy();
    }
  }

  async #apiError(method: string, path: string, res: IncomingMessage): Promise<DockerApiError> {
    let msg = '';
    try {
      const text = (await this.#readBody(res, path)).toString('utf8');
      try {
        const j = JSON.parse(text) as { message?: unknown };
        msg = typeof j.message === 'string' ? j.message : text.trim();
      } catch {
        msg = text.trim().slice(0, 500);
      }
    } catch {
      // The status alone still says what went wrong.
    }
    return new DockerApiError(method, path, res.statusCode ?? 0, msg);
  }
}
