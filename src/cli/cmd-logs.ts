/**
 * `vigil logs 'QUERY'`: run a LogQL query against a server's Loki API or a data directory
 * (opened read-only), print entries oldest first (`--output wide|raw|json`) or a metric
 * query's samples, and with `--follow` keep printing new entries as they arrive (tail).
 * This is "see the logs without kubectl".
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { LogQLEngine, LokiApi, nsString, parseLokiTime, parseSecondsOrDuration, type ApiResponse, type TimeNs } from '../logs/logql/index.js';
import { parseExpr, ParseError } from '../logs/logql/parser/index.js';
import { DiskLogStore } from '../logs/store/index.js';
import { FlagError, type FlagSpec, bool, formatFlagHelp, parseFlags, str } from './flags.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'since', kind: 'string', placeholder: 'DURATION', default: '1h', help: 'Look back this far from --to (ignored with --from).' },
  { name: 'from', kind: 'string', placeholder: 'TIME', help: 'Start: RFC 3339, Unix seconds or nanoseconds.' },
  { name: 'to', kind: 'string', placeholder: 'TIME', help: 'End (default: now).' },
  { name: 'limit', kind: 'string', placeholder: 'N', default: '100', help: 'Most entries to print (the newest ones, printed oldest first).' },
  { name: 'step', kind: 'string', placeholder: 'DURATION', help: 'Resolution of a metric query over the range (default: instant query at --to).' },
  { name: 'follow', kind: 'bool', default: false, help: 'Keep printing new entries (live tail; needs --server).' },
  { name: 'f', kind: 'bool', default: false, help: 'Short for --follow.' },
  { name: 'output', kind: 'string', placeholder: 'FORMAT', default: 'wide', help: 'wide (time, labels, line), raw (line only) or json (one object per entry).' },
  { name: 'o', kind: 'string', placeholder: 'FORMAT', help: 'Short for --output.' },
  { name: 'server', kind: 'string', placeholder: 'URL', help: 'Loki API to query (vigil or Loki), e.g. http://127.0.0.1:9700.' },
  { name: 'data.dir', kind: 'string', placeholder: 'DIR', help: 'Query this data directory (its logs/ folder), read-only, instead of a server.' },
  { name: 'token', kind: 'string', placeholder: 'TOKEN', help: 'Bearer token for the server (env VIGIL_TOKEN).' },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

const USAGE =
  "Usage: vigil logs 'QUERY' [--since 1h | --from T [--to T]] [--limit N] [--follow] [--output wide|raw|json] [--server URL | --data.dir DIR]\n\n" +
  'Examples:\n' +
  "  vigil logs '{app=\"web\"} |= \"timeout\"' --since 1h\n" +
  "  vigil logs '{namespace=\"shop\"} | json | level=\"error\"' --follow --server http://127.0.0.1:9700\n" +
  "  vigil logs 'sum by (pod) (rate({app=\"web\"}[5m]))' --data.dir ./data\n\n";

type Output = 'wide' | 'raw' | 'json';

interface Stream {
  readonly stream: Record<string, string>;
  readonly values: readonly [string, string][];
}

/** runLogs runs `vigil logs …`: 0 on success, 1 when the query fails, 2 for a bad command line. */
export async function runLogs(argv: readonly string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS);
  if (bool(f, 'help')) {
    process.stdout.write(USAGE + 'Flags:\n' + formatFlagHelp(FLAGS) + '\n');
    return 0;
  }
  if (f.args.length !== 1) throw new FlagError(`expected exactly one LogQL query, got ${f.args.length}`);
  const query = f.args[0]!;
  const output = (str(f, 'o') || str(f, 'output')) as Output;
  if (!['wide', 'raw', 'json'].includes(output)) throw new FlagError(`--output must be wide, raw or json, got "${output}"`);
  const follow = bool(f, 'follow') || bool(f, 'f');
  const server = str(f, 'server');
  const dataDir = str(f, 'data.dir');
  if (server !== '' && dataDir !== '') throw new FlagError('give either --server or --data.dir, not both');
  const limit = Number(str(f, 'limit'));
  if (!Number.isInteger(limit) || limit <= 0) throw new FlagError(`--limit must be a positive integer, got "${str(f, 'limit')}"`);

  let isLog: boolean;
  try {
    isLog = parseExpr(query).kind === 'logQuery';
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    process.stderr.write(`vigil logs: ${e.message}\n`);
    return 1;
  }
  if (follow && !isLog) throw new FlagError('--follow works with log queries only, not metric queries');
  if (follow && server === '') throw new FlagError('--follow needs --server (a data directory is written by a running server)');

  const nowMs = Date.now();
  let end: TimeNs;
  let start: TimeNs;
  try {
    end = parseLokiTime(str(f, 'to') || null, { ms: nowMs, ns: 0 }, 'to');
    start = parseLokiTime(str(f, 'from') || null, { ms: end.ms - parseSecondsOrDuration(str(f, 'since'), 'since'), ns: end.ns }, 'from');
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const params = new URLSearchParams({ query, limit: String(limit), start: nsString(start.ms, start.ns), end: nsString(end.ms, end.ns) });
  const step = str(f, 'step');
  let path = '/loki/api/v1/query_range';
  if (isLog) params.set('direction', 'backward');
  else if (step !== '') params.set('step', step);
  else {
    path = '/loki/api/v1/query';
    params.delete('start');
    params.delete('end');
    params.set('time', nsString(end.ms, end.ns));
  }

  const token = str(f, 'token') || process.env.VIGIL_TOKEN || '';
  let res: ApiResponse;
  if (server !== '') {
    res = await fetchApi(server, path, params, token);
  } else {
    const dir = dataDir === '' ? join('data', 'logs') : existsSync(join(dataDir, 'logs')) ? join(dataDir, 'logs') : dataDir;
    if (!existsSync(dir)) {
      process.stderr.write(`vigil logs: no log store at ${dir} (give --server URL or --data.dir DIR)\n`);
      return 1;
    }
    const store = await DiskLogStore.open({ dir, readOnly: true, packWorkers: 0, onCorruption: (e) => process.stderr.write(`vigil logs: warning: ${e.message}\n`) });
    try {
      const api = new LokiApi({ engine: new LogQLEngine({ store }) });
      res = path === '/loki/api/v1/query' ? await api.query({ params }) : await api.queryRange({ params });
    } finally {
      await store.close();
    }
  }
  if (res.status !== 200) {
    process.stderr.write(`vigil logs: ${res.status}: ${res.body.trim()}\n`);
    return 1;
  }
  const data = (JSON.parse(res.body) as { data: { resultType: string; result: unknown } }).data;
  let last = '';
  if (data.resultType === 'streams') last = printStreams(data.result as Stream[], output);
  else printMetric(data.resultType, data.result, output);
  if (!follow) return 0;
  return tail(server, query, token, output, last);
}

async function fetchApi(server: string, path: string, params: URLSearchParams, token: string): Promise<ApiResponse> {
  const url = `${server.replace(/\/$/, '')}${path}?${params}`;
  let r: Response;
  try {
    r = await fetch(url, { headers: token === '' ? {} : { authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new Error(`cannot reach ${server}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: await r.text() };
}

function formatNs(ns: string): string {
  const n = ns.padStart(10, '0');
  const ms = Number(n.slice(0, -6));
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${n.slice(-9).padStart(9, '0')}Z`;
}

function labelString(l: Record<string, string>): string {
  return '{' + Object.keys(l).sort().map((k) => `${k}=${JSON.stringify(l[k])}`).join(', ') + '}';
}

// printStreams prints all entries oldest first; returns the newest timestamp printed.
function printStreams(streams: readonly Stream[], output: Output): string {
  const all: { ts: string; labels: Record<string, string>; line: string }[] = [];
  for (const s of streams) for (const [ts, line] of s.values) all.push({ ts, labels: s.stream, line });
  all.sort((a, b) => (a.ts.length - b.ts.length) || (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  let out = '';
  for (const e of all) out += formatEntry(e.ts, e.labels, e.line, output);
  process.stdout.write(out);
  return all.length > 0 ? all[all.length - 1]!.ts : '';
}

function formatEntry(ts: string, labels: Record<string, string>, line: string, output: Output): string {
  switch (output) {
    case 'raw':
      return line + '\n';
    case 'json':
      return JSON.stringify({ timestamp: formatNs(ts), labels, line }) + '\n';
    case 'wide':
      return `${formatNs(ts)} ${labelString(labels)} ${line}\n`;
  }
}

function printMetric(type: string, result: unknown, output: Output): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify({ resultType: type, result }) + '\n');
    return;
  }
  if (type === 'scalar') {
    process.stdout.write(`${(result as [number, string])[1]}\n`);
    return;
  }
  if (type === 'vector') {
    for (const s of result as { metric: Record<string, string>; value: [number, string] }[]) process.stdout.write(`${labelString(s.metric)} ${s.value[1]}\n`);
    return;
  }
  for (const s of result as { metric: Record<string, string>; values: [number, string][] }[]) {
    process.stdout.write(`${labelString(s.metric)}\n`);
    for (const [t, v] of s.values) process.stdout.write(`  ${new Date(t * 1000).toISOString()} ${v}\n`);
  }
}

// tail follows new entries over the tail WebSocket until interrupted (or the server closes).
function tail(server: string, query: string, token: string, output: Output, after: string): Promise<number> {
  const url = `${server.replace(/\/$/, '').replace(/^http/, 'ws')}/loki/api/v1/tail?query=${encodeURIComponent(query)}&limit=1`;
  const ws = new WebSocket(url, { headers: token === '' ? {} : { authorization: `Bearer ${token}` } });
  let seen = after;
  return new Promise<number>((resolve) => {
    const stop = (): void => ws.close();
    process.once('SIGINT', stop);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { streams: Stream[]; dropped_entries: unknown[] | null };
      const fresh = m.streams.map((s) => ({ stream: s.stream, values: s.values.filter(([ts]) => ts.length > seen.length || (ts.length === seen.length && ts > seen)) }));
      const last = printStreams(fresh, output);
      if (last !== '') seen = last;
      if (m.dropped_entries !== null && m.dropped_entries.length > 0) process.stderr.write(`vigil logs: ${m.dropped_entries.length} entries dropped (the connection is too slow)\n`);
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        process.stderr.write(`vigil logs: tail refused: ${res.statusCode}: ${body.trim()}\n`);
        resolve(1);
      });
    });
    ws.on('error', (e) => {
      process.stderr.write(`vigil logs: tail: ${e.message}\n`);
      resolve(1);
    });
    ws.on('close', () => {
      process.off('SIGINT', stop);
      resolve(0);
    });
  });
}
