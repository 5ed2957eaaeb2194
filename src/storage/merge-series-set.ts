/**
 * Merging of series sets from several queriers (head and blocks, or several blocks), as
 * Prometheus's storage.NewMergeSeriesSet with its chained-series merge: series with equal
 * labels become one series whose samples are the union, in time order, with duplicates of a
 * timestamp dropped (the sample of the earliest set wins).
 * @module
 */
import type { Labels, Warning } from '../model/index.js';
import { ValueType, type SampleIterator, type Series, type SeriesSet } from './interface.js';

/** MergeSeriesSet merges series sets that are each sorted by labels into one sorted set. */
export class MergeSeriesSet implements SeriesSet {
  readonly #sets: readonly SeriesSet[];
  // Whether each set has a current series, and which sets made up the last result.
  readonly #live: boolean[];
  readonly #used: boolean[];
  #started = false;
  #cur: Series | undefined;
  #err: Error | undefined;

  constructor(sets: readonly SeriesSet[]) {
    this.#sets = sets;
    this.#live = sets.map(() => false);
    this.#used = sets.map(() => false);
  }

  next(): boolean {
    if (this.#err !== undefined) return false;
    const sets = this.#sets;
    for (let i = 0; i < sets.length; i++) {
      if (!this.#started || this.#used[i]) {
        this.#live[i] = sets[i]!.next();
        if (!this.#live[i]) {
          const e = sets[i]!.err();
          if (e !== undefined) {
            this.#err = e;
            return false;
          }
        }
      }
      this.#used[i] = false;
    }
    this.#started = true;
    let min: Labels | undefined;
    for (let i = 0; i < sets.length; i++) {
      if (!this.#live[i]) continue;
      const l = sets[i]!.at().labels;
      if (min === undefined || l.compare(min) < 0) min = l;
    }
    if (min === undefined) return false;
    const parts: Series[] = [];
    for (let i = 0; i < sets.length; i++) {
      if (!this.#live[i]) continue;
      const s = sets[i]!.at();
      if (s.labels === min || s.labels.equals(min)) {
        parts.push(s);
        this.#used[i] = true;
      }
    }
    this.#cur = parts.length === 1 ? parts[0]! : new ChainedSeries(min, parts);
    return true;
  }

  at(): Series {
    return this.#cur!;
  }

  err(): Error | undefined {
    return this.#err;
  }

  warnings(): readonly Warning[] {
    const out: Warning[] = [];
    for (const s of this.#sets) out.push(...s.warnings());
    return out;
  }
}

/** ChainedSeries is one series made of several with the same labels. */
export class ChainedSeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly parts: readonly Series[],
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    const old = reuse instanceof ChainSampleIterator ? reuse.iterators() : [];
    const its = this.parts.map((p, i) => p.iterator(old[i]));
    return reuse instanceof ChainSampleIterator ? reuse.reset(its) : new ChainSampleIterator(its);
  }
}

/**
 * ChainSampleIterator merges iterators by timestamp. When several are at the same timestamp,
 * the one listed first provides the sample and the others skip it.
 */
export class ChainSampleIterator implements SampleIterator {
  #its: readonly SampleIterator[];
  // Per iterator: 0 not started, 1 positioned, 2 exhausted.
  #state: Uint8Array;
  #cur = -1;
  #err: Error | undefined;
  #done = false;

  constructor(its: readonly SampleIterator[]) {
    this.#its = its;
    this.#state = new Uint8Array(its.length);
  }

  /** reset reuses the iterator for other inputs. */
  reset(its: readonly SampleIterator[]): this {
    this.#its = its;
    this.#state = new Uint8Array(its.length);
    this.#cur = -1;
    this.#err = undefined;
    this.#done = false;
    return this;
  }

  /** iterators returns the inputs, for reuse. */
  iterators(): readonly SampleIterator[] {
    return this.#its;
  }

  #step(i: number, vt: ValueType): void {
    if (vt === ValueType.None) {
      this.#state[i] = 2;
      const e = this.#its[i]!.err();
      if (e !== undefined && this.#err === undefined) this.#err = e;
    } else {
      this.#state[i] = 1;
    }
  }

  #pick(): ValueType {
    if (this.#err !== undefined) {
      this.#done = true;
      return ValueType.None;
    }
    let best = -1;
    let bt = 0;
    for (let i = 0; i < this.#its.length; i++) {
      if (this.#state[i] !== 1) continue;
      const t = this.#its[i]!.atT();
      if (best < 0 || t < bt) {
        best = i;
        bt = t;
      }
    }
    this.#cur = best;
    if (best < 0) {
      this.#done = true;
      return ValueType.None;
    }
    return ValueType.Float;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    const its = this.#its;
    if (this.#cur < 0) {
      for (let i = 0; i < its.length; i++) if (this.#state[i] === 0) this.#step(i, its[i]!.next());
    } else {
      // Advance every input sitting at the sample just returned (duplicates included).
      const t = its[this.#cur]!.atT();
      for (let i = 0; i < its.length; i++) {
        if (this.#state[i] === 1 && its[i]!.atT() === t) this.#step(i, its[i]!.next());
        else if (this.#state[i] === 0) this.#step(i, its[i]!.seek(t + 1));
      }
    }
    return this.#pick();
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    const its = this.#its;
    if (this.#cur >= 0 && its[this.#cur]!.atT() >= t) return ValueType.Float;
    for (let i = 0; i < its.length; i++) {
      const s = this.#state[i];
      if (s === 0 || (s === 1 && its[i]!.atT() < t)) this.#step(i, its[i]!.seek(t));
    }
    return this.#pick();
  }

  atT(): number {
    return this.#its[this.#cur]!.atT();
  }

  atF(): number {
    return this.#its[this.#cur]!.atF();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
