/**
 * `vigil query 'EXPR'`: evaluate PromQL against a running server (vigil or Prometheus) over its
 * HTTP API, or against a data directory opened read-only (vigil's or one Prometheus wrote),
 * and print a table or, with `-o json`, the API's JSON body as is. `--format` prints the
 * expression in canonical form instead.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HttpServer, Router, mountPrometheusApi, parseDurationParam, parseTime } from '../api/index.js';
import { Labels } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { ParseError, parseExpr, prettify } from '../promql/parser/index.js';
import { type Querier, type Queryable, mergeQueriers } from '../storage/index.js';
import { type Block, Head, openBlocks, replayWal } from '../tsdb/index.js';
import type { Wal } from '../wal/index.js';
import { FlagError, type FlagSpec, bool, formatFlagHelp, parseFlags, str } from './flags.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'time', kind: 'string', placeholder: 'TIME', help: 'Evaluation time of an instant query: RFC 3339, Unix seconds or "now".' },
  { name: 'start', kind: 'string', placeholder: 'TIME', help: 'Start of a range query.' },
  { name: 'end', kind: 'string', placeholder: 'TIME', help: 'End of a range query (default: now).' },
  { name: 'step', kind: 'string', placeholder: 'DURATION', help: 'Resolution of a range query (default: the range / 250, at least 1s).' },
  { name: 'server', kind: 'string', placeholder: 'URL', help: 'Prometheus API to query (vigil or Prometheus).', default: 'http://127.0.0.1:9700' },
  { name: 'storage.tsdb.path', kind: 'string', placeholder: 'DIR', help: 'Query this data directory (vigil or Prometheus), opened read-only, instead of a server.' },
  { name: 'timeout', kind: 'string', placeholder: 'DURATION', help: 'Query timeout.' },
  { name: 'o', kind: 'string', placeholder: 'FORMAT', default: 'table', help: 'Output: table or json (the API body as returned).' },
  { name: 'format', kind: 'bool', default: false, help: 'Print the expression in canonical form and exit.' },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

const USAGE = "Usage: vigil query 'EXPR' [--time T | --start T [--end T] [--step D]] [--server URL | --storage.tsdb.path DIR] [-o table|json] [--format]\n\n";

/** QueryRequest is what to ask the API. */
interface QueryRequest {
  readonly path: '/api/v1/query' | '/api/v1/query_range';
  readonly params: URLSearchParams;
}

/** runQuery runs `vigil query …`: 0 on success, 1 when the query fails, 2 for a bad command line. */
export async function runQuery(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (bool(flags, 'help')) {
    process.stdout.write(USAGE + formatFlagHelp(FLAGS) + '\n');
    return 0;
  }
  if (flags.args.length !== 1) throw new FlagError(`expected exactly one expression, got ${flags.args.length}`);
  const expr = flags.args[0]!;
  const output = str(flags, 'o');
  if (output !== 'table' && output !== 'json') throw new FlagError(`-o must be table or json, got "${output}"`);

  if (bool(flags, 'format')) {
    try {
      process.stdout.write(prettify(parseExpr(expr)) + '\n');
      return 0;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      process.stderr.write(`vigil query: ${e.message}\n`);
      return 1;
    }
  }

  const req = buildRequest(expr, flags.given, (n) => str(flags, n));
  const dir = str(flags, 'storage.tsdb.path');
  const { status, body } = dir !== '' ? await askLocal(dir, req) : await askServer(str(flags, 'server'), req);
  if (output === 'json') {
    process.stdout.write(body + '\n');
    return status === 200 ? 0 : 1;
  }
  let parsed: ApiBody;
  try {
    parsed = JSON.parse(body) as ApiBody;
  } catch {
    process.stderr.write(`vigil query: HTTP ${status}: ${body.trim()}\n`);
    return 1;
  }
  if (parsed.status !== 'success') {
    process.stderr.write(`vigil query: ${parsed.errorType ?? 'error'}: ${parsed.error ?? body}\n`);
    return 1;
  }
  for (const w of parsed.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  for (const i of parsed.infos ?? []) process.stderr.write(`info: ${i}\n`);
  process.stdout.write(renderTable(parsed.data));
  return 0;
}

function buildRequest(expr: string, given: ReadonlySet<string>, get: (name: string) => string): QueryRequest {
  const time = (name: string): number => {
    const v = get(name);
    if (v === 'now') return Date.now();
    try {
      return parseTime(v);
    } catch (e) {
      throw new FlagError(`--${name}: ${(e as Error).message}`);
    }
  };
  const params = new URLSearchParams({ query: expr });
  if (given.has('timeout')) params.set('timeout', get('timeout'));
  if (given.has('start') || given.has('end') || given.has('step')) {
    if (given.has('time')) throw new FlagError('--time cannot be combined with --start, --end or --step');
    if (!given.has('start')) throw new FlagError('a range query needs --start');
    const start = time('start');
    const end = given.has('end') ? time('end') : Date.now();
    let stepMs: number;
    if (given.has('step')) {
      try {
        stepMs = parseDurationParam(get('step'));
      } catch (e) {
        throw new FlagError(`--step: ${(e as Error).message}`);
      }
    } else {
      stepMs = Math.max(1000, Math.ceil((end - start) / 250 / 1000) * 1000);
    }
    params.set('start', String(start / 1000));
    params.set('end', String(end / 1000));
    params.set('step', String(stepMs / 1000));
    return { path: '/api/v1/query_range', params };
  }
  params.set('time', String((given.has('time') ? time('time') : Date.now()) / 1000));
  return { path: '/api/v1/query', params };
}

async function askServer(server: string, req: QueryRequest): Promise<{ status: number; body: string }> {
  let url: URL;
  try {
    url = new URL(server.replace(/\/+$/, '') + req.path);
  } catch {
    throw new FlagError(`--server: invalid URL "${server}"`);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: req.params.toString() });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`vigil query: cannot reach ${url.origin}: ${cause ?? (e as Error).message}\n`);
    return { status: 0, body: '' };
  }
  return { status: res.status, body: await res.text() };
}

/**
 * askLocal answers the request from a data directory through the same HTTP handler a server
 * uses (on a loopback port for the duration of the query), so `-o json` is byte-identical.
 */
async function askLocal(dir: string, req: QueryRequest): Promise<{ status: number; body: string }> {
  const store = await openReadOnly(dir);
  const router = new Router();
  mountPrometheusApi(router, { engine: new Engine({ queryable: store.queryable }), queryable: store.queryable });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  try {
    const addr = await srv.listen();
    return await askServer(`http://127.0.0.1:${addr.port}`, req);
  } finally {
    await srv.close();
    await store.close();
  }
}

/**
 * openReadOnly opens a Prometheus-format data directory without writing to it: its blocks,
 * and its WAL replayed into an in-memory head (a torn WAL tail is skipped, not repaired).
 */
export async function openReadOnly(dir: string): Promise<{ queryable: Queryable; close(): Promise<void> }> {
  if (!existsSync(dir)) throw new FlagError(`--storage.tsdb.path: ${dir} does not exist`);
  const { blocks: all, errors } = await openBlocks(dir);
  for (const e of errors) process.stderr.write(`warning: block ${e.dir} skipped: ${e.error.message}\n`);
  // Blocks that a compaction has already merged into another are left out, not deleted.
  const parents = new Set<string>();
  for (const b of all) for (const p of b.meta.compaction.parents ?? []) parents.add(p.ulid);
  const blocks: Block[] = all.filter((b) => !parents.has(b.ulid) && b.meta.compaction.deletable !== true);
  const minValidTime = blocks.length > 0 ? Math.max(...blocks.map((b) => b.maxTime)) : -Infinity;
  const head = new Head({ minValidTime });
  const walDir = join(dir, 'wal');
  if (existsSync(walDir)) {
    // replayWal reads segments and checkpoints and, on a torn tail, asks the WAL to repair it;
    // read-only, the damaged rest of that segment is skipped instead.
    const readOnlyWal = { dir: walDir, repair: () => {} } as unknown as Wal;
    replayWal(head, readOnlyWal, (m) => process.stderr.write(`warning: ${m.replace('repaired', 'damaged (read-only: skipped)')}\n`));
  }
  const queryable: Queryable = {
    async querier(mint: number, maxt: number): Promise<Querier> {
      const qs: Querier[] = [];
      for (const b of blocks) if (b.overlapsClosedInterval(mint, maxt)) qs.push(b.querier(mint, maxt));
      qs.push(head.querier(mint, maxt));
      return mergeQueriers(qs);
    },
  };
  return {
    queryable,
    async close() {
      for (const b of all) await b.close();
      await head.close();
    },
  };
}

interface ApiBody {
  readonly status: string;
  readonly data: ResultData;
  readonly errorType?: string;
  readonly error?: string;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

type ResultData =
  | { readonly resultType: 'vector'; readonly result: readonly { metric: Record<string, string>; value: [number, string] }[] }
  | { readonly resultType: 'matrix'; readonly result: readonly { metric: Record<string, string>; values: [number, string][] }[] }
  | { readonly resultType: 'scalar' | 'string'; readonly result: [number, string] };

// seriesName prints a series as PromQL writes it: `name{label="value", …}`.
function seriesName(metric: Record<string, string>): string {
  const l = Labels.fromObject(metric);
  const name = l.metricName();
  const rest = l.withoutMetricName();
  return name !== '' && rest.isEmpty() ? name : name + rest.toString();
}

function time(t: number): string {
  return new Date(t * 1000).toISOString();
}

/** renderTable prints a query result for people: one row per sample, columns aligned. */
export function renderTable(d: ResultData): string {
  const rows: string[][] = [];
  switch (d.resultType) {
    case 'scalar':
    case 'string':
      rows.push(['VALUE', 'TIME'], [d.result[1], time(d.result[0])]);
      break;
    case 'vector':
      rows.push(['SERIES', 'VALUE', 'TIME']);
      for (const s of d.result) rows.push([seriesName(s.metric), s.value[1], time(s.value[0])]);
      break;
    case 'matrix':
      rows.push(['SERIES', 'VALUE', 'TIME']);
      for (const s of d.result) {
        const name = seriesName(s.metric);
        s.values.forEach(([t, v], i) => rows.push([i === 0 ? name : '', v, time(t)]));
      }
      break;
  }
  if (rows.length === 1) return '(no data)\n';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}
