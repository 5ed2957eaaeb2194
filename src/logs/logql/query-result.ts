/**
 * Results of LogQL queries, as the engine returns them and the Loki API prints them: streams
 * of entries, matrices and vectors of samples, scalars; plus the step-wise values the engine
 * computes internally.
 * @module
 */
import type { Labels } from '../../model/index.js';

/** ResultEntry is one returned log entry. */
export interface ResultEntry {
  readonly t: number;
  readonly ns: number;
  readonly line: string;
}

/** ResultStream is the entries of one label set, in the query's direction. */
export interface ResultStream {
  readonly labels: Labels;
  readonly entries: readonly ResultEntry[];
}

/** MatrixSeries is a series of a range query: parallel arrays of times (ms) and values. */
export interface MatrixSeries {
  readonly labels: Labels;
  readonly t: readonly number[];
  readonly v: readonly number[];
}

/** VectorSample is one sample of an instant query. */
export interface VectorSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/** QueryValue is what a query evaluates to. */
export type QueryValue =
  | { readonly kind: 'streams'; readonly streams: readonly ResultStream[] }
  | { readonly kind: 'matrix'; readonly series: readonly MatrixSeries[] }
  | { readonly kind: 'vector'; readonly samples: readonly VectorSample[] }
  | { readonly kind: 'scalar'; readonly t: number; readonly v: number };

/** QueryStats counts the work a query did (Loki's stats summary). */
export interface QueryStats {
  /** Entries and line bytes read from the store. */
  linesProcessed: number;
  bytesProcessed: number;
  /** Wall time in seconds. */
  execTime: number;
  /** Chunks and head blocks touched. */
  chunks: number;
}

/** QueryResult pairs a value with statistics and warnings. */
export interface QueryResult {
  readonly value: QueryValue;
  readonly stats: QueryStats;
  readonly warnings: readonly string[];
}

/** StepSeries holds one series' values at every step; `ok[k]` says whether step k has one. */
export interface StepSeries {
  readonly labels: Labels;
  readonly v: Float64Array;
  readonly ok: Uint8Array;
}

/** StepValue is an expression's value at every step: a vector of series or a scalar. */
export type StepValue = { readonly kind: 'vector'; readonly series: StepSeries[] } | { readonly kind: 'scalar'; readonly v: Float64Array };

/** Steps are the evaluation times of a query: start + k·step for k < n (ms). */
export interface Steps {
  readonly start: number;
  readonly step: number;
  readonly n: number;
}

/** stepTime returns the time of step k. */
export function stepTime(s: Steps, k: number): number {
  return s.start + k * s.step;
}
