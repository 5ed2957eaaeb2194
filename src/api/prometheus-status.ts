/**
 * Status endpoints: /api/v1/status/config (the loaded configuration as YAML), /flags,
 * /buildinfo, /runtimeinfo and /tsdb, with Prometheus's field names and layouts.
 * @module
 */
import { availableParallelism, hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { formatTime } from '../scrape/index.js';
import { BadDataError } from './errors.js';
import type { BuildInfo } from './prometheus-api.js';
import { renderConfigYaml } from './prometheus-config-yaml.js';
import type { ApiContext } from './prometheus-context.js';
import { goJSON } from './prometheus-json.js';
import { type TsdbStatus, headTsdbStatus, storageTsdbStatus, tsdbStatusJSON } from './prometheus-tsdb-status.js';
import type { Router } from './router.js';

/** DEFAULT_BUILD_INFO is what /status/buildinfo reports when the server passes none. */
export const DEFAULT_BUILD_INFO: BuildInfo = {
  version: '3.0.0',
  revision: '',
  branch: '',
  buildUser: '',
  buildDate: '',
  goVersion: process.version,
};

// Prometheus caches head cardinality for 30 s: the walk over every series is not free.
const TSDB_STATUS_CACHE_MS = 30_000;

/** mountStatusRoutes registers the status endpoints. */
export function mountStatusRoutes(r: Router, ctx: ApiContext): void {
  const started = ctx.now();

  ctx.route(r, ['GET'], '/status/config', async () => {
    const cfg = ctx.deps.config?.();
    return { data: goJSON({ yaml: cfg === undefined ? '' : renderConfigYaml(cfg) }) };
  });

  ctx.route(r, ['GET'], '/status/flags', async () => {
    const flags = ctx.deps.flags?.() ?? {};
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(flags).sort()) sorted[k] = flags[k]!;
    return { data: goJSON(sorted) };
  });

  ctx.route(r, ['GET'], '/status/buildinfo', async () => {
    const b = ctx.deps.buildInfo ?? DEFAULT_BUILD_INFO;
    return {
      data: goJSON({ version: b.version, revision: b.revision, branch: b.branch, buildUser: b.buildUser, buildDate: b.buildDate, goVersion: b.goVersion }),
    };
  });

  ctx.route(r, ['GET'], '/status/runtimeinfo', async () => {
    const st = ctx.deps.runtime?.() ?? { startTime: started, reloadConfigSuccess: true, lastConfigTime: 0, corruptionCount: 0, storageRetention: '' };
    return {
      data: goJSON({
        startTime: formatTime(st.startTime),
        CWD: process.cwd(),
        hostname: hostname(),
        serverTime: formatTime(ctx.now()),
        reloadConfigSuccess: st.reloadConfigSuccess,
        lastConfigTime: formatTime(Math.floor(st.lastConfigTime / 1000) * 1000),
        corruptionCount: st.corruptionCount,
        // The Go runtime's figures have Node.js counterparts: live handles and requests,
        // usable cores, the V8 heap limit.
        goroutineCount: process.getActiveResourcesInfo().length,
        GOMAXPROCS: availableParallelism(),
        GOMEMLIMIT: getHeapStatistics().heap_size_limit,
        GOGC: '',
        GODEBUG: '',
        storageRetention: st.storageRetention,
      }),
    };
  });

  let cached: { readonly at: number; readonly limit: number; readonly status: TsdbStatus } | undefined;
  ctx.route(r, ['GET'], '/status/tsdb', async (_req, p, signal) => {
    let limit = 10;
    const s = p.get('limit') ?? '';
    if (s !== '') {
      limit = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
      if (!(limit >= 1)) throw new BadDataError('limit must be a positive number');
      if (limit > 10_000) throw new BadDataError('limit must not exceed 10000');
    }
    const now = ctx.now();
    if (cached === undefined || cached.limit !== limit || now - cached.at > TSDB_STATUS_CACHE_MS) {
      const head = ctx.deps.head;
      const status = head !== undefined ? headTsdbStatus(head, limit) : await storageTsdbStatus(ctx.queryable, limit, signal);
      cached = { at: now, limit, status };
    }
    return { data: tsdbStatusJSON(cached.status) };
  });

  ctx.route(r, ['GET'], '/status/walreplay', async () => {
    // vigil replays the WAL before it starts serving, so the replay is always complete here.
    return { data: goJSON({ min: 0, max: 0, current: 0 }) };
  });
}
