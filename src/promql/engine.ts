/**
 * The PromQL engine: instant and range queries over a storage Queryable, with Prometheus 3
 * semantics and limits (lookback, max samples, timeout, 11,000 points per series).
 *
 * A query is parsed, planned (durations and `@` resolved, step-invariant parts wrapped), every
 * selector is selected once from one querier, then the tree is evaluated over the step grid.
 * Evaluation yields to the event loop every few milliseconds, so a slow query never stalls the
 * process and its timeout or AbortSignal takes effect promptly.
 * @module
 */
import { Labels, type Matcher, type Warning, compareStrings } from '../model/index.js';
import type { Queryable, Querier, SelectHints, Series } from '../storage/index.js';
import { Annotations } from './annotations.js';
import { EvalContext, type EvalValue, Steps } from './eval-context.js';
import { BadQueryError, QueryCanceledError, QueryError, QueryTimeoutError, StorageError, TooManySamplesError } from './errors.js';
import type { Counter, Family, Gauge, Histogram, Registry } from '../instrument/index.js';
import { Evaluator } from './evaluator.js';
import { dropMetricName, mergeSameLabels } from './labels-util.js';
import { type Expr, ParseError, type ParseOptions, documentedType, exprType, parseExpr } from './parser/index.js';
import { buildPlan } from './plan.js';
import { SAME_LABELSET, StepVector } from './step-vector.js';
import type { Matrix, SeriesPoints, Value, Vector } from './value.js';

/** EngineOptions configure an Engine; every field is optional. */
export interface EngineOptions {
  /** Where series come from. */
  readonly queryable: Queryable;
  /** How far back an instant selector looks for a sample, ms. Default 5 minutes. */
  readonly lookbackDeltaMs?: number;
  /** Most samples a query may hold in memory at once. Default 50,000,000 (Prometheus's default). */
  readonly maxSamples?: number;
  /** Default query timeout, ms. Default 2 minutes. */
  readonly timeoutMs?: number;
  /** Step of subqueries written without one (`x[1h:]`), ms. Default 1 minute. */
  readonly defaultSubqueryStepMs?: number;
  /** Most points per series a range query may return. Default 11,000. */
  readonly maxPointsPerSeries?: number;
  /**
   * Remove `__name__` only at the end of evaluation (Prometheus's experimental
   * `promql-delayed-name-removal`). Default false, like Prometheus.
   */
  readonly delayedNameRemoval?: boolean;
  /** Syntax switches for the parser (experimental functions are on by default). */
  readonly parseOptions?: ParseOptions;
  /** How long evaluation runs before yielding to the event loop, ms. Default 10. */
  readonly sliceMs?: number;
  /** Registry for the engine's self-metrics (`prometheus_engine_*`, `vigil_promql_*`). */
  readonly registry?: Registry;
}

/** QueryOptions apply to one query. */
export interface QueryOptions {
  /** Cancels the query. */
  readonly signal?: AbortSignal;
  /** Overrides the engine's timeout, ms. */
  readonly timeoutMs?: number;
  /** Overrides the engine's lookback delta, ms. */
  readonly lookbackDeltaMs?: number;
}

/** QueryStats reports what a query cost. */
export interface QueryStats {
  /** Highest number of samples held in memory at once. */
  readonly peakSamples: number;
  /** Series selected from storage, over all selectors. */
  readonly seriesSelected: number;
  /** Wall time in ms. */
  readonly elapsedMs: number;
  /**
   * Samples read as Prometheus 2.42 counts them (its `totalQueryableSamples`): one per step an
   * instant selector yields a value, every sample of every step's range window (overlapping
   * windows count a sample again; a subquery given to a function counts its points this way
   * instead of what its own evaluation read), and a step-invariant part's once per step.
   */
  readonly totalQueryableSamples: number;
  /** Same as totalQueryableSamples (the name prometheus_engine_query_samples_total counts by). */
  readonly samplesRead: number;
}

/** QueryResult is a query's value with its annotations. */
export interface QueryResult {
  readonly value: Value;
  /** Warnings as the HTTP API renders them (`PromQL warning: … (1:7)`), then storage warnings. */
  readonly warnings: readonly string[];
  /** Info notes as the HTTP API renders them (`PromQL info: … (1:7)`). */
  readonly infos: readonly string[];
  /** The raw annotations, for callers that render them differently. */
  readonly annotations: Annotations;
  readonly stats: QueryStats;
}

/** QueryInput is a query text, or an already parsed expression with the text it came from. */
export type QueryInput = string | { readonly expr: Expr; readonly text: string };

/** Engine runs PromQL queries. */
export class Engine {
  readonly #queryable: Queryable;
  readonly #lookback: number;
  readonly #maxSamples: number;
  readonly #timeout: number;
  readonly #subqueryStep: number;
  readonly #maxPoints: number;
  readonly #delayed: boolean;
  readonly #parseOptions: ParseOptions;
  readonly #sliceMs: number;
  readonly #metrics: EngineMetrics | undefined;

  constructor(options: EngineOptions) {
    const {
      queryable,
      lookbackDeltaMs = 5 * 60_000,
      maxSamples = 50_000_000,
      timeoutMs = 120_000,
      defaultSubqueryStepMs = 60_000,
      maxPointsPerSeries = 11_000,
      delayedNameRemoval = false,
      parseOptions = {},
      sliceMs = 10,
      registry,
    } = options;
    if (!(lookbackDeltaMs > 0)) throw new Error('EngineOptions.lookbackDeltaMs must be positive');
    if (!(maxSamples > 0)) throw new Error('EngineOptions.maxSamples must be positive');
    if (!(timeoutMs > 0)) throw new Error('EngineOptions.timeoutMs must be positive');
    if (!(defaultSubqueryStepMs > 0)) throw new Error('EngineOptions.defaultSubqueryStepMs must be positive');
    this.#queryable = queryable;
    this.#lookback = lookbackDeltaMs;
    this.#maxSamples = maxSamples;
    this.#timeout = timeoutMs;
    this.#subqueryStep = defaultSubqueryStepMs;
    this.#maxPoints = maxPointsPerSeries;
    this.#delayed = delayedNameRemoval;
    this.#parseOptions = parseOptions;
    this.#sliceMs = sliceMs;
    this.#metrics = registry !== undefined ? new EngineMetrics(registry) : undefined;
  }

  /** parse parses a query with the engine's parser options. Throws ParseError. */
  parse(qs: string): Expr {
    return parseExpr(qs, this.#parseOptions);
  }

  /**
   * instantQuery evaluates a query at time t (Unix ms). The result is a Vector, Scalar, String,
   * or — for range-vector expressions like `x[5m]` — a Matrix of raw samples. Throws ParseError,
   * BadQueryError, QueryError (execution), QueryTimeoutError, QueryCanceledError,
   * TooManySamplesError or StorageError.
   */
  async instantQuery(qs: QueryInput, t: number, opts: QueryOptions = {}): Promise<QueryResult> {
    const { expr, text } = this.#input(qs);
    return this.#observe('instant', this.#exec(expr, text, Math.trunc(t), Math.trunc(t), 0, opts));
  }

  /**
   * rangeQuery evaluates a query at start, start+step, … ≤ end (Unix ms) and returns a Matrix
   * sorted by labels. The expression must yield an instant vector or a scalar.
   */
  async rangeQuery(qs: QueryInput, start: number, end: number, step: number, opts: QueryOptions = {}): Promise<QueryResult> {
    const { expr, text } = this.#input(qs);
    if (end < start) throw new BadQueryError('end timestamp must not be before start time');
    if (!(step > 0)) throw new BadQueryError('zero or negative query resolution step widths are not accepted. Try a positive integer');
    // Integer division, as Prometheus divides durations.
    if (Math.floor((end - start) / step) > this.#maxPoints) {
      throw new BadQueryError(
        `exceeded maximum resolution of ${this.#maxPoints.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
      );
    }
    const t = exprType(expr);
    if (t !== 'vector' && t !== 'scalar') {
      throw new BadQueryError(`invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`);
    }
    // Prometheus evaluates in whole milliseconds; a step that rounds down to 0 ms fails there
    // with Go's division-by-zero panic, reported as an execution error.
    if (Math.trunc(step) === 0) throw new QueryError('unexpected error: runtime error: integer divide by zero');
    return this.#observe('range', this.#exec(expr, text, Math.trunc(start), Math.trunc(end), Math.trunc(step), opts));
  }

  async #observe(kind: 'instant' | 'range', run: Promise<QueryResult>): Promise<QueryResult> {
    const m = this.#metrics;
    if (m === undefined) return run;
    const began = performance.now();
    m.running.inc();
    try {
      const r = await run;
      m.samples.inc(r.stats.samplesRead);
      return r;
    } catch (e) {
      m.errors.labels(errorReason(e)).inc();
      throw e;
    } finally {
      m.running.dec();
      m.duration.labels(kind).observe((performance.now() - began) / 1000);
    }
  }

  /**
   * vectorQuery evaluates an instant query for rule evaluation and returns its samples, a
   * scalar becoming one sample without labels (like Prometheus's rule query function). Any
   * other result type is an error.
   */
  async vectorQuery(qs: QueryInput, t: number, signal?: AbortSignal): Promise<Vector> {
    const r = await this.instantQuery(qs, t, signal !== undefined ? { signal } : {});
    const v = r.value;
    if (v.kind === 'vector') return v;
    if (v.kind === 'scalar') return { kind: 'vector', samples: [{ labels: Labels.EMPTY, t: v.t, f: v.v }] };
    throw new QueryError('rule result is not a vector or scalar');
  }

  #input(qs: QueryInput): { expr: Expr; text: string } {
    if (typeof qs === 'string') return { expr: this.parse(qs), text: qs };
    return qs;
  }

  async #exec(expr: Expr, text: string, start: number, end: number, interval: number, opts: QueryOptions): Promise<QueryResult> {
    const began = performance.now();
    const lookbackMs = opts.lookbackDeltaMs !== undefined && opts.lookbackDeltaMs > 0 ? opts.lookbackDeltaMs : this.#lookback;
    const timeout = opts.timeoutMs ?? this.#timeout;
    const deadline = began + timeout;
    const signal = opts.signal;
    if (signal?.aborted === true) throw new QueryCanceledError('query queue', { cause: signal.reason });
    const plan = buildPlan(expr, { start, end, interval, lookbackMs, defaultSubqueryStepMs: this.#subqueryStep });
    const storageWarnings: Warning[] = [];
    let querier: Querier | undefined;
    let seriesSelected = 0;
    const openQuerier = async (): Promise<Querier> => {
      querier ??= await this.#withDeadline(this.#queryable.querier(plan.minT, plan.maxT), deadline, signal, 'query preparation');
      return querier;
    };
    const selectSeries = async (matchers: readonly Matcher[], hints: SelectHints): Promise<Series[]> => {
      const q = await openQuerier();
      const set = await this.#withDeadline(q.select(matchers, hints, signal), deadline, signal, 'query preparation');
      const series: Series[] = [];
      while (set.next()) series.push(set.at());
      const err = set.err();
      if (err !== undefined) {
        if (err.name === 'AbortError' || isAborted(signal)) throw new QueryCanceledError('query preparation', { cause: err });
        throw new StorageError(`expanding series: ${err.message}`, { cause: err });
      }
      storageWarnings.push(...set.warnings());
      seriesSelected += series.length;
      return series;
    };
    const ctx = new EvalContext({
      lookbackMs,
      maxSamples: this.#maxSamples,
      delayedNameRemoval: this.#delayed,
      deadline,
      signal,
      sliceMs: this.#sliceMs,
      select: selectSeries,
    });
    let value: Value;
    const evaluator = new Evaluator(ctx);
    try {
      for (const sel of plan.selectors) {
        sel.series = await selectSeries(sel.matchers, sel.hints);
        ctx.check();
      }
      const steps = interval === 0 ? new Steps(start, start, 1) : new Steps(start, end, interval);
      const v = await evaluator.eval(plan.root, steps);
      value = this.#toValue(v, interval === 0, steps);
    } finally {
      if (querier !== undefined) await querier.close();
    }
    return {
      value,
      warnings: [...ctx.annotations.strings('warning', text), ...storageWarnings],
      infos: ctx.annotations.strings('info', text),
      annotations: ctx.annotations,
      stats: {
        peakSamples: ctx.peakSamples,
        seriesSelected,
        elapsedMs: performance.now() - began,
        totalQueryableSamples: ctx.samplesRead,
        samplesRead: ctx.samplesRead,
      },
    };
  }

  async #withDeadline<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined, phase: string): Promise<T> {
    const left = deadline - performance.now();
    if (left <= 0) throw new QueryTimeoutError(phase);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new QueryTimeoutError(phase)), left);
          timer.unref?.();
          if (signal !== undefined) {
            onAbort = () => reject(new QueryCanceledError(phase, { cause: signal.reason }));
            signal.addEventListener('abort', onAbort, { once: true });
          }
        }),
      ]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  #toValue(v: EvalValue, instant: boolean, s: Steps): Value {
    switch (v.kind) {
      case 'string':
        return { kind: 'string', t: s.start, v: v.v };
      case 'scalar':
        if (instant) return { kind: 'scalar', t: s.start, v: v.v[0]! };
        return sortMatrix({ kind: 'matrix', series: [{ labels: Labels.EMPTY, ts: stepTimes(s), vs: v.v.slice() }] });
      case 'matrix': {
        const rows = v.series.map((r) => ({ labels: r.drop && this.#delayed ? dropMetricName(r.labels) : r.labels, ts: r.ts, vs: r.vs }));
        return sortMatrix({ kind: 'matrix', series: mergeMatrix(rows) });
      }
      case 'vector': {
        let vec = v;
        if (this.#delayed) vec = finishNames(vec, instant);
        if (instant) {
          const samples = [];
          for (let r = 0; r < vec.n; r++) {
            if (!vec.has(r, 0)) continue;
            samples.push({ labels: vec.labels[r]!, t: s.start, f: vec.get(r, 0) });
          }
          if (this.#delayed) assertUniqueSamples(samples.map((x) => x.labels));
          return { kind: 'vector', samples };
        }
        const series: SeriesPoints[] = [];
        for (let r = 0; r < vec.n; r++) {
          const c = vec.rowCount(r);
          if (c === 0) continue;
          const ts = new Float64Array(c);
          const vs = new Float64Array(c);
          let j = 0;
          for (let k = 0; k < s.n; k++) {
            if (!vec.has(r, k)) continue;
            ts[j] = s.t(k);
            vs[j] = vec.get(r, k);
            j++;
          }
          series.push({ labels: vec.labels[r]!, ts, vs });
        }
        return sortMatrix({ kind: 'matrix', series });
      }
    }
  }
}

/** EngineMetrics are the engine's self-metrics. */
class EngineMetrics {
  readonly running: Gauge;
  readonly samples: Counter;
  readonly duration: Family<Histogram>;
  readonly errors: Family<Counter>;
  constructor(r: Registry) {
    this.running = r.gauge({ name: 'prometheus_engine_queries', help: 'The current number of queries being executed or waiting.' }).labels();
    this.samples = r
      .counter({ name: 'prometheus_engine_query_samples_total', help: 'The total number of samples loaded by all queries.' })
      .labels();
    this.duration = r.histogram({
      name: 'vigil_promql_query_duration_seconds',
      help: 'Wall time of PromQL queries, by kind (instant or range).',
      labelNames: ['kind'],
    });
    this.errors = r.counter({
      name: 'vigil_promql_query_errors_total',
      help: 'PromQL queries that failed, by reason.',
      labelNames: ['reason'],
    });
  }
}

function errorReason(e: unknown): string {
  if (e instanceof QueryTimeoutError) return 'timeout';
  if (e instanceof QueryCanceledError) return 'canceled';
  if (e instanceof TooManySamplesError) return 'too_many_samples';
  if (e instanceof ParseError || e instanceof BadQueryError) return 'bad_query';
  if (e instanceof StorageError) return 'storage';
  return 'execution';
}

/** isAborted reads the signal afresh (TypeScript narrows property reads across awaits). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** finishNames removes names marked for removal; range results merge rows that now coincide. */
function finishNames(v: StepVector, instant: boolean): StepVector {
  let any = false;
  for (let r = 0; r < v.n; r++) {
    if (v.drop[r] === 1) {
      v.labels[r] = dropMetricName(v.labels[r]!);
      v.drop[r] = 0;
      any = true;
    }
  }
  if (!any || instant) return v;
  return mergeSameLabels(v);
}

function assertUniqueSamples(labels: readonly Labels[]): void {
  if (labels.length < 2) return;
  const seen = new Set<string>();
  for (const l of labels) {
    const k = l.key();
    if (seen.has(k)) throw new QueryError(SAME_LABELSET);
    seen.add(k);
  }
}

function mergeMatrix(rows: SeriesPoints[]): SeriesPoints[] {
  const byKey = new Map<string, SeriesPoints[]>();
  for (const r of rows) {
    const k = r.labels.key();
    const l = byKey.get(k);
    if (l === undefined) byKey.set(k, [r]);
    else l.push(r);
  }
  if (byKey.size === rows.length) return rows;
  const out: SeriesPoints[] = [];
  for (const group of byKey.values()) {
    if (group.length === 1) {
      out.push(group[0]!);
      continue;
    }
    const pts: [number, number][] = [];
    for (const g of group) for (let i = 0; i < g.ts.length; i++) pts.push([g.ts[i]!, g.vs[i]!]);
    pts.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pts.length; i++) if (pts[i]![0] === pts[i - 1]![0]) throw new QueryError(SAME_LABELSET);
    out.push({ labels: group[0]!.labels, ts: Float64Array.from(pts, (p) => p[0]), vs: Float64Array.from(pts, (p) => p[1]) });
  }
  return out;
}

function stepTimes(s: Steps): Float64Array {
  const ts = new Float64Array(s.n);
  for (let k = 0; k < s.n; k++) ts[k] = s.t(k);
  return ts;
}

/** compareLabelsBytes orders label sets like Prometheus: pair by pair, names then values, by UTF-8 bytes. */
export function compareLabelsBytes(a: Labels, b: Labels): number {
  return a.compare(b);
}

/** compareUtf8 compares strings in UTF-8 byte order (code point order). */
export const compareUtf8 = compareStrings;

function sortMatrix(m: Matrix): Matrix {
  const series = [...m.series].sort((a, b) => compareLabelsBytes(a.labels, b.labels));
  return { kind: 'matrix', series };
}
