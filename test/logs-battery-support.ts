// Shared by the battery test and the store benchmark: generate gen-logs.js data in process,
// ingest it into a log store as the push path would, and serve the Loki API over HTTP.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Labels } from '../src/model/index.js';
import type { LogEntry, LogStore } from '../src/logs/store/index.js';
import { LogQLEngine, LokiApi, lokiHandler } from '../src/logs/logql/index.js';
import type { QueryableLogStore } from '../src/logs/store/index.js';
import { shared } from './support/shared.js';

const require = createRequire(import.meta.url);

/** BENCH_DIR is the shared log benchmark directory (generator, battery, anchors). */
export const BENCH_DIR = shared('bench/logs');

/** Batch is one push request's worth of entries of one stream. */
export interface Batch {
  readonly labels: Labels;
  readonly entries: LogEntry[];
}

/** generateBatches runs gen-logs.js and groups its lines as push bodies of `batch` lines do. */
export function generateBatches(opts: { lines: number; streams?: number; seed?: number; endMs: number; spanSec?: number; batch?: number }): { batches: Batch[][]; truth: Record<string, unknown>; lineBytes: number } {
  const { generate } = require(`${BENCH_DIR}/gen-logs.js`) as {
    generate: (o: object, sink: { entry(si: number, labels: Record<string, string>, ts: string, line: string): void; end?(): void }) => Record<string, unknown>;
  };
  const per = opts.batch ?? 1000;
  const labelCache = new Map<number, Labels>();
  const requests: Batch[][] = [];
  let cur = new Map<number, Batch>();
  let n = 0;
  let lineBytes = 0;
  const truth = generate(
    { lines: opts.lines, streams: opts.streams ?? 200, seed: opts.seed ?? 42, endMs: opts.endMs, spanSec: opts.spanSec ?? 3600 },
    {
      entry(si, labels, ts, line) {
        let b = cur.get(si);
        if (b === undefined) {
          let l = labelCache.get(si);
          if (l === undefined) labelCache.set(si, (l = Labels.fromObject(labels)));
          b = { labels: l, entries: [] };
          cur.set(si, b);
        }
        b.entries.push({ t: Number(ts.slice(0, -6)), ns: Number(ts.slice(-6)), line });
        lineBytes += Buffer.byteLength(line);
        if (++n % per === 0) {
          requests.push([...cur.values()]);
          cur = new Map();
        }
      },
    },
  );
  if (cur.size > 0) requests.push([...cur.values()]);
  return { batches: requests, truth, lineBytes };
}

/**
 * ingest appends every request as the push receiver does (all streams of a request at once),
 * `concurrency` requests in flight, so batches of a stream may arrive out of order.
 */
export async function ingest(store: LogStore, requests: readonly Batch[][], concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const req = requests[next++]!;
      await Promise.all(req.map((b) => store.append(b.labels, b.entries)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** serveLoki serves the Loki query API of a store on 127.0.0.1 (random port). */
export async function serveLoki(store: QueryableLogStore): Promise<{ server: Server; url: string }> {
  const api = new LokiApi({ engine: new LogQLEngine({ store }) });
  const handle = lokiHandler(api);
  const server = createServer((req, res) => {
    handle(req, res).then(
      (done) => {
        if (!done) {
          res.writeHead(404);
          res.end('not found\n');
        }
      },
      (e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * generateFile runs gen-logs.js as the benchmark does, writing push bodies (`--format loki`,
 * one JSON body of `batch` lines per line) and the truth file; nothing stays in memory here.
 */
export async function generateFile(dir: string, opts: { lines: number; streams?: number; seed?: number; endMs: number; spanSec?: number; batch?: number }): Promise<{ file: string; truthFile: string; truth: Record<string, unknown> }> {
  const { execFile } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const file = join(dir, 'push.ndjson');
  const truthFile = join(dir, 'truth.json');
  const args = [
    `${BENCH_DIR}/gen-logs.js`, '--lines', String(opts.lines), '--streams', String(opts.streams ?? 200), '--seed', String(opts.seed ?? 42),
    '--end-ms', String(opts.endMs), '--span-sec', String(opts.spanSec ?? 3600), '--format', 'loki', '--batch', String(opts.batch ?? 1000),
    '--out', file, '--truth', truthFile,
  ];
  await new Promise<void>((resolve, reject) => execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (err) => (err ? reject(err) : resolve())));
  return { file, truthFile, truth: JSON.parse(readFileSync(truthFile, 'utf8')) as Record<string, unknown> };
}

/**
 * ingestFile streams a file of Loki push bodies into a store as the push receiver would: each
 * body parsed and appended (all its streams at once), `concurrency` bodies in flight.
 * Returns the lines and UTF-8 line bytes ingested.
 */
export async function ingestFile(store: LogStore, file: string, concurrency = 4): Promise<{ lines: number; bytes: number }> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const labelCache = new Map<string, Labels>();
  const inflight = new Set<Promise<void>>();
  let lines = 0;
  let bytes = 0;
  for await (const body of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (body === '') continue;
    const req = JSON.parse(body) as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    const appends: Promise<void>[] = [];
    for (const s of req.streams) {
      const key = JSON.stringify(s.stream);
      let l = labelCache.get(key);
      if (l === undefined) labelCache.set(key, (l = Labels.fromObject(s.stream)));
      const entries: LogEntry[] = s.values.map(([ts, line]) => ({ t: Number(ts.slice(0, -6)), ns: Number(ts.slice(-6)), line }));
      lines += entries.length;
      for (const e of entries) bytes += Buffer.byteLength(e.line);
      appends.push(store.append(l, entries));
    }
    const p = Promise.all(appends).then(() => {
      inflight.delete(p);
    });
    inflight.add(p);
    if (inflight.size >= concurrency) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return { lines, bytes };
}
