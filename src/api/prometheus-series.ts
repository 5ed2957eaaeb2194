/**
 * Metadata endpoints over storage: /api/v1/series, /api/v1/labels and
 * /api/v1/label/<name>/values, with Prometheus's parameter checks, `match[]` semantics
 * (union over selectors), `limit` truncation and UTF-8 byte ordering.
 * @module
 */
import { type Labels, type Matcher, quoteGo } from '../model/index.js';
import { compareUtf8 } from '../promql/index.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { EMPTY_SERIES_SET, MergeSeriesSet, type Querier, type SeriesSet } from '../storage/index.js';
import { BadDataError } from './errors.js';
import type { ApiContext } from './prometheus-context.js';
import { CHUNK_CHARS, goString, labelsObject } from './prometheus-json.js';
import type { ApiAnswer } from './prometheus-response.js';
import { MAX_TIME, MIN_TIME, invalidParam, parseLimitParam, parseTimeParam } from './prom-params.js';
import type { Router } from './router.js';

const GET_POST = ['GET', 'POST'] as const;
const TRUNCATED = 'results truncated due to limit';

/**
 * parseMatchersParam parses `match[]` selectors; every selector needs a matcher that does
 * not match the empty string, as in Prometheus.
 */
export function parseMatchersParam(values: readonly string[]): Matcher[][] {
  const sets = values.map((s) => [...parseMetricSelector(s)]);
  for (const ms of sets) {
    if (!ms.some((m) => !m.matches(''))) throw new BadDataError('match[] must contain at least one non-empty matcher');
  }
  return sets;
}

/** mountSeriesRoutes registers /series, /labels and /label/:name/values. */
export function mountSeriesRoutes(r: Router, ctx: ApiContext): void {
  ctx.route(r, GET_POST, '/series', async (_req, p, signal) => {
    const match = p.getAll('match[]');
    if (match.length === 0) throw new BadDataError('no match[] parameter provided');
    const limit = parseLimitParam(p.get('limit'));
    const start = parseTimeParam(p, 'start', MIN_TIME);
    const end = parseTimeParam(p, 'end', MAX_TIME);
    let sets: Matcher[][];
    try {
      sets = parseMatchersParam(match);
    } catch (e) {
      throw invalidParam('match[]', e);
    }
    return withQuerier(ctx, start, end, async (q) => {
      const hints = { start, end, func: 'series' };
      let set: SeriesSet;
      if (sets.length === 1) set = await q.select(sets[0]!, hints, signal);
      else set = new MergeSeriesSet(await Promise.all(sets.map((ms) => q.select(ms, hints, signal))));
      const series: Labels[] = [];
      const warnings: string[] = set.warnings().map(String);
      let truncated = false;
      while (set.next()) {
        if (limit > 0 && series.length >= limit) {
          truncated = true;
          break;
        }
        series.push(set.at().labels);
        if ((series.length & 4095) === 0 && signal.aborted) throw signal.reason;
      }
      const err = set.err();
      if (err !== undefined) throw err;
      if (truncated) warnings.push(TRUNCATED);
      return { data: labelsListChunks(series), warnings };
    });
  });

  ctx.route(r, GET_POST, '/labels', async (_req, p, signal) => {
    const limit = parseLimitParam(p.get('limit'));
    const start = parseTimeParam(p, 'start', MIN_TIME);
    const end = parseTimeParam(p, 'end', MAX_TIME);
    const sets = parseMatchersParam(p.getAll('match[]'));
    return withQuerier(ctx, start, end, async (q) => {
      const names = await union(sets, (ms) => q.labelNames(ms, signal));
      return truncatedList(names, limit);
    });
  });

  ctx.route(r, ['GET'], '/label/:name/values', async (req, p, signal) => {
    let name = req.params['name'] ?? '';
    if (name.startsWith('U__')) name = unescapeName(name);
    if (!isValidLabelName(name)) throw new BadDataError(`invalid label name: ${quoteGo(name)}`);
    const limit = parseLimitParam(p.get('limit'));
    const start = parseTimeParam(p, 'start', MIN_TIME);
    const end = parseTimeParam(p, 'end', MAX_TIME);
    const sets = parseMatchersParam(p.getAll('match[]'));
    return withQuerier(ctx, start, end, async (q) => {
      const values = await union(sets, (ms) => q.labelValues(name, ms, signal));
      return truncatedList(values, limit);
    });
  });
}

async function withQuerier(ctx: ApiContext, start: number, end: number, fn: (q: Querier) => Promise<ApiAnswer>): Promise<ApiAnswer> {
  // An empty range reads nothing (Prometheus's queriers answer empty too).
  if (end < start) return fn(EMPTY_QUERIER);
  const q = await ctx.queryable.querier(start, end);
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

const EMPTY_QUERIER: Querier = {
  select: async () => EMPTY_SERIES_SET,
  labelValues: async () => [],
  labelNames: async () => [],
  close: async () => {},
};

/** union merges the sorted answers of several selectors (or of none: no matchers at all). */
async function union(sets: readonly Matcher[][], get: (ms: readonly Matcher[]) => Promise<readonly string[]>): Promise<string[]> {
  if (sets.length <= 1) return [...(await get(sets[0] ?? []))].sort(compareUtf8);
  const all = new Set<string>();
  for (const ms of sets) for (const v of await get(ms)) all.add(v);
  return [...all].sort(compareUtf8);
}

function truncatedList(list: string[], limit: number): ApiAnswer {
  if (limit > 0 && list.length > limit) return { data: stringListChunks(list.slice(0, limit)), warnings: [TRUNCATED] };
  return { data: stringListChunks(list) };
}

function* stringListChunks(list: readonly string[]): Generator<string> {
  let buf = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) buf += ',';
    buf += goString(list[i]!);
    if (buf.length >= CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  yield buf + ']';
}

function* labelsListChunks(list: readonly Labels[]): Generator<string> {
  let buf = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) buf += ',';
    buf += labelsObject(list[i]!);
    if (buf.length >= CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  yield buf + ']';
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * isValidLabelName accepts what Prometheus 3 accepts in the label-values path: any non-empty
 * UTF-8 name (well-formed UTF-16 here).
 */
export function isValidLabelName(name: string): boolean {
  return name.length > 0 && !LONE_SURROGATE.test(name);
}

/**
 * unescapeName reverses Prometheus's "values" escaping of a `U__` name: `__` is `_`, `_hex_`
 * is the code point; anything malformed leaves the name as it was.
 */
export function unescapeName(escaped: string): string {
  if (!escaped.startsWith('U__')) return escaped;
  const s = escaped.slice(3);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '_') {
      if (!/[A-Za-z0-9:]/.test(c)) return escaped;
      out += c;
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const close = s.indexOf('_', i + 1);
    if (close < 0) return escaped;
    const hex = s.slice(i + 1, close);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return escaped;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return escaped;
    out += String.fromCodePoint(cp);
    i = close;
  }
  return out;
}
