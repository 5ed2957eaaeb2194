/**
 * SyslogReceiver: syslog over UDP and TCP on one port (default 5514), RFC 5424 and RFC 3164,
 * octet-counting and newline framing (RFC 6587), optional TLS for TCP. UDP has no
 * back-pressure: datagrams that arrive while too much waits for the store are dropped and
 * counted.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Registry } from '../../instrument/index.js';
import { LineParser, ParsedLine, RAW_FIELD, type LineParserOptions } from '../parse/index.js';
import type { LogStore } from '../store/index.js';
import { checkPort, checkPositive, resolveListenerLabels, type ListenerAuthOptions, type TlsOptions } from './listener-options.js';
import { ReceiveMetrics, watchUdpDrops } from './receive-metrics.js';
import { StreamBatcher } from './stream-batcher.js';
import { SyslogFramer } from './syslog-framer.js';

/** SyslogReceiverOptions configure a SyslogReceiver; every field but `store` has a default. */
export interface SyslogReceiverOptions extends ListenerAuthOptions {
  readonly store: LogStore;
  /** Port for both UDP and TCP (default 5514; 0 picks a free one, the same for both when possible). */
  readonly port?: number;
  /** Address (default `0.0.0.0`). */
  readonly host?: string;
  /** Listen on UDP (default true). */
  readonly udp?: boolean;
  /** Listen on TCP (default true). */
  readonly tcp?: boolean;
  /** Serve TLS on the TCP port (RFC 5425) instead of plain TCP. */
  readonly tls?: TlsOptions;
  /** Parser options (time zone of RFC 3164 timestamps, default UTC). */
  readonly parser?: LineParserOptions;
  /** Longest message in bytes; longer ones are truncated (`cut=truncated`, default 256 KiB). */
  readonly maxMessageBytes?: number;
  /** UDP datagrams are dropped (and counted) while this many entries wait for the store (default 50 000). */
  readonly maxPendingEntries?: number;
  /** Most simultaneous TCP connections (default 1024). */
  readonly maxConnections?: number;
  /** Close a TCP connection idle this long (default 10 minutes; 0 = never). */
  readonly idleTimeoutMs?: number;
  /** Cut a TCP message whose end has not come after this long (default 30 s; 0 = never). */
  readonly partialMessageTimeoutMs?: number;
  /** Put the severity in a `level` label (default true). */
  readonly levelLabel?: boolean;
  readonly registry?: Registry;
  /** Value of the `receiver` label of the metrics (default `syslog`). */
  readonly name?: string;
}

interface Conn {
  readonly sock: Socket;
  readonly framer: SyslogFramer;
  readonly batcher: StreamBatcher;
  last: number;
  flushing: Promise<void> | undefined;
  paused: boolean;
  ended: boolean;
}

/** SyslogReceiver accepts syslog over UDP and TCP. Start it with `run(signal)`. */
export class SyslogReceiver {
  readonly #o: Required<Pick<SyslogReceiverOptions, 'port' | 'host' | 'udp' | 'tcp' | 'maxMessageBytes' | 'maxPendingEntries' | 'maxConnections' | 'idleTimeoutMs' | 'partialMessageTimeoutMs' | 'levelLabel' | 'name'>> & Pick<SyslogReceiverOptions, 'tls' | 'store'>;
  readonly #parser: LineParser;
  readonly #labels;
  readonly #metrics: ReceiveMetrics;
  readonly #registry: Registry | undefined;
  readonly #udpBatcher: StreamBatcher;
  readonly #out = new ParsedLine();
  readonly #conns = new Set<Conn>();
  #udpFlushing: Promise<void> | undefined;
  #ready: Promise<{ udp?: AddressInfo; tcp?: AddressInfo }>;
  #resolveReady!: (a: { udp?: AddressInfo; tcp?: AddressInfo }) => void;
  #rejectReady!: (e: unknown) => void;

  constructor(options: SyslogReceiverOptions) {
    const {
      store, port = 5514, host = '0.0.0.0', udp = true, tcp = true, tls, parser, maxMessageBytes = 256 * 1024,
      maxPendingEntries = 50_000, maxConnections = 1024, idleTimeoutMs = 600_000, partialMessageTimeoutMs = 30_000,
      levelLabel = true, registry, name = 'syslog',
    } = options;
    checkPort('port', port);
    checkPositive('maxMessageBytes', maxMessageBytes);
    checkPositive('maxPendingEntries', maxPendingEntries);
    checkPositive('maxConnections', maxConnections);
    if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 0) checkPositive('idleTimeoutMs', idleTimeoutMs);
    if (!Number.isInteger(partialMessageTimeoutMs) || partialMessageTimeoutMs < 0) checkPositive('partialMessageTimeoutMs', partialMessageTimeoutMs);
    this.#labels = resolveListenerLabels(options, 'syslog');
    this.#parser = new LineParser(parser);
    this.#o = { store, port, host, udp, tcp, tls, maxMessageBytes, maxPendingEntries, maxConnections, idleTimeoutMs, partialMessageTimeoutMs, levelLabel, name };
    this.#metrics = new ReceiveMetrics(registry, name);
    this.#registry = registry;
    this.#udpBatcher = this.#batcher();
    this.#ready = new Promise((res, rej) => {
      this.#resolveReady = res;
      this.#rejectReady = rej;
    });
    this.#ready.catch(() => {});
  }

  /** ready resolves with the UDP and TCP addresses once `run` listens. */
  ready(): Promise<{ udp?: AddressInfo; tcp?: AddressInfo }> {
    return this.#ready;
  }

  /**
   * run listens until `signal` aborts, then stores what was received and resolves. Rejects
   * when it cannot listen.
   */
  async run(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    let server: Server | undefined;
    let udp: UdpSocket | undefined;
    const addrs: { udp?: AddressInfo; tcp?: AddressInfo } = {};
    let unwatch = (): void => {};
    try {
      if (o.tcp) {
        const s = o.tls
          ? createTlsServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: o.tls.requestCert ?? false, rejectUnauthorized: o.tls.requestCert ?? false, handshakeTimeout: 10_000 }, (c) => this.#accept(c))
          : createNetServer((c) => this.#accept(c));
        server = s;
        s.maxConnections = o.maxConnections;
        s.on('drop', () => this.#metrics.rejected('max_connections'));
        await new Promise<void>((res, rej) => {
          s.once('error', rej);
          s.listen(o.port, o.host, () => {
            s.off('error', rej);
            res();
          });
        });
        addrs.tcp = s.address() as AddressInfo;
      }
      if (o.udp) {
        const u = createSocket({ type: isIPv6(o.host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
        udp = u;
        u.on('message', (msg) => this.#datagram(msg));
        u.on('error', () => this.#metrics.rejected('udp_error'));
        const udpPort = o.port === 0 && addrs.tcp !== undefined ? addrs.tcp.port : o.port;
        await new Promise<void>((res, rej) => {
          u.once('error', rej);
          u.bind(udpPort, o.host, () => {
            u.off('error', rej);
            res();
          });
        }).catch(async (e: unknown) => {
          // The TCP port's twin may be taken on UDP; with port 0, any free UDP port will do.
          if (o.port !== 0) throw e;
          await new Promise<void>((res) => u.bind(0, o.host, () => res()));
        });
        addrs.udp = u.address();
        unwatch = watchUdpDrops(this.#registry, o.name, addrs.udp.port);
      }
    } catch (e) {
      server?.close();
      udp?.close();
      this.#rejectReady(e);
      throw e;
    }
    this.#resolveReady(addrs);
    const timer = setInterval(() => this.#housekeeping(), 100);
    timer.unref();
    try {
      if (!signal.aborted) await new Promise<void>((res) => signal.addEventListener('abort', () => res(), { once: true }));
    } finally {
      clearInterval(timer);
      unwatch();
      udp?.close();
      const closed = server === undefined ? Promise.resolve() : new Promise<void>((res) => server.close(() => res()));
      await Promise.all(
        [...this.#conns].map(async (c) => {
          c.sock.pause();
          this.#finish(c);
          await c.flushing;
          c.sock.destroy();
        }),
      );
      this.#kickUdp();
      await this.#udpFlushing;
      await closed;
    }
  }

  #batcher(): StreamBatcher {
    return new StreamBatcher({ store: this.#o.store, labels: this.#labels, levelLabel: this.#o.levelLabel, metrics: this.#metrics });
  }

  /** Parses one message into the batcher. */
  #message(msg: Buffer, cut: number, now: number, batcher: StreamBatcher, timeout = false): void {
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 0)) end--;
    if (end === 0 && cut === 0) return;
    const bytes = end === msg.length ? msg : msg.subarray(0, end);
    const out = this.#out;
    this.#parser.parseSyslog(bytes.toString('utf8'), now, out);
    if (!isUtf8(bytes)) out.setField(RAW_FIELD, bytes.toString('base64'));
    if (cut > 0) {
      out.setField('cut', 'truncated');
      out.setField('cut_bytes', String(cut));
    } else if (timeout) {
      out.setField('cut', 'timeout');
    }
    batcher.add(out);
  }

  #datagram(msg: Buffer): void {
    this.#metrics.bytes.value += msg.length;
    if (this.#udpBatcher.size >= this.#o.maxPendingEntries) {
      this.#metrics.dropped('udp_queue_full');
      return;
    }
    let cut = 0;
    let m = msg;
    if (m.length > this.#o.maxMessageBytes) {
      cut = m.length - this.#o.maxMessageBytes;
      m = m.subarray(0, this.#o.maxMessageBytes);
    }
    this.#message(m, cut, Date.now(), this.#udpBatcher);
    this.#kickUdp();
  }

  #kickUdp(): void {
    if (this.#udpFlushing !== undefined || this.#udpBatcher.size === 0) return;
    this.#udpFlushing = (async () => {
      try {
        while (this.#udpBatcher.size > 0) {
          const n = this.#udpBatcher.size;
          try {
            await this.#udpBatcher.flush();
          } catch {
            this.#metrics.dropped('store_error', n);
          }
        }
      } finally {
        this.#udpFlushing = undefined;
      }
    })();
  }

  #accept(sock: Socket): void {
    const c: Conn = { sock, framer: new SyslogFramer(this.#o.maxMessageBytes), batcher: this.#batcher(), last: Date.now(), flushing: undefined, paused: false, ended: false };
    this.#conns.add(c);
    this.#metrics.connections.inc();
    sock.setKeepAlive(true, 60_000);
    const sink = (msg: Buffer, cut: number): void => this.#message(msg, cut, c.last, c.batcher);
    sock.on('data', (chunk: Buffer) => {
      c.last = Date.now();
      this.#metrics.bytes.value += chunk.length;
      c.framer.push(chunk, c.last, sink);
      this.#kick(c);
    });
    sock.on('end', () => this.#finish(c));
    sock.on('error', () => this.#metrics.rejected('connection_error'));
    sock.on('close', () => {
      this.#finish(c);
      this.#conns.delete(c);
      this.#metrics.connections.dec();
    });
  }

  #finish(c: Conn): void {
    if (c.ended) return;
    c.ended = true;
    c.framer.end((msg, cut) => this.#message(msg, cut, Date.now(), c.batcher));
    this.#kick(c);
  }

  #kick(c: Conn): void {
    if (c.batcher.size === 0) return;
    if (c.flushing !== undefined) {
      if (!c.paused && c.batcher.size >= this.#o.maxPendingEntries) {
        c.paused = true;
        c.sock.pause();
      }
      return;
    }
    c.flushing = (async () => {
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
    })();
  }

  #housekeeping(): void {
    const now = Date.now();
    const o = this.#o;
    for (const c of this.#conns) {
      if (c.ended) continue;
      const since = c.framer.partialSince;
      if (o.partialMessageTimeoutMs > 0 && since >= 0 && now - since >= o.partialMessageTimeoutMs) {
        c.framer.end((msg, cut) => this.#message(msg, cut, now, c.batcher, true));
        this.#kick(c);
      }
      if (o.idleTimeoutMs > 0 && now - c.last >= o.idleTimeoutMs && !c.paused) {
        this.#metrics.rejected('idle_timeout');
        this.#finish(c);
        (c.flushing ?? Promise.resolve()).then(() => c.sock.destroy(), () => c.sock.destroy());
      }
    }
  }
}
