/**
 * histogram_quantile(), histogram_quantiles() and histogram_fraction() over classic histograms
 * (bucket series with an `le` label), with Prometheus's monotonicity fix-ups and annotations.
 * Native-histogram functions see no native histograms (vigil's storage holds floats only), so
 * they ignore float samples and return nothing, as Prometheus does for float input.
 * @module
 */
import { type Labels, LabelsBuilder, formatFloatG } from '../model/index.js';
import type { Annotation } from './annotations.js';
import type { EvalValue, Steps } from './eval-context.js';
import { QueryError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { almostEqual } from './float-math.js';
import { collectorFor } from './functions-instant.js';
import type { PlanCall } from './plan.js';
import { StepVector } from './step-vector.js';

const MONOTONICITY =
  'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)';

/** Buckets holds the (upper bound, cumulative count) pairs of one histogram at one step. */
class Buckets {
  ub: number[] = [];
  cnt: number[] = [];
  clear(): void {
    this.ub.length = 0;
    this.cnt.length = 0;
  }
  push(ub: number, c: number): void {
    this.ub.push(ub);
    this.cnt.push(c);
  }
  get length(): number {
    return this.ub.length;
  }
  /** sort orders by upper bound (stable), then merges equal bounds by adding their counts. */
  sortAndCoalesce(): void {
    const idx = this.ub.map((_, i) => i);
    idx.sort((a, b) => (this.ub[a]! < this.ub[b]! ? -1 : this.ub[a]! > this.ub[b]! ? 1 : 0));
    const ub = idx.map((i) => this.ub[i]!);
    const cnt = idx.map((i) => this.cnt[i]!);
    let w = 0;
    for (let i = 1; i < ub.length; i++) {
      if (ub[i] === ub[w]) cnt[w]! += cnt[i]!;
      else {
        w++;
        ub[w] = ub[i]!;
        cnt[w] = cnt[i]!;
      }
    }
    ub.length = cnt.length = ub.length === 0 ? 0 : w + 1;
    this.ub = ub;
    this.cnt = cnt;
  }
}

interface Fix {
  forced: boolean;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

function ensureMonotonic(b: Buckets): Fix {
  const fix: Fix = { forced: false, minBucket: Infinity, maxBucket: -Infinity, maxDiff: 0 };
  let prev = b.cnt[0]!;
  for (let i = 1; i < b.length; i++) {
    const curr = b.cnt[i]!;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, 1e-12)) {
      b.cnt[i] = prev;
      continue;
    }
    if (curr < prev) {
      b.cnt[i] = prev;
      fix.forced = true;
      const ub = b.ub[i]!;
      if (ub < fix.minBucket) fix.minBucket = ub;
      if (ub > fix.maxBucket) fix.maxBucket = ub;
      if (prev - curr > fix.maxDiff) fix.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
  return fix;
}

/** bucketQuantile estimates the q-quantile of a classic histogram. */
export function bucketQuantile(q: number, b: Buckets): { v: number; fix: Fix | undefined } {
  if (Number.isNaN(q)) return { v: NaN, fix: undefined };
  if (q < 0) return { v: -Infinity, fix: undefined };
  if (q > 1) return { v: Infinity, fix: undefined };
  b.sortAndCoalesce();
  if (b.ub[b.length - 1] !== Infinity) return { v: NaN, fix: undefined };
  const fix = ensureMonotonic(b);
  if (b.length < 2) return { v: NaN, fix };
  const observations = b.cnt[b.length - 1]!;
  if (observations === 0) return { v: NaN, fix };
  let rank = q * observations;
  // First bucket (excluding +Inf) whose cumulative count reaches the rank.
  let i = 0;
  let j = b.length - 1;
  while (i < j) {
    const h = (i + j) >>> 1;
    if (!(b.cnt[h]! >= rank)) i = h + 1;
    else j = h;
  }
  if (i === b.length - 1) return { v: b.ub[b.length - 2]!, fix };
  if (i === 0 && b.ub[0]! <= 0) return { v: b.ub[0]!, fix };
  let start = 0;
  const end = b.ub[i]!;
  let count = b.cnt[i]!;
  if (i > 0) {
    start = b.ub[i - 1]!;
    count -= b.cnt[i - 1]!;
    rank -= b.cnt[i - 1]!;
  }
  return { v: start + (end - start) * (rank / count), fix };
}

/** bucketFraction estimates the fraction of observations in [lower, upper] of a classic histogram. */
export function bucketFraction(lower: number, upper: number, b: Buckets): number {
  b.sortAndCoalesce();
  if (b.ub[b.length - 1] !== Infinity) return NaN;
  const count = b.cnt[b.length - 1]!;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = b.ub[0]! <= 0 ? -Infinity : 0;
  for (let i = 0; i < b.length; i++) {
    if (i > 0) lowerBound = b.ub[i - 1]!;
    const upperBound = b.ub[i]!;
    const c = b.cnt[i]!;
    const interp = (v: number): number =>
      lowerBound === -Infinity ? c : rank + ((c - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interp(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interp(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = c;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** parseGoFloat parses a bucket bound like Go's strconv.ParseFloat; undefined when malformed. */
export function parseBound(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$/.test(t)) {
    if (/^[+-]?0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?[pP][+-]?\d+$/.test(t)) return Number.NaN;
    return undefined;
  }
  return Number(t.replace(/_/g, ''));
}

interface Group {
  readonly labels: Labels;
  readonly rows: number[];
  readonly ubs: number[];
}

function groupBuckets(in0: StepVector): { groups: Group[]; bad: { row: number; le: string }[] } {
  const byKey = new Map<string, Group>();
  const groups: Group[] = [];
  const bad: { row: number; le: string }[] = [];
  const b = new LabelsBuilder();
  for (let r = 0; r < in0.n; r++) {
    const l = in0.labels[r]!;
    const le = l.get('le');
    const ub = parseBound(le);
    if (ub === undefined) {
      bad.push({ row: r, le });
      continue;
    }
    const wo = l.without('le');
    const key = wo.key();
    let g = byKey.get(key);
    if (g === undefined) {
      g = { labels: b.reset(wo).labels(), rows: [], ubs: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.rows.push(r);
    g.ubs.push(ub);
  }
  return { groups, bad };
}

/** evalHistogramFunction evaluates the histogram_* functions. */
export async function evalHistogramFunction(ev: Evaluator, n: PlanCall, s: Steps): Promise<EvalValue> {
  const name = n.fn.name;
  if (name !== 'histogram_quantile' && name !== 'histogram_fraction' && name !== 'histogram_quantiles') {
    // Only native histograms carry these statistics; float samples are ignored.
    await ev.evalVector(n.args[0]!, s);
    return new StepVector(s.n, 0);
  }
  const vecIdx = name === 'histogram_quantile' ? 1 : name === 'histogram_fraction' ? 2 : 0;
  const scalars: Float64Array[] = [];
  let quantileLabel = '';
  if (name === 'histogram_quantile') scalars.push((await ev.evalScalar(n.args[0]!, s)).v);
  else if (name === 'histogram_fraction') {
    scalars.push((await ev.evalScalar(n.args[0]!, s)).v, (await ev.evalScalar(n.args[1]!, s)).v);
  } else {
    const e = n.argExprs[1]!;
    if (e.kind !== 'string') throw new QueryError('expected a string argument');
    quantileLabel = e.value;
    for (let i = 2; i < n.args.length; i++) scalars.push((await ev.evalScalar(n.args[i]!, s)).v);
  }
  const in0 = await ev.evalVector(n.args[vecIdx]!, s);
  const vecPos = n.argExprs[vecIdx]!.range;
  const { groups, bad } = groupBuckets(in0);
  const out = collectorFor(ev, s, groups.length);
  const ann = ev.ctx.annotations;
  const delayed = ev.ctx.delayed;
  const buckets = new Buckets();
  const lb = new LabelsBuilder();
  const outLabels = groups.map((g) => ev.dropName(g.labels));
  const qLabels = new Map<string, { labels: Labels; drop: boolean }>();
  for (let k = 0; k < s.n; k++) {
    for (const { row, le } of bad) {
      if (!in0.has(row, k)) continue;
      const metric = delayed ? in0.labels[row]!.metricName() : '';
      ann.warn(
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)}${metric !== '' ? ` for metric name ${JSON.stringify(metric)}` : ''}`,
        vecPos,
      );
    }
    if (name === 'histogram_quantile') {
      const q = scalars[0]![k]!;
      if (!(q >= 0 && q <= 1)) ann.warn(`quantile value should be between 0 and 1, got ${formatFloatG(q)}`, n.argExprs[0]!.range);
    } else if (name === 'histogram_quantiles') {
      for (let i = 0; i < scalars.length; i++) {
        const q = scalars[i]![k]!;
        if (!(q >= 0 && q <= 1)) ann.warn(`quantile value should be between 0 and 1, got ${formatFloatG(q)}`, n.argExprs[i + 2]!.range);
      }
    }
    groups.forEach((g, gi) => {
      buckets.clear();
      for (let j = 0; j < g.rows.length; j++) {
        const r = g.rows[j]!;
        if (in0.has(r, k)) buckets.push(g.ubs[j]!, in0.get(r, k));
      }
      if (buckets.length === 0) return;
      const ol = outLabels[gi]!;
      if (name === 'histogram_fraction') {
        out.put(out.row(ol.labels, ol.drop), k, bucketFraction(scalars[0]![k]!, scalars[1]![k]!, buckets));
        return;
      }
      const qs = name === 'histogram_quantile' ? [scalars[0]![k]!] : scalars.map((x) => x[k]!);
      const ubs = buckets.ub.slice();
      const cnts = buckets.cnt.slice();
      for (const q of qs) {
        buckets.ub = ubs.slice();
        buckets.cnt = cnts.slice();
        const { v, fix } = bucketQuantile(q, buckets);
        if (fix?.forced === true) {
          const metric = delayed ? g.labels.metricName() : '';
          ann.add(monotonicityNote(metric, vecPos, s.t(k), fix));
        }
        if (name === 'histogram_quantile') {
          out.put(out.row(ol.labels, ol.drop), k, v);
        } else {
          const qs2 = formatOpenMetricsFloat(q);
          const key = ol.labels.key() + '\u0000' + qs2;
          let ql = qLabels.get(key);
          if (ql === undefined) {
            ql = { labels: lb.reset(ol.labels).set(quantileLabel, qs2).labels(), drop: ol.drop };
            qLabels.set(key, ql);
          }
          out.put(out.row(ql.labels, ql.drop), k, v);
        }
      }
    });
  }
  return out.finish();
}

/** formatOpenMetricsFloat formats like Prometheus's FormatOpenMetricsFloat (`1.0`, `0.9`, `+Inf`). */
export function formatOpenMetricsFloat(f: number): string {
  const s = formatFloatG(f);
  if (Number.isNaN(f) || !Number.isFinite(f) || /[e.]/.test(s)) return s;
  return s + '.0';
}

function monotonicityNote(metric: string, range: Annotation['range'], t: number, fix: Fix): Annotation {
  const message = MONOTONICITY + (metric !== '' ? ` for metric name ${JSON.stringify(metric)}` : '');
  const state = { minTs: t, maxTs: t, minBucket: fix.minBucket, maxBucket: fix.maxBucket, maxDiff: fix.maxDiff, count: 0 };
  const make = (st: typeof state): Annotation => ({
    level: 'info',
    message,
    range,
    render: (pos) =>
      `${message}, from buckets ${formatFloatG(st.minBucket)} to ${formatFloatG(st.maxBucket)}, with a max diff of ${formatGoG2(st.maxDiff)}, over ${st.count + 1} samples from ${rfc3339(st.minTs)} to ${rfc3339(st.maxTs)} (${pos})`,
    merge: (prev) => {
      const p = (prev as unknown as { state?: typeof state }).state ?? state;
      const merged = {
        minTs: Math.min(p.minTs, st.minTs),
        maxTs: Math.max(p.maxTs, st.maxTs),
        minBucket: Math.min(p.minBucket, st.minBucket),
        maxBucket: Math.max(p.maxBucket, st.maxBucket),
        maxDiff: Math.max(p.maxDiff, st.maxDiff),
        count: p.count + st.count + 1,
      };
      return make(merged);
    },
    ...({ state: st } as object),
  });
  return make(state);
}

function rfc3339(t: number): string {
  return new Date(Math.trunc(t / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Go's %.2g.
function formatGoG2(v: number): string {
  if (v === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= 2) {
    const s = v.toExponential(1).replace(/\.0e/, 'e');
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(Number(v.toPrecision(2)));
}
