/**
 * Shipper: the agent's log forwarder core. Sources hand it entries and positions; it fills a
 * batch, seals it (compressed) into the disk queue together with the positions it covers,
 * and a sender posts the queued batches oldest first, retrying with exponential backoff and
 * jitter. Only after the server acknowledged a batch are the positions it carries written to
 * the state file (`<dataDir>/state/log-positions.json`, atomic write + fsync).
 *
 * After a restart, sources resume from the acknowledged positions overlaid with those of the
 * batches still queued (which are sent again first): nothing is skipped and nothing is read
 * twice. Each batch goes with an `Idempotency-Key` (`<agent id>-<seq>`), so a batch that was
 * acknowledged just before a crash and sent again is dropped by the gateway.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Counter, Histogram, Logger, Registry } from '../../instrument/index.js';
import { NOP_LOGGER } from '../../instrument/index.js';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { compressSnappyBlock } from '../remote-write/index.js';
import { LokiJsonEncoder, ShipStream, VigilNdjsonEncoder, type BatchEncoder } from './batch-encoder.js';
import { BodyCompression, DiskQueue, type Positions, type QueuedBatch } from './disk-queue.js';
import { DeliveryError, ShipOptionError } from './errors.js';
import type { LogSink } from './log-sink.js';
import { HttpTransport, type TlsClientOptions } from './http-transport.js';
import { StateFile } from './state-file.js';

/** ShipperOptions configure a Shipper; all but `url` and `dataDir` have defaults. */
export interface ShipperOptions {
  /** Server base URL (`http://host:9700`), or the full push URL when it has a path. */
  readonly url: string;
  /** `vigil` (default): `POST /api/vigil/logs` NDJSON; `loki`: `POST /loki/api/v1/push` JSON. */
  readonly format?: 'vigil' | 'loki';
  readonly token?: string;
  readonly tls?: TlsClientOptions;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
  /** The agent's data directory: `state/` holds positions, `log-queue/` the disk queue. */
  readonly dataDir: string;
  /** Body Content-Encoding (default gzip). */
  readonly compression?: 'gzip' | 'snappy' | 'none';
  /** gzip level 1–9 (default 1: logs compress well already and CPU is the agent's budget). */
  readonly gzipLevel?: number;
  /** Entries per batch (default 10 000). */
  readonly maxBatchEntries?: number;
  /** Uncompressed bytes per batch (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** A batch is sealed at the latest this long after its first entry (default 1 s). */
  readonly flushIntervalMs?: number;
  /** Disk queue size cap (default 256 MiB): past it the oldest batches are dropped and counted. */
  readonly queueMaxBytes?: number;
  /** fsync each queued batch (default true). */
  readonly queueFsync?: boolean;
  /** First retry delay (default 500 ms), doubled per failure up to backoffMaxMs (default 30 s), with jitter. */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** On stop, keep sending what is queued for up to this long (default 2 s). */
  readonly drainMs?: number;
  /** Labels added to every stream that lacks them (e.g. `host`). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

/** ShipState is the content of the state file. */
export interface ShipState {
  readonly version: 1;
  /** Random id of this agent's queue, the prefix of its idempotency keys. */
  readonly agentId: string;
  /** The newest batch the server acknowledged. */
  ackedSeq: number;
  /** Acknowledged position per source. */
  positions: Record<string, unknown>;
}

interface ShipMetrics {
  readonly entries: Counter;
  readonly batches: Counter;
  readonly bytes: Counter;
  readonly failures: Counter;
  readonly rejected: Counter;
  readonly acked: { set(v: number): void };
  readonly latency: Histogram;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Shipper batches, queues and sends log entries; a Service (`run(signal)`) and a LogSink. */
export class Shipper implements LogSink {
  readonly name = 'log-shipper';
  readonly #transport: HttpTransport;
  readonly #queue: DiskQueue;
  readonly #stateFile: StateFile<ShipState>;
  readonly #state: ShipState;
  readonly #resume: Map<string, unknown>;
  readonly #enc: BatchEncoder;
  readonly #base: Labels;
  readonly #streams = new Map<string, ShipStream>();
  readonly #marks = new Map<string, unknown>();
  readonly #compression: BodyCompression;
  readonly #encoding: string;
  readonly #gzipLevel: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #flushMs: number;
  readonly #backoffMin: number;
  readonly #backoffMax: number;
  readonly #drainMs: number;
  readonly #log: Logger;
  readonly #m: ShipMetrics | undefined;
  #nextSeq: number;
  #firstAt = 0;
  #sealing = 0;
  #chain: Promise<void> = Promise.resolve();
  #closing = false;
  #inFlight = -1;
  #writableWaiters: (() => void)[] = [];
  // The seal timer is armed only while a batch or a position waits (an idle agent has no
  // wake-ups for it), and only while run() runs.
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ShipperOptions) {
    const {
      format = 'vigil', compression = 'gzip', gzipLevel = 1, maxBatchEntries = 10_000, maxBatchBytes = 1 << 20, flushIntervalMs = 1000,
      queueMaxBytes = 256 << 20, queueFsync = true, backoffMinMs = 500, backoffMaxMs = 30_000, drainMs = 2000, labels = {}, registry, logger = NOP_LOGGER,
    } = options;
    if (format !== 'vigil' && format !== 'loki') throw new ShipOptionError('format', `must be "vigil" or "loki", got "${String(format)}"`);
    if (compression !== 'gzip' && compression !== 'snappy' && compression !== 'none') throw new ShipOptionError('compression', `must be gzip, snappy or none, got "${String(compression)}"`);
    if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) throw new ShipOptionError('gzipLevel', `must be 1–9, got ${gzipLevel}`);
    for (const [k, v] of [['maxBatchEntries', maxBatchEntries], ['maxBatchBytes', maxBatchBytes], ['flushIntervalMs', flushIntervalMs], ['backoffMinMs', backoffMinMs], ['backoffMaxMs', backoffMaxMs]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new ShipOptionError(k, `must be positive, got ${v}`);
    }
    if (backoffMaxMs < backoffMinMs) throw new ShipOptionError('backoffMaxMs', `must be ≥ backoffMinMs (${backoffMinMs}), got ${backoffMaxMs}`);
    if (!(drainMs >= 0)) throw new ShipOptionError('drainMs', `must be ≥ 0, got ${drainMs}`);
    const lb = new LabelsBuilder();
    for (const [k, v] of Object.entries(labels)) {
      if (!LABEL_NAME.test(k)) throw new ShipOptionError(`labels.${k}`, 'is not a valid label name');
      lb.set(k, v);
    }
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ShipOptionError('url', `"${options.url}" is not a URL`);
    }
    if (url.pathname === '/' || url.pathname === '') url.pathname = format === 'vigil' ? '/api/vigil/logs' : '/loki/api/v1/push';
    this.#transport = new HttpTransport({ url: url.toString(), token: options.token, tls: options.tls, timeoutMs: options.timeoutMs, headers: options.headers });
    this.#stateFile = new StateFile(join(options.dataDir, 'state', 'log-positions.json'));
    const saved = this.#stateFile.read();
    this.#state = saved !== undefined && saved.version === 1 && typeof saved.agentId === 'string'
      ? { version: 1, agentId: saved.agentId, ackedSeq: Number(saved.ackedSeq) || 0, positions: { ...saved.positions } }
      : { version: 1, agentId: randomBytes(8).toString('hex'), ackedSeq: 0, positions: {} };
    if (saved === undefined) this.#stateFile.write(this.#state);
    this.#queue = DiskQueue.open({ dir: join(options.dataDir, 'log-queue'), maxBytes: queueMaxBytes, fsync: queueFsync, ackedSeq: this.#state.ackedSeq, registry });
    if (maxBatchBytes * 1.1 + 4096 > this.#queue.segmentBytes) {
      throw new ShipOptionError('maxBatchBytes', `${maxBatchBytes} does not fit the queue's ${this.#queue.segmentBytes}-byte segments (raise queueMaxBytes or lower maxBatchBytes)`);
    }
    this.#nextSeq = this.#queue.lastSeq;
    this.#resume = new Map(Object.entries(this.#state.positions));
    for (const b of this.#queue.pending()) overlay(this.#resume, b.positions);
    this.#enc = format === 'vigil' ? new VigilNdjsonEncoder() : new LokiJsonEncoder();
    this.#base = lb.labels();
    this.#compression = compression === 'gzip' ? BodyCompression.Gzip : compression === 'snappy' ? BodyCompression.Snappy : BodyCompression.None;
    this.#encoding = compression === 'none' ? '' : compression;
    this.#gzipLevel = gzipLevel;
    this.#maxEntries = maxBatchEntries;
    this.#maxBytes = maxBatchBytes;
    this.#flushMs = flushIntervalMs;
    this.#backoffMin = backoffMinMs;
    this.#backoffMax = backoffMaxMs;
    this.#drainMs = drainMs;
    this.#log = logger.with({ component: 'log-shipper' });
    this.#m = registry === undefined ? undefined : makeMetrics(registry);
    this.#m?.acked.set(this.#state.ackedSeq);
  }

  /** agentId is the random id of this agent's queue (the prefix of its idempotency keys). */
  get agentId(): string {
    return this.#state.agentId;
  }

  /** queue exposes the disk queue (for tests and status pages). */
  get queue(): DiskQueue {
    return this.#queue;
  }

  /** ackedSeq is the newest acknowledged batch. */
  get ackedSeq(): number {
    return this.#state.ackedSeq;
  }

  stream(labels: Labels): ShipStream {
    const key = labels.key();
    let s = this.#streams.get(key);
    if (s === undefined) {
      let l = labels;
      if (!this.#base.isEmpty()) {
        const b = new LabelsBuilder(labels);
        this.#base.forEach((n, v) => {
          if (!labels.has(n)) b.set(n, v);
        });
        l = b.labels();
      }
      s = new ShipStream(this.#streams.size, l);
      this.#streams.set(key, s);
    }
    return s;
  }

  add(stream: ShipStream, t: number, ns: number, line: string, fields?: Readonly<Record<string, string>>): void {
    const enc = this.#enc;
    if (enc.entries === 0) this.#started();
    enc.add(stream, t, ns, line, fields);
    // Sources mark after their entries; only a source that never marks can push a batch this far.
    if (enc.bytes >= 4 * this.#maxBytes) this.#seal();
  }

  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void {
    const enc = this.#enc;
    if (enc.entries === 0) this.#started();
    enc.addEncoded(stream, t, ns, line, fieldsJson);
    if (enc.bytes >= 4 * this.#maxBytes) this.#seal();
  }

  mark(source: string, position: unknown): void {
    this.#marks.set(source, position);
    if (position === null) this.#resume.delete(source);
    else this.#resume.set(source, position);
    const enc = this.#enc;
    if (enc.entries >= this.#maxEntries || enc.bytes >= this.#maxBytes) this.#seal();
    // A position with no entry after it goes out within a quarter second.
    else if (enc.entries === 0) this.#arm(Math.min(this.#flushMs, 250));
  }

  position(source: string): unknown {
    return this.#resume.get(source);
  }

  sources(): readonly string[] {
    return [...this.#resume.keys()];
  }

  get writable(): boolean {
    return this.#sealing < 2;
  }

  whenWritable(signal: AbortSignal): Promise<void> {
    if (this.writable || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#writableWaiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * flush seals the batch being filled (even a partial one) and resolves once it is in the
   * disk queue.
   */
  async flush(): Promise<void> {
    this.#seal();
    await this.#chain;
  }

  /**
   * run sends queued batches until the signal aborts; then it seals what is left into the
   * queue, keeps sending for up to `drainMs`, and closes the queue.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.#running = true;
    if (this.#enc.entries > 0) this.#arm(this.#flushMs - (Date.now() - this.#firstAt));
    else if (this.#marks.size > 0) this.#arm(0);
    try {
      await this.#sendLoop(signal);
    } finally {
      this.#running = false;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#seal();
      await this.#chain;
      if (this.#drainMs > 0 && this.#queue.length > 0) {
        const ac = new AbortController();
        const t = setTimeout(() => ac.abort(), this.#drainMs);
        try {
          await this.#sendLoop(ac.signal, true);
        } finally {
          clearTimeout(t);
        }
      }
      this.#closing = true;
      await this.#queue.close();
      this.#transport.close();
    }
  }

  // A batch begins: its first entry starts the flush interval.
  #started(): void {
    this.#firstAt = Date.now();
    this.#arm(this.#flushMs);
  }

  #arm(delay: number): void {
    if (this.#timer !== undefined || !this.#running) return;
    this.#timer = setTimeout(this.#onTimer, Math.max(10, delay));
  }

  // Seals the batch once it is flushMs old (a batch begun after the timer was armed sets it
  // again), or the positions marked with no entry after them.
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#enc.entries > 0) {
      const left = this.#flushMs - (Date.now() - this.#firstAt);
      if (left > 0) return this.#arm(left);
    } else if (this.#marks.size === 0) return;
    this.#seal();
  };

  #seal(): void {
    const enc = this.#enc;
    if (enc.entries === 0 && this.#marks.size === 0) return;
    const entries = enc.entries;
    // Compressed now, from the encoder's own buffer (the next entry overwrites it): a sealed
    // batch leaves no uncompressed copy behind.
    const body = entries === 0 ? Buffer.alloc(0) : this.#compress(enc.finish());
    // Positions are copied now: a source may keep mutating the object it marked.
    const positions: Record<string, unknown> = {};
    for (const [k, v] of this.#marks) positions[k] = v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as unknown);
    this.#marks.clear();
    const seq = ++this.#nextSeq;
    this.#sealing++;
    this.#chain = this.#chain
      .then(() => this.#store(seq, entries, body, positions))
      .catch((e: unknown) => this.#log.error('queueing a batch failed', { seq, err: String(e) }))
      .finally(() => {
        this.#sealing--;
        if (this.writable) {
          const w = this.#writableWaiters;
          this.#writableWaiters = [];
          for (const f of w) f();
        }
      });
  }

  async #store(seq: number, entries: number, body: Buffer, positions: Positions): Promise<void> {
    const t0 = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const dropped = await this.#queue.append({ seq, entries, format: this.#enc.format, compression: this.#compression, positions, body }, this.#inFlight);
        this.#log.debug('queued', { seq, entries, ms: Date.now() - t0 });
        if (dropped.batches > 0) this.#log.warn('disk queue full: dropped the oldest batches', { batches: dropped.batches, entries: dropped.entries });
        return;
      } catch (e) {
        // Disk full or failing: hold this batch (sources pause meanwhile) and try again.
        this.#log.error('cannot queue a batch, retrying', { seq, attempt, err: (e as Error).message });
        if (this.#closing) throw e;
        await sleep(this.#backoff(attempt));
      }
    }
  }

  #compress(raw: Buffer): Buffer {
    switch (this.#compression) {
      case BodyCompression.Gzip:
        // On this thread: a batch takes a millisecond or two at level 1, and the libuv
        // threadpool would give each of its threads a malloc arena of its own (megabytes of RSS).
        return gzipSync(raw, { level: this.#gzipLevel });
      case BodyCompression.Snappy:
        // In JavaScript (remote-write's): the native addon costs 6–15 MB RSS and its threads.
        return compressSnappyBlock(raw);
      default:
        return Buffer.from(raw);
    }
  }

  async #sendLoop(signal: AbortSignal, draining = false): Promise<void> {
    let attempt = 0;
    let staleRetried = false;
    while (!signal.aborted) {
      if (draining && this.#queue.length === 0) return;
      await this.#queue.wait(signal);
      const b = this.#queue.head();
      if (b === undefined) continue;
      if (b.entries === 0) {
        this.#acked(b);
        continue;
      }
      let body: Buffer;
      try {
        body = this.#queue.body(b);
      } catch (e) {
        this.#log.error('a queued batch cannot be read back; dropping it', { seq: b.seq, entries: b.entries, err: (e as Error).message });
        this.#m?.rejected.inc(b.entries);
        this.#acked(b);
        continue;
      }
      this.#inFlight = b.seq;
      const started = performance.now();
      try {
        const res = await this.#transport.post(
          { body, contentType: this.#enc.contentType, contentEncoding: encodingName(b.compression), idempotencyKey: `${this.#state.agentId}-${b.seq}` },
          signal,
        );
        // Batches begun from now on may use the NDJSON forms this server announced.
        this.#enc.serverFeatures(res.features);
        this.#m?.latency.observe((performance.now() - started) / 1000);
        this.#m?.entries.inc(b.entries);
        this.#m?.batches.inc();
        this.#m?.bytes.inc(body.length);
        if (attempt > 0) this.#log.info('delivering again', { after_failures: attempt });
        attempt = 0;
        staleRetried = false;
        this.#acked(b);
      } catch (e) {
        if (!(e instanceof DeliveryError)) throw e;
        if (signal.aborted) return;
        this.#m?.failures.inc();
        if (!e.retryable) {
          this.#log.error('the server refused a batch; dropping it', { seq: b.seq, entries: b.entries, status: e.status, err: e.message });
          this.#m?.rejected.inc(b.entries);
          this.#acked(b);
          attempt = 0;
          continue;
        }
        // A kept-alive connection the server closed meanwhile: try once more at once.
        if (attempt === 0 && !staleRetried && e.status === 0 && /ECONNRESET|EPIPE|socket hang up/.test(e.message)) {
          staleRetried = true;
          continue;
        }
        attempt++;
        if (attempt === 1 || attempt % 10 === 0) this.#log.warn('sending failed, retrying', { seq: b.seq, attempt, status: e.status, err: e.message });
        await sleep(this.#backoff(attempt), signal);
      } finally {
        this.#inFlight = -1;
      }
    }
  }

  /** Records a delivered (or given-up) batch: positions to the state file, then out of the queue. */
  #acked(b: QueuedBatch): void {
    const st = this.#state;
    for (const [k, v] of Object.entries(b.positions)) {
      if (v === null) delete st.positions[k];
      else st.positions[k] = v;
    }
    st.ackedSeq = b.seq;
    try {
      this.#stateFile.write(st);
    } catch (e) {
      // The queue still acknowledges; a crash before the next successful write re-reads, never skips.
      this.#log.error('cannot write the position state', { err: (e as Error).message });
    }
    this.#queue.ack(b.seq);
    this.#m?.acked.set(b.seq);
  }

  #backoff(attempt: number): number {
    const d = Math.min(this.#backoffMax, this.#backoffMin * 2 ** Math.min(attempt - 1, 30));
    // Equal jitter: half fixed, half random, so many agents do not retry in step.
    return d / 2 + Math.random() * (d / 2);
  }
}

function overlay(into: Map<string, unknown>, p: Positions): void {
  for (const [k, v] of Object.entries(p)) {
    if (v === null) into.delete(k);
    else into.set(k, v);
  }
}

function encodingName(c: BodyCompression): string {
  return c === BodyCompression.Gzip ? 'gzip' : c === BodyCompression.Snappy ? 'snappy' : '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function makeMetrics(r: Registry): ShipMetrics {
  return {
    entries: r.counter({ name: 'vigil_agent_ship_sent_entries_total', help: 'Log entries the server acknowledged.' }).labels(),
    batches: r.counter({ name: 'vigil_agent_ship_sent_batches_total', help: 'Batches the server acknowledged.' }).labels(),
    bytes: r.counter({ name: 'vigil_agent_ship_sent_bytes_total', help: 'Compressed body bytes the server acknowledged.' }).labels(),
    failures: r.counter({ name: 'vigil_agent_ship_send_failures_total', help: 'Failed batch sends (each retry counts).' }).labels(),
    rejected: r.counter({ name: 'vigil_agent_ship_rejected_entries_total', help: 'Log entries dropped because the server refused their batch for good.' }).labels(),
    acked: r.gauge({ name: 'vigil_agent_ship_acked_seq', help: 'Sequence number of the newest acknowledged batch.' }).labels(),
    latency: r.histogram({ name: 'vigil_agent_ship_send_duration_seconds', help: 'Time from sending a batch to its acknowledgement.' }).labels(),
  };
}
