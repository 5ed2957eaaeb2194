/**
 * Range aggregations (`count_over_time`, `rate`, `*_over_time` with unwrap, …) over every
 * evaluation step in one pass over the data: additive functions add each entry to the steps
 * whose window holds it; the others keep each series' samples and slide a window over them.
 * Windows are `(t − offset − range, t − offset]` at nanosecond precision, as in Loki.
 * @module
 */
import { Labels, LabelsBuilder, Matcher, type Matcher as MatcherT } from '../../model/index.js';
import type { EntryBatch, QueryableLogStore } from '../store/index.js';
import { EntryLabels, ERROR_DETAILS_LABEL, ERROR_LABEL, PipelineError, withFields } from './entry-labels.js';
import { LimitExceededError, QueryError } from './errors.js';
import { pushdownOf } from './line-filter.js';
import type { Grouping, LabelFilterExpr, RangeAggregation, Stage, StreamMatcher, UnwrapConversion } from './parser/index.js';
import { parseBytes, parseGoDuration } from './parser/index.js';
import { compileLabelFilter, Pipeline, storeHints, type LabelPredicate, type StreamPipeline } from './pipeline.js';
import type { QueryStats, StepSeries, Steps } from './query-result.js';

/** EvalContext carries what evaluation needs besides the expression. */
export interface EvalContext {
  readonly store: QueryableLogStore;
  readonly signal: AbortSignal;
  readonly stats: QueryStats;
  /** Most series an intermediate result may hold. */
  readonly maxSeries: number;
  readonly warnings: string[];
}

/** Streams read at once: their reads and decompressions overlap on zlib's thread pool. */
const CURSOR_CONCURRENCY = 4;

/** eachConcurrently runs `f` over items with at most `limit` in flight; rejects on the first failure. */
export async function eachConcurrently<T>(items: readonly T[], limit: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const ADDITIVE = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum_over_time']);

/** isAdditive tells whether a range function's value over a group is the sum over its members. */
export function isAdditive(op: string): boolean {
  return ADDITIVE.has(op);
}

/** toMatchers converts parsed stream matchers into model matchers. */
export function toMatchers(ms: readonly StreamMatcher[]): MatcherT[] {
  return ms.map((m) => new Matcher(m.type, m.name, m.value));
}

interface Acc {
  readonly labels: Labels;
  val: Float64Array | undefined;
  cnt: Uint32Array | undefined;
  pt: number[];
  pns: number[];
  pv: number[];
  sorted: boolean;
}

const VALUE_RE = /^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+|[iI]nf(?:inity)?|NaN)$/;

function convert(conv: UnwrapConversion, v: string): number | undefined {
  switch (conv) {
    case 'none': {
      const s = v.trim();
      if (!VALUE_RE.test(v)) return undefined;
      if (/^[+-]?[iI]nf/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
      return Number(s);
    }
    case 'duration':
    case 'duration_seconds':
      return parseGoDuration(v);
    case 'bytes':
      return parseBytes(v);
  }
}

/** project keeps (by) or drops (without) labels. */
function projector(g: Grouping | undefined): ((l: Labels) => Labels) | undefined {
  if (g === undefined) return undefined;
  const cache = new Map<string, Labels>();
  return (l) => {
    const k = l.key();
    let p = cache.get(k);
    if (p === undefined) {
      p = g.without ? l.without(...g.labels) : l.only(...g.labels);
      if (cache.size > 100_000) cache.clear();
      cache.set(k, p);
    }
    return p;
  };
}

/**
 * evalRangeAgg evaluates a range aggregation at every step. `projection`, given by an
 * enclosing `sum`, folds series into its groups early (only for additive functions).
 */
export async function evalRangeAgg(node: RangeAggregation, steps: Steps, ctx: EvalContext, projection?: Grouping): Promise<StepSeries[]> {
  const { op, arg } = node;
  const R = arg.rangeMs;
  const O = arg.offsetMs;
  const n = steps.n;
  const stepMs = steps.step > 0 ? steps.step : 1;
  const first = steps.start;
  const last = steps.start + (n - 1) * steps.step;
  const matchers = toMatchers(arg.query.matchers);
  const push = pushdownOf(arg.query.pipeline);
  const pipeline = new Pipeline(arg.query.pipeline, push.applied);
  const unwrap = arg.unwrap;
  const post: LabelPredicate[] = unwrap?.postFilters.map((f) => compileLabelFilter(f.expr)) ?? [];
  const additive = ADDITIVE.has(op);
  const isBytes = op === 'bytes_over_time' || op === 'bytes_rate';
  const group = projector(additive ? projection : node.grouping);
  const series = new Map<string, Acc>();
  const absent = op === 'absent_over_time';
  const globalCnt = absent ? new Uint32Array(n) : undefined;

  const grouping = additive ? projection : node.grouping;
  const byNames = grouping !== undefined && !grouping.without ? grouping.labels : undefined;
  const cols = isBytes ? undefined : columnPlan(arg.query.pipeline, byNames, unwrap, absent);

  const cursors = await ctx.store.cursors(
    {
      matchers,
      mint: first - O - R,
      maxt: last - O,
      direction: 'forward',
      lines: !pipeline.isNoop,
      bytes: isBytes,
      jsonFields: cols?.names,
      needles: push.needles,
      foldedNeedles: push.foldedNeedles,
      filter: push.filter,
      hints: storeHints(arg.query.pipeline),
      onWarning: (w) => ctx.warnings.push(w),
    },
    ctx.signal,
  );

  const accFor = (labels: Labels): Acc => {
    const key = labels.key();
    let a = series.get(key);
    if (a === undefined) {
      if (series.size >= ctx.maxSeries) {
        throw new LimitExceededError('max_query_series', series.size + 1, ctx.maxSeries, `maximum number of series (${ctx.maxSeries}) reached for a single query`);
      }
      a = { labels, val: undefined, cnt: undefined, pt: [], pns: [], pv: [], sorted: true };
      if (additive) {
        a.val = new Float64Array(n);
        a.cnt = new Uint32Array(n);
      }
      series.set(key, a);
    }
    return a;
  };

  const byCache = new Map<string, Acc>();
  const accForBy = (lbs: EntryLabels): Acc => {
    let key = '';
    for (const name of byNames!) key += (lbs.get(name) ?? '') + '\u0000';
    let a = byCache.get(key);
    if (a === undefined) {
      const nv: string[] = [];
      for (const name of byNames!) nv.push(name, lbs.get(name) ?? '');
      a = accFor(Labels.fromStrings(...nv));
      byCache.set(key, a);
    }
    return a;
  };

  // add puts one sample into the steps whose window holds it.
  const add = (a: Acc | undefined, t: number, ns: number, v: number): void => {
    const c = t + (ns > 0 ? 1 : 0);
    let klo = Math.ceil((c + O - first) / stepMs);
    let khi = Math.floor((c + O + R - 1 - first) / stepMs);
    if (klo < 0) klo = 0;
    if (khi > n - 1) khi = n - 1;
    if (klo > khi) return;
    if (globalCnt !== undefined) {
      for (let k = klo; k <= khi; k++) globalCnt[k]!++;
      return;
    }
    if (a === undefined) return;
    if (additive) {
      const val = a.val!;
      const cnt = a.cnt!;
      for (let k = klo; k <= khi; k++) {
        val[k]! += v;
        cnt[k]!++;
      }
    } else {
      const len = a.pt.length;
      if (len > 0) {
        const pt = a.pt[len - 1]!;
        if (t < pt || (t === pt && ns < a.pns[len - 1]!)) a.sorted = false;
      }
      a.pt.push(t);
      a.pns.push(ns);
      a.pv.push(v);
    }
  };

  await eachConcurrently(cursors, CURSOR_CONCURRENCY, async (cur) => {
    const sp = pipeline.isNoop ? undefined : pipeline.forStream(cur.labels);
    const streamLabels = cur.labels;
    const streamAcc = absent ? undefined : sp === undefined && unwrap === undefined ? accFor(group === undefined ? streamLabels : group(streamLabels)) : undefined;
    for (let b: EntryBatch | undefined = await cur.next(ctx.signal); b !== undefined; b = await cur.next(ctx.signal)) {
      ctx.signal.throwIfAborted();
      const count = b.count;
      ctx.stats.linesProcessed += count;
      for (let i = 0; i < count; i++) ctx.stats.bytesProcessed += b.bytes[i]!;
      if (b.columns !== undefined && cols !== undefined) {
        // Answered from the JSON index. Fields are dictionary codes, so the filters, the unwrap
        // and the grouping run once per distinct combination of values, not once per entry.
        const columns = b.columns;
        const colLbs = cols.lbs;
        const memo = new Map<number, { a: Acc | undefined; v: number } | null>();
        for (let i = 0; i < count; i++) {
          let key = 0;
          for (let j = 0; j < columns.length; j++) key = key * 256 + columns[j]!.codes[i]!;
          let r = columns.length <= 6 ? memo.get(key) : undefined;
          if (r === undefined) {
            colLbs.reset(streamLabels);
            for (let j = 0; j < columns.length; j++) {
              const c = columns[j]!;
              const code = c.codes[i]!;
              if (code !== 0) colLbs.set(cols.names[j]!, c.values[code - 1]!);
            }
            r = null;
            let keep = true;
            for (const f of cols.filters) {
              if (!f(colLbs)) {
                keep = false;
                break;
              }
            }
            if (keep) {
              let value: number | undefined = 1;
              if (unwrap !== undefined) value = unwrapFrom(colLbs, unwrap.label, unwrap.conversion, post);
              else if (colLbs.hasErr()) throw pipelineError(colLbs.get(ERROR_LABEL)!, colLbs.labels());
              if (value !== undefined) r = { a: absent ? undefined : accForBy(colLbs), v: value };
            }
            if (columns.length <= 6) memo.set(key, r);
          }
          if (r !== null) add(r.a, b.t[i]!, b.ns[i]!, r.v);
        }
        continue;
      }
      if (sp === undefined && unwrap === undefined && b.fields === undefined) {
        // Fast path: no pipeline, the stream is the series.
        if (additive && !isBytes && streamAcc !== undefined) {
          // Counting: per step, the entries in its window by binary search over the sorted times.
          countWindows(b, streamAcc.val!, streamAcc.cnt!, first, stepMs, n, R, O);
          continue;
        }
        for (let i = 0; i < count; i++) add(streamAcc, b.t[i]!, b.ns[i]!, isBytes ? b.bytes[i]! : 1);
        continue;
      }
      for (let i = 0; i < count; i++) {
        const t = b.t[i]!;
        const ns = b.ns[i]!;
        let line: string | undefined = b.lines === undefined ? '' : b.lines[i]!;
        let labels = streamLabels;
        if (sp !== undefined) {
          line = sp.process(t, ns, line, b.fields?.[i]);
          if (line === undefined) continue;
        }
        let value = 1;
        if (isBytes) value = line === b.lines?.[i] ? b.bytes[i]! : Buffer.byteLength(line);
        if (unwrap !== undefined) {
          const r = unwrapValue(sp, streamLabels, unwrap.label, unwrap.conversion, post);
          if (r === undefined) continue;
          value = r;
          if (sp === undefined) labels = streamLabels.without(unwrap.label);
        } else if (sp !== undefined && sp.lbs.hasErr()) {
          throw pipelineError(sp.lbs.get(ERROR_LABEL)!, sp.labels());
        } else if (sp === undefined && b.fields?.[i] !== undefined) {
          labels = withFields(streamLabels, b.fields[i]!);
        }
        if (absent) {
          add(undefined, t, ns, value);
        } else if (sp !== undefined && byNames !== undefined) {
          // Grouping by a few labels: read them off the entry, skip building its label set.
          add(accForBy(sp.lbs), t, ns, value);
        } else {
          if (sp !== undefined) labels = sp.labels();
          add(accFor(group === undefined ? labels : group(labels)), t, ns, value);
        }
      }
    }
  });

  if (absent) return absentResult(arg.query.matchers, globalCnt!);
  const out: StepSeries[] = [];
  const rangeSec = R / 1000;
  for (const a of series.values()) {
    const v = new Float64Array(n);
    const ok = new Uint8Array(n);
    let any = false;
    if (additive) {
      const val = a.val!;
      const cnt = a.cnt!;
      for (let k = 0; k < n; k++) {
        if (cnt[k] === 0) continue;
        ok[k] = 1;
        any = true;
        v[k] = op === 'rate' || op === 'bytes_rate' ? val[k]! / rangeSec : val[k]!;
      }
    } else {
      any = windowed(a, op, node.param, steps, R, O, v, ok);
    }
    if (any) out.push({ labels: a.labels, v, ok });
  }
  return out;
}

// countWindows adds, for every step whose window holds some of the batch's entries (times in
// ascending order), the number of entries in that window: two binary searches per step instead
// of work per entry. An entry at (t ms, ns) is in the window of step time T when
// T − O − R < t + ns/10⁶ ≤ T − O, i.e. T − O − R + 1 ≤ c ≤ T − O with c = t + (ns > 0 ? 1 : 0).
function countWindows(b: EntryBatch, val: Float64Array, cnt: Uint32Array, first: number, stepMs: number, n: number, R: number, O: number): void {
  const count = b.count;
  if (count === 0) return;
  const t = b.t;
  const ns = b.ns;
  const c = (i: number): number => t[i]! + (ns[i]! > 0 ? 1 : 0);
  // First index with c >= x.
  const lower = (x: number): number => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c(mid) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let klo = Math.ceil((c(0) + O - first) / stepMs);
  let khi = Math.floor((c(count - 1) + O + R - 1 - first) / stepMs);
  if (klo < 0) klo = 0;
  if (khi > n - 1) khi = n - 1;
  for (let k = klo; k <= khi; k++) {
    const tk = first + k * stepMs;
    const m = lower(tk - O + 1) - lower(tk - O - R + 1);
    if (m > 0) {
      val[k]! += m;
      cnt[k]! += m;
    }
  }
}

function pipelineError(err: string, labels: Labels): QueryError {
  return new QueryError(
    `pipeline error: '${err}' for series: '${labels.toString()}'. Use a label filter to intentionally skip this error. (e.g | __error__!="${err}"). To skip all potential errors you can match empty errors.(e.g __error__="") The label filter can also be specified after unwrap. Eg: | unwrap latency | __error__=""`,
  );
}

// unwrapValue reads the unwrapped label of the entry the pipeline (or stream) holds, and
// removes the label from the entry (the series does not keep it).
function unwrapValue(
  sp: StreamPipeline | undefined,
  stream: Labels,
  label: string,
  conv: UnwrapConversion,
  post: readonly LabelPredicate[],
): number | undefined {
  if (sp === undefined) {
    const raw = stream.get(label);
    if (raw === '') return undefined;
    const v = convert(conv, raw);
    if (v === undefined) throw pipelineError(PipelineError.SampleExtraction, stream);
    return v;
  }
  return unwrapFrom(sp.lbs, label, conv, post);
}

// unwrapFrom reads the unwrapped label of an entry's labels (then removes it).
function unwrapFrom(lbs: EntryLabels, label: string, conv: UnwrapConversion, post: readonly LabelPredicate[]): number | undefined {
  const raw = lbs.get(label);
  let value = 0;
  if (!lbs.hasErr()) {
    if (raw === undefined) return undefined;
    const v = convert(conv, raw);
    if (v === undefined) lbs.setErr(PipelineError.SampleExtraction, `cannot convert "${raw}" of label ${label}`);
    else value = v;
  }
  for (const f of post) if (!f(lbs)) return undefined;
  if (lbs.hasErr()) throw pipelineError(lbs.get(ERROR_LABEL)!, lbs.labels());
  lbs.del(label);
  return value;
}

/**
 * columnPlan: when the pipeline is `| json` followed only by label filters, and the result
 * needs no labels but some of the entry's fields (grouping by names, absent_over_time), those
 * fields can come from the store's JSON indexes instead of parsing lines.
 */
function columnPlan(stages: readonly Stage[], byNames: readonly string[] | undefined, unwrap: RangeAggregation['arg']['unwrap'], absent: boolean): { names: string[]; filters: LabelPredicate[]; lbs: EntryLabels } | undefined {
  const first = stages[0];
  if (first === undefined || first.kind !== 'json' || first.params.length > 0) return undefined;
  if (byNames === undefined && !absent) return undefined;
  const names = new Set<string>(byNames ?? []);
  const filters: LabelPredicate[] = [];
  const collect = (e: LabelFilterExpr): void => {
    if ('lhs' in e) {
      collect(e.lhs);
      collect(e.rhs);
    } else {
      names.add(e.name);
    }
  };
  for (const st of stages.slice(1)) {
    if (st.kind !== 'labelFilter') return undefined;
    collect(st.expr);
    filters.push(compileLabelFilter(st.expr));
  }
  if (unwrap !== undefined) {
    names.add(unwrap.label);
    for (const f of unwrap.postFilters) collect(f.expr);
  }
  for (const n of [ERROR_LABEL, ERROR_DETAILS_LABEL]) names.delete(n);
  return { names: [...names], filters, lbs: new EntryLabels() };
}

// absentResult builds absent_over_time's single series from the selector's equality matchers.
function absentResult(ms: readonly StreamMatcher[], cnt: Uint32Array): StepSeries[] {
  const b = new LabelsBuilder();
  const seen = new Set<string>();
  for (const m of ms) {
    if (m.type !== '=') continue;
    if (seen.has(m.name)) {
      b.del(m.name);
      continue;
    }
    seen.add(m.name);
    b.set(m.name, m.value);
  }
  const n = cnt.length;
  const v = new Float64Array(n);
  const ok = new Uint8Array(n);
  let any = false;
  for (let k = 0; k < n; k++) {
    if (cnt[k] !== 0) continue;
    v[k] = 1;
    ok[k] = 1;
    any = true;
  }
  return any ? [{ labels: b.labels(), v, ok }] : [];
}

// windowed computes a non-additive function over each step's window of a series' samples.
function windowed(a: Acc, op: string, param: number | undefined, steps: Steps, R: number, O: number, v: Float64Array, ok: Uint8Array): boolean {
  let pt = a.pt;
  let pns = a.pns;
  let pv = a.pv;
  if (!a.sorted) {
    const idx = pt.map((_, i) => i).sort((x, y) => pt[x]! - pt[y]! || pns[x]! - pns[y]! || x - y);
    pt = idx.map((i) => a.pt[i]!);
    pns = idx.map((i) => a.pns[i]!);
    pv = idx.map((i) => a.pv[i]!);
  }
  const c = pt.map((t, i) => t + (pns[i]! > 0 ? 1 : 0));
  let lo = 0;
  let hi = 0;
  let any = false;
  for (let k = 0; k < steps.n; k++) {
    const tk = steps.start + k * steps.step;
    const from = tk - O - R + 1;
    const to = tk - O;
    while (lo < c.length && c[lo]! < from) lo++;
    if (hi < lo) hi = lo;
    while (hi < c.length && c[hi]! <= to) hi++;
    if (hi <= lo) continue;
    const r = aggregate(op, param, pv, lo, hi, pt, pns, tk - O - R, tk - O);
    if (r === undefined) continue;
    v[k] = r;
    ok[k] = 1;
    any = true;
  }
  return any;
}

function aggregate(op: string, param: number | undefined, pv: readonly number[], lo: number, hi: number, pt: readonly number[], pns: readonly number[], rangeStart: number, rangeEnd: number): number | undefined {
  const n = hi - lo;
  switch (op) {
    case 'avg_over_time': {
      let mean = 0;
      let count = 0;
      for (let i = lo; i < hi; i++) {
        count++;
        mean += (pv[i]! - mean) / count;
      }
      return mean;
    }
    case 'min_over_time': {
      let m = pv[lo]!;
      for (let i = lo + 1; i < hi; i++) if (pv[i]! < m || Number.isNaN(m)) m = pv[i]!;
      return m;
    }
    case 'max_over_time': {
      let m = pv[lo]!;
      for (let i = lo + 1; i < hi; i++) if (pv[i]! > m || Number.isNaN(m)) m = pv[i]!;
      return m;
    }
    case 'stdvar_over_time':
    case 'stddev_over_time': {
      let mean = 0;
      let m2 = 0;
      let count = 0;
      for (let i = lo; i < hi; i++) {
        count++;
        const d = pv[i]! - mean;
        mean += d / count;
        m2 += d * (pv[i]! - mean);
      }
      const variance = m2 / count;
      return op === 'stdvar_over_time' ? variance : Math.sqrt(variance);
    }
    case 'quantile_over_time':
      return quantile(param ?? NaN, pv.slice(lo, hi));
    case 'first_over_time':
      return pv[lo]!;
    case 'last_over_time':
      return pv[hi - 1]!;
    case 'rate_counter': {
      if (n < 2) return undefined;
      return extrapolatedRate(pv, pt, pns, lo, hi, rangeStart, rangeEnd);
    }
    default:
      throw new QueryError(`unsupported range aggregation ${op}`);
  }
}

/** quantile computes the φ-quantile of values as Prometheus's quantile does (linear interpolation). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const v = values.slice().sort((a, b) => a - b);
  const n = v.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return v[lower]! * (1 - weight) + v[upper]! * weight;
}

// extrapolatedRate is Prometheus's rate over counter samples (resets handled), per second.
function extrapolatedRate(pv: readonly number[], pt: readonly number[], pns: readonly number[], lo: number, hi: number, rangeStart: number, rangeEnd: number): number {
  const tOf = (i: number): number => pt[i]! + pns[i]! / 1e6;
  let result = pv[hi - 1]! - pv[lo]!;
  let prev = pv[lo]!;
  for (let i = lo + 1; i < hi; i++) {
    const cur = pv[i]!;
    if (cur < prev) result += prev;
    prev = cur;
  }
  const firstT = tOf(lo);
  const lastT = tOf(hi - 1);
  const durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const avg = sampled / (hi - lo - 1);
  let dStart = durationToStart;
  if (result > 0 && pv[lo]! >= 0) {
    const toZero = sampled * (pv[lo]! / result);
    if (toZero < dStart) dStart = toZero;
  }
  const threshold = avg * 1.1;
  let extrapolateTo = sampled;
  extrapolateTo += dStart < threshold ? dStart : avg / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : avg / 2;
  result *= extrapolateTo / sampled;
  return result / ((rangeEnd - rangeStart) / 1000);
}

/** stripErrors removes the error labels (used after filters accepted an entry). */
export function stripErrors(l: Labels): Labels {
  return l.has(ERROR_LABEL) || l.has(ERROR_DETAILS_LABEL) ? l.without(ERROR_LABEL, ERROR_DETAILS_LABEL) : l;
}
