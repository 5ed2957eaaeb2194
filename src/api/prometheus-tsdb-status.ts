/**
 * /api/v1/status/tsdb: head statistics and the cardinality top lists Prometheus computes from
 * its head postings (series per metric name, values per label name, bytes of values per label
 * name, series per label pair), from the TSDB head when there is one, else from storage.
 * @module
 */
import { type Labels, Matcher, MatchType } from '../model/index.js';
import { compareUtf8 } from '../promql/index.js';
import { type Queryable, ValueType } from '../storage/index.js';
import type { HeadView } from './prometheus-api.js';
import { goString } from './prometheus-json.js';
import { MAX_TIME, MIN_TIME } from './prom-params.js';

/** TsdbStat is one entry of a top list. */
export interface TsdbStat {
  readonly name: string;
  readonly value: number;
}

/** TsdbStatus is the `data` of /api/v1/status/tsdb. */
export interface TsdbStatus {
  readonly numSeries: number;
  readonly numLabelPairs: number;
  readonly chunkCount: number;
  /** ms; +Infinity while empty. */
  readonly minTime: number;
  /** ms; -Infinity while empty. */
  readonly maxTime: number;
  readonly seriesCountByMetricName: readonly TsdbStat[];
  readonly labelValueCountByLabelName: readonly TsdbStat[];
  readonly memoryInBytesByLabelName: readonly TsdbStat[];
  readonly seriesCountByLabelValuePair: readonly TsdbStat[];
}

/** CardinalityCounter accumulates label statistics over series. */
class CardinalityCounter {
  // name → value → series count
  readonly #byName = new Map<string, Map<string, number>>();

  add(l: Labels): void {
    const n = l.length;
    for (let i = 0; i < n; i++) {
      const name = l.nameAt(i);
      let values = this.#byName.get(name);
      if (values === undefined) {
        values = new Map();
        this.#byName.set(name, values);
      }
      const v = l.valueAt(i);
      values.set(v, (values.get(v) ?? 0) + 1);
    }
  }

  result(limit: number): Omit<TsdbStatus, 'numSeries' | 'chunkCount' | 'minTime' | 'maxTime'> {
    const metrics: TsdbStat[] = [];
    const labelCounts: TsdbStat[] = [];
    const memory: TsdbStat[] = [];
    const pairs: TsdbStat[] = [];
    let numLabelPairs = 0;
    for (const [name, values] of this.#byName) {
      labelCounts.push({ name, value: values.size });
      numLabelPairs += values.size;
      let bytes = 0;
      for (const [v, count] of values) {
        if (name === '__name__') metrics.push({ name: v, value: count });
        pairs.push({ name: `${name}=${v}`, value: count });
        bytes += Buffer.byteLength(v);
      }
      memory.push({ name, value: bytes });
    }
    return {
      numLabelPairs,
      seriesCountByMetricName: top(metrics, limit),
      labelValueCountByLabelName: top(labelCounts, limit),
      memoryInBytesByLabelName: top(memory, limit),
      seriesCountByLabelValuePair: top(pairs, limit),
    };
  }
}

// Largest counts first; Prometheus leaves the order of ties to a heap, vigil sorts them by name.
function top(list: TsdbStat[], limit: number): TsdbStat[] {
  list.sort((a, b) => b.value - a.value || compareUtf8(a.name, b.name));
  return list.slice(0, limit);
}

/** headTsdbStatus computes the status from a TSDB head. */
export function headTsdbStatus(head: HeadView, limit: number): TsdbStatus {
  const c = new CardinalityCounter();
  head.forEachSeries((s) => c.add(s.labels));
  return { numSeries: head.numSeries(), chunkCount: head.numChunks(), minTime: head.minTime(), maxTime: head.maxTime(), ...c.result(limit) };
}

/**
 * storageTsdbStatus computes the status from any storage: every series, with the time range
 * of its samples (there are no chunks to count).
 */
export async function storageTsdbStatus(queryable: Queryable, limit: number, signal?: AbortSignal): Promise<TsdbStatus> {
  const q = await queryable.querier(MIN_TIME, MAX_TIME);
  try {
    const set = await q.select([new Matcher(MatchType.Regexp, '__name__', '.+')], { start: MIN_TIME, end: MAX_TIME }, signal);
    const c = new CardinalityCounter();
    let numSeries = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    while (set.next()) {
      const s = set.at();
      numSeries++;
      c.add(s.labels);
      const it = s.iterator();
      for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
        const t = it.atT();
        if (t < minTime) minTime = t;
        if (t > maxTime) maxTime = t;
      }
      const itErr = it.err();
      if (itErr !== undefined) throw itErr;
    }
    const err = set.err();
    if (err !== undefined) throw err;
    return { numSeries, chunkCount: 0, minTime, maxTime, ...c.result(limit) };
  } finally {
    await q.close();
  }
}

function stats(list: readonly TsdbStat[]): string {
  return '[' + list.map((s) => `{"name":${goString(s.name)},"value":${s.value}}`).join(',') + ']';
}

/** tsdbStatusJSON renders the status as Prometheus does (empty head: int64 extremes). */
export function tsdbStatusJSON(s: TsdbStatus): string {
  const minT = Number.isFinite(s.minTime) ? String(s.minTime) : '9223372036854775807';
  const maxT = Number.isFinite(s.maxTime) ? String(s.maxTime) : '-9223372036854775808';
  return (
    `{"headStats":{"numSeries":${s.numSeries},"numLabelPairs":${s.numLabelPairs},"chunkCount":${s.chunkCount},"minTime":${minT},"maxTime":${maxT}},` +
    `"seriesCountByMetricName":${stats(s.seriesCountByMetricName)},"labelValueCountByLabelName":${stats(s.labelValueCountByLabelName)},` +
    `"memoryInBytesByLabelName":${stats(s.memoryInBytesByLabelName)},"seriesCountByLabelValuePair":${stats(s.seriesCountByLabelValuePair)}}`
  );
}
