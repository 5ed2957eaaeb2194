/**
 * The Prometheus HTTP API v1, `/federate` and the remote write and read endpoints, mounted on
 * the shared router. `mountPrometheusApi` is the one entry point; `PrometheusApiDeps` lists
 * what the composition root hands it.
 * @module
 */
import type { Config } from '../config/index.js';
import type { Registry } from '../instrument/index.js';
import type { Labels, Regex } from '../model/index.js';
import type { Engine } from '../promql/index.js';
import type { DroppedTarget, GlobalUrlOptions, ScrapeTarget } from '../scrape/index.js';
import type { Appendable, Queryable } from '../storage/index.js';
import { mountFederate } from './federate.js';
import { ApiContext } from './prometheus-context.js';
import { mountQueryRoutes } from './prometheus-query.js';
import { mountRulesRoutes } from './prometheus-rules.js';
import { mountSeriesRoutes } from './prometheus-series.js';
import { mountStatusRoutes } from './prometheus-status.js';
import { mountTargetRoutes } from './prometheus-targets.js';
import { mountRemoteRead } from './remote-read.js';
import { mountRemoteWrite } from './remote-write.js';
import type { Router } from './router.js';
import { type WarmUpOptions, warmUpQueryPath } from './prometheus-warmup.js';

/** TargetSource is what the API reads about scrape targets; vigil's ScrapeManager is one. */
export interface TargetSource {
  /** Job names with a scrape pool. */
  scrapePools(): string[];
  /** Targets being scraped, per job. */
  targetsActive(): ReadonlyMap<string, readonly ScrapeTarget[]>;
  /** Targets relabeling dropped, per job. */
  targetsDropped(): ReadonlyMap<string, readonly DroppedTarget[]>;
}

/** HeadView is the TSDB head as /api/v1/status/tsdb reads it; vigil's tsdb Head is one. */
export interface HeadView {
  numSeries(): number;
  numChunks(): number;
  /** Lowest sample time in ms; +Infinity while empty. */
  minTime(): number;
  /** Highest sample time in ms; -Infinity while empty. */
  maxTime(): number;
  /** Calls fn for every series in the head. */
  forEachSeries(fn: (s: { readonly labels: Labels }) => void): void;
}

/** BuildInfo is /api/v1/status/buildinfo. */
export interface BuildInfo {
  /**
   * The version clients see. Grafana enables features by this number, so report the
   * Prometheus API level served (vigil serves Prometheus 3's), not vigil's own release.
   */
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  /** Prometheus reports its Go version here; vigil reports its Node.js version. */
  readonly goVersion: string;
}

/** RuntimeState is what /api/v1/status/runtimeinfo reports beyond the process itself. */
export interface RuntimeState {
  /** When the server started, Unix ms. */
  readonly startTime: number;
  readonly reloadConfigSuccess: boolean;
  /** When the configuration was last loaded successfully, Unix ms (0: never). */
  readonly lastConfigTime: number;
  readonly corruptionCount: number;
  /** Retention as Prometheus prints it, e.g. `15d` or `10GiB` or `15d or 10GiB`. */
  readonly storageRetention: string;
}

/** AlertJSON is one active alert as /api/v1/alerts and /api/v1/rules print it. */
export interface AlertJSON {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
  /** RFC 3339 with nanoseconds, as Go prints time.Time. */
  readonly activeAt: string;
  readonly keepFiringSince?: string;
  /** The value formatted as Prometheus does (`1e+00`). */
  readonly value: string;
}

/** RuleJSON is one rule as /api/v1/rules prints it (recording rules leave out the alerting fields). */
export interface RuleJSON {
  readonly type: 'alerting' | 'recording';
  readonly name: string;
  readonly query: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
  readonly evaluationTime: number;
  readonly lastEvaluation: string;
  /** Alerting rules only. */
  readonly state?: 'inactive' | 'pending' | 'firing';
  readonly duration?: number;
  readonly keepFiringFor?: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly alerts?: readonly AlertJSON[];
}

/** RuleGroupJSON is one group as /api/v1/rules prints it. */
export interface RuleGroupJSON {
  readonly name: string;
  readonly file: string;
  readonly rules: readonly RuleJSON[];
  /** Seconds. */
  readonly interval: number;
  readonly limit: number;
  readonly evaluationTime: number;
  readonly lastEvaluation: string;
}

/** RulesSource lists loaded rule groups; absent until rules are wired in (empty lists then). */
export interface RulesSource {
  ruleGroups(): readonly RuleGroupJSON[];
}

/** PrometheusApiDeps is everything the Prometheus API needs; only engine and queryable are required. */
export interface PrometheusApiDeps {
  /** Evaluates /query and /query_range; must read the same storage as `queryable`. */
  readonly engine: Engine;
  /** Read by /series, /labels, /label/…/values, /federate, /read and the /status/tsdb fallback. */
  readonly queryable: Queryable;
  /**
   * Receives POST /api/v1/write. Without it the endpoint answers 404 as Prometheus does
   * without `--web.enable-remote-write-receiver`.
   */
  readonly appendable?: Appendable;
  /** Active and dropped targets and their metadata (ScrapeManager). */
  readonly targets?: TargetSource;
  /** The loaded configuration: /status/config, and external labels for /federate and /read. */
  readonly config?: () => Config | undefined;
  /** Flag values for /status/flags, as strings by flag name without dashes. */
  readonly flags?: () => Readonly<Record<string, string>>;
  readonly buildInfo?: BuildInfo;
  readonly runtime?: () => RuntimeState;
  /** The TSDB head for /status/tsdb; without it the stats are computed from `queryable`. */
  readonly head?: HeadView;
  /** Rule groups and alerts for /rules and /alerts. */
  readonly rules?: RulesSource;
  /** Alertmanager URLs in use and dropped by relabeling, for /alertmanagers (empty lists without). */
  readonly alertmanagers?: () => { readonly active: readonly string[]; readonly dropped: readonly string[] };
  /** While false, the API answers 503 like Prometheus before it is ready. Default: ready. */
  readonly ready?: () => boolean;
  /** Rewrites local scrape URLs for `globalUrl` in /targets. */
  readonly globalUrl?: GlobalUrlOptions;
  /** Window of /federate, ms (`--query.lookback-delta`, default 5m). */
  readonly lookbackDeltaMs?: number;
  /** Longest query, ms (`--query.timeout`, default 2m); a `timeout` parameter only shortens it. */
  readonly queryTimeoutMs?: number;
  /** Queries evaluated at once (`--query.max-concurrency`, default 20). */
  readonly maxConcurrentQueries?: number;
  /** Origins allowed to read answers (`--web.cors.origin`, default any). */
  readonly corsOrigin?: Regex;
  /** Most samples one remote read may return (`--storage.remote.read-sample-limit`, default 5e7; 0 = none). */
  readonly remoteReadSampleLimit?: number;
  /** Remote reads served at once (`--storage.remote.read-concurrent-limit`, default 10; 0 = none). */
  readonly remoteReadConcurrentLimit?: number;
  /** Largest frame of a streamed remote read (`--storage.remote.read-max-bytes-in-frame`, default 1 MiB). */
  readonly remoteReadMaxBytesInFrame?: number;
  /** Largest accepted request body (form or remote write), bytes. Default 32 MiB. */
  readonly maxRequestBytes?: number;
  /** Where the API's self-metrics go (remote-write counters, federation errors). */
  readonly registry?: Registry;
  /** Clock, Unix ms. */
  readonly now?: () => number;
  /**
   * Warm the query path up at mount time (synthetic data only; see prometheus-warmup.ts), so the
   * first queries a fresh server answers run optimised code. Default off (tests mount many APIs).
   */
  readonly warmUp?: boolean | WarmUpOptions;
  /** Receives failures worth logging (remote write append errors, federation errors). */
  readonly onError?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

/**
 * mountPrometheusApi adds the Prometheus HTTP API v1 under `/api/v1/`, `/federate`, and the
 * remote write (`POST /api/v1/write`) and read (`POST /api/v1/read`) endpoints to a router.
 */
export function mountPrometheusApi(router: Router, deps: PrometheusApiDeps): void {
  const ctx = new ApiContext(deps);
  mountQueryRoutes(router, ctx);
  mountSeriesRoutes(router, ctx);
  mountTargetRoutes(router, ctx);
  mountStatusRoutes(router, ctx);
  mountRulesRoutes(router, ctx);
  mountFederate(router, ctx);
  mountRemoteWrite(router, ctx);
  mountRemoteRead(router, ctx);
  if (deps.warmUp !== undefined && deps.warmUp !== false) {
    const opts = deps.warmUp === true ? {} : deps.warmUp;
    setImmediate(() => void warmUpQueryPath(opts));
  }
}
