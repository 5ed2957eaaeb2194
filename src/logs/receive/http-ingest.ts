/**
 * HttpIngest: the HTTP ingest endpoints the integrator mounts on the main port, as
 * framework-free handlers (`handle(request) → response`) plus a node:http adapter.
 *
 * - `POST /api/vigil/logs`: newline-delimited JSON (`Content-Type: application/x-ndjson` or
 *   `application/json`; objects with a string `line` are entries `{line, ts?, labels?, fields?}`,
 *   an object whose only key is `defaults`, `{"defaults":{labels?, fields?}}`, gives the labels
 *   and fields of the entries after it in the body that carry none of their own, other lines
 *   are parsed like any log line) or text lines (any other type, parsed with format detection
 *   and multi-line grouping). Query parameters become stream labels (without any, and without
 *   configured labels, `job="http"`). Answers 200 `{"accepted": n}` with the header
 *   `Vigil-Logs-Features: defaults` (the agent's shipper writes `defaults` lines only to a
 *   server that announced them).
 * - `POST /loki/api/v1/push` (and the old `/api/prom/push`): Loki's push API, JSON or
 *   snappy-compressed protobuf, any of them gzip/deflate `Content-Encoding`. Answers 204.
 * - Elasticsearch under `elastic.prefix` (default the root): `GET|HEAD /` (the cluster info
 *   clients probe; at the root only for requests that do not accept text/html, so the UI keeps
 *   `/`), `POST|PUT /_bulk`, `/<index>/_bulk`, and the small set of calls shippers make at
 *   start-up (`_license`, `_xpack`, `_cluster/health`, `_nodes`, templates and ILM policies,
 *   answered as accepted).
 *
 * With tokens configured every request needs one with scope logs:write (else 401/403); the
 * token's app becomes the `app` label, replacing any `app` label sent. Success is answered
 * only after the store accepted everything. A vigil or Loki push carrying an `Idempotency-Key`
 * header that was already answered with success (per app) gets the same answer again without
 * being stored twice (the agent's shipper names each batch so).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Registry } from '../../instrument/index.js';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { LineParser, LogStreamDecoder, ParsedLine, parseTimestampValue, type LineParserOptions } from '../parse/index.js';
import { appendLineBatch, LineBatchBuilder, type LineBatch, type LogEntry, type LogStore } from '../store/index.js';
import { parseBulk } from './elastic-bulk.js';
import { IngestError, ReceiverOptionError, type IngestErrorKind } from './errors.js';
import { decodeContentEncoding, readBody, unsnappy } from './http-body.js';
import { IdempotencyCache } from './idempotency-cache.js';
import { decodePushJson, decodePushProto, streamLabelsOfJson } from './loki-push.js';
import { scanPushJson } from './push-json-scanner.js';
import { ReceiveMetrics } from './receive-metrics.js';
import { StreamBatcher } from './stream-batcher.js';
import { Scope, TokenStore } from './token-store.js';

/** IngestRequest is what a handler needs of an HTTP request. */
export interface IngestRequest {
  readonly method: string;
  /** Path and query string, e.g. `/loki/api/v1/push` or `/api/vigil/logs?job=app`. */
  readonly url: string;
  /** Headers by lower-case name (node:http's IncomingHttpHeaders fits). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body, read as it streams (bounded by maxBodyBytes) or already in memory. */
  readonly body: Readable | Uint8Array;
  readonly signal?: AbortSignal;
}

/** IngestResponse is the answer to send. */
export interface IngestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** ElasticOptions configure the Elasticsearch-compatible endpoints. */
export interface ElasticOptions {
  /** Path prefix (default '' = the root), e.g. `/elastic` to point shippers at `http://host:9700/elastic`. */
  readonly prefix?: string;
  /** The version reported by `GET /` (default `8.17.0`; shippers pick their request dialect from its major). */
  readonly version?: string;
  /** The cluster name reported (default `vigil`). */
  readonly clusterName?: string;
}

/** HttpIngestOptions configure HttpIngest; every field but `store` has a default. */
export interface HttpIngestOptions {
  readonly store: LogStore;
  /** Tokens; with any configured, requests must carry one. */
  readonly tokens?: TokenStore;
  /** Labels added to every stream. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Parser options for the text and NDJSON endpoint. */
  readonly parser?: LineParserOptions;
  /** Largest request body as sent (default 32 MiB). */
  readonly maxBodyBytes?: number;
  /** Largest body after Content-Encoding/snappy decoding (default 128 MiB). */
  readonly maxDecodedBytes?: number;
  /** Longest line of the text endpoint (default 256 KiB). */
  readonly maxLineBytes?: number;
  /** Put the detected level in a `level` label on the vigil and Elasticsearch endpoints (default true). */
  readonly levelLabel?: boolean;
  readonly elastic?: ElasticOptions;
  readonly registry?: Registry;
  /** How many `Idempotency-Key`s of successful pushes to remember (default 100 000; 0 turns the check off). */
  readonly idempotencyKeys?: number;
}

const STATUS: Record<IngestErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method: 405,
  too_large: 413,
  unsupported: 415,
  unavailable: 503,
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_PUSH_LABELS = 10_000;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;
/** The answer headers of `/api/vigil/logs`: the NDJSON forms this gateway takes beyond plain entries. */
const VIGIL_HEADERS = { 'content-type': 'application/json', 'vigil-logs-features': 'defaults' } as const;

/** Defaults are the labels and fields a `defaults` line gives the entries after it. */
interface Defaults {
  readonly labels: Labels | undefined;
  readonly fields: Record<string, string> | undefined;
}

const NO_DEFAULTS: Defaults = { labels: undefined, fields: undefined };

type Route = 'vigil' | 'loki' | 'es-root' | 'es-bulk' | 'es-stub' | 'es-license' | 'es-xpack' | 'es-health' | 'es-nodes' | 'es-index';

/** HttpIngest handles the ingest endpoints. */
export class HttpIngest {
  readonly #store: LogStore;
  readonly #tokens: TokenStore;
  readonly #labels: Labels;
  readonly #parser: LineParser;
  readonly #maxBody: number;
  readonly #maxDecoded: number;
  readonly #maxLine: number;
  readonly #levelLabel: boolean;
  readonly #esPrefix: string;
  readonly #esVersion: string;
  readonly #esCluster: string;
  readonly #m: { vigil: ReceiveMetrics; loki: ReceiveMetrics; elastic: ReceiveMetrics };
  readonly #idem: IdempotencyCache<IngestResponse>;
  /** Labels of Loki push streams by the raw JSON of their stream object (and the request's base labels). */
  readonly #pushLabels = new Map<string, Labels>();

  constructor(options: HttpIngestOptions) {
    const { store, tokens = new TokenStore(), labels = {}, parser, maxBodyBytes = 32 << 20, maxDecodedBytes = 128 << 20, maxLineBytes = 256 * 1024, levelLabel = true, elastic = {}, registry } = options;
    for (const [k, v] of [['maxBodyBytes', maxBodyBytes], ['maxDecodedBytes', maxDecodedBytes], ['maxLineBytes', maxLineBytes]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ReceiverOptionError(k, `must be a positive integer, got ${v}`);
    }
    const b = new LabelsBuilder();
    for (const [n, v] of Object.entries(labels)) {
      if (!LABEL_NAME.test(n)) throw new ReceiverOptionError(`labels.${n}`, 'is not a valid label name');
      b.set(n, v);
    }
    const prefix = (elastic.prefix ?? '').replace(/\/+$/, '');
    if (prefix !== '' && !prefix.startsWith('/')) throw new ReceiverOptionError('elastic.prefix', 'must start with /');
    this.#store = store;
    this.#tokens = tokens;
    this.#labels = b.labels();
    this.#parser = new LineParser(parser);
    this.#maxBody = maxBodyBytes;
    this.#maxDecoded = maxDecodedBytes;
    this.#maxLine = maxLineBytes;
    this.#levelLabel = levelLabel;
    this.#esPrefix = prefix;
    this.#esVersion = elastic.version ?? '8.17.0';
    this.#esCluster = elastic.clusterName ?? 'vigil';
    this.#m = { vigil: new ReceiveMetrics(registry, 'http_vigil'), loki: new ReceiveMetrics(registry, 'loki_push'), elastic: new ReceiveMetrics(registry, 'elastic_bulk') };
    this.#idem = new IdempotencyCache(options.idempotencyKeys ?? 100_000);
  }

  /** handles tells whether a request is for one of these endpoints (so the integrator can route to `handle`). */
  handles(method: string, url: string, headers: IngestRequest['headers'] = {}): boolean {
    return this.#route(method, pathOf(url), headers) !== undefined;
  }

  /** handle answers one request; it never throws (failures become 4xx/5xx answers). */
  async handle(req: IngestRequest): Promise<IngestResponse> {
    const path = pathOf(req.url);
    const route = this.#route(req.method, path, req.headers);
    const metrics = route === 'vigil' ? this.#m.vigil : route === 'loki' ? this.#m.loki : this.#m.elastic;
    const es = route !== undefined && route.startsWith('es-');
    try {
      if (route === undefined) {
        const known = this.#route('POST', path, req.headers) ?? this.#route('GET', path, req.headers);
        throw new IngestError(known === undefined ? 'not_found' : 'method', known === undefined ? `no ingest endpoint at ${path}` : `method ${req.method} not allowed on ${path}`);
      }
      const header = (n: string): string | undefined => {
        const v = req.headers[n];
        return v === undefined ? undefined : typeof v === 'string' ? v : v[0];
      };
      const auth = this.#tokens.authenticate(header, Scope.LogsWrite);
      if (auth.kind !== 'ok') throw new IngestError(auth.kind, auth.reason);
      let base = this.#labels;
      if (auth.app !== undefined) base = new LabelsBuilder(base).set('app', auth.app).labels();
      const idemKey = header('idempotency-key');
      if ((route === 'vigil' || route === 'loki') && idemKey !== undefined && idemKey !== '' && idemKey.length <= 256) {
        const push = route === 'vigil' ? () => this.#vigil(req, header, base, metrics) : () => this.#loki(req, header, base, auth.app !== undefined, metrics);
        const { answer, replayed } = await this.#idem.run(`${auth.app ?? ''}\u0000${route}\u0000${idemKey}`, push, (r) => r.status >= 200 && r.status < 300);
        if (replayed) await readBody(req.body, this.#maxBody, req.signal);
        return answer;
      }
      switch (route) {
        case 'vigil':
          return await this.#vigil(req, header, base, metrics);
        case 'loki':
          return await this.#loki(req, header, base, auth.app !== undefined, metrics);
        case 'es-bulk':
          return await this.#bulk(req, header, path, base, metrics);
        case 'es-root':
          return this.#es(req, 200, {
            name: this.#esCluster,
            cluster_name: this.#esCluster,
            cluster_uuid: 'vigil-log-gateway',
            version: {
              number: this.#esVersion, build_flavor: 'default', build_type: 'vigil', build_hash: 'vigil', build_date: '2026-01-01T00:00:00.000Z',
              build_snapshot: false, lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0',
            },
            tagline: 'You Know, for Search',
          });
        case 'es-license':
          return this.#es(req, 200, { license: { status: 'active', uid: 'vigil', type: 'basic', issue_date: '2026-01-01T00:00:00.000Z', issue_date_in_millis: 1767225600000, max_nodes: 1000, issued_to: 'vigil', issuer: 'vigil', start_date_in_millis: -1 } });
        case 'es-xpack':
          return this.#es(req, 200, { build: { hash: 'vigil', date: '2026-01-01T00:00:00.000Z' }, license: { uid: 'vigil', type: 'basic', mode: 'basic', status: 'active' }, features: {} });
        case 'es-health':
          return this.#es(req, 200, { cluster_name: this.#esCluster, status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1, active_primary_shards: 0, active_shards: 0, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0, delayed_unassigned_shards: 0, number_of_pending_tasks: 0, number_of_in_flight_fetch: 0, task_max_waiting_in_queue_millis: 0, active_shards_percent_as_number: 100 });
        case 'es-nodes':
          return this.#es(req, 200, { _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: this.#esCluster, nodes: {} });
        case 'es-index':
          // HEAD/GET /<index>: indices exist implicitly.
          return this.#es(req, 200, {});
        case 'es-stub':
          await readBody(req.body, this.#maxBody, req.signal);
          return this.#es(req, 200, { acknowledged: true });
      }
    } catch (e) {
      const err = e instanceof IngestError ? e : new IngestError('unavailable', (e as Error).message ?? String(e), { cause: e });
      metrics.rejected(err.kind);
      const status = STATUS[err.kind];
      if (es) {
        const type = err.kind === 'unauthorized' ? 'security_exception' : err.kind === 'unavailable' ? 'unavailable_shards_exception' : 'illegal_argument_exception';
        return this.#es(req, status, { error: { root_cause: [{ type, reason: err.message }], type, reason: err.message }, status }, err.kind === 'unauthorized' ? { 'www-authenticate': 'Basic realm="vigil", charset="UTF-8", Bearer realm="vigil", ApiKey' } : {});
      }
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
      if (err.kind === 'unauthorized') headers['www-authenticate'] = 'Bearer realm="vigil"';
      return { status, headers, body: err.message + '\n' };
    }
  }

  /**
   * listener adapts handle() to node:http: requests for these endpoints are answered, others
   * go to `next` (or get 404 when there is none).
   */
  listener(next?: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const url = req.url ?? '/';
      if (!this.handles(req.method ?? 'GET', url, req.headers) && next !== undefined) {
        next(req, res);
        return;
      }
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      this.handle({ method: req.method ?? 'GET', url, headers: req.headers, body: req, signal: ac.signal }).then(
        (r) => {
          // A body left unread (refused early) is not drained: answer, then close the connection.
          const unread = !req.complete;
          res.writeHead(r.status, unread ? { ...r.headers, connection: 'close' } : r.headers);
          res.end(req.method === 'HEAD' ? undefined : r.body, () => {
            if (unread) req.destroy();
          });
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(e));
        },
      );
    };
  }

  #route(method: string, path: string, headers: IngestRequest['headers']): Route | undefined {
    const m = method.toUpperCase();
    const post = m === 'POST' || m === 'PUT';
    if (path === '/api/vigil/logs') return m === 'POST' ? 'vigil' : undefined;
    if (path === '/loki/api/v1/push' || path === '/api/prom/push') return m === 'POST' ? 'loki' : undefined;
    const p = this.#esPrefix;
    if (p !== '' && path !== p && !path.startsWith(p + '/')) return undefined;
    const rest = path.slice(p.length) || '/';
    if (rest === '/') {
      if (m !== 'GET' && m !== 'HEAD') return undefined;
      if (p === '') {
        if (headerText(headers.accept).includes('text/html')) return undefined;
      }
      return 'es-root';
    }
    const parts = rest.split('/').filter((x) => x !== '');
    if (parts[parts.length - 1] === '_bulk' && parts.length <= 2) return post ? 'es-bulk' : undefined;
    const first = parts[0]!;
    if (first === '_license' && m === 'GET') return 'es-license';
    if (first === '_xpack' && m === 'GET') return 'es-xpack';
    if (first === '_cluster' && parts[1] === 'health' && m === 'GET') return 'es-health';
    if (first === '_nodes' && m === 'GET') return 'es-nodes';
    if (['_index_template', '_template', '_component_template', '_ingest'].includes(first) || (first === '_ilm' && parts[1] === 'policy')) {
      return m === 'GET' || m === 'HEAD' || post ? 'es-stub' : undefined;
    }
    // Only with an explicit prefix do bare index names belong to us (the root is the UI's).
    if (p !== '' && parts.length === 1 && !first.startsWith('_') && (m === 'HEAD' || m === 'GET')) return 'es-index';
    return undefined;
  }

  async #decodedBody(req: IngestRequest, header: (n: string) => string | undefined): Promise<Buffer> {
    const raw = await readBody(req.body, this.#maxBody, req.signal);
    return decodeContentEncoding(raw, header('content-encoding'), this.#maxDecoded);
  }

  async #vigil(req: IngestRequest, header: (n: string) => string | undefined, base: Labels, m: ReceiveMetrics): Promise<IngestResponse> {
    const q = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const lb = new LabelsBuilder();
    for (const [k, v] of q) {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new IngestError('bad_request', `query parameter "${k}" is not a valid label name`);
      lb.set(k, v);
    }
    // No stream goes without labels: without query parameters or configured labels, job="http"
    // (an NDJSON entry's own labels win over this default).
    const defaultJob = lb.labels().isEmpty() && this.#labels.isEmpty();
    if (defaultJob) lb.set('job', 'http');
    base.forEach((n, v) => lb.set(n, v));
    const labels = lb.labels();
    const body = await this.#decodedBody(req, header);
    m.bytes.value += body.length;
    const batcher = new StreamBatcher({ store: this.#store, labels, levelLabel: this.#levelLabel, metrics: m });
    const now = Date.now();
    const type = (header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const ndjson = type === 'application/x-ndjson' || type === 'application/json' || type === 'application/jsonl' || type === 'application/ndjson';
    if (ndjson) {
      const text = body.toString('utf8');
      const out = new ParsedLine();
      let defaults = NO_DEFAULTS;
      let n = 0;
      for (let a = 0; a < text.length; ) {
        let b = text.indexOf('\n', a);
        if (b < 0) b = text.length;
        const line = text.charCodeAt(b - 1) === 13 ? text.slice(a, b - 1) : text.slice(a, b);
        a = b + 1;
        n++;
        if (line.trim() === '') continue;
        if (line.charCodeAt(0) === 123 && (line.includes('"line"') || line.includes('"defaults"'))) {
          const o = jsonObject(line);
          if (o !== undefined) {
            if (isDefaultsLine(o)) {
              defaults = this.#defaults(o.defaults, n, labels, defaultJob);
              continue;
            }
            if (this.#envelope(o, n, labels, now, batcher, defaultJob, defaults)) continue;
          }
        }
        this.#parser.parse(line, now, out);
        batcher.add(out);
      }
    } else {
      const dec = new LogStreamDecoder({ parser: this.#parser, maxLineBytes: this.#maxLine });
      const sink = (p: ParsedLine): void => batcher.add(p);
      dec.write(body, now, sink);
      dec.end(now, sink);
    }
    const accepted = batcher.size;
    await batcher.flush(req.signal);
    return { status: 200, headers: VIGIL_HEADERS, body: JSON.stringify({ accepted }) };
  }

  /** A `defaults` line's value: labels resolved as an entry's are, fields as strings. */
  #defaults(v: unknown, lineNo: number, base: Labels, defaultJob: boolean): Defaults {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new IngestError('bad_request', `line ${lineNo}: "defaults" must be an object {labels?, fields?}`);
    const d = v as Record<string, unknown>;
    for (const k of Object.keys(d)) {
      if (k !== 'labels' && k !== 'fields') throw new IngestError('bad_request', `line ${lineNo}: "defaults" takes "labels" and "fields", not "${k}"`);
    }
    return {
      labels: d.labels === undefined ? undefined : entryLabels(d.labels, lineNo, base, defaultJob),
      fields: d.fields !== undefined && d.fields !== null && typeof d.fields === 'object' ? entryFields(d.fields) : undefined,
    };
  }

  /** An NDJSON entry `{line, ts?, labels?, fields?}`; false when the object is not one (then it is parsed as a log line). */
  #envelope(r: Record<string, unknown>, lineNo: number, base: Labels, now: number, batcher: StreamBatcher, defaultJob: boolean, defaults: Defaults): boolean {
    if (typeof r.line !== 'string') return false;
    let t = now;
    let ns = 0;
    const ts = r.ts ?? r.timestamp ?? r.time;
    if (ts !== undefined) {
      const v = typeof ts === 'string' && /^\d{19}$/.test(ts) ? { t: Number(ts.slice(0, -6)), ns: Number(ts.slice(-6)) } : typeof ts === 'string' || typeof ts === 'number' ? parseTimestampValue(ts) : undefined;
      if (v === undefined) throw new IngestError('bad_request', `line ${lineNo}: "ts" is not a timestamp (want Unix ns as a string, RFC 3339, or an epoch number)`);
      t = v.t;
      ns = v.ns;
    }
    const lab = r.labels ?? r.stream;
    const labels = lab !== undefined ? entryLabels(lab, lineNo, base, defaultJob) : (defaults.labels ?? base);
    const fields = r.fields !== undefined && r.fields !== null && typeof r.fields === 'object' ? entryFields(r.fields) : defaults.fields;
    const entry: LogEntry = fields === undefined ? { t, ns, line: r.line } : { t, ns, line: r.line, fields };
    batcher.addEntry(labels, entry, 'vigil-ndjson');
    return true;
  }

  async #loki(req: IngestRequest, header: (n: string) => string | undefined, base: Labels, overrideApp: boolean, m: ReceiveMetrics): Promise<IngestResponse> {
    const type = (header('content-type') ?? 'application/x-protobuf').split(';')[0]!.trim().toLowerCase();
    const body = await this.#decodedBody(req, header);
    m.bytes.value += body.length;
    const batcher = new StreamBatcher({ store: this.#store, labels: base, levelLabel: false, metrics: m });
    const sink = (labels: Labels, entries: readonly LogEntry[]): void => {
      let l = labels;
      if (!base.isEmpty()) {
        const b = new LabelsBuilder(l);
        if (overrideApp) b.set('app', base.get('app'));
        base.forEach((n, v) => {
          if (n !== 'app' && !l.has(n)) b.set(n, v);
        });
        l = b.labels();
      }
      batcher.addEntries(l, entries, 'loki');
    };
    if (type === 'application/json') {
      // The scanner decodes escaped lines in place: never in a buffer the caller handed in.
      const own = req.body instanceof Uint8Array && body.buffer === req.body.buffer ? Buffer.from(body) : body;
      const batch = new LineBatchBuilder(Math.min(1 << 16, (own.length >> 7) + 16));
      const prefix = `${overrideApp ? '1' : '0'}${base.key()}\u0000`;
      if (scanPushJson(own, batch, (b, start, end, si) => this.#streamLabels(prefix, b, start, end, si, base, overrideApp))) {
        m.lines('loki', batch.count);
        await this.#appendBatch(batch, m, req.signal);
        return { status: 204, headers: {}, body: '' };
      }
      decodePushJson(body.toString('utf8'), sink);
    } else if (type === 'application/x-protobuf' || type === 'application/octet-stream' || type === '') {
      const enc = (header('content-encoding') ?? '').toLowerCase();
      decodePushProto(enc === 'snappy' ? body : await unsnappy(body, this.#maxDecoded), sink);
    } else {
      throw new IngestError('unsupported', `unsupported Content-Type "${type}" (want application/json or application/x-protobuf)`);
    }
    await batcher.flush(req.signal);
    return { status: 204, headers: {}, body: '' };
  }

  // streamLabels resolves a pushed stream object's labels (with the request's base labels), cached by its raw JSON.
  #streamLabels(prefix: string, b: Buffer, start: number, end: number, si: number, base: Labels, overrideApp: boolean): Labels {
    const key = prefix + b.toString('latin1', start, end);
    let l = this.#pushLabels.get(key);
    if (l === undefined) {
      l = streamLabelsOfJson(b.toString('utf8', start, end), si);
      if (!base.isEmpty()) {
        const lb = new LabelsBuilder(l);
        if (overrideApp) lb.set('app', base.get('app'));
        const own = l;
        base.forEach((n, v) => {
          if (n !== 'app' && !own.has(n)) lb.set(n, v);
        });
        l = lb.labels();
      }
      if (this.#pushLabels.size >= MAX_PUSH_LABELS) this.#pushLabels.clear();
      this.#pushLabels.set(key, l);
    }
    return l;
  }

  // appendBatch appends a decoded batch, answering 503 (after the store settled) when it refuses.
  async #appendBatch(batch: LineBatch, m: ReceiveMetrics, signal: AbortSignal | undefined): Promise<void> {
    try {
      await appendLineBatch(this.#store, batch, signal);
    } catch (e) {
      m.appendErrors.value++;
      throw new IngestError('unavailable', `log store refused ${batch.count} entries: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  async #bulk(req: IngestRequest, header: (n: string) => string | undefined, path: string, base: Labels, m: ReceiveMetrics): Promise<IngestResponse> {
    const started = Date.now();
    const parts = path.slice(this.#esPrefix.length).split('/').filter((x) => x !== '');
    const defaultIndex = parts.length === 2 ? decodeURIComponent(parts[0]!) : undefined;
    const body = await this.#decodedBody(req, header);
    m.bytes.value += body.length;
    const result = parseBulk(body.toString('utf8'), defaultIndex, base, started, this.#levelLabel);
    const batcher = new StreamBatcher({ store: this.#store, labels: base, levelLabel: this.#levelLabel, metrics: m });
    for (const d of result.docs) batcher.addEntry(d.labels, d.entry, 'elastic');
    const rejected = result.items.length - result.docs.length;
    if (rejected > 0) m.fallbacks.value += rejected;
    await batcher.flush(req.signal);
    return this.#es(req, 200, { took: Date.now() - started, errors: result.errors, items: result.items });
  }

  #es(req: IngestRequest, status: number, body: unknown, extra: Record<string, string> = {}): IngestResponse {
    const a = headerText(req.headers.accept);
    const compat = /compatible-with=(\d+)/.exec(a);
    const type = compat !== null ? `application/vnd.elasticsearch+json;compatible-with=${compat[1]}` : 'application/json';
    return { status, headers: { 'content-type': type, 'x-elastic-product': 'Elasticsearch', ...extra }, body: JSON.stringify(body) };
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function headerText(v: string | readonly string[] | undefined): string {
  return v === undefined ? '' : typeof v === 'string' ? v : v.join(',');
}

/** jsonObject parses a line holding one JSON object; undefined when it is anything else. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  return o === null || typeof o !== 'object' || Array.isArray(o) ? undefined : (o as Record<string, unknown>);
}

/** isDefaultsLine tells an object whose only key is `defaults` (a log line with more keys stays a log line). */
function isDefaultsLine(o: Record<string, unknown>): o is { defaults: unknown } {
  let n = 0;
  for (const k in o) {
    if (k !== 'defaults' || ++n > 1) return false;
  }
  return n === 1;
}

/** entryLabels resolves an NDJSON `labels` object over the request's labels (an own `job` wins over the default `job="http"`). */
function entryLabels(lab: unknown, lineNo: number, base: Labels, defaultJob: boolean): Labels {
  if (lab === null || typeof lab !== 'object' || Array.isArray(lab)) throw new IngestError('bad_request', `line ${lineNo}: "labels" must be an object of strings`);
  const b = new LabelsBuilder();
  for (const [k, v] of Object.entries(lab as Record<string, unknown>)) {
    if (!LABEL_NAME.test(k) || typeof v !== 'string') throw new IngestError('bad_request', `line ${lineNo}: label "${k}" must have a valid name and a string value`);
    b.set(k, v);
  }
  base.forEach((n, v) => {
    if (!(defaultJob && n === 'job' && b.has('job'))) b.set(n, v);
  });
  return b.labels();
}

/** entryFields turns an NDJSON `fields` object into strings (other JSON values as their JSON text). */
function entryFields(f: object): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(f as Record<string, unknown>)) fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return fields;
}
