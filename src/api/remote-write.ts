/**
 * The remote-write 1.0 receiver, `POST /api/v1/write`: snappy-compressed `WriteRequest`
 * protobuf in, 204 out. Like Prometheus it appends the whole request in one transaction and
 * rolls it back at the first sample the storage refuses, answering 400 with the storage's
 * words ("out of order sample", "duplicate sample for timestamp", "out of bounds"); bad
 * bodies are 400 too, storage failures 500. Series without a metric name or with invalid or
 * duplicate label names are skipped (Prometheus 3); exemplars and native histograms, which
 * vigil does not store, are counted and dropped.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { uncompressSync } from 'snappy';
import type { Counter } from '../instrument/index.js';
import { Labels, LabelsBuilder, METRIC_NAME } from '../model/index.js';
import { type Appender, OutOfBoundsError, type SeriesRef } from '../storage/index.js';
import type { ApiContext } from './prometheus-context.js';
import { sendPlainError } from './prometheus-response.js';
import { WriteRequestDecoder, type WriteRequestVisitor } from './remote-write-decoder.js';
import type { Router } from './router.js';

/** MAX_AHEAD_MS is how far in the future a received sample may lie (Prometheus 3: 10 minutes). */
export const MAX_AHEAD_MS = 10 * 60_000;

/** Errors of the storage that mean "this data is bad", answered with 400. */
const CLIENT_ERRORS = new Set(['OutOfOrderSampleError', 'DuplicateSampleError', 'OutOfBoundsError', 'TooOldSampleError']);

/** FutureSampleError: a sample more than MAX_AHEAD_MS ahead of the server's clock. */
class FutureSampleError extends OutOfBoundsError {
  override readonly message = 'out of bounds: timestamp is too far in the future';
}

/**
 * readRawBody reads a request body without interpreting Content-Encoding, up to limitBytes;
 * resolves undefined (after answering 413) when it is larger. The rest of an oversized body is
 * read and discarded (up to a bound) before the connection closes, so the client sees the 413
 * instead of a reset.
 */
export async function readRawBody(raw: IncomingMessage, res: ServerResponse, limitBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const c of raw) {
    const b = c as Buffer;
    size += b.length;
    if (over) {
      if (size > 8 * limitBytes) {
        raw.socket.destroy();
        return undefined;
      }
      continue;
    }
    if (size > limitBytes) {
      over = true;
      chunks.length = 0;
      const body = `request body larger than ${limitBytes} bytes\n`;
      res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      continue;
    }
    chunks.push(b);
  }
  if (over) return undefined;
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * snappyDecode decompresses a snappy block, refusing to inflate past limitBytes (the block
 * states its length up front). Throws with the reason.
 */
export function snappyDecode(body: Buffer, limitBytes: number): Buffer {
  let len = 0;
  let shift = 0;
  for (let i = 0; ; i++) {
    if (i >= body.length || i >= 5) throw new Error('snappy: corrupt input');
    const b = body[i]!;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  if (len > limitBytes) throw new Error(`snappy: decoded length ${len} exceeds the limit of ${limitBytes} bytes`);
  try {
    return uncompressSync(body) as Buffer;
  } catch (e) {
    throw new Error(`snappy: corrupt input (${(e as Error).message})`);
  }
}

/** checkContentType applies Prometheus 3's Content-Type rules; returns an error text or undefined. */
export function checkContentType(ct: string | undefined): string | undefined {
  if (ct === undefined || ct.trim() === '') return undefined;
  const value = ct.trim();
  const parts = value.split(';');
  if (parts[0] !== 'application/x-protobuf') return `expected application/x-protobuf as the first (media) part, got ${value} content-type`;
  for (const p of parts.slice(1)) {
    const pair = p.split('=');
    if (pair.length !== 2) return `as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got ${p} in ${value} content-type`;
    if (pair[0] !== 'proto') continue;
    if (pair[1] === 'prometheus.WriteRequest') return undefined;
    if (pair[1] === 'io.prometheus.write.v2.Request') return 'io.prometheus.write.v2.Request protobuf message is not accepted by this server; accepted [prometheus.WriteRequest]';
    return `got ${value} content type; unknown remote write protobuf message ${pair[1]}, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request`;
  }
  return undefined;
}

interface ReceiverMetrics {
  readonly samples: Counter;
  readonly invalidSeries: Counter;
  readonly exemplars: Counter;
  readonly histograms: Counter;
}

/** CachedSeries is a series seen before: its raw label bytes, its labels and its storage ref. */
interface CachedSeries {
  readonly raw: Buffer;
  readonly labels: Labels;
  ref: SeriesRef | 0;
  next: CachedSeries | undefined;
}

/**
 * SeriesCache remembers series by the raw bytes of their label fields, so a sender's repeated
 * series (every batch carries the same ones) need no string decoding, no label sorting and no
 * storage lookup by labels: the storage ref from the last append is reused. Bounded; when full
 * it starts over.
 */
export class SeriesCache {
  readonly #buckets = new Map<number, CachedSeries>();
  readonly #max: number;
  #size = 0;

  constructor(options: { readonly maxSeries?: number } = {}) {
    const { maxSeries = 262_144 } = options;
    if (!(maxSeries > 0)) throw new Error(`SeriesCache: maxSeries must be positive, got ${maxSeries}`);
    this.#max = maxSeries;
  }

  /** size is the number of cached series. */
  get size(): number {
    return this.#size;
  }

  /** lookup finds the series whose label bytes are buf[start, end). */
  lookup(buf: Buffer, start: number, end: number): CachedSeries | undefined {
    for (let c = this.#buckets.get(hashBytes(buf, start, end)); c !== undefined; c = c.next) {
      if (sameBytes(c.raw, buf, start, end)) return c;
    }
    return undefined;
  }

  /** insert remembers labels for buf[start, end) (copied). */
  insert(buf: Buffer, start: number, end: number, labels: Labels): CachedSeries {
    if (this.#size >= this.#max) {
      this.#buckets.clear();
      this.#size = 0;
    }
    const h = hashBytes(buf, start, end);
    const c: CachedSeries = { raw: Buffer.from(buf.subarray(start, end)), labels, ref: 0, next: this.#buckets.get(h) };
    this.#buckets.set(h, c);
    this.#size++;
    return c;
  }
}

// FNV-1a over a byte range.
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/**
 * SeriesAppender is the visitor that turns decoded series into appends: labels validated and
 * sorted once per series (or taken from the cache), samples appended with the series ref the
 * storage returned.
 */
class SeriesAppender implements WriteRequestVisitor {
  readonly #app: Appender;
  readonly #maxT: number;
  readonly #cache: SeriesCache;
  readonly #builder = new LabelsBuilder();
  // Cache entries given a ref during this request: forgotten again if it is rolled back.
  readonly #touched: CachedSeries[] = [];
  #labels: Labels | undefined;
  #ref: SeriesRef | 0 = 0;
  #entry: CachedSeries | undefined;
  #buf: Buffer | undefined;
  samples = 0;
  invalidSeries = 0;
  exemplars = 0;
  histograms = 0;

  constructor(app: Appender, maxT: number, cache: SeriesCache) {
    this.#app = app;
    this.#maxT = maxT;
    this.#cache = cache;
  }

  known(buf: Buffer, start: number, end: number): boolean {
    this.#buf = buf;
    const c = this.#cache.lookup(buf, start, end);
    if (c === undefined) return false;
    this.#entry = c;
    this.#labels = c.labels;
    this.#ref = c.ref;
    return true;
  }

  series(nv: readonly string[], n: number, valid: boolean, rawStart: number, rawEnd: number): boolean {
    this.#ref = 0;
    this.#entry = undefined;
    this.#labels = valid ? buildLabels(nv, n, this.#builder) : undefined;
    if (this.#labels === undefined || this.#labels.get(METRIC_NAME) === '') {
      this.#labels = undefined;
      this.invalidSeries++;
      return false;
    }
    if (rawStart >= 0 && this.#buf !== undefined) this.#entry = this.#cache.insert(this.#buf, rawStart, rawEnd, this.#labels);
    return true;
  }

  sample(t: number, v: number): void {
    if (t > this.#maxT) throw new FutureSampleError();
    const ref = this.#app.append(this.#ref, this.#labels!, t, v);
    this.#ref = ref;
    const e = this.#entry;
    if (e !== undefined && e.ref !== ref) {
      e.ref = ref;
      this.#touched.push(e);
    }
    this.samples++;
  }

  skipped(exemplars: number, histograms: number): void {
    this.exemplars += exemplars;
    this.histograms += histograms;
  }

  /** forgetRefs drops the refs learnt in a request that was rolled back. */
  forgetRefs(): void {
    for (const e of this.#touched) e.ref = 0;
  }
}

/**
 * buildLabels turns wire label pairs into Labels: sorted (senders normally sort already),
 * empty values dropped; undefined when a name is empty or repeated.
 */
export function buildLabels(nv: readonly string[], n: number, b: LabelsBuilder): Labels | undefined {
  let sorted = true;
  let empties = false;
  for (let i = 0; i < n; i++) {
    const name = nv[2 * i]!;
    if (name === '') return undefined;
    if (nv[2 * i + 1] === '') empties = true;
    if (i > 0) {
      const prev = nv[2 * i - 2]!;
      if (prev === name) return undefined;
      if (prev > name) sorted = false;
    }
  }
  if (sorted && !empties) return Labels.fromSortedPairs(nv.slice(0, 2 * n));
  const seen = new Set<string>();
  b.reset(Labels.EMPTY);
  for (let i = 0; i < n; i++) {
    const name = nv[2 * i]!;
    if (seen.has(name)) return undefined;
    seen.add(name);
    b.set(name, nv[2 * i + 1]!);
  }
  return b.labels();
}

/** mountRemoteWrite registers POST /api/v1/write. */
export function mountRemoteWrite(r: Router, ctx: ApiContext): void {
  const reg = ctx.deps.registry;
  const metrics: ReceiverMetrics | undefined =
    reg === undefined
      ? undefined
      : {
          samples: reg.counter({ name: 'vigil_remote_write_samples_received_total', help: 'Samples appended from remote-write requests.' }).labels(),
          invalidSeries: reg
            .counter({ name: 'vigil_remote_write_invalid_series_total', help: 'Remote-write series skipped for a missing metric name or invalid label names.' })
            .labels(),
          exemplars: reg.counter({ name: 'vigil_remote_write_exemplars_dropped_total', help: 'Remote-write exemplars dropped (vigil stores no exemplars).' }).labels(),
          histograms: reg
            .counter({ name: 'vigil_remote_write_histograms_dropped_total', help: 'Remote-write native histogram samples dropped (vigil stores floats only).' })
            .labels(),
        };
  const decoder = new WriteRequestDecoder();
  const cache = new SeriesCache();

  r.handle('POST', '/api/v1/write', async (req, res) => {
    ctx.instrument('/api/v1/write', res);
    const appendable = ctx.deps.appendable;
    if (appendable === undefined) return sendPlainError(res, 404, 'remote write receiver needs to be enabled with --web.enable-remote-write-receiver');
    if (!ctx.ready()) return sendPlainError(res, 503, 'Service Unavailable');
    const ctErr = checkContentType(req.raw.headers['content-type']);
    if (ctErr !== undefined) return sendPlainError(res, 415, ctErr);
    const enc = req.raw.headers['content-encoding'] ?? '';
    if (enc !== '' && enc !== 'snappy') return sendPlainError(res, 415, `${enc} encoding (compression) is not accepted by this server; only snappy is acceptable`);
    const body = await readRawBody(req.raw, res, ctx.maxRequestBytes);
    if (body === undefined) return;
    let decoded: Buffer;
    try {
      decoded = snappyDecode(body, ctx.maxRequestBytes * 8);
    } catch (e) {
      return sendPlainError(res, 400, (e as Error).message);
    }
    const app = appendable.appender();
    const visitor = new SeriesAppender(app, ctx.now() + MAX_AHEAD_MS, cache);
    try {
      decoder.decode(decoded, visitor);
    } catch (e) {
      visitor.forgetRefs();
      await app.rollback();
      const err = e as Error;
      if (err.name === 'RemoteWriteDecodeError') return sendPlainError(res, 400, err.message);
      if (CLIENT_ERRORS.has(err.name)) return sendPlainError(res, 400, err.message);
      ctx.report('remote write append failed', { err: err.message });
      return sendPlainError(res, 500, err.message);
    }
    try {
      await app.commit();
    } catch (e) {
      visitor.forgetRefs();
      ctx.report('remote write commit failed', { err: (e as Error).message });
      return sendPlainError(res, 500, (e as Error).message);
    }
    if (metrics !== undefined) {
      metrics.samples.inc(visitor.samples);
      metrics.invalidSeries.inc(visitor.invalidSeries);
      metrics.exemplars.inc(visitor.exemplars);
      metrics.histograms.inc(visitor.histograms);
    }
    if (visitor.invalidSeries > 0) ctx.report('remote write: skipped series with invalid labels', { count: visitor.invalidSeries });
    res.writeHead(204);
    res.end();
  });
}
