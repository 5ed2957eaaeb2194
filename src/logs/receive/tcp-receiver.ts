/**
 * TcpReceiver: newline-delimited logs over TCP (default port 9000), optionally TLS, for
 * `journalctl -o json | ncat host 9000`, `tail -F app.log | nc host 9000` and any agent that
 * writes lines. Every line is parsed (format detected per line, journald export records,
 * multi-line stack traces) and appended to the LogStore.
 * @module
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Registry } from '../../instrument/index.js';
import { LineParser, LogStreamDecoder, type LineParserOptions, type LongLinePolicy, type ParsedLine } from '../parse/index.js';
import type { LogStore } from '../store/index.js';
import { checkPort, checkPositive, resolveListenerLabels, type ListenerAuthOptions, type TlsOptions } from './listener-options.js';
import { ReceiveMetrics } from './receive-metrics.js';
import { StreamBatcher } from './stream-batcher.js';

/** TcpReceiverOptions configure a TcpReceiver; every field but `store` has a default. */
export interface TcpReceiverOptions extends ListenerAuthOptions {
  readonly store: LogStore;
  /** Port (default 9000; 0 picks a free one). */
  readonly port?: number;
  /** Address to listen on (default `0.0.0.0`). */
  readonly host?: string;
  /** Serve TLS instead of plain TCP. */
  readonly tls?: TlsOptions;
  /** Line parser options: time zone of zone-less timestamps, payload fields. */
  readonly parser?: LineParserOptions;
  /** Longest line in bytes (default 256 KiB). */
  readonly maxLineBytes?: number;
  /** What to do with longer lines: `truncate` (default) or `split`. */
  readonly longLines?: LongLinePolicy;
  /** Group stack traces and continuation lines into one entry (default true). */
  readonly multiline?: boolean;
  /** How long a line waits for possible continuation lines when the sender goes quiet (default 500 ms). */
  readonly multilineWaitMs?: number;
  /** Most simultaneous connections; more are closed at once and counted (default 1024). */
  readonly maxConnections?: number;
  /** Close a connection that sent nothing for this long (default 10 minutes; 0 = never). */
  readonly idleTimeoutMs?: number;
  /** Cut a line whose end has not come after this long, storing what came (default 30 s; 0 = never). */
  readonly partialLineTimeoutMs?: number;
  /** Stop reading a connection while this many entries wait for the store (default 20 000). */
  readonly maxPendingEntries?: number;
  /** Put the detected level in a `level` label (default true). */
  readonly levelLabel?: boolean;
  /** Registry for the self-metrics. */
  readonly registry?: Registry;
  /** Value of the `receiver` label of the metrics (default `tcp`). */
  readonly name?: string;
}

interface Conn {
  readonly sock: Socket;
  readonly decoder: LogStreamDecoder;
  readonly batcher: StreamBatcher;
  readonly sink: (p: ParsedLine) => void;
  /** Chunks received in this turn of the event loop, decoded together in the next (see #decode). */
  queue: Buffer[];
  queuedBytes: number;
  queuedAt: number;
  scheduled: boolean;
  last: number;
  flushing: Promise<void> | undefined;
  paused: boolean;
  ended: boolean;
}

const HOUSEKEEPING_MS = 100;
/** Most bytes queued before they are decoded without waiting for the next turn of the event loop (bounds what piles up beyond maxPendingEntries). */
const COALESCE_BYTES = 256 * 1024;

/** TcpReceiver accepts newline-delimited logs over TCP or TLS. Start it with `run(signal)`. */
export class TcpReceiver {
  readonly #o: Required<Omit<TcpReceiverOptions, 'tls' | 'tokens' | 'token' | 'labels' | 'registry' | 'parser'>> & Pick<TcpReceiverOptions, 'tls' | 'parser'>;
  readonly #labels;
  readonly #parser: LineParser;
  readonly #metrics: ReceiveMetrics;
  readonly #conns = new Set<Conn>();
  #server: Server | undefined;
  #ready: Promise<AddressInfo>;
  #resolveReady!: (a: AddressInfo) => void;
  #rejectReady!: (e: unknown) => void;

  constructor(options: TcpReceiverOptions) {
    const {
      store, port = 9000, host = '0.0.0.0', tls, parser, maxLineBytes = 256 * 1024, longLines = 'truncate', multiline = true,
      multilineWaitMs = 500, maxConnections = 1024, idleTimeoutMs = 600_000, partialLineTimeoutMs = 30_000,
      maxPendingEntries = 20_000, levelLabel = true, registry, name = 'tcp',
    } = options;
    checkPort('port', port);
    checkPositive('maxLineBytes', maxLineBytes);
    checkPositive('maxConnections', maxConnections);
    checkPositive('maxPendingEntries', maxPendingEntries);
    for (const [k, v] of [['multilineWaitMs', multilineWaitMs], ['idleTimeoutMs', idleTimeoutMs], ['partialLineTimeoutMs', partialLineTimeoutMs]] as const) {
      if (!Number.isInteger(v) || v < 0) checkPositive(k, v);
    }
    this.#labels = resolveListenerLabels(options, 'tcp');
    // One parser for all connections (parsing is synchronous); bad options fail here, not on the first connection.
    this.#parser = new LineParser(parser);
    new LogStreamDecoder({ parser: this.#parser, maxLineBytes, longLines });
    this.#o = { store, port, host, tls, parser, maxLineBytes, longLines, multiline, multilineWaitMs, maxConnections, idleTimeoutMs, partialLineTimeoutMs, maxPendingEntries, levelLabel, name };
    this.#metrics = new ReceiveMetrics(registry, name);
    this.#ready = new Promise((res, rej) => {
      this.#resolveReady = res;
      this.#rejectReady = rej;
    });
    this.#ready.catch(() => {});
  }

  /** ready resolves with the listening address once `run` is listening. */
  ready(): Promise<AddressInfo> {
    return this.#ready;
  }

  /** connections is the number of open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /**
   * run listens until `signal` aborts, then stops accepting, stores what every connection sent
   * (including a last line without newline and held multi-line groups), closes the
   * connections and resolves. Rejects when it cannot listen.
   */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const server = o.tls
      ? createTlsServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: o.tls.requestCert ?? false, rejectUnauthorized: o.tls.requestCert ?? false, handshakeTimeout: 10_000 }, (s) => this.#accept(s))
      : createNetServer({ pauseOnConnect: false }, (s) => this.#accept(s));
    server.maxConnections = o.maxConnections;
    server.on('drop', () => this.#metrics.rejected('max_connections'));
    if (o.tls) server.on('tlsClientError', () => this.#metrics.rejected('tls_handshake'));
    this.#server = server;
    try {
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(o.port, o.host, () => {
          server.off('error', rej);
          res();
        });
      });
    } catch (e) {
      this.#rejectReady(e);
      throw e;
    }
    this.#resolveReady(server.address() as AddressInfo);
    const timer = setInterval(() => this.#housekeeping(), HOUSEKEEPING_MS);
    timer.unref();
    try {
      if (!signal.aborted) await new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true }));
    } finally {
      clearInterval(timer);
      const closed = new Promise<void>((res) => server.close(() => res()));
      const now = Date.now();
      await Promise.all(
        [...this.#conns].map(async (c) => {
          c.sock.pause();
          this.#decode(c);
          if (!c.ended) {
            c.ended = true;
            c.decoder.end(now, c.sink);
          }
          this.#kick(c);
          await c.flushing;
          c.sock.destroy();
        }),
      );
      await closed;
    }
  }

  #accept(sock: Socket): void {
    const o = this.#o;
    const batcher = new StreamBatcher({ store: o.store, labels: this.#labels, levelLabel: o.levelLabel, metrics: this.#metrics });
    const c: Conn = {
      sock,
      decoder: new LogStreamDecoder({ parser: this.#parser, maxLineBytes: o.maxLineBytes, longLines: o.longLines, multiline: o.multiline }),
      batcher,
      sink: (p) => batcher.add(p),
      queue: [],
      queuedBytes: 0,
      queuedAt: 0,
      scheduled: false,
      last: Date.now(),
      flushing: undefined,
      paused: false,
      ended: false,
    };
    this.#conns.add(c);
    this.#metrics.connections.inc();
    sock.setKeepAlive(true, 60_000);
    sock.on('data', (chunk: Buffer) => {
      const now = Date.now();
      c.last = now;
      this.#metrics.bytes.value += chunk.length;
      if (c.queue.length === 0) c.queuedAt = now;
      c.queue.push(chunk);
      c.queuedBytes += chunk.length;
      if (c.queuedBytes >= COALESCE_BYTES) this.#decode(c);
      else if (!c.scheduled) {
        c.scheduled = true;
        setImmediate(() => this.#decode(c));
      }
    });
    const finish = (): void => {
      this.#decode(c);
      if (!c.ended) {
        c.ended = true;
        c.decoder.end(Date.now(), c.sink);
        this.#kick(c);
      }
    };
    sock.on('end', finish);
    sock.on('error', () => {
      this.#metrics.rejected('connection_error');
    });
    sock.on('close', () => {
      finish();
      this.#conns.delete(c);
      this.#metrics.connections.dec();
    });
  }

  /**
   * Decodes the chunks queued since the last call as one buffer. A busy socket hands over up
   * to 64 KiB per read and many reads per turn of the event loop; decoding them together makes
   * fewer, larger strings, which V8 keeps outside the young generation when they are large (the
   * stored lines are slices of them, so the scavenger does not copy their text again and again).
   */
  #decode(c: Conn): void {
    c.scheduled = false;
    const q = c.queue;
    if (q.length === 0) return;
    c.queue = [];
    c.queuedBytes = 0;
    const buf = q.length === 1 ? q[0]! : Buffer.concat(q);
    c.decoder.write(buf, c.queuedAt, c.sink);
    this.#kick(c);
  }

  /** Starts a flush unless one runs; pauses reading while too much waits for the store. */
  #kick(c: Conn): void {
    if (c.batcher.size === 0) return;
    if (c.flushing !== undefined) {
      if (!c.paused && c.batcher.size >= this.#o.maxPendingEntries) {
        c.paused = true;
        c.sock.pause();
      }
      return;
    }
    c.flushing = this.#drain(c);
  }

  async #drain(c: Conn): Promise<void> {
    try {
      while (c.batcher.size > 0) {
        const n = c.batcher.size;
        try {
          await c.batcher.flush();
        } catch {
          this.#metrics.dropped('store_error', n);
        }
      }
    } finally {
      c.flushing = undefined;
      if (c.paused) {
        c.paused = false;
        if (!c.sock.destroyed) c.sock.resume();
      }
    }
  }

  #housekeeping(): void {
    const now = Date.now();
    const o = this.#o;
    for (const c of this.#conns) {
      if (c.ended) continue;
      this.#decode(c);
      if (c.decoder.holding && now - c.last >= o.multilineWaitMs) {
        c.decoder.flushHeld(c.sink);
        this.#kick(c);
      }
      const since = c.decoder.partialSince;
      if (o.partialLineTimeoutMs > 0 && since >= 0 && now - since >= o.partialLineTimeoutMs) {
        c.decoder.cutPartialLine(now, c.sink);
        this.#kick(c);
      }
      if (o.idleTimeoutMs > 0 && now - c.last >= o.idleTimeoutMs && !c.paused) {
        this.#metrics.rejected('idle_timeout');
        c.ended = true;
        c.decoder.end(now, c.sink);
        this.#kick(c);
        const done = c.flushing ?? Promise.resolve();
        done.then(() => c.sock.destroy(), () => c.sock.destroy());
      }
    }
  }
}
