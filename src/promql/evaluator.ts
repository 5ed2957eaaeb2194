/**
 * The evaluator: walks the plan tree and computes every node over a grid of steps. Instant
 * vectors are StepVectors (rows × steps), scalars one Float64Array per node; selectors stream
 * samples from storage iterators and range functions slide a window over each series.
 * @module
 */
import { type Labels, formatFloatG, isStaleNaN } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { evalAggregate } from './aggregate.js';
import { evalBinary } from './binary.js';
import {
  EvalContext,
  type EvalValue,
  type MatrixVal,
  type RangeSeries,
  type ScalarSteps,
  Steps,
} from './eval-context.js';
import { QueryError, StorageError, UnsupportedError } from './errors.js';
import { ANCHORED_SAFE, RANGE_KERNELS, SMOOTHED_SAFE, type Window, extendWindow, smoothedValue } from './functions-range.js';
import { evalInstantCall } from './functions-instant.js';
import { dropMetricName, mergeSameLabels, sameNameOnly } from './labels-util.js';
import { absentLabels, type PlanCall, type PlanNode, type PlanSelector, type PlanSubquery } from './plan.js';
import { SampleBuffer } from './sample-buffer.js';
import { SAME_LABELSET, StepVector } from './step-vector.js';
import { Labels as L } from '../model/index.js';

/** Functions over range vectors that keep the metric name (they act like an offset). */
const KEEPS_NAME = new Set(['last_over_time', 'first_over_time']);

/** A source of series with points for range functions: a matrix selector or a subquery. */
interface RangeSource {
  readonly count: number;
  labels(i: number): Labels;
  drop(i: number): boolean;
  /** load fills buf with the points of series i in (mint, maxt]. */
  load(i: number, mint: number, maxt: number, buf: SampleBuffer): void;
  readonly rangeMs: number;
  readonly offsetMs: number;
  readonly atMs: number | undefined;
  /** 0 plain, 1 anchored, 2 smoothed. */
  readonly mode: number;
}

/** Evaluator evaluates plan nodes for one query. */
export class Evaluator {
  readonly #buf = new SampleBuffer();
  readonly #scratch = { a: new Float64Array(64) };

  constructor(readonly ctx: EvalContext) {}

  /** eval computes a node over the given steps. */
  async eval(n: PlanNode, s: Steps): Promise<EvalValue> {
    this.ctx.check();
    switch (n.k) {
      case 'number': {
        const v = new Float64Array(s.n);
        v.fill(n.v);
        return { kind: 'scalar', v };
      }
      case 'string':
        return { kind: 'string', v: n.v };
      case 'selector':
        return this.selectorVector(n, s, false);
      case 'matrix':
        return this.matrixAt(n.sel, n.rangeMs, s);
      case 'subquery':
        return this.subqueryMatrix(n, s);
      case 'call':
        return this.call(n, s);
      case 'aggregate':
        return evalAggregate(this, n, s);
      case 'binary':
        return evalBinary(this, n, s);
      case 'neg':
        return this.neg(await this.eval(n.expr, s));
      case 'invariant':
        return this.invariant(n.expr, s);
    }
  }

  /** evalScalar evaluates a node that yields a scalar. */
  async evalScalar(n: PlanNode, s: Steps): Promise<ScalarSteps> {
    const v = await this.eval(n, s);
    if (v.kind !== 'scalar') throw new QueryError(`expected scalar, got ${v.kind}`);
    return v;
  }

  /** evalVector evaluates a node that yields an instant vector. */
  async evalVector(n: PlanNode, s: Steps): Promise<StepVector> {
    const v = await this.eval(n, s);
    if (v.kind !== 'vector') throw new QueryError(`expected instant vector, got ${v.kind}`);
    return v;
  }

  /** setDrop marks a row's name for removal, or removes it now without delayed name removal. */
  dropName(labels: Labels): { labels: Labels; drop: boolean } {
    if (this.ctx.delayed) return { labels, drop: true };
    return { labels: dropMetricName(labels), drop: false };
  }

  async invariant(inner: PlanNode, s: Steps): Promise<EvalValue> {
    if (s.n <= 1) return this.eval(inner, s);
    const one = new Steps(s.start, s.start, s.interval);
    const before = this.ctx.samplesRead;
    const v = await this.eval(inner, one);
    // Prometheus counts a step-invariant expression's samples once per step.
    this.ctx.samplesRead += (this.ctx.samplesRead - before) * (s.n - 1);
    switch (v.kind) {
      case 'scalar': {
        const out = new Float64Array(s.n);
        out.fill(v.v[0]!);
        return { kind: 'scalar', v: out };
      }
      case 'vector': {
        const out = new StepVector(s.n, v.n);
        for (let r = 0; r < v.n; r++) {
          if (!v.has(r, 0)) continue;
          const row = out.addRow(v.labels[r]!, v.drop[r] === 1);
          const x = v.get(r, 0);
          out.v.fill(x, row * s.n, row * s.n + s.n);
          out.p.fill(1, row * s.n, row * s.n + s.n);
        }
        this.ctx.hold(out.n * s.n);
        return out;
      }
      default:
        return v;
    }
  }

  neg(v: EvalValue): EvalValue {
    if (v.kind === 'scalar') {
      for (let i = 0; i < v.v.length; i++) v.v[i] = -v.v[i]!;
      return v;
    }
    if (v.kind !== 'vector') throw new QueryError('unary minus needs a scalar or an instant vector');
    for (let r = 0; r < v.n; r++) {
      const d = this.dropName(v.labels[r]!);
      v.labels[r] = d.labels;
      if (d.drop) v.drop[r] = 1;
    }
    for (let i = 0, e = v.n * v.steps; i < e; i++) v.v[i] = -v.v[i]!;
    return this.ctx.delayed ? v : mergeSameLabels(v);
  }

  // ---- selectors ----

  /**
   * selectorVector evaluates an instant vector selector at every step: the newest sample in
   * (t - offset - lookback, t - offset], unless that is a staleness marker. With `timestamps`
   * the sample's timestamp in seconds is returned instead of its value.
   */
  async selectorVector(sel: PlanSelector, s: Steps, timestamps: boolean): Promise<StepVector> {
    if (sel.smoothed && !timestamps) return this.smoothedVector(sel, s);
    const series = sel.series;
    const out = new StepVector(s.n, series.length);
    const lb = this.ctx.lookbackMs;
    const tickMask = tickMaskFor(s.n);
    let held = 0;
    for (let i = 0; i < series.length; i++) {
      if ((i & tickMask) === 0) {
        // Account what the rows so far hold, so a huge selection stops at the sample limit.
        this.ctx.hold(held);
        this.ctx.samplesRead += held;
        held = 0;
        await this.ctx.tick();
      }
      const it = this.#buf.iterator(series[i]!);
      let row = -1;
      if (sel.atMs !== undefined || s.n === 1) {
        const ref = (sel.atMs ?? s.start) - sel.offsetMs;
        let lastT = NaN;
        let lastV = 0;
        for (let vt = it.seek(ref - lb + 1); vt !== ValueType.None; vt = it.next()) {
          if (vt === ValueType.Histogram) throw new UnsupportedError('native histogram samples');
          const t = it.atT();
          if (t > ref) break;
          lastT = t;
          lastV = it.atF();
        }
        checkIterator(it.err());
        if (lastT === lastT && !(lastV !== lastV && isStaleNaN(lastV))) {
          row = out.addRow(series[i]!.labels, false);
          const x = timestamps ? lastT / 1000 : lastV;
          out.v.fill(x, row * s.n, row * s.n + s.n);
          out.p.fill(1, row * s.n, row * s.n + s.n);
          held += s.n;
        }
      } else if (it.readFloats !== undefined) {
        // Bulk path: the samples of the whole range (staleness markers included) into the
        // buffer in one storage call, then the steps walk the arrays.
        const off = s.start - sel.offsetMs;
        const step = s.interval;
        const buf = this.#buf;
        buf.clear();
        if (it.readFloats(off - lb, off + (s.n - 1) * step, buf) === ValueType.Histogram) throw new UnsupportedError('native histogram samples');
        checkIterator(it.err());
        held += this.#stepArrays(out, series[i]!.labels, s, off, lb, timestamps);
      } else {
        let lastT = NaN;
        let lastV = 0;
        const off = s.start - sel.offsetMs;
        const step = s.interval;
        let vt = it.seek(off - lb + 1);
        let curT = vt !== ValueType.None ? it.atT() : Infinity;
        for (let k = 0; k < s.n; k++) {
          const ref = off + k * step;
          if (vt !== ValueType.None && curT <= ref - lb) {
            // Far behind (sparse steps): jump instead of walking every sample.
            vt = it.seek(ref - lb + 1);
            curT = vt !== ValueType.None ? it.atT() : Infinity;
          }
          while (vt !== ValueType.None && curT <= ref) {
            if (vt === ValueType.Histogram) throw new UnsupportedError('native histogram samples');
            lastT = curT;
            lastV = it.atF();
            vt = it.next();
            curT = vt !== ValueType.None ? it.atT() : Infinity;
          }
          if (lastT === lastT && lastT > ref - lb && !(lastV !== lastV && isStaleNaN(lastV))) {
            if (row < 0) row = out.addRow(series[i]!.labels, false);
            const x = timestamps ? lastT / 1000 : lastV;
            // The sample stays current until the next one or until it leaves the lookback:
            // with steps finer than the samples (a subquery at 1s) fill its run at once.
            const until = curT < lastT + lb ? curT : lastT + lb;
            const last = holdRun(out, row, k, x, ref + step >= until ? k + 1 : Math.ceil((until - off) / step), s.n);
            held += last - k + 1;
            k = last;
          } else if (curT > ref + step && vt !== ValueType.None) {
            // Nothing current: skip the steps before the next sample.
            k = Math.ceil((curT - off) / step) - 1;
          } else if (vt === ValueType.None) {
            break; // no sample now and none to come
          }
        }
        checkIterator(it.err());
      }
    }
    this.ctx.hold(held);
    this.ctx.samplesRead += held;
    return out;
  }

  /**
   * #stepArrays is selectorVector's step walk over the series' samples in the buffer (all of
   * (off - lb, off + (n-1)·step], staleness markers included): each step takes the newest sample
   * at or before it within the lookback. Adds the row when any step has a value; returns the
   * points set.
   */
  #stepArrays(out: StepVector, labels: Labels, s: Steps, off: number, lb: number, timestamps: boolean): number {
    const ts = this.#buf.ts;
    const vs = this.#buf.vs;
    const n = this.#buf.n;
    const step = s.interval;
    let held = 0;
    let row = -1;
    let j = 0; // next unread sample
    let lastT = NaN;
    let lastV = 0;
    for (let k = 0; k < s.n; k++) {
      const ref = off + k * step;
      if (j < n && ts[j]! <= ref - lb) {
        // Far behind (sparse steps): skip what left the lookback.
        while (j < n && ts[j]! <= ref - lb) j++;
      }
      while (j < n && ts[j]! <= ref) {
        lastT = ts[j]!;
        lastV = vs[j]!;
        j++;
      }
      const curT = j < n ? ts[j]! : Infinity;
      if (lastT === lastT && lastT > ref - lb && !(lastV !== lastV && isStaleNaN(lastV))) {
        if (row < 0) row = out.addRow(labels, false);
        const x = timestamps ? lastT / 1000 : lastV;
        // The sample stays current until the next one or until it leaves the lookback.
        const until = curT < lastT + lb ? curT : lastT + lb;
        const last = holdRun(out, row, k, x, ref + step >= until ? k + 1 : Math.ceil((until - off) / step), s.n);
        held += last - k + 1;
        k = last;
      } else if (j < n && curT > ref + step) {
        // Nothing current: skip the steps before the next sample.
        k = Math.ceil((curT - off) / step) - 1;
      } else if (j >= n) {
        break; // no sample now and none to come
      }
    }
    return held;
  }

  /**
   * smoothedVector evaluates `x smoothed`: at each step the sample at t - offset, else the value
   * interpolated between its neighbours within a lookback, else the last one carried forward.
   */
  async smoothedVector(sel: PlanSelector, s: Steps): Promise<StepVector> {
    const out = new StepVector(s.n, sel.series.length);
    const lb = this.ctx.lookbackMs;
    const buf = this.#buf;
    const tickMask = tickMaskFor(s.n);
    let held = 0;
    for (let i = 0; i < sel.series.length; i++) {
      if ((i & tickMask) === 0) {
        this.ctx.hold(held);
        held = 0;
        await this.ctx.tick();
      }
      const first = (sel.atMs ?? s.start) - sel.offsetMs;
      const last = (sel.atMs ?? s.start + (s.n - 1) * s.interval) - sel.offsetMs;
      buf.loadSeries(sel.series[i]!, first - lb, last + lb);
      let row = -1;
      let lo = 0;
      let hi = 0;
      for (let k = 0; k < s.n; k++) {
        const t = (sel.atMs ?? s.start + k * s.interval) - sel.offsetMs;
        while (hi < buf.n && buf.ts[hi]! <= t + lb) hi++;
        while (lo < hi && buf.ts[lo]! <= t - lb) lo++;
        if (lo === hi) continue;
        const v = smoothedValue(buf.ts.subarray(lo, hi), buf.vs.subarray(lo, hi), hi - lo, t);
        if (v === undefined) continue;
        if (row < 0) row = out.addRow(sel.series[i]!.labels, false);
        out.set(row, k, v);
        held++;
      }
    }
    this.ctx.hold(held);
    return out;
  }

  /** matrixAt evaluates a range selector for an instant query: the raw samples of each series. */
  async matrixAt(sel: PlanSelector, rangeMs: number, s: Steps): Promise<MatrixVal> {
    if (s.n !== 1) throw new QueryError('cannot do range evaluation of matrix selector');
    const maxt = (sel.atMs ?? s.start) - sel.offsetMs;
    const mint = maxt - rangeMs;
    const lb = this.ctx.lookbackMs;
    const before = sel.anchored || sel.smoothed ? lb : 0;
    const after = sel.smoothed ? lb : 0;
    const out: RangeSeries[] = [];
    const ets: number[] = [];
    const evs: number[] = [];
    for (let i = 0; i < sel.series.length; i++) {
      if ((i & 63) === 0) await this.ctx.tick();
      this.#buf.loadSeries(sel.series[i]!, mint - before, maxt + after);
      let n = this.#buf.n;
      this.ctx.samplesRead += n;
      if (n === 0) continue;
      let ts = this.#buf.ts.slice(0, n);
      let vs = this.#buf.vs.slice(0, n);
      if (sel.anchored || sel.smoothed) {
        n = extendWindow(ts, vs, n, mint, maxt, sel.smoothed, ets, evs);
        if (n === 0) continue;
        ts = Float64Array.from(ets);
        vs = Float64Array.from(evs);
      }
      this.ctx.hold(n);
      out.push({ labels: sel.series[i]!.labels, drop: false, ts, vs });
    }
    return { kind: 'matrix', series: out };
  }

  // ---- subqueries ----

  /** subquerySteps returns the inner step grid of a subquery evaluated for the outer steps. */
  subquerySteps(sq: PlanSubquery, s: Steps): Steps {
    const interval = sq.stepMs;
    let outerStart = s.start;
    let outerEnd = s.n > 0 ? s.start + (s.n - 1) * s.interval : s.end;
    if (sq.atMs !== undefined) {
      outerStart = sq.atMs;
      outerEnd = sq.atMs;
    }
    const end = outerEnd - sq.offsetMs;
    const first = outerStart - sq.offsetMs - sq.rangeMs;
    let start = interval * Math.trunc(first / interval);
    if (start <= first) start += interval;
    return new Steps(start, end, interval);
  }

  async subqueryRows(sq: PlanSubquery, s: Steps): Promise<{ rows: StepVector; inner: Steps }> {
    const inner = this.subquerySteps(sq, s);
    const v = await this.eval(sq.expr, inner);
    if (v.kind !== 'vector') throw new QueryError('subquery is only allowed on instant vector');
    return { rows: v, inner };
  }

  async subqueryMatrix(sq: PlanSubquery, s: Steps): Promise<MatrixVal> {
    const { rows, inner } = await this.subqueryRows(sq, s);
    const out: RangeSeries[] = [];
    for (let r = 0; r < rows.n; r++) {
      const c = rows.rowCount(r);
      if (c === 0) continue;
      const ts = new Float64Array(c);
      const vs = new Float64Array(c);
      let j = 0;
      for (let k = 0; k < inner.n; k++) {
        if (!rows.has(r, k)) continue;
        ts[j] = inner.t(k);
        vs[j] = rows.get(r, k);
        j++;
      }
      out.push({ labels: rows.labels[r]!, drop: rows.drop[r] === 1, ts, vs });
    }
    return { kind: 'matrix', series: out };
  }

  // ---- function calls ----

  async call(n: PlanCall, s: Steps): Promise<EvalValue> {
    const mi = n.args.findIndex((a) => a.k === 'matrix' || a.k === 'subquery');
    if (mi < 0) return evalInstantCall(this, n, s);
    return this.rangeCall(n, mi, s);
  }

  async rangeSource(arg: PlanNode, s: Steps): Promise<RangeSource> {
    if (arg.k === 'matrix') {
      const sel = arg.sel;
      return {
        mode: sel.anchored ? 1 : sel.smoothed ? 2 : 0,
        count: sel.series.length,
        labels: (i) => sel.series[i]!.labels,
        drop: () => false,
        load: (i, mint, maxt, buf) => buf.loadSeries(sel.series[i]!, mint, maxt),
        rangeMs: arg.rangeMs,
        offsetMs: sel.offsetMs,
        atMs: sel.atMs,
      };
    }
    if (arg.k !== 'subquery') throw new QueryError('expected a range vector');
    // A subquery given to a function counts as a selected range: its points in each step's
    // window are counted, not the samples its own evaluation read (as Prometheus 2.42 does).
    const before = this.ctx.samplesRead;
    const { rows, inner } = await this.subqueryRows(arg, s);
    this.ctx.samplesRead = before;
    return {
      mode: 0,
      count: rows.n,
      labels: (i) => rows.labels[i]!,
      drop: (i) => rows.drop[i] === 1,
      load: (i, mint, maxt, buf) => {
        buf.clear();
        // First inner step strictly after mint.
        let k = Math.max(0, Math.floor((mint - inner.start) / inner.interval) + 1);
        for (; k < inner.n; k++) {
          const t = inner.t(k);
          if (t > maxt) break;
          if (t > mint && rows.has(i, k)) buf.push(t, rows.get(i, k));
        }
      },
      rangeMs: arg.rangeMs,
      offsetMs: arg.offsetMs,
      atMs: arg.atMs,
    };
  }

  async rangeCall(n: PlanCall, mi: number, s: Steps): Promise<StepVector> {
    const name = n.fn.name;
    const kernel = RANGE_KERNELS.get(name);
    if (kernel === undefined) throw new UnsupportedError(`function ${name}`);
    // Scalar arguments, one value per step.
    const params: Float64Array[] = [];
    for (let j = 0; j < n.args.length; j++) {
      if (j === mi) continue;
      params.push((await this.evalScalar(n.args[j]!, s)).v);
    }
    const src = await this.rangeSource(n.args[mi]!, s);
    if (src.mode === 1 && !ANCHORED_SAFE.has(name)) {
      throw new QueryError(`anchored modifier can only be used with: ${[...ANCHORED_SAFE].sort().join(', ')} - not with ${name}`);
    }
    if (src.mode === 2 && !SMOOTHED_SAFE.has(name)) {
      throw new QueryError(`smoothed modifier can only be used with: ${[...SMOOTHED_SAFE].sort().join(', ')} - not with ${name}`);
    }
    // Anchored and smoothed windows reach a lookback further back (smoothed: also forward).
    const before = src.mode !== 0 ? this.ctx.lookbackMs : 0;
    const after = src.mode === 2 ? this.ctx.lookbackMs : 0;
    const out = new StepVector(s.n, src.count);
    const keep = KEEPS_NAME.has(name);
    const buf = this.#buf;
    const w: Window = {
      ts: buf.ts,
      vs: buf.vs,
      lo: 0,
      hi: 0,
      t: 0,
      rangeStart: 0,
      rangeEnd: 0,
      rangeMs: src.rangeMs,
      a: 0,
      b: 0,
      scratch: this.#scratch.a,
      ok: true,
      mode: src.mode,
    };
    const pa = params[0];
    const pb = params[1];
    const isRateLike = name === 'rate' || name === 'increase';
    const argPos = n.argExprs[mi]!.range;
    const maxtAt = (k: number): number => (src.atMs ?? s.start + k * s.interval) - src.offsetMs;
    let held = 0;
    // Whether all output rows came from series with one metric name (so dropping it is safe).
    let uniform = true;
    let firstName: string | undefined;
    const tickMask = tickMaskFor(s.n);
    let windowSamples = 0;
    for (let i = 0; i < src.count; i++) {
      if ((i & tickMask) === 0) await this.ctx.tick();
      const lastK = s.n - 1;
      src.load(i, maxtAt(0) - src.rangeMs - before, maxtAt(lastK) + after, buf);
      w.ts = buf.ts;
      w.vs = buf.vs;
      if (buf.n > held) held = buf.n;
      let lo = 0;
      let hi = 0;
      let row = -1;
      for (let k = 0; k < s.n; k++) {
        const maxt = maxtAt(k);
        const mint = maxt - src.rangeMs;
        while (hi < buf.n && buf.ts[hi]! <= maxt + after) hi++;
        while (lo < hi && buf.ts[lo]! <= mint - before) lo++;
        if (lo === hi) continue;
        // Prometheus counts every step's window (so overlapping windows count a sample again).
        windowSamples += hi - lo;
        w.lo = lo;
        w.hi = hi;
        w.t = s.start + k * s.interval;
        w.rangeStart = mint;
        w.rangeEnd = maxt;
        w.a = pa !== undefined ? pa[k]! : 0;
        w.b = pb !== undefined ? pb[k]! : 0;
        w.ok = true;
        if (name === 'quantile_over_time' && !(w.a >= 0 && w.a <= 1)) {
          this.ctx.annotations.warn(`quantile value should be between 0 and 1, got ${formatFloatG(w.a)}`, n.argExprs[0]!.range);
        }
        const v = kernel(w);
        if (!w.ok) continue;
        if (row < 0) {
          const labels = src.labels(i);
          if (uniform) {
            firstName ??= labels.metricName();
            uniform = sameNameOnly(labels, firstName);
          }
          let l = labels;
          let drop = src.drop(i);
          if (!keep) {
            const d = this.dropName(labels);
            l = d.labels;
            drop = drop || d.drop;
          } else if (drop && !this.ctx.delayed) {
            l = dropMetricName(labels);
            drop = false;
          }
          row = out.addRow(l, drop);
        }
        out.set(row, k, v);
      }
      if (isRateLike && row >= 0) {
        const metric = src.labels(i).metricName();
        if (metric !== '' && !/(_total|_sum|_count|_bucket)$/.test(metric)) {
          this.ctx.annotations.info(
            `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`,
            argPos,
          );
        }
      }
    }
    this.ctx.hold(held);
    this.ctx.release(held);
    this.ctx.samplesRead += windowSamples;
    if (name === 'absent_over_time') return this.absentOverTime(n, out, s);
    this.ctx.hold(out.points());
    if (!this.ctx.delayed && !(keep || uniform)) assertUniqueLabels(out);
    return out;
  }

  absentOverTime(n: PlanCall, present: StepVector, s: Steps): StepVector {
    const out = new StepVector(s.n, 1);
    const any = new Uint8Array(s.n);
    for (let r = 0; r < present.n; r++) for (let k = 0; k < s.n; k++) if (present.has(r, k)) any[k] = 1;
    if (any.every((x) => x === 1)) return out;
    const row = out.addRow(absentLabels(n.argExprs[0]!, (o) => L.fromObject(o)), this.ctx.delayed);
    for (let k = 0; k < s.n; k++) if (any[k] === 0) out.set(row, k, 1);
    return out;
  }
}

/**
 * tickMaskFor returns how often (every mask+1 series) a loop over series evaluated at `steps`
 * steps checks its deadline and yields: every series when there are many steps.
 */
function tickMaskFor(steps: number): number {
  return steps >= 2048 ? 0 : steps >= 256 ? 7 : 63;
}

function checkIterator(err: Error | undefined): void {
  if (err !== undefined) throw new StorageError(`reading series: ${err.message}`, { cause: err });
}

/** assertUniqueLabels throws when two rows share a label set (Prometheus's ContainsSameLabelset). */
export function assertUniqueLabels(v: StepVector): void {
  if (v.n < 2) return;
  const seen = new Set<string>();
  for (let r = 0; r < v.n; r++) {
    const k = v.labels[r]!.key();
    if (seen.has(k)) throw new QueryError(SAME_LABELSET);
    seen.add(k);
  }
}

/**
 * holdRun sets `x` at steps [k, end) of a row (end capped at n): a sample stays current over
 * every step until the next sample or the end of the lookback. Returns the last step set.
 */
function holdRun(out: StepVector, row: number, k: number, x: number, end: number, n: number): number {
  if (end > n) end = n;
  if (end === k + 1) {
    out.set(row, k, x);
    return k;
  }
  const base = row * n;
  out.v.fill(x, base + k, base + end);
  out.p.fill(1, base + k, base + end);
  return end - 1;
}
