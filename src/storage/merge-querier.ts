/**
 * A Querier over several queriers (the head and each block in range), merging their results
 * with MergeSeriesSet. Selects run on all queriers at once.
 * @module
 */
import { compareStrings, type Matcher } from '../model/index.js';
import type { Querier, SelectHints, SeriesSet } from './interface.js';
import { MergeSeriesSet } from './merge-series-set.js';

/** mergeQueriers returns one querier over all of `queriers` (the first listed wins duplicate samples). */
export function mergeQueriers(queriers: readonly Querier[]): Querier {
  if (queriers.length === 1) return queriers[0]!;
  return new MergeQuerier(queriers);
}

/** MergeQuerier queries several queriers as one. */
export class MergeQuerier implements Querier {
  readonly #qs: readonly Querier[];

  constructor(queriers: readonly Querier[]) {
    this.#qs = queriers;
  }

  async select(matchers: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<SeriesSet> {
    const sets = await Promise.all(this.#qs.map((q) => q.select(matchers, hints, signal)));
    return sets.length === 1 ? sets[0]! : new MergeSeriesSet(sets);
  }

  async labelValues(name: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    return unionSorted(await Promise.all(this.#qs.map((q) => q.labelValues(name, matchers, signal))));
  }

  async labelNames(matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    return unionSorted(await Promise.all(this.#qs.map((q) => q.labelNames(matchers, signal))));
  }

  async close(): Promise<void> {
    const errs: unknown[] = [];
    for (const q of this.#qs) {
      try {
        await q.close();
      } catch (e) {
        errs.push(e);
      }
    }
    if (errs.length === 1) throw errs[0];
    if (errs.length > 1) throw new AggregateError(errs, 'closing merged queriers');
  }
}

function unionSorted(lists: readonly (readonly string[])[]): readonly string[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const s = new Set<string>();
  for (const l of nonEmpty) for (const v of l) s.add(v);
  return [...s].sort(compareStrings);
}
