/**
 * Log queries: every matching stream read in the query's direction, run through the pipeline,
 * merged by time across streams (a heap over per-stream cursors that pull only as far as the
 * limit needs) and grouped into result streams by their final labels.
 * @module
 */
import type { Labels } from '../../model/index.js';
import { withFields } from './entry-labels.js';
import type { Direction, EntryBatch, StreamCursor } from '../store/index.js';
import { pushdownOf } from './line-filter.js';
import type { LogQuery } from './parser/index.js';
import { Pipeline, storeHints, type StreamPipeline } from './pipeline.js';
import type { ResultEntry, ResultStream } from './query-result.js';
import { toMatchers, type EvalContext } from './range-eval.js';

/** TimeNs is a point in time: Unix ms and the nanoseconds past it. */
export interface TimeNs {
  readonly ms: number;
  readonly ns: number;
}

/** LogQueryParams bound a log query: [start, end) at ns precision, direction, limit, interval. */
export interface LogQueryParams {
  readonly start: TimeNs;
  readonly end: TimeNs;
  readonly direction: Direction;
  readonly limit: number;
  /** Keep entries of a stream at least this far apart (Loki's `interval`), ms; 0 keeps all. */
  readonly intervalMs: number;
}

// StreamHead pulls processed entries of one stream.
class StreamHead {
  batch: EntryBatch | undefined;
  i = 0;
  // The current (accepted) entry.
  t = 0;
  ns = 0;
  line = '';
  labels: Labels;
  done = false;

  constructor(
    readonly cursor: StreamCursor,
    readonly sp: StreamPipeline | undefined,
    readonly p: LogQueryParams,
    readonly ctx: EvalContext,
  ) {
    this.labels = cursor.labels;
  }

  // advance moves to the next entry in range that the pipeline keeps; false at the end.
  async advance(): Promise<boolean> {
    const { start, end } = this.p;
    for (;;) {
      if (this.batch === undefined || this.i >= this.batch.count) {
        this.batch = await this.cursor.next(this.ctx.signal);
        this.i = 0;
        if (this.batch === undefined) {
          this.done = true;
          return false;
        }
        this.ctx.stats.linesProcessed += this.batch.count;
        for (let k = 0; k < this.batch.count; k++) this.ctx.stats.bytesProcessed += this.batch.bytes[k]!;
        continue;
      }
      const b = this.batch;
      const i = this.i++;
      const t = b.t[i]!;
      const ns = b.ns[i]!;
      // [start, end) at nanosecond precision.
      if (t < start.ms || (t === start.ms && ns < start.ns)) continue;
      if (t > end.ms || (t === end.ms && ns >= end.ns)) continue;
      let line: string | undefined = b.lines![i]!;
      let labels = this.cursor.labels;
      if (this.sp !== undefined) {
        line = this.sp.process(t, ns, line, b.fields?.[i]);
        if (line === undefined) continue;
        labels = this.sp.labels();
      } else if (b.fields?.[i] !== undefined) {
        // Structured fields are labels of the entry even without a pipeline (as in Loki 3).
        labels = withFields(labels, b.fields[i]!);
      }
      this.t = t;
      this.ns = ns;
      this.line = line;
      this.labels = labels;
      return true;
    }
  }
}

function before(a: StreamHead, b: StreamHead, dir: number): boolean {
  const d = (a.t - b.t || a.ns - b.ns) * dir;
  if (d !== 0) return d < 0;
  return a.labels.compare(b.labels) < 0;
}

/** evalLogQuery returns the entries of a log query, grouped into streams by final labels. */
export async function evalLogQuery(q: LogQuery, p: LogQueryParams, ctx: EvalContext): Promise<ResultStream[]> {
  const push = pushdownOf(q.pipeline);
  const pipeline = new Pipeline(q.pipeline, push.applied);
  const cursors = await ctx.store.cursors(
    {
      matchers: toMatchers(q.matchers),
      mint: p.start.ms,
      maxt: p.end.ns === 0 ? p.end.ms - 1 : p.end.ms,
      direction: p.direction,
      lines: true,
      needles: push.needles,
      foldedNeedles: push.foldedNeedles,
      filter: push.filter,
      hints: storeHints(q.pipeline),
      onWarning: (w) => ctx.warnings.push(w),
    },
    ctx.signal,
  );
  const dir = p.direction === 'forward' ? 1 : -1;
  const heap: StreamHead[] = [];
  const push1 = (h: StreamHead): void => {
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const par = (i - 1) >> 1;
      if (!before(heap[i]!, heap[par]!, dir)) break;
      [heap[i], heap[par]] = [heap[par]!, heap[i]!];
      i = par;
    }
  };
  const down = (i0: number): void => {
    let i = i0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!, dir)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!, dir)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const c of cursors) {
    const h = new StreamHead(c, pipeline.isNoop ? undefined : pipeline.forStream(c.labels), p, ctx);
    if (await h.advance()) push1(h);
  }
  const out = new Map<string, { labels: Labels; entries: ResultEntry[]; lastT: number; lastNs: number }>();
  let emitted = 0;
  const limit = p.limit;
  while (heap.length > 0 && (limit <= 0 || emitted < limit)) {
    ctx.signal.throwIfAborted();
    const h = heap[0]!;
    const key = h.labels.key();
    let s = out.get(key);
    let keep = true;
    if (s !== undefined && p.intervalMs > 0) {
      const gap = (h.t - s.lastT) * dir;
      keep = gap >= p.intervalMs;
    }
    if (keep) {
      if (s === undefined) {
        s = { labels: h.labels, entries: [], lastT: h.t, lastNs: h.ns };
        out.set(key, s);
      }
      s.entries.push({ t: h.t, ns: h.ns, line: h.line });
      s.lastT = h.t;
      s.lastNs = h.ns;
      emitted++;
    }
    if (await h.advance()) {
      down(0);
    } else {
      const last = heap.pop()!;
      if (heap.length > 0 && last !== h) {
        heap[0] = last;
        down(0);
      }
    }
  }
  return [...out.values()].map((s) => ({ labels: s.labels, entries: s.entries })).sort((a, b) => a.labels.compare(b.labels));
}
