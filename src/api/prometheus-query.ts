/**
 * Expression endpoints: /api/v1/query, /api/v1/query_range, /api/v1/format_query,
 * /api/v1/parse_query and /api/v1/query_exemplars, with Prometheus's parameter checks, error
 * texts, `limit` truncation, `stats`, and the query queue and timeout.
 * @module
 */
import { BadQueryError, type QueryResult, QueryTimeoutError } from '../promql/index.js';
import { type Expr, ParseError, documentedType, exprType, prettify } from '../promql/parser/index.js';
import { BadDataError } from './errors.js';
import { astJSON } from './prometheus-ast-json.js';
import type { ApiContext } from './prometheus-context.js';
import { goFloat, goString, seriesCount, valueChunks } from './prometheus-json.js';
import type { ApiAnswer } from './prometheus-response.js';
import { invalidParam, parseDurationParam, parseLimitParam, parseTime, parseTimeParam } from './prom-params.js';
import type { Router } from './router.js';

const GET_POST = ['GET', 'POST'] as const;

/** MAX_POINTS_PER_SERIES is the API's own limit on range query resolution. */
export const MAX_POINTS_PER_SERIES = 11_000;

const TRUNCATED = 'results truncated due to limit';

/** mountQueryRoutes registers the expression endpoints. */
export function mountQueryRoutes(r: Router, ctx: ApiContext): void {
  ctx.route(r, GET_POST, '/query', async (_req, p, signal) => {
    const limit = parseLimitParam(p.get('limit'));
    const t = parseTimeParam(p, 'time', ctx.now());
    const timeoutMs = timeoutParam(p);
    const lookbackDeltaMs = lookbackParam(p);
    const q = parseQuery(ctx, p);
    return execute(ctx, p, limit, timeoutMs, signal, (opts) => ctx.engine.instantQuery(q, t, { ...opts, ...lookbackDeltaMs }));
  });

  ctx.route(r, GET_POST, '/query_range', async (_req, p, signal) => {
    const limit = parseLimitParam(p.get('limit'));
    const start = timeOf(p, 'start');
    const end = timeOf(p, 'end');
    if (end < start) throw invalidParam('end', new BadDataError('end timestamp must not be before start time'));
    let step: number;
    try {
      step = parseDurationParam(p.get('step') ?? '');
    } catch (e) {
      throw invalidParam('step', e);
    }
    if (!(step > 0)) throw invalidParam('step', new BadDataError('zero or negative query resolution step widths are not accepted. Try a positive integer'));
    if (Math.floor((end - start) / step) > MAX_POINTS_PER_SERIES) {
      throw new BadDataError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const timeoutMs = timeoutParam(p);
    const lookbackDeltaMs = lookbackParam(p);
    const q = parseQuery(ctx, p);
    const type = exprType(q.expr);
    if (type !== 'vector' && type !== 'scalar') {
      throw invalidParam('query', new BadQueryError(`invalid expression type "${documentedType(type)}" for range query, must be Scalar or instant Vector`));
    }
    return execute(ctx, p, limit, timeoutMs, signal, (opts) => ctx.engine.rangeQuery(q, start, end, step, { ...opts, ...lookbackDeltaMs }));
  });

  ctx.route(r, GET_POST, '/format_query', async (_req, p) => {
    const q = parseQuery(ctx, p);
    return { data: goString(prettify(q.expr)) };
  });

  ctx.route(r, GET_POST, '/parse_query', async (_req, p) => {
    const q = parseQuery(ctx, p);
    return { data: astJSON(q.expr) };
  });

  ctx.route(r, GET_POST, '/query_exemplars', async (_req, p) => {
    const start = parseTimeParam(p, 'start', -Infinity);
    const end = parseTimeParam(p, 'end', Infinity);
    if (end < start) throw new BadDataError('end timestamp must not be before start timestamp');
    const expr = ctx.engine.parse(p.get('query') ?? '');
    // Prometheus answers 204 when the query selects nothing; vigil keeps no exemplars, so any
    // selecting query finds none.
    if (!hasSelector(expr)) return undefined;
    return { data: '[]' };
  });
}

interface ParsedQuery {
  readonly expr: Expr;
  readonly text: string;
}

function parseQuery(ctx: ApiContext, p: URLSearchParams): ParsedQuery {
  const text = p.get('query') ?? '';
  try {
    return { expr: ctx.engine.parse(text), text };
  } catch (e) {
    if (e instanceof ParseError) throw invalidParam('query', e);
    throw e;
  }
}

function timeOf(p: URLSearchParams, name: string): number {
  try {
    return parseTime(p.get(name) ?? '');
  } catch (e) {
    throw invalidParam(name, e);
  }
}

function timeoutParam(p: URLSearchParams): number | undefined {
  const s = p.get('timeout') ?? '';
  if (s === '') return undefined;
  try {
    return parseDurationParam(s);
  } catch (e) {
    throw invalidParam('timeout', e);
  }
}

function lookbackParam(p: URLSearchParams): { lookbackDeltaMs?: number } {
  const s = p.get('lookback_delta') ?? '';
  if (s === '') return {};
  try {
    return { lookbackDeltaMs: parseDurationParam(s) };
  } catch (e) {
    throw new BadDataError(`error parsing lookback delta duration: ${(e as Error).message}`);
  }
}

function hasSelector(e: Expr): boolean {
  switch (e.kind) {
    case 'vectorSelector':
    case 'matrixSelector':
      return true;
    case 'number':
    case 'string':
    case 'durationExpr':
      return false;
    case 'call':
      return e.args.some(hasSelector);
    case 'aggregate':
      return hasSelector(e.expr) || (e.param !== undefined && hasSelector(e.param));
    case 'binary':
      return hasSelector(e.lhs) || hasSelector(e.rhs);
    case 'subquery':
    case 'unary':
    case 'paren':
      return hasSelector(e.expr);
  }
}

type Run = (opts: { signal: AbortSignal; timeoutMs: number }) => Promise<QueryResult>;

/**
 * execute waits for a slot in the query queue, runs the query within what is left of its
 * timeout, then shapes the answer: `limit` truncation, stats, annotations.
 */
async function execute(ctx: ApiContext, p: URLSearchParams, limit: number, timeoutParamMs: number | undefined, signal: AbortSignal, run: Run): Promise<ApiAnswer> {
  const timeoutMs = timeoutParamMs === undefined ? ctx.queryTimeoutMs : Math.min(ctx.queryTimeoutMs, timeoutParamMs);
  const began = performance.now();
  const deadline = began + timeoutMs;
  // A negative timeout fails in the queue; a zero one gets a free slot, then fails in execution.
  const release = await ctx.gate.acquire(timeoutMs < 0 ? -Infinity : deadline, signal);
  const queued = performance.now() - began;
  let res: QueryResult;
  try {
    const left = deadline - performance.now();
    if (!(left > 0)) throw new QueryTimeoutError('query execution');
    res = await run({ signal, timeoutMs: left });
  } finally {
    release();
  }
  const warnings = [...res.warnings];
  if (limit > 0 && seriesCount(res.value) > limit) warnings.push(TRUNCATED);
  const stats = p.get('stats') ?? '';
  if (stats !== '' && stats !== 'true' && stats !== 'all') {
    warnings.push(`value ${JSON.stringify(stats)} for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"`);
  }
  const value = res.value;
  const statsJSON = stats === '' ? '' : ',"stats":' + statsObject(res, queued);
  function* data(): Generator<string> {
    const chunks = valueChunks(value, limit);
    if (statsJSON === '') {
      yield* chunks;
      return;
    }
    // Splice the stats in before the data object's closing brace.
    let prev: string | undefined;
    for (const c of chunks) {
      if (prev !== undefined) yield prev;
      prev = c;
    }
    yield prev!.slice(0, -1) + statsJSON + '}';
  }
  return { data: data(), warnings, infos: res.infos };
}

// Timings in seconds as Prometheus reports them; vigil's engine measures evaluation as a whole.
function statsObject(res: QueryResult, queuedMs: number): string {
  // Whole nanoseconds, as Go's durations are.
  const evalS = Math.round(res.stats.elapsedMs * 1e6) / 1e9;
  const queueS = Math.round(queuedMs * 1e6) / 1e9;
  return (
    `{"timings":{"evalTotalTime":${goFloat(evalS)},"resultSortTime":0,"queryPreparationTime":0,"innerEvalTime":${goFloat(evalS)},` +
    `"execQueueTime":${goFloat(queueS)},"execTotalTime":${goFloat(Math.round((evalS + queueS) * 1e9) / 1e9)}},` +
    `"samples":{"totalQueryableSamples":${res.stats.totalQueryableSamples},"peakSamples":${res.stats.peakSamples}}}`
  );
}
