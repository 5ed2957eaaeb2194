/**
 * Appending one scrape body to storage, the heart of Prometheus 2.42's scrapeLoop.append: parse
 * the page, map each series text through the cache (labels are parsed and relabeled only for
 * texts not seen before), enforce sample_limit and the 10-minute future bound, count storage
 * rejections instead of failing, and write staleness markers for series that disappeared.
 * @module
 */
import { type Labels, STALE_NAN } from '../model/index.js';
import type { RelabelConfig } from '../relabel/index.js';
import { type Appender, DuplicateSampleError, OutOfBoundsError, OutOfOrderSampleError, type SeriesRef, TooOldSampleError } from '../storage/index.js';
import { EntryKind, type ParserOptions, newParser } from '../textparse/index.js';
import { SampleLimitError } from './errors.js';
import { NO_ENTRY, type ScrapeCache } from './scrape-cache.js';
import type { ScrapeMetrics } from './scrape-metrics.js';
import { type LabelLimits, checkSeries, mutateSampleLabels } from './sample-labels.js';

/** Samples more than this far in the future are out of bounds, as in Prometheus. */
export const MAX_AHEAD_MS = 10 * 60 * 1000;

/** AppendSettings are what a scrape loop fixes for all its appends. */
export interface AppendSettings {
  readonly cache: ScrapeCache;
  readonly metrics: ScrapeMetrics;
  /** The target's public labels. */
  readonly targetLabels: Labels;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  /** 0 means no limit. */
  readonly sampleLimit: number;
  readonly labelLimits: LabelLimits;
  readonly parserOptions?: ParserOptions;
}

/** AppendErrors counts samples storage refused, by reason, with the first series refused. */
export interface AppendErrors {
  outOfOrder: number;
  duplicate: number;
  outOfBounds: number;
  /** Labels of the first refused sample's series, '' when none was refused. */
  example: string;
}

/**
 * rejectionWarnings words refused samples as Prometheus logs them, for a target's status:
 * they do not fail the scrape.
 */
export function rejectionWarnings(r: AppendErrors): string[] {
  const out: string[] = [];
  const ex = r.example === '' ? '' : ` (first: ${r.example})`;
  if (r.outOfOrder > 0) out.push(`Error on ingesting out-of-order samples: ${r.outOfOrder} dropped${ex}`);
  if (r.duplicate > 0) out.push(`Error on ingesting samples with different value but same timestamp: ${r.duplicate} dropped${ex}`);
  if (r.outOfBounds > 0) out.push(`Error on ingesting samples that are too old or are too far into the future: ${r.outOfBounds} dropped${ex}`);
  return out;
}

/** AppendResult is what one append reports. */
export interface AppendResult {
  /** Samples in the page (scrape_samples_scraped). */
  readonly total: number;
  /** Samples left after metric relabeling (scrape_samples_post_metric_relabeling). */
  readonly added: number;
  /** Series new to the cache that got a sample (scrape_series_added). */
  readonly seriesAdded: number;
  /** Samples storage refused; counted, not fatal. */
  readonly rejected: AppendErrors;
  /** Why the scrape must fail as a whole (parse error, limits, invalid series…), if it must. */
  readonly error: Error | undefined;
}

/**
 * appendScrape parses `body` and appends its samples at `t` (Unix ms, for samples without their
 * own timestamp or when honor_timestamps is off). An empty body appends nothing and so writes
 * staleness markers for every series of the previous scrape: that is how failed scrapes and
 * vanished targets end their series. `nowMs` bounds timestamps from the future.
 */
export function appendScrape(app: Appender, body: Buffer, contentType: string | undefined, t: number, s: AppendSettings, nowMs: number): AppendResult {
  const { cache, metrics } = s;
  const rejected: AppendErrors = { outOfOrder: 0, duplicate: 0, outOfBounds: 0, example: '' };
  const maxT = nowMs + MAX_AHEAD_MS;
  const limit = s.sampleLimit;
  let total = 0;
  let added = 0;
  let seriesAdded = 0;
  let appended = 0; // samples offered to storage, for sample_limit
  let limitHit = false;
  let error: Error | undefined;

  cache.beginScrape();
  try {
    const p = newParser(body, contentType, s.parserOptions);
    const buf = p.buffer;
    for (;;) {
      // Hint the parser with the series that followed the last one in the previous scrape: a
      // line that repeats it is matched byte for byte and its labels are not tokenized.
      const exp = cache.expected();
      if (exp !== NO_ENTRY) p.expect(cache.keyArena(), cache.keyOffset(exp), cache.keyLength(exp));
      else p.expect(undefined, 0, 0);
      const k = p.next();
      if (k === EntryKind.EOF) break;
      switch (k) {
        case EntryKind.Type:
          cache.setType(p.family(), p.type());
          continue;
        case EntryKind.Help:
          cache.setHelp(p.family(), p.help());
          continue;
        case EntryKind.Unit:
          cache.setUnit(p.family(), p.unit());
          continue;
        case EntryKind.Comment:
          continue;
        default:
      }
      total++;
      const ownTs = s.honorTimestamps && p.hasTimestamp();
      const st = ownTs ? p.timestamp() : t;
      const start = p.seriesStart();
      const end = p.seriesEnd();
      const id = p.matchedExpected() ? exp : cache.get(buf, start, end);
      let lset: Labels;
      if (id !== NO_ENTRY) {
        cache.note(id);
        const l = cache.labels(id);
        if (l === undefined) continue; // dropped by metric relabeling
        lset = l;
      } else {
        const mutated = mutateSampleLabels(p.labels(), s.targetLabels, s.honorLabels, s.metricRelabelConfigs);
        if (mutated === undefined) {
          cache.note(cache.add(buf, start, end, 0, undefined));
          continue;
        }
        try {
          checkSeries(mutated, s.labelLimits);
        } catch (e) {
          if ((e as Error).name === 'LabelLimitError') metrics.exceededLabelLimits.inc();
          throw e;
        }
        lset = mutated;
      }

      // The sample limit counts what survives relabeling; past it, parsing goes on so that
      // scrape_samples_scraped stays right, but nothing more is appended.
      let ref: SeriesRef | 0 = 0;
      let ok = false;
      if (limit > 0 && ++appended > limit) {
        limitHit = true;
      } else if (st > maxT) {
        rejected.outOfBounds++;
        if (rejected.example === '') rejected.example = lset.toString();
        metrics.sampleOutOfBounds.inc();
      } else {
        const cachedRef = id !== NO_ENTRY ? cache.ref(id) : 0;
        try {
          ref = app.append(cachedRef, lset, st, p.value());
          ok = true;
        } catch (e) {
          if (e instanceof OutOfOrderSampleError || e instanceof TooOldSampleError) {
            rejected.outOfOrder++;
            metrics.sampleOutOfOrder.inc();
          } else if (e instanceof DuplicateSampleError) {
            rejected.duplicate++;
            metrics.sampleDuplicate.inc();
          } else if (e instanceof OutOfBoundsError) {
            rejected.outOfBounds++;
            metrics.sampleOutOfBounds.inc();
          } else {
            throw e;
          }
          if (rejected.example === '') rejected.example = lset.toString();
        }
        // Storage re-created the series (the cached ref went stale): remember the new ref.
        if (ok && id !== NO_ENTRY && ref !== cachedRef) cache.setRef(id, ref);
      }
      if (id === NO_ENTRY) {
        // Prometheus caches a new series only once storage gave it a ref.
        let nid = NO_ENTRY;
        if (ref !== 0) {
          nid = cache.add(buf, start, end, ref, lset);
          if (!ownTs) cache.trackStaleness(nid);
          if (ok && !limitHit) seriesAdded++;
        }
        cache.note(nid);
      } else if (ok && !ownTs) {
        cache.trackStaleness(id);
      }
      // Exemplars are dropped deliberately: the Appender interface stores float samples only.
      added++;
    }
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  if (limitHit) {
    error ??= new SampleLimitError(limit, appended);
    metrics.exceededSampleLimit.inc();
  }
  if (error === undefined) {
    cache.forEachStale((lset) => {
      try {
        app.append(0, lset, t, STALE_NAN);
      } catch (e) {
        // Expected when the target went away and came back with a new loop.
        if (!(e instanceof OutOfOrderSampleError || e instanceof DuplicateSampleError)) {
          error = e instanceof Error ? e : new Error(String(e));
          return false;
        }
      }
      return true;
    });
  }
  if (error === undefined) cache.iterDone(body.length > 0);
  return { total, added, seriesAdded, rejected, error };
}
