/**
 * Array-backed series and iterators: for in-memory data, tests and merged results.
 * @module
 */
import type { Labels, Warning } from '../model/index.js';
import { ValueType, type SampleIterator, type Series, type SeriesSet } from './interface.js';

/** ArraySampleIterator iterates parallel timestamp and value arrays (sorted by timestamp). */
export class ArraySampleIterator implements SampleIterator {
  #ts: ArrayLike<number>;
  #vs: ArrayLike<number>;
  #n: number;
  #i = -1;

  constructor(ts: ArrayLike<number>, vs: ArrayLike<number>, n = ts.length) {
    this.#ts = ts;
    this.#vs = vs;
    this.#n = n;
  }

  /** reset points the iterator at new arrays, for reuse. */
  reset(ts: ArrayLike<number>, vs: ArrayLike<number>, n = ts.length): this {
    this.#ts = ts;
    this.#vs = vs;
    this.#n = n;
    this.#i = -1;
    return this;
  }

  next(): ValueType {
    if (this.#i >= this.#n) return ValueType.None;
    this.#i++;
    return this.#i < this.#n ? ValueType.Float : ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.#i >= this.#n) return ValueType.None;
    if (this.#i < 0) this.#i = 0;
    if (this.#i < this.#n && this.#ts[this.#i]! >= t) return ValueType.Float;
    // Binary search the rest.
    let lo = this.#i;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    this.#i = lo;
    return lo < this.#n ? ValueType.Float : ValueType.None;
  }

  atT(): number {
    return this.#ts[this.#i]!;
  }

  atF(): number {
    return this.#vs[this.#i]!;
  }

  err(): Error | undefined {
    return undefined;
  }
}

/** ListSeries is a series over in-memory arrays. */
export class ListSeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly ts: ArrayLike<number>,
    readonly vs: ArrayLike<number>,
    readonly n = ts.length,
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    if (reuse instanceof ArraySampleIterator) return reuse.reset(this.ts, this.vs, this.n);
    return new ArraySampleIterator(this.ts, this.vs, this.n);
  }
}

/** ListSeriesSet iterates an array of series (the caller keeps them sorted by labels). */
export class ListSeriesSet implements SeriesSet {
  #i = -1;
  constructor(
    readonly series: readonly Series[],
    readonly warns: readonly Warning[] = [],
    readonly error?: Error,
  ) {}

  next(): boolean {
    if (this.error) return false;
    this.#i++;
    return this.#i < this.series.length;
  }

  at(): Series {
    return this.series[this.#i]!;
  }

  err(): Error | undefined {
    return this.error;
  }

  warnings(): readonly Warning[] {
    return this.warns;
  }
}

/** EMPTY_SERIES_SET has no series. */
export const EMPTY_SERIES_SET: SeriesSet = new ListSeriesSet([]);
