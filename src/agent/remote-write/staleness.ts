/**
 * Staleness for pushed series: a series that was in the last cycle and is not in this one
 * (a container that stopped, a disk that was removed) gets one sample of the staleness
 * marker, so queries stop returning it at once instead of for the 5-minute lookback, as
 * Prometheus does for scraped series.
 * @module
 */
import { STALE_NAN } from '../../model/index.js';
import { MetricBatch, type FamilyView } from '../host/index.js';

/** StalenessTracker remembers the series of the previous cycle. */
export class StalenessTracker {
  /** Series key to (family, sample index) of the previous cycle's batch. */
  #prev = new Map<string, readonly [FamilyView, number]>();

  /** track records this cycle's series and returns the staleness markers for the series that disappeared (undefined when none did). */
  track(batch: MetricBatch): MetricBatch | undefined {
    const cur = new Map<string, readonly [FamilyView, number]>();
    for (const f of batch.families()) {
      const w = f.labelNames.length;
      for (let i = 0; i < f.size; i++) {
        let key = f.name;
        for (let j = 0; j < w; j++) key += '\u0000' + f.labelValue(i, j);
        if (!cur.has(key)) cur.set(key, [f, i]);
      }
    }
    let stale: MetricBatch | undefined;
    for (const [key, [f, i]] of this.#prev) {
      if (cur.has(key)) continue;
      stale ??= new MetricBatch();
      const h = stale.family(f.name, f.type, f.help, f.labelNames);
      const values: string[] = [];
      for (let j = 0; j < f.labelNames.length; j++) values.push(f.labelValue(i, j));
      stale.add(h, STALE_NAN, values);
    }
    this.#prev = cur;
    return stale;
  }
}
