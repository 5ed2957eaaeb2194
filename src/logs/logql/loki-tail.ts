/**
 * Live tail: Loki's `/loki/api/v1/tail` WebSocket. A connection first gets the recent history
 * (up to `limit` entries since `start`), then every newly appended entry that matches the
 * selector and survives the pipeline, batched, as `{"streams":[…],"dropped_entries":…}`
 * messages. A client too slow to keep up loses entries, which are reported in
 * `dropped_entries`, instead of growing the server's memory.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Labels } from '../../model/index.js';
import { matchesAll } from '../../model/index.js';
import type { LogEntry } from '../store/index.js';
import { appMatcher } from './app-scope.js';
import type { LogQLEngine } from './engine.js';
import { BadRequestError } from './errors.js';
import { pushdownOf } from './line-filter.js';
import { lokiErrorStatus } from './loki-api.js';
import { nsString, parseLimit, parseLokiTime } from './loki-params.js';
import { parseLogSelector, type LogQuery } from './parser/index.js';
import { Pipeline, type StreamPipeline } from './pipeline.js';
import { toMatchers } from './range-eval.js';

/** LokiTailOptions configures LokiTail. */
export interface LokiTailOptions {
  readonly engine: LogQLEngine;
  /** Bytes a client may have unsent before entries are dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** How often buffered live entries are sent, ms (default 200). */
  readonly flushIntervalMs?: number;
  readonly now?: () => number;
}

interface Pending {
  readonly labels: Labels;
  readonly values: [string, string][];
}

/** LokiTail serves tail WebSockets. */
export class LokiTail {
  readonly #engine: LogQLEngine;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #maxBuffered: number;
  readonly #flushMs: number;
  readonly #now: () => number;
  readonly #closers = new Set<() => void>();

  constructor(opts: LokiTailOptions) {
    const { engine, maxBufferedBytes = 4 << 20, flushIntervalMs = 200, now = Date.now } = opts;
    this.#engine = engine;
    this.#maxBuffered = maxBufferedBytes;
    this.#flushMs = flushIntervalMs;
    this.#now = now;
  }

  /**
   * handleUpgrade takes over an HTTP upgrade request for the tail path. Bad parameters are
   * answered with a plain HTTP error before any WebSocket is opened.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, allowedApps?: readonly string[]): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let q: LogQuery;
    let limit: number;
    let startMs: number;
    try {
      const query = url.searchParams.get('query') ?? '';
      if (query === '') throw new BadRequestError('query parameter is required');
      q = parseLogSelector(query);
      limit = parseLimit(url.searchParams.get('limit'));
      startMs = parseLokiTime(url.searchParams.get('start'), { ms: this.#now() - 3_600_000, ns: 0 }, 'start').ms;
    } catch (e) {
      const status = lokiErrorStatus(e);
      const msg = (e as Error).message;
      socket.end(`HTTP/1.1 ${status} Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(msg)}\r\nConnection: close\r\n\r\n${msg}`);
      return;
    }
    const query = url.searchParams.get('query')!;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      void this.#serve(ws, q, query, limit, startMs, allowedApps).catch((e: unknown) => {
        ws.close(1011, String((e as Error).message).slice(0, 120));
      });
    });
  }

  async #serve(ws: WebSocket, q: LogQuery, query: string, limit: number, startMs: number, apps: readonly string[] | undefined): Promise<void> {
    const matchers = toMatchers(q.matchers);
    if (apps !== undefined) matchers.push(appMatcher(apps));
    const push = pushdownOf(q.pipeline);
    const pipeline = new Pipeline(q.pipeline, push.applied);
    const perStream = new Map<string, StreamPipeline>();
    let pending = new Map<string, Pending>();
    let dropped: { labels: string; timestamp: string }[] = [];
    let closed = false;
    const live: { labels: Labels; entries: readonly LogEntry[] }[] = [];
    let historyDone = false;

    const accept = (labels: Labels, entries: readonly LogEntry[]): void => {
      if (closed || !matchesAll(matchers, (n) => labels.get(n))) return;
      if (!historyDone) {
        live.push({ labels, entries });
        return;
      }
      const k = labels.key();
      let sp = perStream.get(k);
      if (sp === undefined && !pipeline.isNoop) perStream.set(k, (sp = pipeline.forStream(labels)));
      for (const e of entries) {
        if (push.filter !== undefined && !push.filter(e.line)) continue;
        let line: string | undefined = e.line;
        let out = labels;
        if (sp !== undefined) {
          line = sp.process(e.t, e.ns, e.line, e.fields);
          if (line === undefined) continue;
          out = sp.labels();
        }
        if (ws.bufferedAmount > this.#maxBuffered) {
          dropped.push({ labels: out.toString(), timestamp: nsString(e.t, e.ns) });
          continue;
        }
        const ok = out.key();
        let p = pending.get(ok);
        if (p === undefined) pending.set(ok, (p = { labels: out, values: [] }));
        p.values.push([nsString(e.t, e.ns), line]);
      }
    };
    const unsubscribe = this.#engine.store.subscribe(accept);
    const send = (): void => {
      if (closed || (pending.size === 0 && dropped.length === 0)) return;
      const streams = [...pending.values()].map((p) => ({ stream: p.labels.toObject(), values: p.values }));
      const msg = JSON.stringify({ streams, dropped_entries: dropped.length > 0 ? dropped : null });
      pending = new Map();
      dropped = [];
      ws.send(msg);
    };
    const timer = setInterval(send, this.#flushMs);
    timer.unref();
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      unsubscribe();
      this.#closers.delete(close);
    };
    this.#closers.add(close);
    ws.on('close', close);
    ws.on('error', close);

    // History first: the newest `limit` entries since start, sent oldest first.
    const now = this.#now();
    const r = await this.#engine.rangeQuery({
      query,
      start: { ms: startMs, ns: 0 },
      end: { ms: now + 1, ns: 0 },
      stepMs: 1000,
      direction: 'backward',
      limit,
      allowedApps: apps,
    });
    if (r.value.kind === 'streams' && !closed) {
      const streams = r.value.streams.map((s) => ({ stream: s.labels.toObject(), values: [...s.entries].reverse().map((e) => [nsString(e.t, e.ns), e.line]) }));
      if (streams.length > 0) ws.send(JSON.stringify({ streams, dropped_entries: null }));
    }
    historyDone = true;
    // Entries appended while the history was read, newer than it, go out as live ones.
    for (const l of live.splice(0)) accept(l.labels, l.entries.filter((e) => e.t > now));
  }

  /** close ends every tail connection. */
  close(): void {
    for (const c of [...this.#closers]) c();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}
