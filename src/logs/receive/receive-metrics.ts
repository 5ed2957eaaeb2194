/**
 * Self-metrics of the log receivers, on the instrument Registry handed to them. Every receiver
 * sharing a registry shares the families; each gets its own children by `receiver` label.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Registry, type Counter, type Family, type Gauge } from '../../instrument/index.js';

interface Families {
  readonly lines: Family<Counter>;
  readonly bytes: Family<Counter>;
  readonly fallbacks: Family<Counter>;
  readonly cut: Family<Counter>;
  readonly dropped: Family<Counter>;
  readonly rejected: Family<Counter>;
  readonly appendErrors: Family<Counter>;
  readonly connections: Family<Gauge>;
}

const FAMILIES = new WeakMap<Registry, Families>();

function families(reg: Registry): Families {
  let f = FAMILIES.get(reg);
  if (f === undefined) {
    f = {
      lines: reg.counter({ name: 'vigil_logs_received_lines_total', help: 'Log entries received, by receiver and detected format.', labelNames: ['receiver', 'format'] }),
      bytes: reg.counter({ name: 'vigil_logs_received_bytes_total', help: 'Bytes received by the log receivers (after decompression).', labelNames: ['receiver'] }),
      fallbacks: reg.counter({ name: 'vigil_logs_parse_fallbacks_total', help: 'Log lines kept unparsed (unknown format or invalid input), stored as received with the arrival time.', labelNames: ['receiver'] }),
      cut: reg.counter({ name: 'vigil_logs_cut_lines_total', help: 'Lines cut: truncated or split for length, or cut after waiting for their end.', labelNames: ['receiver', 'kind'] }),
      dropped: reg.counter({ name: 'vigil_logs_dropped_total', help: 'Log entries dropped (UDP datagrams while the store was busy, store failures).', labelNames: ['receiver', 'reason'] }),
      rejected: reg.counter({ name: 'vigil_logs_rejected_total', help: 'Requests and connections refused by the log receivers.', labelNames: ['receiver', 'reason'] }),
      appendErrors: reg.counter({ name: 'vigil_logs_append_errors_total', help: 'Failed appends to the log store.', labelNames: ['receiver'] }),
      connections: reg.gauge({ name: 'vigil_logs_receiver_connections', help: 'Open connections of the stream log receivers.', labelNames: ['receiver'] }),
    };
    FAMILIES.set(reg, f);
  }
  return f;
}

/** ReceiveMetrics are the counters of one receiver (`receiver` label), with cached children for the hot path. */
export class ReceiveMetrics {
  readonly #f: Families;
  readonly #receiver: string;
  readonly #lines = new Map<string, Counter>();
  readonly bytes: Counter;
  readonly fallbacks: Counter;
  readonly appendErrors: Counter;
  readonly connections: Gauge;

  constructor(registry: Registry | undefined, receiver: string) {
    this.#f = families(registry ?? new Registry());
    this.#receiver = receiver;
    this.bytes = this.#f.bytes.labels(receiver);
    this.fallbacks = this.#f.fallbacks.labels(receiver);
    this.appendErrors = this.#f.appendErrors.labels(receiver);
    this.connections = this.#f.connections.labels(receiver);
  }

  #lastFormat = '';
  #lastCounter: Counter | undefined;

  /** line counts one entry of a format. */
  line(format: string): void {
    if (format === this.#lastFormat && this.#lastCounter !== undefined) {
      this.#lastCounter.value++;
      return;
    }
    let c = this.#lines.get(format);
    if (c === undefined) {
      c = this.#f.lines.labels(this.#receiver, format);
      this.#lines.set(format, c);
    }
    this.#lastFormat = format;
    this.#lastCounter = c;
    c.value++;
  }

  /** lines counts `n` entries of a format. */
  lines(format: string, n: number): void {
    this.line(format);
    this.#lines.get(format)!.value += n - 1;
  }

  /** cut counts a line cut for `kind` (truncated, split, timeout). */
  cut(kind: string): void {
    this.#f.cut.labels(this.#receiver, kind).inc();
  }

  /** dropped counts `n` entries dropped for `reason`. */
  dropped(reason: string, n = 1): void {
    this.#f.dropped.labels(this.#receiver, reason).inc(n);
  }

  /** rejected counts a refused request or connection. */
  rejected(reason: string): void {
    this.#f.rejected.labels(this.#receiver, reason).inc();
  }
}

// UDP sockets whose kernel drop counters are reported, per registry: receiver → local port.
const UDP_SOCKETS = new WeakMap<Registry, Map<string, number>>();

/**
 * udpKernelDrops sums the `drops` column of /proc/net/udp and /proc/net/udp6 for sockets bound
 * to `port` (datagrams the kernel discarded because the socket buffer was full); undefined
 * where /proc is not available.
 */
export function udpKernelDrops(port: number): number | undefined {
  let total: number | undefined;
  const hexPort = ':' + port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1]!.endsWith(hexPort)) continue;
      total = (total ?? 0) + Number(cols[12]);
    }
  }
  return total;
}

/**
 * watchUdpDrops reports the kernel's drop counter of a UDP socket on the registry as
 * `vigil_logs_udp_kernel_drops_total{receiver}` until the returned function is called.
 */
export function watchUdpDrops(registry: Registry | undefined, receiver: string, port: number): () => void {
  if (registry === undefined) return () => {};
  let socks = UDP_SOCKETS.get(registry);
  if (socks === undefined) {
    const watched = new Map<string, number>();
    socks = watched;
    UDP_SOCKETS.set(registry, watched);
    registry.collect((w) => {
      if (watched.size === 0) return;
      w.family('vigil_logs_udp_kernel_drops_total', 'counter', 'Datagrams the kernel dropped before a syslog UDP receiver read them (socket buffer full), from /proc/net/udp.');
      for (const [name, p] of watched) {
        const d = udpKernelDrops(p);
        if (d !== undefined) w.sample('vigil_logs_udp_kernel_drops_total', [['receiver', name]], d);
      }
    });
  }
  socks.set(receiver, port);
  const mine = socks;
  return () => {
    mine.delete(receiver);
  };
}
