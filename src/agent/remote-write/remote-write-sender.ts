/**
 * Pushes the agent's samples to a Prometheus remote-write 1.0 receiver (`POST /api/v1/write`
 * of vigil's server, Prometheus with --web.enable-remote-write-receiver, VictoriaMetrics,
 * Mimir). Cycles are encoded as they are queued; one request is in flight at a time so each
 * series arrives in time order. Receiver answers:
 *
 *   2xx                  sent
 *   5xx, 429, no answer  retried with exponential backoff (Retry-After honoured), forever
 *   other 4xx            dropped and counted as failed (a bad request would fail again)
 *
 * The queue is bounded by compressed bytes; when it is full the oldest requests are dropped
 * and counted, so a long outage costs the oldest data, never the agent's memory.
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Counter, Gauge, Histogram, Registry } from '../../instrument/index.js';
import type { MetricBatch } from '../host/index.js';
import { RemoteWriteError } from './errors.js';
import { WriteRequestEncoder, type EncodedRequest } from './write-request-encoder.js';

/** RemoteWriteSenderOptions configure the sender. */
export interface RemoteWriteSenderOptions {
  /** The receiver's URL, e.g. `http://server:9700/api/v1/write`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA bundle for https receivers with a private CA. */
  readonly ca?: string | Buffer;
  /** Labels added to every series (e.g. `instance`, `job`). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly maxSamplesPerSend?: number;
  /** Bound of the queue, compressed bytes (default 32 MiB). */
  readonly maxQueueBytes?: number;
  /** Per-request time limit, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Backoff between retries, ms (defaults 30 and 5 000, Prometheus's min_backoff and max_backoff). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often metadata is sent along, ms (default 60 000, Prometheus's send_interval of metadata). */
  readonly metadataIntervalMs?: number;
  readonly registry?: Registry;
  readonly userAgent?: string;
  /** Called for every failed attempt (recoverable or not). */
  readonly onError?: (e: RemoteWriteError) => void;
  readonly now?: () => number;
}

interface Metrics {
  readonly sent: Counter;
  readonly failed: Counter;
  readonly retried: Counter;
  readonly dropped: Counter;
  readonly queueBytes: Gauge;
  readonly queueSamples: Gauge;
  readonly duration: Histogram;
  readonly lastSuccess: Gauge;
}

/**
 * RemoteWriteSender queues batches (`enqueue`) and sends them while `run` runs. When `run`'s
 * signal aborts it stops retrying; `flush` gives a stopping agent a bounded time to send what
 * is queued.
 */
export class RemoteWriteSender {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #ca: string | Buffer | undefined;
  readonly #encoder: WriteRequestEncoder;
  readonly #maxQueueBytes: number;
  readonly #timeoutMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #metadataIntervalMs: number;
  readonly #onError: ((e: RemoteWriteError) => void) | undefined;
  readonly #now: () => number;
  readonly #m: Metrics | undefined;
  readonly #queue: EncodedRequest[] = [];
  #head = 0;
  #queueBytes = 0;
  #queueSamples = 0;
  #lastMetadata = -Infinity;
  #wake: (() => void) | undefined;
  #inflight: EncodedRequest | undefined;

  constructor(opts: RemoteWriteSenderOptions) {
    try {
      this.#url = new URL(opts.url);
    } catch {
      throw new Error(`RemoteWriteSender: url "${opts.url}" is not a URL`);
    }
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') throw new Error(`RemoteWriteSender: url "${opts.url}" must be http or https`);
    this.#headers = {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': opts.userAgent ?? 'vigil-agent',
      ...(opts.token !== undefined && opts.token !== '' ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    };
    this.#ca = opts.ca;
    this.#encoder = new WriteRequestEncoder({ externalLabels: opts.externalLabels, maxSamplesPerSend: opts.maxSamplesPerSend });
    this.#maxQueueBytes = opts.maxQueueBytes ?? 32 << 20;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#minBackoffMs = opts.minBackoffMs ?? 30;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 5_000;
    if (!(this.#maxQueueBytes > 0) || !(this.#timeoutMs > 0) || !(this.#minBackoffMs > 0) || !(this.#maxBackoffMs >= this.#minBackoffMs)) {
      throw new Error('RemoteWriteSender: maxQueueBytes, timeoutMs and backoffs must be positive, maxBackoffMs >= minBackoffMs');
    }
    this.#metadataIntervalMs = opts.metadataIntervalMs ?? 60_000;
    this.#onError = opts.onError;
    this.#now = opts.now ?? Date.now;
    const r = opts.registry;
    if (r !== undefined) {
      const c = (name: string, help: string): Counter => r.counter({ name, help }).labels();
      const g = (name: string, help: string): Gauge => r.gauge({ name, help }).labels();
      this.#m = {
        sent: c('vigil_remote_write_samples_total', 'Samples the receiver accepted.'),
        failed: c('vigil_remote_write_failed_samples_total', 'Samples the receiver refused with a non-recoverable error (4xx) and that were dropped.'),
        retried: c('vigil_remote_write_retried_samples_total', 'Samples whose request failed with a recoverable error and was retried.'),
        dropped: c('vigil_remote_write_dropped_samples_total', 'Samples dropped unsent because the queue was full.'),
        queueBytes: g('vigil_remote_write_queue_bytes', 'Compressed bytes waiting in the queue.'),
        queueSamples: g('vigil_remote_write_queue_samples', 'Samples waiting in the queue.'),
        duration: r.histogram({ name: 'vigil_remote_write_request_duration_seconds', help: 'Duration of remote-write requests, successful or not.' }).labels(),
        lastSuccess: g('vigil_remote_write_last_success_timestamp_seconds', 'Time of the last request the receiver accepted.'),
      };
    }
  }

  /** queued returns the samples and compressed bytes waiting. */
  queued(): { samples: number; bytes: number; requests: number } {
    return { samples: this.#queueSamples, bytes: this.#queueBytes, requests: this.#queue.length - this.#head };
  }

  /** enqueue encodes a batch at time t (Unix ms) and queues it, dropping the oldest requests if the queue would overflow. */
  enqueue(batch: MetricBatch, t: number): void {
    const withMeta = this.#now() - this.#lastMetadata >= this.#metadataIntervalMs;
    if (withMeta) this.#lastMetadata = this.#now();
    for (const r of this.#encoder.encode(batch, t, withMeta)) this.#push(r);
    this.#wake?.();
  }

  #push(r: EncodedRequest): void {
    this.#queue.push(r);
    this.#queueBytes += r.body.length;
    this.#queueSamples += r.samples;
    while (this.#queueBytes > this.#maxQueueBytes && this.#queue.length - this.#head > 1) {
      // The oldest goes, unless it is in flight: then the next oldest (never the newest).
      const idx = this.#queue[this.#head] === this.#inflight ? this.#head + 1 : this.#head;
      if (idx >= this.#queue.length - 1 && idx !== this.#head) break;
      const old = idx === this.#head ? this.#queue[this.#head++]! : this.#queue.splice(idx, 1)[0]!;
      this.#queueBytes -= old.body.length;
      this.#queueSamples -= old.samples;
      this.#m?.dropped.inc(old.samples);
    }
    this.#compact();
    this.#gauges();
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #gauges(): void {
    this.#m?.queueBytes.set(this.#queueBytes);
    this.#m?.queueSamples.set(this.#queueSamples);
  }

  /** run sends queued requests in order until signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.#head >= this.#queue.length) {
        const onAbort = (): void => this.#wake?.();
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          signal.addEventListener('abort', onAbort, { once: true });
        });
        signal.removeEventListener('abort', onAbort);
        this.#wake = undefined;
        continue;
      }
      await this.#sendHead(signal);
    }
  }

  /** flush tries to send everything queued within timeoutMs; resolves with what is left unsent. */
  async flush(timeoutMs: number): Promise<number> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      while (this.#head < this.#queue.length && !ac.signal.aborted) await this.#sendHead(ac.signal);
    } finally {
      clearTimeout(timer);
    }
    return this.#queueSamples;
  }

  /** sendHead sends the oldest request, retrying recoverable failures until it is sent, dropped, pushed out of the queue, or signal aborts. */
  async #sendHead(signal: AbortSignal): Promise<void> {
    const r = this.#queue[this.#head]!;
    let backoff = this.#minBackoffMs;
    while (!signal.aborted) {
      if (this.#queue[this.#head] !== r) return; // dropped as the oldest while waiting to retry
      this.#inflight = r;
      const start = performance.now();
      let err: RemoteWriteError | undefined;
      let retryAfterMs = 0;
      let res;
      try {
        res = await this.#post(r.body, signal);
      } catch (e) {
        res = e;
      } finally {
        this.#inflight = undefined;
      }
      try {
        if (!isResponse(res)) throw res;
        if (res.status >= 200 && res.status < 300) {
          this.#m?.duration.observe((performance.now() - start) / 1000);
          this.#m?.sent.inc(r.samples);
          this.#m?.lastSuccess.set(this.#now() / 1000);
          this.#shift(r);
          return;
        }
        const recoverable = res.status >= 500 || res.status === 429;
        retryAfterMs = parseRetryAfter(res.retryAfter, this.#now());
        err = new RemoteWriteError(this.#url.toString(), res.status, recoverable, res.body.trim().slice(0, 500) || 'no message');
      } catch (e) {
        if (signal.aborted) return;
        err = new RemoteWriteError(this.#url.toString(), 0, true, e instanceof Error ? e.message : String(e), { cause: e });
      }
      this.#m?.duration.observe((performance.now() - start) / 1000);
      this.#onError?.(err);
      if (!err.recoverable) {
        this.#m?.failed.inc(r.samples);
        this.#shift(r);
        return;
      }
      this.#m?.retried.inc(r.samples);
      await sleep(Math.max(backoff, Math.min(retryAfterMs, this.#maxBackoffMs * 12)), signal);
      backoff = Math.min(backoff * 2, this.#maxBackoffMs);
    }
  }

  #shift(r: EncodedRequest): void {
    if (this.#queue[this.#head] !== r) return;
    this.#head++;
    this.#queueBytes -= r.body.length;
    this.#queueSamples -= r.samples;
    this.#compact();
    this.#gauges();
  }

  #post(body: Buffer, signal: AbortSignal): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
    const u = this.#url;
    const opts = {
      method: 'POST',
      host: u.hostname,
      port: u.port === '' ? undefined : Number(u.port),
      path: `${u.pathname}${u.search}`,
      headers: { ...this.#headers, 'Content-Length': String(body.length) },
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
      ...(this.#ca !== undefined ? { ca: this.#ca } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(opts, (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          // Only the start of an error body is kept for the message.
          if (n < 4096) parts.push(c);
          n += c.length;
        });
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), retryAfter: typeof ra === 'string' ? ra : undefined });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** parseRetryAfter reads a Retry-After header (seconds or an HTTP date) as ms from now. */
export function parseRetryAfter(v: string | undefined, now: number): number {
  if (v === undefined || v === '') return 0;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : 0;
}

function isResponse(x: unknown): x is { status: number; body: string; retryAfter: string | undefined } {
  return x !== null && typeof x === 'object' && 'status' in x && 'body' in x;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
