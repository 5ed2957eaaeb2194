/**
 * Scrape endpoints: /api/v1/targets (state and scrapePool filters), /api/v1/scrape_pools,
 * /api/v1/targets/metadata and /api/v1/metadata, shaped as Prometheus 3 answers them.
 * @module
 */
import { type Matcher, matchesAll } from '../model/index.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { type ScrapeTarget, activeTargetStatus } from '../scrape/index.js';
import { BadDataError } from './errors.js';
import type { ApiContext } from './prometheus-context.js';
import { goFloat, goJSON, goString, joinJSON, labelsObject } from './prometheus-json.js';
import { invalidParam } from './prom-params.js';
import type { Router } from './router.js';

/** mountTargetRoutes registers the target and metadata endpoints. */
export function mountTargetRoutes(r: Router, ctx: ApiContext): void {
  ctx.route(r, ['GET'], '/scrape_pools', async () => {
    const pools = [...(ctx.deps.targets?.scrapePools() ?? [])].sort();
    return { data: goJSON({ scrapePools: pools }) };
  });

  ctx.route(r, ['GET'], '/targets', async (req) => {
    // Prometheus reads these two from the URL only, not from a form body.
    const q = req.url.searchParams;
    const scrapePool = q.get('scrapePool') ?? '';
    const state = (q.get('state') ?? '').toLowerCase();
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const src = ctx.deps.targets;
    const active: string[] = [];
    const dropped: string[] = [];
    let counts = 'null';
    if (showActive && src !== undefined) {
      const byPool = src.targetsActive();
      for (const pool of [...byPool.keys()].sort()) {
        if (scrapePool !== '' && pool !== scrapePool) continue;
        for (const t of byPool.get(pool)!) active.push(activeTargetJSON(t, ctx));
      }
    }
    if (showDropped) {
      const byPool = src?.targetsDropped() ?? new Map();
      const c: Record<string, number> = {};
      for (const pool of [...byPool.keys()].sort()) {
        const list = byPool.get(pool)!;
        c[pool] = list.length;
        if (scrapePool !== '' && pool !== scrapePool) continue;
        for (const t of list) dropped.push(`{"discoveredLabels":${labelsObject(t.discoveredLabels)},"scrapePool":${goString(pool)}}`);
      }
      counts = goJSON(c);
    }
    return { data: `{"activeTargets":${joinJSON(active)},"droppedTargets":${joinJSON(dropped)},"droppedTargetCounts":${counts}}` };
  });

  ctx.route(r, ['GET'], '/targets/metadata', async (_req, p) => {
    const limit = intParam(p, 'limit');
    const matchTarget = p.get('match_target') ?? '';
    let matchers: readonly Matcher[] = [];
    if (matchTarget !== '') {
      try {
        matchers = parseMetricSelector(matchTarget);
      } catch (e) {
        throw invalidParam('match_target', e);
      }
    }
    const metric = p.get('metric') ?? '';
    const out: string[] = [];
    const byPool = ctx.deps.targets?.targetsActive() ?? new Map<string, readonly ScrapeTarget[]>();
    for (const pool of [...byPool.keys()].sort()) {
      for (const t of byPool.get(pool)!) {
        if (limit >= 0 && out.length >= limit) break;
        if (matchTarget !== '' && !matchesAll(matchers, (n) => t.labels.get(n))) continue;
        const target = labelsObject(t.labels);
        if (metric === '') {
          for (const m of t.metadataList()) {
            out.push(`{"target":${target},"metric":${goString(m.metric)},"type":${goString(m.type)},"help":${goString(m.help)},"unit":${goString(m.unit)}}`);
          }
          continue;
        }
        const m = t.metadata(metric);
        if (m !== undefined) out.push(`{"target":${target},"type":${goString(m.type)},"help":${goString(m.help)},"unit":${goString(m.unit)}}`);
      }
    }
    return { data: joinJSON(out) };
  });

  ctx.route(r, ['GET'], '/metadata', async (_req, p) => {
    const limit = intParam(p, 'limit');
    const limitPerMetric = intParam(p, 'limit_per_metric');
    const metric = p.get('metric') ?? '';
    const byMetric = new Map<string, Map<string, string>>();
    const byPool = ctx.deps.targets?.targetsActive() ?? new Map<string, readonly ScrapeTarget[]>();
    for (const pool of [...byPool.keys()].sort()) {
      for (const t of byPool.get(pool)!) {
        const list = metric === '' ? t.metadataList() : [t.metadata(metric)];
        for (const m of list) {
          if (m === undefined) continue;
          let set = byMetric.get(m.metric);
          if (limitPerMetric > 0 && set !== undefined && set.size >= limitPerMetric) continue;
          if (set === undefined) {
            set = new Map();
            byMetric.set(m.metric, set);
          }
          const k = `${m.type}\u0000${m.help}\u0000${m.unit}`;
          if (!set.has(k)) set.set(k, `{"type":${goString(m.type)},"help":${goString(m.help)},"unit":${goString(m.unit)}}`);
        }
      }
    }
    let s = '{';
    let n = 0;
    for (const name of [...byMetric.keys()].sort()) {
      if (limit >= 0 && n >= limit) break;
      if (n > 0) s += ',';
      s += goString(name) + ':' + joinJSON([...byMetric.get(name)!.values()]);
      n++;
    }
    return { data: s + '}' };
  });
}

function intParam(p: URLSearchParams, name: string): number {
  const s = p.get(name) ?? '';
  if (s === '') return -1;
  if (!/^[+-]?\d+$/.test(s)) throw new BadDataError(`${name} must be a number`);
  return Number(s);
}

function activeTargetJSON(t: ScrapeTarget, ctx: ApiContext): string {
  const s = activeTargetStatus(t, ctx.deps.globalUrl);
  return (
    `{"discoveredLabels":${labelsObject(t.discoveredLabels)},"labels":${labelsObject(t.labels)},` +
    `"scrapePool":${goString(s.scrapePool)},"scrapeUrl":${goString(s.scrapeUrl)},"globalUrl":${goString(s.globalUrl)},` +
    `"lastError":${goString(s.lastError)},"lastScrape":${goString(s.lastScrape)},"lastScrapeDuration":${goFloat(s.lastScrapeDuration)},` +
    `"health":${goString(s.health)},"scrapeInterval":${goString(s.scrapeInterval)},"scrapeTimeout":${goString(s.scrapeTimeout)}}`
  );
}
