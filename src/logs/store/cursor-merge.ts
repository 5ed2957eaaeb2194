/**
 * Merging per-stream cursors into one time-ordered sequence with a limit: the `select` of
 * every store is built on it.
 * @module
 */
import type { Labels } from '../../model/index.js';
import type { Direction, EntryBatch, LogEntry, StreamBatch, StreamCursor } from './interface.js';

/** CursorHead is a cursor with its current batch and position, as kept in the merge heap. */
interface CursorHead {
  readonly cursor: StreamCursor;
  batch: EntryBatch;
  i: number;
}

/**
 * TimeHeap orders cursor heads by their current entry's time (ascending for forward, descending
 * for backward), ties broken by stream labels so the order is deterministic.
 */
class TimeHeap {
  readonly #a: CursorHead[] = [];
  readonly #sign: number;

  constructor(direction: Direction) {
    this.#sign = direction === 'forward' ? 1 : -1;
  }

  get size(): number {
    return this.#a.length;
  }

  #less(x: CursorHead, y: CursorHead): boolean {
    const d = (x.batch.t[x.i]! - y.batch.t[y.i]! || x.batch.ns[x.i]! - y.batch.ns[y.i]!) * this.#sign;
    if (d !== 0) return d < 0;
    return x.cursor.labels.compare(y.cursor.labels) < 0;
  }

  push(h: CursorHead): void {
    const a = this.#a;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peek(): CursorHead | undefined {
    return this.#a[0];
  }

  pop(): CursorHead | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** fix restores order after the top's position advanced. */
  fixTop(): void {
    this.#down(0);
  }

  #down(i: number): void {
    const a = this.#a;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.#less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.#less(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}

/**
 * mergeCursors yields the entries of all cursors in time order over all streams (ties by
 * labels), grouped into StreamBatches of consecutive entries of one stream, stopping after
 * `limit` entries (0 = no limit). Cursors must have been opened with `lines: true`.
 */
export async function* mergeCursors(cursors: readonly StreamCursor[], direction: Direction, limit: number, signal?: AbortSignal): AsyncGenerator<StreamBatch> {
  const heap = new TimeHeap(direction);
  for (const c of cursors) {
    const b = await c.next(signal);
    if (b !== undefined && b.count > 0) heap.push({ cursor: c, batch: b, i: 0 });
  }
  let emitted = 0;
  let curLabels: Labels | undefined;
  let cur: LogEntry[] = [];
  while (heap.size > 0 && (limit === 0 || emitted < limit)) {
    const h = heap.peek()!;
    const b = h.batch;
    if (curLabels !== h.cursor.labels && cur.length > 0) {
      yield { labels: curLabels!, entries: cur };
      cur = [];
    }
    curLabels = h.cursor.labels;
    const f = b.fields?.[h.i];
    const line = b.lines === undefined ? '' : b.lines[h.i]!;
    cur.push(f === undefined ? { t: b.t[h.i]!, ns: b.ns[h.i]!, line } : { t: b.t[h.i]!, ns: b.ns[h.i]!, line, fields: f });
    emitted++;
    h.i++;
    if (h.i >= b.count) {
      heap.pop();
      signal?.throwIfAborted();
      const nb = await h.cursor.next(signal);
      if (nb !== undefined && nb.count > 0) heap.push({ cursor: h.cursor, batch: nb, i: 0 });
    } else {
      heap.fixTop();
    }
  }
  if (cur.length > 0) yield { labels: curLabels!, entries: cur };
}
