/**
 * Query results: the four PromQL value types as readonly data. Timestamps are Unix ms; a
 * matrix series keeps its points in two parallel typed arrays (no object per point).
 * @module
 */
import type { Labels } from '../model/index.js';

/** Sample is one element of an instant vector. */
export interface Sample {
  readonly labels: Labels;
  /** Timestamp in ms (the evaluation time for instant queries). */
  readonly t: number;
  readonly f: number;
}

/** SeriesPoints is one series of a range vector: points in increasing time order. */
export interface SeriesPoints {
  readonly labels: Labels;
  /** Timestamps in ms. */
  readonly ts: Float64Array;
  /** Values, same length as ts. */
  readonly vs: Float64Array;
}

/** Scalar is a single number at a time. */
export interface Scalar {
  readonly kind: 'scalar';
  readonly t: number;
  readonly v: number;
}

/** StringValue is a string at a time. */
export interface StringValue {
  readonly kind: 'string';
  readonly t: number;
  readonly v: string;
}

/** Vector is an instant vector. Order is the evaluation order (meaningful after sort, topk…). */
export interface Vector {
  readonly kind: 'vector';
  readonly samples: readonly Sample[];
}

/** Matrix is a range vector; range query results are sorted by labels. */
export interface Matrix {
  readonly kind: 'matrix';
  readonly series: readonly SeriesPoints[];
}

/** Value is any query result. */
export type Value = Scalar | StringValue | Vector | Matrix;
