/**
 * Staleness for pushed series: a series that was in the last cycle and is not in this one
 * (a container that stopped, a disk that was removed) gets one sample of the staleness
 * marker, so queries stop returning it at once instead of for the 5-minute lookback, as
 * Prometheus does for scraped series.
 * @module
 */
import { STALE_NAN } from '../../model/index.js';
import { MetricBatch, compareSamples, sortedSampleOrder, type FamilyView } from '../host/index.js';

/**
 * StalenessTracker remembers the families of the previous cycle. Each family's samples in
 * label order (which the encoder computes anyway) are walked beside the previous cycle's, so
 * a cycle builds no key per series.
 */
export class StalenessTracker {
  #prev: readonly FamilyView[] = [];

  /** track records this cycle's series and returns the staleness markers for the series that disappeared (undefined when none did). */
  track(batch: MetricBatch): MetricBatch | undefined {
    const cur = new Map<string, FamilyView>();
    for (const f of batch.families()) if (f.size > 0) cur.set(f.name, f);
    let stale: MetricBatch | undefined;
    for (const p of this.#prev) {
      const c = cur.get(p.name);
      const w = p.labelNames.length;
      const co = c !== undefined && sameNames(p.labelNames, c.labelNames) ? sortedSampleOrder(c) : [];
      let k = 0;
      let h = -1;
      for (const i of sortedSampleOrder(p)) {
        let cmp = -1;
        while (k < co.length && (cmp = compareSamples(c!, co[k]!, p, i, w)) < 0) k++;
        if (k < co.length && cmp === 0) continue;
        stale ??= new MetricBatch();
        if (h < 0) h = stale.family(p.name, p.type, p.help, p.labelNames);
        const values: string[] = [];
        for (let j = 0; j < w; j++) values.push(p.labelValue(i, j));
        stale.add(h, STALE_NAN, values);
      }
    }
    this.#prev = [...cur.values()];
    return stale;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
