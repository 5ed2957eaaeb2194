/**
 * Reading the head: a Querier whose select evaluates matchers on the in-memory postings and
 * snapshots each matching series' chunks that overlap the range (closed chunks by reference,
 * the open chunk copied), so later appends and truncations never disturb a reader.
 * @module
 */
import { compareStrings, type Labels, type Matcher } from '../model/index.js';
import {
  EMPTY_SERIES_SET,
  ListSeriesSet,
  ValueType,
  type Querier,
  type FloatSink,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesSet,
} from '../storage/index.js';
import { XORIterator } from './chunkenc/index.js';
import { postingsForMatchers, type Postings } from './index/index.js';
import type { Head } from './head.js';
import { CLOSED_STRIDE, readClosed } from './head-series.js';

/** HeadQuerier reads the head over [mint, maxt] (inclusive, ms). */
export class HeadQuerier implements Querier {
  readonly #head: Head;
  readonly #mint: number;
  readonly #maxt: number;
  #closed = false;

  constructor(head: Head, mint: number, maxt: number) {
    this.#head = head;
    this.#mint = mint;
    this.#maxt = maxt;
  }

  #check(signal?: AbortSignal): void {
    if (this.#closed) throw new Error('head querier used after close');
    signal?.throwIfAborted();
  }

  #postings(matchers: readonly Matcher[]): Postings {
    return postingsForMatchers(this.#head.postings, matchers);
  }

  async select(matchers: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<SeriesSet> {
    this.#check(signal);
    return this.selectSync(matchers, hints);
  }

  /** selectSync is select without the promise. */
  selectSync(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet {
    const head = this.#head;
    // Data before the head's valid range is in blocks already; do not serve it twice.
    const mint = Math.max(this.#mint, hints?.start ?? -Infinity, head.minValidTime());
    const maxt = Math.min(this.#maxt, hints?.end ?? Infinity);
    if (maxt < mint || head.numSeries() === 0) return EMPTY_SERIES_SET;
    let postings: Postings;
    try {
      postings = this.#postings(matchers);
    } catch (e) {
      return new ListSeriesSet([], [], e as Error);
    }
    const out: HeadSeries[] = [];
    for (let i = 0; i < postings.length; i++) {
      const s = head.slotOf(postings[i]!);
      if (s < 0) continue;
      const hs = snapshot(head, s, mint, maxt);
      if (hs !== undefined) out.push(hs);
    }
    out.sort((a, b) => a.labels.compare(b.labels));
    return new ListSeriesSet(out);
  }

  async labelValues(name: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    this.#check(signal);
    const head = this.#head;
    if (!this.#overlaps()) return [];
    if (matchers.length === 0) return [...head.postings.sortedLabelValues(name)];
    const vals = new Set<string>();
    const p = this.#postings(matchers);
    for (let i = 0; i < p.length; i++) {
      const slot = head.slotOf(p[i]!);
      const v = slot < 0 ? '' : head.series.labels[slot]!.get(name);
      if (v !== '') vals.add(v);
    }
    return [...vals].sort(compareStrings);
  }

  async labelNames(matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    this.#check(signal);
    const head = this.#head;
    if (!this.#overlaps()) return [];
    if (matchers.length === 0) return [...head.postings.labelNames()];
    const names = new Set<string>();
    const p = this.#postings(matchers);
    for (let i = 0; i < p.length; i++) {
      const slot = head.slotOf(p[i]!);
      if (slot >= 0) head.series.labels[slot]!.forEach((n) => names.add(n));
    }
    return [...names].sort(compareStrings);
  }

  #overlaps(): boolean {
    const head = this.#head;
    return head.numSeries() > 0 && this.#mint <= head.maxTime() && this.#maxt >= head.minTime();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

// snapshot captures the chunks of the series in `slot` overlapping [mint, maxt]; undefined
// when there are none.
function snapshot(head: Head, slot: number, mint: number, maxt: number): HeadSeries | undefined {
  let bytes: Uint8Array[] | undefined;
  let bounds: number[] | undefined;
  const tbl = head.series;
  const c = tbl.closed[slot];
  if (c !== undefined) {
    for (let i = 0; i < c.length; i += CLOSED_STRIDE) {
      const cmint = c[i]!;
      const cmaxt = c[i + 1]!;
      if (cmaxt < mint) continue;
      if (cmint > maxt) break;
      (bytes ??= []).push(readClosed(head, c[i + 2]!, c[i + 3]!));
      (bounds ??= []).push(cmint, cmaxt);
    }
  }
  const lastT = tbl.lastT[slot]!;
  const headMint = tbl.headMint[slot]!;
  if (tbl.hasHead(slot) && lastT >= mint && headMint <= maxt) {
    (bytes ??= []).push(head.chunks.copy(slot));
    (bounds ??= []).push(headMint, lastT);
  }
  if (bytes === undefined) return undefined;
  return new HeadSeries(tbl.labels[slot]!, bytes, bounds!, mint, maxt);
}

/** HeadSeries is a series read from the head: its chunks captured at select time. */
export class HeadSeries implements Series {
  constructor(
    readonly labels: Labels,
    /** Chunk data in time order. */
    readonly chunks: readonly Uint8Array[],
    /** mint, maxt of each chunk. */
    readonly bounds: readonly number[],
    readonly mint: number,
    readonly maxt: number,
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof HeadSeriesIterator ? reuse : new HeadSeriesIterator();
    return it.reset(this);
  }
}

/** HeadSeriesIterator iterates a head series' samples within [mint, maxt], chunk by chunk. */
export class HeadSeriesIterator implements SampleIterator {
  #s: HeadSeries | undefined;
  readonly #it = new XORIterator();
  #ci = -1;
  #positioned = false;
  #done = true;
  #err: Error | undefined;

  /** reset points the iterator at a series. */
  reset(s: HeadSeries): this {
    this.#s = s;
    this.#ci = -1;
    this.#positioned = false;
    this.#done = s.chunks.length === 0;
    this.#err = undefined;
    return this;
  }

  // #settle moves on from the chunk iterator's answer until a sample >= target and <= maxt is
  // current, loading later chunks as needed.
  #settle(vt: ValueType, target: number): ValueType {
    const s = this.#s!;
    const it = this.#it;
    for (;;) {
      if (vt === ValueType.None) {
        const e = it.err();
        if (e !== undefined) {
          this.#err = e;
          return this.#end();
        }
        if (this.#ci + 1 >= s.chunks.length) return this.#end();
        this.#ci++;
        it.reset(s.chunks[this.#ci]!);
        vt = it.seek(target);
        continue;
      }
      const t = it.atT();
      if (t > s.maxt) return this.#end();
      if (t < target) {
        vt = it.next();
        continue;
      }
      this.#positioned = true;
      return vt;
    }
  }

  #end(): ValueType {
    this.#done = true;
    this.#positioned = false;
    return ValueType.None;
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    const s = this.#s!;
    if (this.#ci < 0) {
      this.#ci = 0;
      this.#it.reset(s.chunks[0]!);
      return this.#settle(this.#it.seek(s.mint), s.mint);
    }
    return this.#settle(this.#it.next(), s.mint);
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#positioned && this.#it.atT() >= t) return ValueType.Float;
    const s = this.#s!;
    const target = Math.max(t, s.mint);
    // Skip chunks that end before the target without decoding them.
    let j = this.#ci < 0 ? 0 : this.#ci;
    while (j < s.chunks.length && s.bounds[2 * j + 1]! < target) j++;
    if (j >= s.chunks.length) return this.#end();
    if (j !== this.#ci) {
      this.#ci = j;
      this.#it.reset(s.chunks[j]!);
    }
    return this.#settle(this.#it.seek(target), target);
  }

  /**
   * readFloats pushes the samples with mint < t ≤ maxt (within the series' range) to `sink` in
   * time order in one call, reading the chunk iterator directly; see SampleIterator.readFloats.
   */
  readFloats(mint: number, maxt: number, sink: FloatSink): ValueType {
    let vt = this.seek(mint + 1);
    if (vt === ValueType.None) return ValueType.None;
    const s = this.#s!;
    const end = maxt < s.maxt ? maxt : s.maxt;
    const it = this.#it;
    for (;;) {
      for (; vt !== ValueType.None; vt = it.next()) {
        if (vt !== ValueType.Float) return vt;
        const t = it.atT();
        if (t > end) return this.#end();
        sink.push(t, it.atF());
      }
      const e = it.err();
      if (e !== undefined) {
        this.#err = e;
        return this.#end();
      }
      if (this.#ci + 1 >= s.chunks.length) return this.#end();
      this.#ci++;
      it.reset(s.chunks[this.#ci]!);
      vt = it.seek(s.mint);
    }
  }

  atT(): number {
    return this.#it.atT();
  }

  atF(): number {
    return this.#it.atF();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
