/**
 * The per-query evaluation context: steps, limits, cancellation, annotations, and the value types
 * that flow between evaluation nodes.
 * @module
 */
import type { Labels, Matcher } from '../model/index.js';
import type { SelectHints, Series } from '../storage/index.js';
import { Annotations } from './annotations.js';
import { QueryCanceledError, QueryTimeoutError, TooManySamplesError } from './errors.js';
import { type StepVector, checkCells } from './step-vector.js';

/** Steps is the grid of evaluation timestamps: start, start+interval, … ≤ end (ms). */
export class Steps {
  /** Number of steps. */
  readonly n: number;
  constructor(
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.n = end < start ? 0 : Math.floor((end - start) / interval) + 1;
    checkCells(1, this.n);
  }

  /** t returns the timestamp of step k. */
  t(k: number): number {
    return this.start + k * this.interval;
  }
}

/** ScalarSteps is a scalar per step. */
export interface ScalarSteps {
  readonly kind: 'scalar';
  readonly v: Float64Array;
}

/** StringVal is a string literal's value. */
export interface StringVal {
  readonly kind: 'string';
  readonly v: string;
}

/** RangeSeries is one series of a range vector with its points. */
export interface RangeSeries {
  readonly labels: Labels;
  readonly drop: boolean;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/** MatrixVal is a range vector (only produced for instant queries of `x[5m]` or subqueries). */
export interface MatrixVal {
  readonly kind: 'matrix';
  readonly series: RangeSeries[];
}

/** EvalValue is what evaluating a node yields. */
export type EvalValue = ScalarSteps | StepVector | StringVal | MatrixVal;

/** ContextOptions configure a query's evaluation. */
export interface ContextOptions {
  readonly lookbackMs: number;
  readonly maxSamples: number;
  readonly delayedNameRemoval: boolean;
  /** Absolute deadline in ms (performance.now() clock). */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** How long evaluation may run before yielding to the event loop, ms. */
  readonly sliceMs: number;
  /** Selects series during evaluation (info() looks up info series this way). */
  readonly select?: (matchers: readonly Matcher[], hints: SelectHints) => Promise<Series[]>;
}

/** EvalContext carries limits, cancellation and annotations through one query. */
export class EvalContext {
  readonly annotations = new Annotations();
  readonly lookbackMs: number;
  readonly delayed: boolean;
  readonly select: ((matchers: readonly Matcher[], hints: SelectHints) => Promise<Series[]>) | undefined;
  readonly #maxSamples: number;
  readonly #deadline: number;
  readonly #signal: AbortSignal | undefined;
  readonly #sliceMs: number;
  #samples = 0;
  #peak = 0;
  /** Samples read from storage so far. */
  samplesRead = 0;
  #lastYield: number;

  constructor(o: ContextOptions) {
    this.lookbackMs = o.lookbackMs;
    this.delayed = o.delayedNameRemoval;
    this.select = o.select;
    this.#maxSamples = o.maxSamples;
    this.#deadline = o.deadline;
    this.#signal = o.signal;
    this.#sliceMs = o.sliceMs;
    this.#lastYield = performance.now();
  }

  /** peakSamples is the highest number of samples held at once. */
  get peakSamples(): number {
    return this.#peak;
  }

  /** hold accounts n more samples in memory; throws TooManySamplesError past the limit. */
  hold(n: number): void {
    this.#samples += n;
    if (this.#samples > this.#peak) this.#peak = this.#samples;
    if (this.#samples > this.#maxSamples) throw new TooManySamplesError('query execution', this.#maxSamples);
  }

  /** release gives back n samples. */
  release(n: number): void {
    this.#samples -= n;
  }

  /** check throws when the query was canceled or ran out of time. */
  check(): void {
    if (this.#signal?.aborted === true) throw new QueryCanceledError('expression evaluation', { cause: this.#signal.reason });
    if (performance.now() > this.#deadline) throw new QueryTimeoutError('expression evaluation');
  }

  /**
   * tick checks limits and, when evaluation has run for a slice of time, yields to the event loop
   * so other requests are served and timers (timeouts, aborts) can fire.
   */
  async tick(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastYield >= this.#sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#lastYield = performance.now();
    }
    this.check();
  }
}
