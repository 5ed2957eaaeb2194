// Shared by the battery test and the store benchmark: generate gen-logs.js data in process,
// ingest it into a log store as the push path would, and serve the Loki API over HTTP.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Labels } from '../src/model/index.js';
import type { LogEntry, LogStore } from '../src/logs/store/index.js';
import { LogQLEngine, LokiApi, lokiHandler } from '../src/logs/logql/index.js';
import type { QueryableLogStore } from '../src/logs/store/index.js';

const require = createRequire(import.meta.url);

/** BENCH_DIR is the shared log benchmark directory (generator, battery, anchors). */
export const BENCH_DIR = '/work/shared/bench/logs';

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
