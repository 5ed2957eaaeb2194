/**
 * `/federate`: the newest sample of every series selected by `match[]` within the lookback
 * window, in the text exposition format, as Prometheus writes it: families ordered by metric
 * name, `# TYPE … untyped`, the series' own labels in order followed by the external labels it
 * lacks (and `instance=""`), the sample's timestamp in ms, stale series left out.
 * @module
 */
import { type Labels, type Matcher, METRIC_NAME, formatFloatG, isStaleNaN } from '../model/index.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { MergeSeriesSet, type SeriesSet, ValueType } from '../storage/index.js';
import { MetricType, TEXT_CONTENT_TYPE, TextWriter, escapeLabelValue, isLegacyLabelName } from '../textparse/index.js';
import type { ApiContext } from './prometheus-context.js';
import { requestSignal } from './prometheus-context.js';
import { CHUNK_CHARS } from './prometheus-json.js';
import { sendBody, sendPlainError } from './prometheus-response.js';
import { HttpError, type Router, formParams } from './router.js';

/** FederatedSample is one line of /federate before formatting. */
export interface FederatedSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
}

/**
 * selectFederated reads the newest non-stale sample of every matching series in
 * [maxt - lookbackMs, maxt], merged across selectors, sorted by metric name (series of one
 * name keep their label order).
 */
export async function selectFederated(ctx: ApiContext, sets: readonly (readonly Matcher[])[], maxt: number, signal: AbortSignal): Promise<FederatedSample[]> {
  const mint = maxt - ctx.lookbackDeltaMs;
  const q = await ctx.queryable.querier(mint, maxt);
  try {
    const hints = { start: mint, end: maxt };
    const set: SeriesSet = sets.length === 1 ? await q.select(sets[0]!, hints, signal) : new MergeSeriesSet(await Promise.all(sets.map((ms) => q.select(ms, hints, signal))));
    const out: FederatedSample[] = [];
    while (set.next()) {
      const s = set.at();
      const it = s.iterator();
      let t = NaN;
      let v = NaN;
      for (let vt = it.seek(mint); vt !== ValueType.None && it.atT() <= maxt; vt = it.next()) {
        if (vt !== ValueType.Float) continue;
        t = it.atT();
        v = it.atF();
      }
      const err = it.err();
      if (err !== undefined) throw err;
      if (Number.isNaN(t) || isStaleNaN(v)) continue;
      out.push({ labels: s.labels, t, v });
    }
    const err = set.err();
    if (err !== undefined) throw err;
    // A stable sort by name keeps the label order the storage returned within a family.
    const names = new Map<FederatedSample, string>();
    for (const x of out) names.set(x, x.labels.get(METRIC_NAME));
    out.sort((a, b) => {
      const na = names.get(a)!;
      const nb = names.get(b)!;
      return na < nb ? -1 : na > nb ? 1 : 0;
    });
    return out;
  } finally {
    await q.close();
  }
}

/**
 * federationChunks formats samples in the text format, appending the external labels each
 * series lacks; `instance` is always among them (empty unless configured).
 */
export function* federationChunks(samples: readonly FederatedSample[], external: Labels): Generator<string> {
  const ext = new Map<string, string>();
  external.forEach((n, v) => ext.set(n, v));
  if (!ext.has('instance')) ext.set('instance', '');
  const extNames = [...ext.keys()].sort();
  const w = new TextWriter();
  let buf = '';
  let lastName: string | undefined;
  for (const s of samples) {
    const name = s.labels.get(METRIC_NAME);
    if (name === '') continue; // Prometheus skips nameless series.
    if (name !== lastName) {
      w.reset();
      buf += w.type(name, MetricType.Unknown).text();
      lastName = name;
    }
    let body = '';
    const used = new Set<string>();
    const n = s.labels.length;
    for (let i = 0; i < n; i++) {
      const ln = s.labels.nameAt(i);
      const lv = s.labels.valueAt(i);
      if (ln === METRIC_NAME || lv === '') continue;
      if (ext.has(ln)) used.add(ln);
      body += (body === '' ? '' : ',') + labelPair(ln, lv);
    }
    for (const ln of extNames) {
      if (used.has(ln)) continue;
      body += (body === '' ? '' : ',') + labelPair(ln, ext.get(ln)!);
    }
    buf += `${name}{${body}} ${formatFloatG(s.v)} ${s.t}\n`;
    if (buf.length >= CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  yield buf;
}

function labelPair(name: string, value: string): string {
  const n = isLegacyLabelName(name) ? name : `"${escapeLabelValue(name)}"`;
  return `${n}="${escapeLabelValue(value)}"`;
}

/** mountFederate registers GET /federate. */
export function mountFederate(r: Router, ctx: ApiContext): void {
  r.handle('GET', '/federate', async (req, res) => {
    ctx.instrument('/federate', res);
    if (!ctx.ready()) return sendPlainError(res, 503, 'Service Unavailable');
    let params: URLSearchParams;
    try {
      params = await formParams(req, ctx.maxRequestBytes);
    } catch (e) {
      if (e instanceof HttpError && e.status !== 400) throw e;
      return sendPlainError(res, 400, `error parsing form values: ${(e as Error).message}`);
    }
    const sets: (readonly Matcher[])[] = [];
    for (const s of params.getAll('match[]')) {
      try {
        const ms = parseMetricSelector(s);
        // A selector without any matcher (`{}`) selects nothing, as in Prometheus.
        if (ms.length > 0) sets.push(ms);
      } catch (e) {
        return sendPlainError(res, 400, (e as Error).message);
      }
    }
    let samples: FederatedSample[] = [];
    if (sets.length > 0) {
      try {
        samples = await selectFederated(ctx, sets, ctx.now(), requestSignal(req.raw, res));
      } catch (e) {
        ctx.report('federation failed', { err: (e as Error).message });
        return sendPlainError(res, 500, (e as Error).message);
      }
    }
    await sendBody(req, res, federationChunks(samples, ctx.externalLabels()), { status: 200, contentType: TEXT_CONTENT_TYPE });
  });
}
