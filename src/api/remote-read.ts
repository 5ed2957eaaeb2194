/**
 * The remote-read endpoint, `POST /api/v1/read`: a snappy-compressed `ReadRequest` in; either
 * a snappy-compressed `ReadResponse` of raw samples, or (when the client accepts it first)
 * `STREAMED_XOR_CHUNKS` frames of XOR chunks. As in Prometheus, equality matchers on external
 * labels are relaxed, external labels are added to the series that lack them, answers are
 * bounded by a sample limit, and a concurrency limit queues excess readers.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { compressSync } from 'snappy';
import { crc32c } from '../encoding/index.js';
import { type Labels, Matcher, MatchType } from '../model/index.js';
import { type SeriesSet, ValueType } from '../storage/index.js';
import { MAX_SAMPLES_PER_CHUNK, XORChunk } from '../tsdb/index.js';
import { BadDataError } from './errors.js';
import type { ApiContext } from './prometheus-context.js';
import { QueryGate } from './prometheus-query-gate.js';
import { sendPlainError } from './prometheus-response.js';
import { type SeriesChunks, type SeriesSamples, chunkedSeriesSize, encodeChunkedReadResponse, encodeReadResponse } from './remote-read-encoder.js';
import { MATCH_TYPES, RESPONSE_TYPE, longToNumber, prompbType } from './remote-proto.js';
import { readRawBody, snappyDecode } from './remote-write.js';
import type { Router } from './router.js';

/** ReadQuery is one decoded query of a ReadRequest. */
export interface ReadQuery {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  readonly hints: { readonly step?: number; readonly func?: string; readonly start?: number; readonly end?: number; readonly range?: number } | undefined;
}

/** SampleLimitError: a query would return more samples than allowed (answered with 400). */
export class SampleLimitError extends Error {
  override readonly name = 'SampleLimitError';
  constructor(readonly limit: number) {
    super(`exceeded sample limit (${limit})`);
  }
}

/** decodeReadRequest decodes a ReadRequest with protobufjs into queries and accepted response types. */
export function decodeReadRequest(buf: Buffer): { queries: ReadQuery[]; accepted: number[] } {
  const type = prompbType('ReadRequest');
  const msg = type.toObject(type.decode(buf), { longs: Number, enums: Number, defaults: true, arrays: true }) as {
    queries: { startTimestampMs: unknown; endTimestampMs: unknown; matchers: { type: number; name: string; value: string }[]; hints?: Record<string, unknown> | null }[];
    acceptedResponseTypes: number[];
  };
  const queries = msg.queries.map((q) => {
    const matchers = q.matchers.map((m) => {
      const op = MATCH_TYPES[m.type];
      if (op === undefined) throw new BadDataError(`invalid matcher type ${m.type}`);
      return new Matcher(op, m.name, m.value);
    });
    const h = q.hints;
    const hints =
      h === undefined || h === null
        ? undefined
        : { step: longToNumber(h['stepMs']), func: String(h['func'] ?? ''), start: longToNumber(h['startMs']), end: longToNumber(h['endMs']), range: longToNumber(h['rangeMs']) };
    return { start: longToNumber(q.startTimestampMs), end: longToNumber(q.endTimestampMs), matchers, hints };
  });
  return { queries, accepted: msg.acceptedResponseTypes };
}

/**
 * relaxExternalMatchers replaces `name="value"` matchers that name an external label with that
 * very value by `name=""`: local series do not carry external labels.
 */
export function relaxExternalMatchers(ms: readonly Matcher[], external: Labels): Matcher[] {
  const out = ms.map((m) => (m.type === MatchType.Equal && external.has(m.name) && external.get(m.name) === m.value ? new Matcher(MatchType.Equal, m.name, '') : m));
  // The storage needs one matcher that rejects the empty value; nameless series do not exist.
  if (!out.some((m) => !m.matches(''))) out.push(new Matcher(MatchType.Regexp, '__name__', '.+'));
  return out;
}

/** mergeExternal adds the external labels a series lacks; the series' own values win. */
export function mergeExternal(l: Labels, external: Labels): string[] {
  const out: string[] = [];
  const a = l.pairs();
  const b = external.pairs();
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
    } else if (i >= a.length || b[j]! < a[i]!) {
      out.push(b[j]!, b[j + 1]!);
      j += 2;
    } else {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
      j += 2;
    }
  }
  return out;
}

async function selectQuery(ctx: ApiContext, q: ReadQuery, signal: AbortSignal): Promise<{ set: SeriesSet; close: () => Promise<void> }> {
  const matchers = relaxExternalMatchers(q.matchers, ctx.externalLabels());
  const querier = await ctx.queryable.querier(q.start, q.end);
  try {
    const set = await querier.select(matchers, q.hints ?? { start: q.start, end: q.end }, signal);
    return { set, close: () => querier.close() };
  } catch (e) {
    await querier.close();
    throw e;
  }
}

// Grows typed arrays as samples arrive, without an object per sample.
function collectSamples(set: SeriesSet, q: ReadQuery, external: Labels, limit: number): SeriesSamples[] {
  const out: SeriesSamples[] = [];
  let total = 0;
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    let ts: Float64Array = new Float64Array(16);
    let vs: Float64Array = new Float64Array(16);
    let n = 0;
    for (let vt = it.seek(q.start); vt !== ValueType.None && it.atT() <= q.end; vt = it.next()) {
      if (vt !== ValueType.Float) continue;
      if (n === ts.length) {
        ts = grow(ts);
        vs = grow(vs);
      }
      ts[n] = it.atT();
      vs[n] = it.atF();
      n++;
      if (limit > 0 && ++total > limit) throw new SampleLimitError(limit);
    }
    const err = it.err();
    if (err !== undefined) throw err;
    out.push({ labels: mergeExternal(s.labels, external), ts, vs, n });
  }
  const err = set.err();
  if (err !== undefined) throw err;
  return out;
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function chunksOf(set: SeriesSet, q: ReadQuery, external: Labels): SeriesChunks[] {
  const out: SeriesChunks[] = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const chunks: { minT: number; maxT: number; type: number; data: Uint8Array }[] = [];
    let c: XORChunk | undefined;
    let app: ReturnType<XORChunk['appender']> | undefined;
    let minT = 0;
    let maxT = 0;
    const flush = (): void => {
      if (c === undefined) return;
      c.compact();
      chunks.push({ minT, maxT, type: 1, data: Uint8Array.from(c.bytes()) });
      c = undefined;
    };
    for (let vt = it.seek(q.start); vt !== ValueType.None && it.atT() <= q.end; vt = it.next()) {
      if (vt !== ValueType.Float) continue;
      if (c !== undefined && c.numSamples() >= MAX_SAMPLES_PER_CHUNK) flush();
      if (c === undefined) {
        c = new XORChunk();
        app = c.appender();
        minT = it.atT();
      }
      maxT = it.atT();
      app!.append(maxT, it.atF());
    }
    flush();
    const err = it.err();
    if (err !== undefined) throw err;
    out.push({ labels: mergeExternal(s.labels, external), chunks });
  }
  const err = set.err();
  if (err !== undefined) throw err;
  return out;
}

function frame(msg: Buffer): Buffer {
  const head = Buffer.alloc(14);
  let off = 0;
  let len = msg.length;
  while (len >= 0x80) {
    head[off++] = (len & 0x7f) | 0x80;
    len >>>= 7;
  }
  head[off++] = len;
  head.writeUInt32BE(crc32c(msg) >>> 0, off);
  return Buffer.concat([head.subarray(0, off + 4), msg]);
}

async function writeFrames(res: ServerResponse, series: readonly SeriesChunks[], queryIndex: number, maxBytes: number): Promise<void> {
  let batch: SeriesChunks[] = [];
  let size = 0;
  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    if (!res.write(frame(encodeChunkedReadResponse(batch, queryIndex)))) await new Promise((r) => res.once('drain', r));
    batch = [];
    size = 0;
  };
  for (const s of series) {
    const n = chunkedSeriesSize(s);
    if (batch.length > 0 && size + n > maxBytes) await send();
    batch.push(s);
    size += n;
  }
  await send();
}

/** mountRemoteRead registers POST /api/v1/read. */
export function mountRemoteRead(r: Router, ctx: ApiContext): void {
  const { remoteReadSampleLimit = 5e7, remoteReadConcurrentLimit = 10, remoteReadMaxBytesInFrame = 1 << 20 } = ctx.deps;
  const gate = remoteReadConcurrentLimit > 0 ? new QueryGate({ maxConcurrent: remoteReadConcurrentLimit }) : undefined;
  const inFlight = ctx.deps.registry?.gauge({ name: 'prometheus_api_remote_read_queries', help: 'The current number of remote read queries being executed or waiting.' }).labels();

  r.handle('POST', '/api/v1/read', async (req, res) => {
    ctx.instrument('/api/v1/read', res);
    if (!ctx.ready()) return sendPlainError(res, 503, 'Service Unavailable');
    // Counted while waiting and running; the finally below takes it back.
    inFlight?.inc();
    const release = gate === undefined ? () => {} : await gate.acquire(Infinity);
    try {
      const body = await readRawBody(req.raw, res, ctx.maxRequestBytes);
      if (body === undefined) return;
      let request: ReturnType<typeof decodeReadRequest>;
      try {
        request = decodeReadRequest(snappyDecode(body, ctx.maxRequestBytes * 8));
      } catch (e) {
        return sendPlainError(res, 400, (e as Error).message);
      }
      let streamed = false;
      if (request.accepted.length > 0) {
        const first = request.accepted.find((t) => t === RESPONSE_TYPE.Samples || t === RESPONSE_TYPE.StreamedXorChunks);
        if (first === undefined) {
          return sendPlainError(res, 400, `server does not support any of the requested response types: [${request.accepted.join(' ')}]; supported: [SAMPLES STREAMED_XOR_CHUNKS]`);
        }
        streamed = first === RESPONSE_TYPE.StreamedXorChunks;
      }
      const external = ctx.externalLabels();
      const signal = new AbortController().signal;
      if (streamed) {
        res.writeHead(200, { 'Content-Type': 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' });
        for (let i = 0; i < request.queries.length; i++) {
          const q = request.queries[i]!;
          const { set, close } = await selectQuery(ctx, q, signal);
          try {
            await writeFrames(res, chunksOf(set, q, external), i, remoteReadMaxBytesInFrame);
          } finally {
            await close();
          }
        }
        res.end();
        return;
      }
      const results: SeriesSamples[][] = [];
      for (const q of request.queries) {
        const { set, close } = await selectQuery(ctx, q, signal);
        try {
          results.push(collectSamples(set, q, external, remoteReadSampleLimit));
        } finally {
          await close();
        }
      }
      const out = compressSync(encodeReadResponse(results));
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'Content-Length': out.length });
      res.end(out);
    } catch (e) {
      const err = e as Error;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof SampleLimitError || err.name === 'RegexSyntaxError' || err instanceof BadDataError) return sendPlainError(res, 400, err.message);
      ctx.report('remote read failed', { err: err.message });
      return sendPlainError(res, 500, err.message);
    } finally {
      release();
      inFlight?.dec();
    }
  });
}
