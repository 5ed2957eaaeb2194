/**
 * The storage contracts that every metrics engine talks through: `scrape`, `promql`, `rules`
 * and `api` see only these, never `tsdb` internals.
 * @module
 */
import type { Labels, Matcher, Warning } from '../model/index.js';

/** SeriesRef identifies a series inside one storage; 0 means "not known yet". */
export type SeriesRef = number & { readonly __brand: 'SeriesRef' };

/** Appendable hands out appenders. */
export interface Appendable {
  /** appender starts a new batch. */
  appender(): Appender;
}

/**
 * Appender batches samples. Every appender must end with exactly one `commit()` or
 * `rollback()` and must not be used afterwards. Nothing appended is visible to queries, nor
 * durable, before `commit()` resolves.
 */
export interface Appender {
  /**
   * append adds a sample. `ref` is a ref returned earlier for the same labels, or 0 when
   * unknown; when non-zero, `labels` may be ignored. `t` is Unix ms. Returns the series ref.
   * Throws `OutOfOrderSampleError`, `DuplicateSampleError` or `OutOfBoundsError` for a sample
   * the storage cannot take; the rest of the batch stays valid.
   */
  append(ref: SeriesRef | 0, labels: Labels, t: number, v: number): SeriesRef;
  /** commit makes the batch durable and visible. */
  commit(): Promise<void>;
  /** rollback discards the batch. */
  rollback(): Promise<void>;
}

/** Queryable opens queriers over a time range. */
export interface Queryable {
  /** querier opens a reader over [mint, maxt], inclusive, in Unix ms. */
  querier(mint: number, maxt: number): Promise<Querier>;
}

/** SelectHints tell the storage what the caller will do with the series (all optional). */
export interface SelectHints {
  /** Inclusive start of the samples the caller needs, ms. */
  readonly start?: number;
  /** Inclusive end of the samples the caller needs, ms. */
  readonly end?: number;
  /** Query step in ms (0 for instant queries). */
  readonly step?: number;
  /** Name of the function around the selector (`rate`, …), or `series` for metadata calls
   * that need only labels, no samples. */
  readonly func?: string;
  /** Range of a matrix selector in ms. */
  readonly range?: number;
}

/** Querier reads series. Bounds are inclusive; it must be closed. */
export interface Querier {
  /**
   * select returns the series whose labels satisfy every matcher, sorted by labels
   * (`Labels.compare`). Resolves once index lookups and chunk reads are planned; iteration is
   * then synchronous. At least one matcher must not match the empty string.
   */
  select(matchers: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<SeriesSet>;
  /** labelValues returns the sorted distinct values of `name` over series matching `matchers`. */
  labelValues(name: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]>;
  /** labelNames returns the sorted distinct label names over series matching `matchers`. */
  labelNames(matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]>;
  /** close releases what the querier holds; the querier and its series are unusable after. */
  close(): Promise<void>;
}

/** SeriesSet is a pull iterator over series. */
export interface SeriesSet {
  /** next advances to the next series; false at the end or on error. */
  next(): boolean;
  /** at returns the current series; unspecified before the first next(). */
  at(): Series;
  /** err returns the error that stopped iteration, if any; check it after the loop. */
  err(): Error | undefined;
  /** warnings returns non-fatal notes collected while reading. */
  warnings(): readonly Warning[];
}

/** Series is one labelled series of samples. */
export interface Series {
  readonly labels: Labels;
  /** iterator returns a sample iterator, reusing `reuse` when it is of a compatible kind. */
  iterator(reuse?: SampleIterator): SampleIterator;
}

/** ValueType says what kind of sample an iterator is positioned at. */
export const ValueType = { None: 0, Float: 1, Histogram: 2 } as const;
/** One of ValueType's values. */
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * SampleIterator pulls samples in increasing timestamp order and allocates nothing per sample.
 * `atT`/`atF` are unspecified before the first `next()`/`seek()` and after `None`.
 * `seek(t)` moves to the first sample with timestamp >= t and never moves backwards (if the
 * current sample already satisfies it, it stays). After `None`, read `err()` once.
 */
export interface SampleIterator {
  next(): ValueType;
  seek(t: number): ValueType;
  atT(): number;
  atF(): number;
  err(): Error | undefined;
  /**
   * Optional bulk read: pushes the float samples with mint < t ≤ maxt to `sink` in time order in
   * one call, stopping at a histogram sample (then returns ValueType.Histogram, else None).
   * Errors are reported by err(); the iterator's position afterwards is unspecified.
   */
  readFloats?(mint: number, maxt: number, sink: FloatSink): ValueType;
}

/** FloatSink receives the samples of SampleIterator.readFloats. */
export interface FloatSink {
  push(t: number, v: number): void;
}

/** Storage is both Appendable and Queryable, and can be closed. */
export interface Storage extends Appendable, Queryable {
  /** close flushes and releases everything. */
  close(): Promise<void>;
}
