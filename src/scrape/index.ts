/**
 * Scraping: the manager of scrape pools, one loop per target, HTTP fetching with Prometheus's
 * headers and limits, appending pages through the scrape cache into an Appender, staleness
 * markers, synthetic series, target status and metadata for the API, and self-metrics.
 * @module
 */
export { ScrapeManager, jitterSeedFor } from './scrape-manager.js';
export type { ScrapeManagerOptions, TargetMetadata, TargetSets } from './scrape-manager.js';
export type { ScrapeOptions } from './scrape-options.js';
export { sameScrapeOptions, reusableCache } from './scrape-options.js';
export { ScrapePool } from './scrape-pool.js';
export type { DroppedTarget, NewScraper, ScrapePoolOptions } from './scrape-pool.js';
export { ScrapeLoop, SCRAPE_TIMESTAMP_TOLERANCE_MS, formatInterval } from './scrape-loop.js';
export type { ScrapeLoopOptions } from './scrape-loop.js';
export { ScrapeTarget, TargetHealth, labelsHash, scrapeOffsetNs, targetHash } from './scrape-target.js';
export { fnv64a } from './fnv64.js';
export { xxhash64 } from './xxhash64.js';
export { resolveFqdn } from './fqdn.js';
export type { ResolveFqdnOptions } from './fqdn.js';
export type { ScrapeTargetOptions } from './scrape-target.js';
export { ScrapeCache, NO_ENTRY, seriesHash } from './scrape-cache.js';
export type { MetricMetadata } from './scrape-cache.js';
export { appendScrape, MAX_AHEAD_MS, rejectionWarnings } from './scrape-append.js';
export type { AppendErrors, AppendResult, AppendSettings } from './scrape-append.js';
export { HttpClient, TargetScraper, DEFAULT_MAX_BODY_BYTES } from './http-scraper.js';
export { OAuth2TokenSource } from './oauth2-token.js';
export { BufferPool } from './buffer-pool.js';
export { Http1Connection, Http1Error, MAX_HEADER_BYTES } from './http1-connection.js';
export type { Http1RequestOptions, Http1Response } from './http1-connection.js';
export type { ScrapeResult, Scraper, TargetScraperOptions } from './http-scraper.js';
export { ScrapeMetrics, WindowedSummary } from './scrape-metrics.js';
export { checkSeries, mutateReportSampleLabels, mutateSampleLabels, verifyLabelLimits } from './sample-labels.js';
export type { LabelLimits } from './sample-labels.js';
export { activeTargetStatus, droppedTargetStatus, formatTime, globalUrl } from './target-status.js';
export type { ActiveTargetStatus, DroppedTargetStatus, GlobalUrlOptions } from './target-status.js';
export {
  BodySizeLimitError,
  InvalidSeriesError,
  OAuth2TokenError,
  LabelLimitError,
  SampleLimitError,
  ScrapeHttpError,
  ScrapeRequestError,
  TargetIntervalError,
  TargetLimitError,
} from './errors.js';
