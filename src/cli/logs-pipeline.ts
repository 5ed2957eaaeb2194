/**
 * The log side of the server, built from flags and the config file's `logs` section: the disk
 * log store under `<data.dir>/logs`, the TCP and syslog listeners, HTTP ingest (vigil NDJSON,
 * Loki push, Elasticsearch bulk), the LogQL engine behind Loki's query API and live tail, app
 * tokens scoping both sides, and an append function for container events. `apply(config)`
 * reloads tokens, listeners, ingest and query limits; `run(signal)` runs the listeners;
 * `close()` closes the store once HTTP has stopped.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EventEntry, EventSink } from '../agent/index.js';
import { sendText, type Handler, type HttpServer, type Router } from '../api/index.js';
import { DEFAULT_LOG_RETENTION_MS, type Config, type LogsConfig, type LogsTokenConfig } from '../config/index.js';
import type { Family, Histogram, Logger, Registry } from '../instrument/index.js';
import { LogQLEngine, LokiApi, LokiTail, lokiHandler } from '../logs/logql/index.js';
import { HttpIngest, Scope, TokenStore, type HeaderLookup } from '../logs/receive/index.js';
import { DiskLogStore, type DiskLogStoreOptions, type LogEntry, type RetentionPolicy } from '../logs/store/index.js';
import { Labels } from '../model/index.js';
import { ListenerSet, LogsPipelineError, syslogSpec, tcpSpec, type ListenerSpec } from './logs-listeners.js';

export { LogsPipelineError } from './logs-listeners.js';

/** LogsPipelineOptions say where the store lives and what the flags set. */
export interface LogsPipelineOptions {
  /** The store's folder, `<data.dir>/logs` unless `--logs.path` says otherwise. */
  readonly dir: string;
  readonly config: Config;
  readonly registry: Registry;
  readonly log: Logger;
  /** The first TCP listener's address when the config file gives none (the flag's value). */
  readonly tcpAddress: string;
  /** Whether the flag was given: then it wins over the config file. */
  readonly tcpAddressExplicit?: boolean;
  readonly syslogAddress: string;
  readonly syslogAddressExplicit?: boolean;
  /** `--logs.retention.time` when given. */
  readonly retentionMs?: number;
  /** `--logs.retention.size` when given. */
  readonly retentionBytes?: number;
  /** Store options for tests (cache sizes, maintenance interval…). */
  readonly storeOptions?: Partial<Omit<DiskLogStoreOptions, 'dir' | 'registry' | 'retention'>>;
}

/** MountOptions connect the routes to the server. */
export interface MountOptions {
  /** Whether the server finished starting (Loki's `GET /ready`); default: always. */
  readonly ready?: () => boolean;
  /** Answers `GET /` for everything but Elasticsearch clients (the UI); default 404. */
  readonly root?: Handler;
}

/** QueryScope is who may read what: the apps a caller sees (undefined: all), or why it may not. */
type QueryScope = { readonly kind: 'ok'; readonly apps: readonly string[] | undefined } | { readonly kind: 'unauthorized' | 'forbidden'; readonly reason: string };

interface Built {
  readonly tokens: TokenStore;
  readonly ingest: HttpIngest;
  readonly ingestListener: (req: IncomingMessage, res: ServerResponse) => void;
  readonly query: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  readonly specs: readonly ListenerSpec[];
  readonly retention: string;
  readonly retentionPolicy: NonNullable<DiskLogStoreOptions['retention']>;
  readonly elasticPrefix: string;
}

const LOKI_QUERY_ROUTES: readonly (readonly [string, string])[] = [
  ['/loki/api/v1/query', 'loki_api_v1_query'],
  ['/loki/api/v1/query_range', 'loki_api_v1_query_range'],
  ['/loki/api/v1/labels', 'loki_api_v1_labels'],
  ['/loki/api/v1/label', 'loki_api_v1_labels'],
  ['/loki/api/v1/label/:name/values', 'loki_api_v1_label_name_values'],
  ['/loki/api/v1/series', 'loki_api_v1_series'],
  ['/loki/api/v1/index/stats', 'loki_api_v1_index_stats'],
  ['/loki/api/v1/status/buildinfo', 'loki_api_v1_status_buildinfo'],
];

// Elasticsearch calls shippers make, under the configured prefix (HttpIngest tells them apart).
const ELASTIC_PATHS = ['/_bulk', '/:index/_bulk', '/_license', '/_xpack', '/_cluster/health', '/_nodes/*', '/_index_template/*', '/_template/*', '/_component_template/*', '/_ingest/*', '/_ilm/policy/*'];

/** LogsPipeline is the server's log side. Build it with `LogsPipeline.open`. */
export class LogsPipeline {
  readonly #o: LogsPipelineOptions;
  readonly #store: DiskLogStore;
  readonly #tail: LokiTail;
  readonly #listeners: ListenerSet;
  readonly #duration: Family<Histogram>;
  #built: Built;
  #running = false;
  #serial: Promise<unknown> = Promise.resolve();
  #fail: (e: Error) => void = () => {};
  #closed = false;

  private constructor(o: LogsPipelineOptions, store: DiskLogStore, built: Built) {
    this.#o = o;
    this.#store = store;
    this.#built = built;
    this.#tail = new LokiTail({ engine: new LogQLEngine({ store }) });
    this.#listeners = new ListenerSet({ log: o.log, onFailure: (e) => this.#fail(e) });
    this.#duration = o.registry.histogram({
      name: 'loki_request_duration_seconds',
      help: 'Time (in seconds) spent serving the Loki-compatible HTTP requests (push, query, tail, flush).',
      labelNames: ['method', 'route', 'status_code', 'ws'],
    });
  }

  /** open opens (and replays) the store and prepares everything the configuration asks for. */
  static async open(o: LogsPipelineOptions): Promise<LogsPipeline> {
    const store = await DiskLogStore.open({
      ...o.storeOptions,
      dir: o.dir,
      registry: o.registry,
      retention: retention(o.config.logs, o),
      onCorruption: (e) => o.log.warn('log store problem', { err: e.message }),
    });
    try {
      const built = await build(o, o.config.logs, store);
      const p = new LogsPipeline(o, store, built);
      o.log.info('log store opened', { dir: o.dir, streams: String(store.streamCount), retention: built.retention });
      return p;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** store is the log store (for the rules engine's LogQL queries and tests). */
  get store(): DiskLogStore {
    return this.#store;
  }

  /** listenerAddresses maps each running listener (`tcp/<name>`, `syslog/<name>`) to where it listens. */
  get listenerAddresses(): ReadonlyMap<string, string> {
    return this.#listeners.addresses;
  }

  /** append stores entries of one stream (durable when it resolves), as the receivers do. */
  append(stream: Labels | Readonly<Record<string, string>>, entries: readonly LogEntry[], signal?: AbortSignal): Promise<void> {
    return this.#store.append(stream instanceof Labels ? stream : Labels.fromObject(stream), entries, signal);
  }

  /** eventSink takes the agent's container and kernel events (`vigil up`) as log entries of their streams. */
  get eventSink(): EventSink {
    return { emit: (e: EventEntry) => this.append(e.stream, [{ t: e.t, ns: e.ns, line: e.line, fields: e.fields }]) };
  }

  /**
   * apply puts a (re)loaded configuration to work: tokens (token files re-read), HTTP ingest
   * settings, query limits, retention (applied at the store's next maintenance round) and
   * listeners (restarted when their settings changed). Nothing changes when it rejects.
   */
  apply(config: Config): Promise<void> {
    return this.#serialize(async () => {
      const built = await build(this.#o, config.logs, this.#store);
      if (built.retention !== this.#built.retention) {
        this.#store.setRetention(built.retentionPolicy);
        this.#o.log.info('log retention changed', { was: this.#built.retention, now: built.retention });
      }
      if (built.elasticPrefix !== this.#built.elasticPrefix) this.#o.log.warn('logs.http.elastic.prefix changes take effect at the next start');
      this.#built = built;
      if (this.#running) await this.#listeners.reconcile(built.specs);
    });
  }

  /** run runs the listeners until signal aborts (rejects when one cannot listen or fails), then stops them. */
  async run(signal: AbortSignal): Promise<void> {
    const failed = new Promise<never>((_res, rej) => (this.#fail = rej));
    failed.catch(() => {});
    try {
      await this.#serialize(async () => {
        this.#running = true;
        await this.#listeners.reconcile(this.#built.specs);
      });
      if (!signal.aborted) await Promise.race([new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true })), failed]);
    } finally {
      await this.#serialize(async () => {
        this.#running = false;
        await this.#listeners.stopAll();
      });
      this.#tail.close();
    }
  }

  /** close flushes and closes the store; call it after HTTP stopped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tail.close();
    await this.#store.close();
  }

  /**
   * mount adds the log routes to the server's router (ingest, Loki query API, `/flush`,
   * `/ready`, Elasticsearch's endpoints, `GET /` for Elasticsearch clients) and the tail
   * WebSocket to its upgrade handling.
   */
  mount(router: Router, http: HttpServer, opts: MountOptions = {}): void {
    const { ready = () => true, root } = opts;
    const ingest = (route: string): Handler => this.#timed(route, (req, res) => this.#built.ingestListener(req.raw, res));
    router.handle('*', '/api/vigil/logs', ingest('api_vigil_logs'));
    router.handle('*', '/loki/api/v1/push', ingest('loki_api_v1_push'));
    router.handle('*', '/api/prom/push', ingest('api_prom_push'));
    const prefix = this.#built.elasticPrefix;
    for (const p of ELASTIC_PATHS) router.handle('*', prefix + p, ingest('elastic'));
    if (prefix !== '') router.handle(['GET', 'HEAD'], prefix + '/*', ingest('elastic'));
    router.handle(['GET', 'HEAD'], '/', (req, res) => {
      if (this.#built.ingest.handles(req.method, req.raw.url ?? '/', req.raw.headers)) return ingest('elastic')(req, res);
      if (root !== undefined) return root(req, res);
      sendText(res, 404, '404 page not found\n');
    });
    for (const [path, route] of LOKI_QUERY_ROUTES) {
      router.handle(['GET', 'POST'], path, this.#timed(route, (req, res) => this.#query(req.raw, res, Scope.LogsRead)));
    }
    router.handle('POST', '/flush', this.#timed('flush', (req, res) => this.#query(req.raw, res, Scope.Admin)));
    router.handle('GET', '/ready', (_req, res) => (ready() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'Ingester not ready: vigil is starting\n')));
    router.handle('GET', '/loki/api/v1/tail', (_req, res) => sendText(res, 400, 'Bad Request: the tail endpoint needs a WebSocket upgrade\n'));
    http.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/loki/api/v1/tail') this.#upgrade(req, socket, head);
    });
  }

  #timed(route: string, h: Handler): Handler {
    return (req, res) => {
      const start = performance.now();
      res.once('finish', () => this.#observe(req.method, route, res.statusCode, 'false', start));
      return h(req, res);
    };
  }

  #observe(method: string, route: string, status: number, ws: string, start: number): void {
    this.#duration.labels(method, route, String(status), ws).observe((performance.now() - start) / 1000);
  }

  async #query(req: IncomingMessage, res: ServerResponse, scope: Scope): Promise<void> {
    const s = queryScope(this.#built.tokens, headerOf(req), scope);
    if (s.kind !== 'ok') {
      res.writeHead(s.kind === 'unauthorized' ? 401 : 403, { 'Content-Type': 'text/plain; charset=utf-8', ...(s.kind === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer realm="vigil"' } : {}) });
      res.end(s.reason + '\n');
      return;
    }
    scopes.set(req, s.apps);
    if (!(await this.#built.query(req, res))) sendText(res, 404, '404 page not found\n');
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const start = performance.now();
    const s = queryScope(this.#built.tokens, headerOf(req), Scope.LogsRead);
    if (s.kind !== 'ok') {
      const status = s.kind === 'unauthorized' ? '401 Unauthorized' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(s.reason) + 1}\r\nConnection: close\r\n\r\n${s.reason}\n`);
      this.#observe('GET', 'loki_api_v1_tail', s.kind === 'unauthorized' ? 401 : 403, 'true', start);
      return;
    }
    this.#observe('GET', 'loki_api_v1_tail', 101, 'true', start);
    this.#tail.handleUpgrade(req, socket, head, s.apps);
  }

  // One apply/run transition at a time; a failed one does not block the next.
  #serialize(f: () => Promise<void>): Promise<void> {
    const next = this.#serial.then(f);
    this.#serial = next.catch(() => {});
    return next;
  }
}

function headerOf(req: IncomingMessage): HeaderLookup {
  return (n) => {
    const v = req.headers[n];
    return v === undefined ? undefined : typeof v === 'string' ? v : v[0];
  };
}

/**
 * queryScope decides what a request may read. Without tokens everything is open, except that
 * an `X-Scope-OrgID` limits the view to that app (as Loki's tenants). With tokens, a token sees
 * its app and its read_apps (all with `*` or the admin scope); an admin naming another app in
 * `X-Scope-OrgID` sees that app.
 */
function queryScope(tokens: TokenStore, header: HeaderLookup, scope: Scope): QueryScope {
  const a = tokens.authenticate(header, scope);
  if (a.kind !== 'ok') return a;
  if (a.token === undefined) return { kind: 'ok', apps: a.app === undefined ? undefined : [a.app] };
  const t = a.token;
  if (a.app !== undefined && a.app !== t.app) return { kind: 'ok', apps: [a.app] };
  if (TokenStore.allows(t, Scope.Admin) || t.readApps.includes('*')) return { kind: 'ok', apps: undefined };
  return { kind: 'ok', apps: [...new Set([t.app, ...t.readApps])] };
}

function retention(cfg: LogsConfig, o: LogsPipelineOptions): NonNullable<DiskLogStoreOptions['retention']> {
  const def: RetentionPolicy = { maxAgeMs: o.retentionMs ?? cfg.retentionMs ?? DEFAULT_LOG_RETENTION_MS, maxBytes: o.retentionBytes ?? cfg.retentionBytes };
  const apps: Record<string, RetentionPolicy> = {};
  for (const a of cfg.apps) apps[a.name] = { maxAgeMs: a.retentionMs ?? def.maxAgeMs, maxBytes: a.retentionBytes ?? def.maxBytes };
  return { default: def, apps };
}

async function readSecrets(cfg: LogsConfig): Promise<Map<LogsTokenConfig, string>> {
  const out = new Map<LogsTokenConfig, string>();
  for (const [i, t] of cfg.tokens.entries()) {
    if (t.tokenFile === undefined) {
      out.set(t, t.token);
      continue;
    }
    let secret: string;
    try {
      secret = (await readFile(t.tokenFile, 'utf8')).trim();
    } catch (e) {
      throw new LogsPipelineError(`logs.tokens[${i}] (app ${JSON.stringify(t.app)})`, `cannot read token_file ${JSON.stringify(t.tokenFile)}: ${(e as Error).message}`, { cause: e });
    }
    out.set(t, secret);
  }
  return out;
}

async function build(o: LogsPipelineOptions, cfg: LogsConfig, store: DiskLogStore): Promise<Built> {
  const secrets = await readSecrets(cfg);
  let tokens: TokenStore;
  try {
    tokens = new TokenStore({
      tokens: cfg.tokens.map((t) => ({ token: secrets.get(t)!, app: t.app, scopes: t.scopes, readApps: t.readApps, ...(t.orgId !== undefined ? { orgId: t.orgId } : {}) })),
    });
  } catch (e) {
    throw new LogsPipelineError('logs.tokens', (e as Error).message, { cause: e });
  }
  const h = cfg.http;
  let ingest: HttpIngest;
  try {
    ingest = new HttpIngest({
      store,
      tokens,
      labels: h.labels,
      parser: { timeZone: h.timezone, payloadFields: h.payloadFields, jsonMessage: h.jsonMessage },
      maxBodyBytes: h.maxBodyBytes,
      maxDecodedBytes: h.maxDecodedBytes,
      maxLineBytes: h.maxLineBytes,
      levelLabel: h.levelLabel,
      elastic: { prefix: h.elasticPrefix, version: h.elasticVersion },
      registry: o.registry,
    });
  } catch (e) {
    throw new LogsPipelineError('logs.http', (e as Error).message, { cause: e });
  }
  const l = cfg.limits;
  const engine = new LogQLEngine({ store, timeoutMs: l.queryTimeoutMs, maxEntriesLimitPerQuery: l.maxEntriesLimitPerQuery, maxQuerySeries: l.maxQuerySeries, maxQueryLengthMs: l.maxQueryLengthMs });
  const api = new LokiApi({ engine });
  const ctx = { store, tokens, secretOf: (t: LogsTokenConfig) => secrets.get(t)!, registry: o.registry };
  const specs: ListenerSpec[] = [];
  const unbound = (kind: 'tcp' | 'syslog', name: string, addr: string): LogsPipelineError =>
    new LogsPipelineError(
      `logs.${kind} ${JSON.stringify(name)}`,
      `tokens are configured, so the listener on ${addr} must be bound to one (token: <name or app>) or disabled (listen_address: "" or --logs.${kind}-listen-address "")`,
    );
  for (const [i, c] of cfg.tcp.entries()) {
    const addr = i === 0 && o.tcpAddressExplicit === true ? o.tcpAddress : (c.listenAddress ?? o.tcpAddress);
    if (addr === '') continue;
    if (tokens.enabled && c.token === undefined) throw unbound('tcp', c.name, addr);
    specs.push(await tcpSpec(c, addr, ctx));
  }
  for (const [i, c] of cfg.syslog.entries()) {
    const addr = i === 0 && o.syslogAddressExplicit === true ? o.syslogAddress : (c.listenAddress ?? o.syslogAddress);
    if (addr === '') continue;
    if (tokens.enabled && c.token === undefined) throw unbound('syslog', c.name, addr);
    specs.push(await syslogSpec(c, addr, ctx));
  }
  const r = retention(cfg, o);
  return {
    tokens,
    ingest,
    ingestListener: ingest.listener(),
    query: lokiHandler(api, { appsOf: (req) => scopes.get(req) }),
    specs,
    retention: describeRetention(r),
    retentionPolicy: r,
    elasticPrefix: h.elasticPrefix,
  };
}

// The apps each query request may read, set by LogsPipeline#query just before lokiHandler runs.
const scopes = new WeakMap<IncomingMessage, readonly string[] | undefined>();

function describeRetention(r: NonNullable<DiskLogStoreOptions['retention']>): string {
  const one = (p: RetentionPolicy | undefined): string => `${p?.maxAgeMs ? `${Math.round(p.maxAgeMs / 3_600_000)}h` : 'forever'}${p?.maxBytes ? ` or ${p.maxBytes}B` : ''}`;
  return [`default ${one(r.default)}`, ...Object.entries(r.apps ?? {}).map(([a, p]) => `${a} ${one(p)}`)].join(', ');
}
