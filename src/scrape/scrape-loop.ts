/**
 * One target's scrape loop, as Prometheus 2.42 runs it: wait for the target's offset within the
 * interval, then scrape on every tick (timestamps aligned to the tick within 2 ms), append the
 * page and the synthetic series in one appender, and when stopped for good write staleness
 * markers after two intervals unless the target came back.
 * @module
 */
import { type Labels, LabelsBuilder, METRIC_NAME, STALE_NAN } from '../model/index.js';
import { type Appendable, type Appender, DuplicateSampleError, OutOfOrderSampleError, type SeriesRef } from '../storage/index.js';
import { BodySizeLimitError } from './errors.js';
import type { Scraper } from './http-scraper.js';
import { type AppendSettings, appendScrape, rejectionWarnings } from './scrape-append.js';
import type { ScrapeCache } from './scrape-cache.js';
import type { ScrapeMetrics } from './scrape-metrics.js';
import type { ScrapeTarget } from './scrape-target.js';
import { mutateReportSampleLabels } from './sample-labels.js';

/** Scrape timestamps within this distance of the tick are moved onto it (better compression). */
export const SCRAPE_TIMESTAMP_TOLERANCE_MS = 2;

const REPORT_NAMES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  // With extraMetrics (Prometheus's --enable-feature=extra-scrape-metrics):
  'scrape_timeout_seconds',
  'scrape_sample_limit',
  'scrape_body_size_bytes',
] as const;

/** ScrapeLoopOptions configure a ScrapeLoop. */
export interface ScrapeLoopOptions extends Omit<AppendSettings, 'cache' | 'targetLabels'> {
  readonly target: ScrapeTarget;
  readonly scraper: Scraper;
  readonly appendable: Appendable;
  /** A cache carried over from the previous loop of the same target, or a fresh one. */
  readonly cache: ScrapeCache;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Mixed into the target's offset so that several servers spread differently. */
  readonly jitterSeed?: bigint | number;
  /** Also report scrape_timeout_seconds, scrape_sample_limit and scrape_body_size_bytes. */
  readonly extraMetrics?: boolean;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Receives storage failures; the loop goes on scraping. */
  readonly onError?: (err: Error) => void;
}

/** ScrapeLoop scrapes one target until stopped. */
export class ScrapeLoop {
  readonly target: ScrapeTarget;
  readonly cache: ScrapeCache;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly #scraper: Scraper;
  readonly #appendable: Appendable;
  readonly #settings: AppendSettings;
  readonly #metrics: ScrapeMetrics;
  readonly #jitterSeed: bigint | number;
  readonly #now: () => number;
  readonly #onError: (err: Error) => void;
  readonly #stop = new AbortController();
  readonly #reportRefs: (SeriesRef | 0)[] = [0, 0, 0, 0, 0, 0, 0, 0];
  readonly #reportCount: number;
  #reportLabels: Labels[] | undefined;
  #forcedError: Error | undefined;
  #noEndOfRunStaleness = false;
  #running: Promise<void> | undefined;
  #mainDone: Promise<void> = Promise.resolve();

  constructor(options: ScrapeLoopOptions) {
    const { target, scraper, appendable, cache, intervalMs, timeoutMs, jitterSeed = 0, now = Date.now, metrics, extraMetrics = false, onError = () => {} } = options;
    if (!(intervalMs > 0)) throw new Error(`ScrapeLoop: intervalMs must be > 0, got ${intervalMs}`);
    this.target = target;
    this.cache = cache;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.#scraper = scraper;
    this.#appendable = appendable;
    this.#metrics = metrics;
    this.#jitterSeed = jitterSeed;
    this.#now = now;
    this.#onError = onError;
    this.#settings = { ...options, cache, targetLabels: target.labels };
    this.#reportCount = extraMetrics ? 8 : 5;
    target.setMetadataStore(cache);
  }

  /** setForcedError makes every scrape fail with err (target_limit, bad interval label); undefined clears it. */
  setForcedError(err: Error | undefined): void {
    this.#forcedError = err;
  }

  /** disableEndOfRunStalenessMarkers keeps a stopped loop from marking its series stale (its cache lives on). */
  disableEndOfRunStalenessMarkers(): void {
    this.#noEndOfRunStaleness = true;
  }

  /**
   * run scrapes until stop() or until `signal` (shutdown) aborts. After stop(), the returned
   * promise also covers the end-of-run staleness markers; after shutdown none are written.
   */
  run(signal: AbortSignal): Promise<void> {
    this.#running ??= this.#run(signal);
    return this.#running;
  }

  /**
   * stop ends the loop and resolves once it no longer scrapes; a scrape in flight finishes
   * first (scrapes are cancelled only on shutdown). Staleness markers may still follow.
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#mainDone;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let resolveMain!: () => void;
    this.#mainDone = new Promise((r) => (resolveMain = r));
    const stopped = this.#stop.signal;
    const either = AbortSignal.any([signal, stopped]);
    const interval = this.intervalMs;
    let last: number | undefined;
    let lastTick = 0;
    try {
      if (!(await sleep(this.target.offsetMs(interval, this.#jitterSeed, this.#now()), either))) return;
      let aligned = this.#now();
      lastTick = aligned;
      for (;;) {
        if (either.aborted) break;
        let scrapeTime = this.#now();
        if (interval > 100 * SCRAPE_TIMESTAMP_TOLERANCE_MS) {
          while (scrapeTime - aligned >= interval) aligned += interval;
          if (scrapeTime - aligned <= SCRAPE_TIMESTAMP_TOLERANCE_MS) scrapeTime = aligned;
        }
        last = await this.scrapeAndReport(last, scrapeTime, signal);
        // Like a Go ticker with a one-tick buffer: a tick missed during a long scrape fires at once.
        const now = this.#now();
        const next = lastTick + interval;
        if (next <= now) {
          lastTick = next + Math.floor((now - next) / interval) * interval;
          continue;
        }
        if (!(await sleep(next - now, either))) break;
        lastTick = next;
      }
    } finally {
      resolveMain();
    }
    if (signal.aborted || this.#noEndOfRunStaleness || last === undefined) return;
    await this.#endOfRunStaleness(lastTick, signal);
  }

  // #endOfRunStaleness waits for the tick when the next scrape would have been (its time is the
  // markers' timestamp), then one more tick and a tenth of the interval: if the target was
  // recreated its new loop has scraped by then, and these markers are refused as out of order.
  async #endOfRunStaleness(lastTick: number, signal: AbortSignal): Promise<void> {
    const interval = this.intervalMs;
    let next = lastTick + interval;
    let now = this.#now();
    if (next > now) {
      if (!(await sleep(next - now, signal))) return;
      now = this.#now();
    } else {
      next += Math.ceil((now - next) / interval) * interval; // a buffered tick fires at once
      if (next <= now) next += interval;
    }
    const staleTime = now;
    const following = next > staleTime ? next : next + interval;
    if (!(await sleep(following - this.#now(), signal))) return;
    if (!(await sleep(interval / 10, signal))) return;
    let app = this.#appendable.appender();
    try {
      const r = appendScrape(app, EMPTY, undefined, staleTime, this.#settings, this.#now());
      if (r.error !== undefined) {
        await app.rollback();
        app = this.#appendable.appender();
      }
      this.#reportStale(app, staleTime);
    } catch (e) {
      await app.rollback().catch(() => {});
      this.#onError(new Error(`staleness markers for ${this.target.url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      return;
    }
    try {
      await app.commit();
    } catch (e) {
      this.#onError(new Error(`staleness markers for ${this.target.url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    }
  }

  /**
   * scrapeAndReport performs one scrape at `appendTime` (Unix ms): fetch, append, report the
   * synthetic series, one commit. Returns the wall time the scrape started. `signal` cancels
   * the fetch (shutdown).
   */
  async scrapeAndReport(last: number | undefined, appendTime: number, signal: AbortSignal): Promise<number> {
    const start = this.#now();
    if (last !== undefined) this.#metrics.intervalLength.observe(formatInterval(this.intervalMs), (start - last) / 1000);
    const settings = this.#settings;
    let app: Appender = this.#appendable.appender();
    let total = 0;
    let added = 0;
    let seriesAdded = 0;
    let bytes = 0;
    let warnings: readonly string[] = [];
    let scrapeErr: Error | undefined = this.#forcedError;
    try {
      if (scrapeErr !== undefined) {
        const r = appendScrape(app, EMPTY, undefined, appendTime, settings, this.#now());
        if (r.error !== undefined) app = await this.#renew(app);
      } else {
        let body = EMPTY;
        let contentType: string | undefined;
        let release: (() => void) | undefined;
        try {
          const res = await this.#scraper.scrape(signal);
          body = res.body;
          contentType = res.contentType;
          release = res.release;
          bytes = body.length;
        } catch (e) {
          if (signal.aborted) {
            // Shutdown cut the scrape short: that says nothing about the target, so nothing is
            // recorded (Prometheus would write up 0 and staleness markers here).
            await app.rollback();
            return start;
          }
          scrapeErr = e instanceof Error ? e : new Error(String(e));
          if (e instanceof BodySizeLimitError) {
            this.#metrics.exceededBodySizeLimit.inc();
            bytes = -1;
          }
        }
        const r = appendScrape(app, body, contentType, appendTime, settings, this.#now());
        release?.(); // the body is not read after appendScrape: its buffer serves other scrapes
        ({ total, added, seriesAdded } = r);
        warnings = rejectionWarnings(r.rejected);
        if (r.error !== undefined) {
          // A failed append is rolled back whole; an empty append then marks the series stale.
          app = await this.#renew(app);
          if (appendScrape(app, EMPTY, undefined, appendTime, settings, this.#now()).error !== undefined) app = await this.#renew(app);
          scrapeErr ??= r.error;
        }
      }
      const durationMs = this.#now() - start;
      this.target.report(appendTime, durationMs, scrapeErr, warnings);
      this.#report(app, appendTime, [scrapeErr === undefined ? 1 : 0, durationMs / 1000, total, added, seriesAdded, this.timeoutMs / 1000, this.#settings.sampleLimit, bytes]);
    } catch (e) {
      // Storage refused the batch in an unexpected way: like Prometheus, drop this scrape's
      // samples, say so, and keep scraping.
      await app.rollback().catch(() => {});
      this.#onError(new Error(`appending scrape of ${this.target.url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      return start;
    }
    try {
      await app.commit();
    } catch (e) {
      this.#onError(new Error(`scrape commit for ${this.target.url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    }
    return start;
  }

  async #renew(app: Appender): Promise<Appender> {
    await app.rollback();
    return this.#appendable.appender();
  }

  #labelsFor(i: number): Labels {
    this.#reportLabels ??= REPORT_NAMES.map((n) => mutateReportSampleLabels(new LabelsBuilder().set(METRIC_NAME, n).labels(), this.target.labels));
    return this.#reportLabels[i]!;
  }

  #report(app: Appender, t: number, values: readonly number[]): void {
    for (let i = 0; i < this.#reportCount; i++) this.#addReportSample(app, i, t, values[i]!);
  }

  #reportStale(app: Appender, t: number): void {
    for (let i = 0; i < this.#reportCount; i++) this.#addReportSample(app, i, t, STALE_NAN);
  }

  #addReportSample(app: Appender, i: number, t: number, v: number): void {
    try {
      this.#reportRefs[i] = app.append(this.#reportRefs[i]!, this.#labelsFor(i), t, v);
    } catch (e) {
      // Expected when a target goes away and comes back with a new loop.
      if (!(e instanceof OutOfOrderSampleError || e instanceof DuplicateSampleError)) throw e;
    }
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

// sleep waits ms or until the signal aborts; resolves true when the time passed.
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** formatInterval prints an interval as Go's time.Duration.String does (`15s`, `1m0s`, `500ms`). */
export function formatInterval(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${s}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
