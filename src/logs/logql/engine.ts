/**
 * The LogQL engine: parses a query, scopes it to the caller's apps, evaluates it over a
 * QueryableLogStore within limits (entries, series, points, time) and returns Loki-shaped
 * values. `evaluate` is the rules engine's entry point for metric queries.
 * @module
 */
import { assertNever, Labels } from '../../model/index.js';
import type { Direction, QueryableLogStore } from '../store/index.js';
import { scopeToApps } from './app-scope.js';
import { BadRequestError, LimitExceededError, QueryCanceledError, QueryError, QueryTimeoutError } from './errors.js';
import { evalLogQuery, type TimeNs } from './log-eval.js';
import { parseExpr, type Expr, type Grouping, type MetricExpr } from './parser/index.js';
import type { QueryResult, QueryStats, QueryValue, StepSeries, StepValue, Steps, VectorSample } from './query-result.js';
import { evalRangeAgg, isAdditive, type EvalContext } from './range-eval.js';
import { aggregate, binary, labelReplace } from './vector-ops.js';

/** LogQLEngineOptions configures limits; every field but `store` has a default. */
export interface LogQLEngineOptions {
  readonly store: QueryableLogStore;
  /** Largest `limit` a log query may ask for (Loki's max_entries_limit_per_query, default 5000). */
  readonly maxEntriesLimitPerQuery?: number;
  /** Most series a metric query may return (Loki's max_query_series, default 500). */
  readonly maxQuerySeries?: number;
  /** Most series an intermediate result may hold (default 200 000). */
  readonly maxIntermediateSeries?: number;
  /** Time budget of one query (default 120 s). */
  readonly timeoutMs?: number;
  /** Most steps of a range query (default 11 000, as Loki). */
  readonly maxPointsPerSeries?: number;
  /** Longest time range of a query (default 721 h, as Loki); 0 disables. */
  readonly maxQueryLengthMs?: number;
}

/** RangeQuery asks for a query over [start, end] (log queries: [start, end)). */
export interface RangeQuery {
  readonly query: string;
  readonly start: TimeNs;
  readonly end: TimeNs;
  /** Step of metric queries, ms (> 0). */
  readonly stepMs: number;
  /** Sampling interval of log queries, ms (0: every entry). */
  readonly intervalMs?: number;
  readonly direction: Direction;
  readonly limit: number;
  /** Apps the caller may read; undefined means no restriction. */
  readonly allowedApps?: readonly string[];
  readonly signal?: AbortSignal;
}

/** InstantQuery asks for a metric query at one time. */
export interface InstantQuery {
  readonly query: string;
  readonly time: TimeNs;
  readonly direction: Direction;
  readonly limit: number;
  readonly allowedApps?: readonly string[];
  readonly signal?: AbortSignal;
}

/** LogQLEngine evaluates LogQL queries. */
export class LogQLEngine {
  readonly #store: QueryableLogStore;
  readonly #maxEntries: number;
  readonly #maxSeries: number;
  readonly #maxIntermediate: number;
  readonly #timeoutMs: number;
  readonly #maxPoints: number;
  readonly #maxLengthMs: number;

  constructor(opts: LogQLEngineOptions) {
    const {
      store,
      maxEntriesLimitPerQuery = 5000,
      maxQuerySeries = 500,
      maxIntermediateSeries = 200_000,
      timeoutMs = 120_000,
      maxPointsPerSeries = 11_000,
      maxQueryLengthMs = 721 * 3_600_000,
    } = opts;
    if (store === undefined) throw new RangeError('LogQLEngine: store is required');
    for (const [k, v] of Object.entries({ maxEntriesLimitPerQuery, maxQuerySeries, maxIntermediateSeries, timeoutMs, maxPointsPerSeries })) {
      if (!(v > 0)) throw new RangeError(`LogQLEngine: ${k} must be positive, got ${v}`);
    }
    this.#store = store;
    this.#maxEntries = maxEntriesLimitPerQuery;
    this.#maxSeries = maxQuerySeries;
    this.#maxIntermediate = maxIntermediateSeries;
    this.#timeoutMs = timeoutMs;
    this.#maxPoints = maxPointsPerSeries;
    this.#maxLengthMs = maxQueryLengthMs;
  }

  /** store is the store the engine reads. */
  get store(): QueryableLogStore {
    return this.#store;
  }

  #parse(query: string, apps: readonly string[] | undefined): Expr {
    const e = parseExpr(query);
    return apps === undefined ? e : scopeToApps(e, apps);
  }

  /** rangeQuery evaluates a query over a time range (Loki's query_range). */
  async rangeQuery(q: RangeQuery): Promise<QueryResult> {
    const expr = this.#parse(q.query, q.allowedApps);
    const lenMs = q.end.ms - q.start.ms;
    if (lenMs < 0) throw new BadRequestError('end timestamp must not be before start time');
    if (this.#maxLengthMs > 0 && lenMs > this.#maxLengthMs) {
      throw new LimitExceededError('max_query_length', lenMs, this.#maxLengthMs, `the query time range exceeds the limit (query length: ${fmtHours(lenMs)}, limit: ${fmtHours(this.#maxLengthMs)})`);
    }
    return this.#run(q.signal, async (ctx) => {
      if (expr.kind === 'logQuery') {
        this.#checkLimit(q.limit);
        const streams = await evalLogQuery(expr, { start: q.start, end: q.end, direction: q.direction, limit: q.limit, intervalMs: q.intervalMs ?? 0 }, ctx);
        return { kind: 'streams', streams };
      }
      if (!(q.stepMs > 0)) throw new BadRequestError('zero or negative query resolution step widths are not accepted. Try a positive integer');
      const n = Math.floor((q.end.ms - q.start.ms) / q.stepMs) + 1;
      if (n > this.#maxPoints) {
        throw new LimitExceededError('max_points', n, this.#maxPoints, `exceeded maximum resolution of ${this.#maxPoints} points per timeseries. Try decreasing the query resolution (?step=XX)`);
      }
      const steps: Steps = { start: q.start.ms, step: q.stepMs, n };
      const v = await this.#evalMetric(expr, steps, ctx);
      return this.#matrix(v, steps);
    });
  }

  /** instantQuery evaluates a metric query at one time (Loki's query). */
  async instantQuery(q: InstantQuery): Promise<QueryResult> {
    const expr = this.#parse(q.query, q.allowedApps);
    if (expr.kind === 'logQuery') {
      throw new BadRequestError('log queries are not supported as an instant query type, please change your query to a range query type');
    }
    return this.#run(q.signal, async (ctx) => {
      const steps: Steps = { start: q.time.ms, step: 0, n: 1 };
      const v = await this.#evalMetric(expr, steps, ctx);
      return this.#vector(v, q.time.ms, expr);
    });
  }

  /**
   * evaluate runs a metric query at time `t` (ms) and returns its samples: the QueryFn the rules
   * engine calls for LogQL rules. Log queries are rejected.
   */
  async evaluate(query: string, t: number, signal?: AbortSignal): Promise<readonly VectorSample[]> {
    const r = await this.instantQuery({ query, time: { ms: t, ns: 0 }, direction: 'backward', limit: 0, signal });
    const v = r.value;
    if (v.kind === 'vector') return v.samples;
    if (v.kind === 'scalar') return [{ labels: Labels.EMPTY, t: v.t, v: v.v }];
    throw new QueryError('a rule query must evaluate to a vector');
  }

  #checkLimit(limit: number): void {
    if (limit > this.#maxEntries) {
      throw new LimitExceededError('max_entries_limit_per_query', limit, this.#maxEntries, `max entries limit per query exceeded, limit > max_entries_limit (${limit} > ${this.#maxEntries})`);
    }
  }

  async #run(signal: AbortSignal | undefined, f: (ctx: EvalContext) => Promise<QueryValue>): Promise<QueryResult> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const sig = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const stats: QueryStats = { linesProcessed: 0, bytesProcessed: 0, execTime: 0, chunks: 0 };
    const ctx: EvalContext = { store: this.#store, signal: sig, stats, maxSeries: this.#maxIntermediate, warnings: [] };
    try {
      const value = await f(ctx);
      stats.execTime = (performance.now() - started) / 1000;
      return { value, stats, warnings: ctx.warnings };
    } catch (e) {
      if (timeout.aborted && !(signal?.aborted ?? false)) throw new QueryTimeoutError(this.#timeoutMs);
      if (signal?.aborted === true) throw new QueryCanceledError();
      throw e;
    }
  }

  async #evalMetric(e: MetricExpr, steps: Steps, ctx: EvalContext, projection?: Grouping): Promise<StepValue> {
    const n = steps.n;
    switch (e.kind) {
      case 'number':
        return { kind: 'scalar', v: new Float64Array(n).fill(e.value) };
      case 'vector':
        return { kind: 'vector', series: [{ labels: Labels.EMPTY, v: new Float64Array(n).fill(e.value), ok: new Uint8Array(n).fill(1) }] };
      case 'rangeAgg':
        return { kind: 'vector', series: await evalRangeAgg(e, steps, ctx, projection) };
      case 'vectorAgg': {
        // sum over an additive range function folds series into its groups while reading.
        const proj = e.op === 'sum' && e.arg.kind === 'rangeAgg' && isAdditive(e.arg.op) ? (e.grouping ?? { without: false, labels: [] }) : undefined;
        const inner = await this.#evalMetric(e.arg, steps, ctx, proj);
        if (inner.kind !== 'vector') throw new QueryError(`${e.op} expects a vector, got a scalar`);
        return { kind: 'vector', series: aggregate(e.op, e.param, e.grouping, inner.series, n) };
      }
      case 'binary': {
        const l = await this.#evalMetric(e.lhs, steps, ctx);
        const r = await this.#evalMetric(e.rhs, steps, ctx);
        return binary(e, l, r, n);
      }
      case 'labelReplace': {
        const inner = await this.#evalMetric(e.arg, steps, ctx);
        if (inner.kind !== 'vector') throw new QueryError('label_replace expects a vector');
        return { kind: 'vector', series: labelReplace(e, inner.series, n) };
      }
      default:
        return assertNever(e, 'metric expression');
    }
  }

  #checkSeries(n: number): void {
    if (n > this.#maxSeries) {
      throw new LimitExceededError('max_query_series', n, this.#maxSeries, `maximum of series (${this.#maxSeries}) reached for a single query`);
    }
  }

  #matrix(v: StepValue, steps: Steps): QueryValue {
    const series: StepSeries[] =
      v.kind === 'scalar' ? [{ labels: Labels.EMPTY, v: v.v, ok: new Uint8Array(steps.n).fill(1) }] : v.series;
    this.#checkSeries(series.length);
    const out = series.map((s) => {
      const t: number[] = [];
      const vals: number[] = [];
      for (let k = 0; k < steps.n; k++) {
        if (s.ok[k] !== 1) continue;
        t.push(steps.start + k * steps.step);
        vals.push(s.v[k]!);
      }
      return { labels: s.labels, t, v: vals };
    });
    out.sort((a, b) => a.labels.compare(b.labels));
    return { kind: 'matrix', series: out.filter((s) => s.t.length > 0) };
  }

  #vector(v: StepValue, t: number, expr: Expr): QueryValue {
    if (v.kind === 'scalar') return { kind: 'scalar', t, v: v.v[0]! };
    const samples: VectorSample[] = [];
    for (const s of v.series) if (s.ok[0] === 1) samples.push({ labels: s.labels, t, v: s.v[0]! });
    this.#checkSeries(samples.length);
    const order = expr.kind === 'vectorAgg' ? expr.op : undefined;
    if (order === 'sort' || order === 'bottomk') samples.sort((a, b) => cmpNum(a.v, b.v) || a.labels.compare(b.labels));
    else if (order === 'sort_desc' || order === 'topk') samples.sort((a, b) => cmpNum(b.v, a.v) || a.labels.compare(b.labels));
    else samples.sort((a, b) => a.labels.compare(b.labels));
    return { kind: 'vector', samples };
  }
}

function cmpNum(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

function fmtHours(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}h${m}m${s}s`;
}
