/**
 * A Querier over one block. `select` evaluates the matchers against the index and returns a
 * series set that decodes series lazily, one per `next()`, and whose sample iterators read
 * chunks only as iteration reaches them: a long query never holds all chunks at once.
 * @module
 */
import { compareStrings, type Labels, type Matcher, type Warning } from '../model/index.js';
import { ValueType, type FloatSink, type Querier, type SampleIterator, type SelectHints, type Series, type SeriesSet } from '../storage/index.js';
import { postingsForMatchers, type ChunkMetaRef, type IndexReader, type Postings } from './index/index.js';
import type { ChunkReader } from './chunks-reader.js';
import { isDeleted, type Interval, type Tombstones } from './tombstones.js';

/** BlockReaders is what a block querier reads from. */
export interface BlockReaders {
  readonly index: IndexReader;
  readonly chunks: ChunkReader;
  readonly tombstones: Tombstones;
}

/** BlockQuerier queries one block over [mint, maxt] (inclusive, ms). */
export class BlockQuerier implements Querier {
  readonly #r: BlockReaders;
  readonly #mint: number;
  readonly #maxt: number;
  readonly #onClose: () => void;
  #closed = false;

  constructor(options: { readonly readers: BlockReaders; readonly mint: number; readonly maxt: number; readonly onClose?: () => void }) {
    this.#r = options.readers;
    this.#mint = options.mint;
    this.#maxt = options.maxt;
    this.#onClose = options.onClose ?? (() => undefined);
  }

  #check(signal?: AbortSignal): void {
    if (this.#closed) throw new Error('block querier used after close');
    signal?.throwIfAborted();
  }

  /** selectSync is select without the promise, for callers that are synchronous anyway. */
  selectSync(matchers: readonly Matcher[], hints?: SelectHints): SeriesSet {
    this.#check();
    let postings: Postings;
    try {
      postings = postingsForMatchers(this.#r.index, matchers);
    } catch (e) {
      return new BlockSeriesSet(this.#r, new Uint32Array(0), 0, -1, false, e as Error);
    }
    const mint = Math.max(this.#mint, hints?.start ?? -Infinity);
    const maxt = Math.min(this.#maxt, hints?.end ?? Infinity);
    return new BlockSeriesSet(this.#r, postings, mint, maxt, hints?.func === 'series');
  }

  async select(matchers: readonly Matcher[], hints?: SelectHints, signal?: AbortSignal): Promise<SeriesSet> {
    this.#check(signal);
    return this.selectSync(matchers, hints);
  }

  async labelValues(name: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    this.#check(signal);
    const ix = this.#r.index;
    if (matchers.length === 0) return [...ix.sortedLabelValues(name)];
    const vals = new Set<string>();
    for (const ref of postingsForMatchers(ix, matchers)) {
      const v = ix.series(ref).labels.get(name);
      if (v !== '') vals.add(v);
    }
    return [...vals].sort(compareStrings);
  }

  async labelNames(matchers: readonly Matcher[], signal?: AbortSignal): Promise<readonly string[]> {
    this.#check(signal);
    const ix = this.#r.index;
    if (matchers.length === 0) return [...ix.labelNames()];
    const names = new Set<string>();
    for (const ref of postingsForMatchers(ix, matchers)) ix.series(ref).labels.forEach((n) => names.add(n));
    return [...names].sort(compareStrings);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }
}

/** BlockSeriesSet walks postings, decoding each series and its chunk metas on demand. */
class BlockSeriesSet implements SeriesSet {
  readonly #r: BlockReaders;
  readonly #postings: Postings;
  readonly #mint: number;
  readonly #maxt: number;
  readonly #labelsOnly: boolean;
  #i = 0;
  #cur: Series | undefined;
  #err: Error | undefined;

  constructor(r: BlockReaders, postings: Postings, mint: number, maxt: number, labelsOnly: boolean, err?: Error) {
    this.#r = r;
    this.#postings = postings;
    this.#mint = mint;
    this.#maxt = maxt;
    this.#labelsOnly = labelsOnly;
    this.#err = err;
  }

  next(): boolean {
    if (this.#err !== undefined || this.#mint > this.#maxt) return false;
    const ix = this.#r.index;
    while (this.#i < this.#postings.length) {
      const ref = this.#postings[this.#i++]!;
      let labels: Labels;
      let metas: Float64Array;
      try {
        ({ labels, metas } = ix.seriesInRange(ref, this.#mint, this.#maxt));
      } catch (e) {
        this.#err = e as Error;
        return false;
      }
      const dels = this.#r.tombstones.size > 0 ? this.#r.tombstones.get(ref) : undefined;
      // Of the chunks overlapping [mint, maxt], drop those wholly deleted.
      if (dels !== undefined) {
        let keep = 0;
        for (let k = 0; k < metas.length; k += 3) {
          if (coveredBy(metas[k]!, metas[k + 1]!, dels)) continue;
          metas[keep++] = metas[k]!;
          metas[keep++] = metas[k + 1]!;
          metas[keep++] = metas[k + 2]!;
        }
        metas = metas.subarray(0, keep);
      }
      if (metas.length === 0) continue;
      this.#cur = this.#labelsOnly
        ? new BlockSeries(labels, this.#r.chunks, NO_METAS, this.#mint, this.#maxt, undefined)
        : new BlockSeries(labels, this.#r.chunks, metas, this.#mint, this.#maxt, dels);
      return true;
    }
    return false;
  }

  at(): Series {
    return this.#cur!;
  }

  err(): Error | undefined {
    return this.#err;
  }

  warnings(): readonly Warning[] {
    return [];
  }
}

function coveredBy(mint: number, maxt: number, dels: readonly Interval[]): boolean {
  for (const d of dels) if (d.mint <= mint && maxt <= d.maxt) return true;
  return false;
}

const NO_METAS = new Float64Array(0);

/** BlockSeries is a series of a block; its iterator reads chunks lazily. */
export class BlockSeries implements Series {
  /** Chunk metas overlapping the query range, in time order, as (mint, maxt, ref) triples. */
  readonly metas: Float64Array;

  constructor(
    readonly labels: Labels,
    readonly chunkReader: ChunkReader,
    /** Chunk metas overlapping the query range, in time order (objects or triples). */
    metas: readonly ChunkMetaRef[] | Float64Array,
    readonly mint: number,
    readonly maxt: number,
    readonly deleted: readonly Interval[] | undefined,
  ) {
    if (metas instanceof Float64Array) this.metas = metas;
    else {
      const m = new Float64Array(3 * metas.length);
      metas.forEach((c, i) => {
        m[3 * i] = c.mint;
        m[3 * i + 1] = c.maxt;
        m[3 * i + 2] = c.ref;
      });
      this.metas = m;
    }
  }

  iterator(reuse?: SampleIterator): SampleIterator {
    const it = reuse instanceof BlockSeriesIterator ? reuse : new BlockSeriesIterator();
    return it.reset(this);
  }
}

/** BlockSeriesIterator iterates a block series' samples in [mint, maxt], chunk by chunk. */
export class BlockSeriesIterator implements SampleIterator {
  #s: BlockSeries | undefined;
  #ci = -1;
  #nc = 0; // chunks of the series
  #it: SampleIterator | undefined;
  #inChunk = false;
  // The current chunk lies wholly inside [mint, maxt] and nothing of the series is deleted:
  // next() hands out the chunk iterator's samples without the range checks.
  #plain = false;
  #positioned = false;
  #done = false;
  #err: Error | undefined;

  /** reset points the iterator at a series. */
  reset(s: BlockSeries): this {
    this.#s = s;
    this.#ci = -1;
    this.#inChunk = false;
    this.#plain = false;
    this.#positioned = false;
    this.#done = s.metas.length === 0;
    this.#nc = s.metas.length / 3;
    this.#err = undefined;
    return this;
  }

  #load(i: number): boolean {
    const s = this.#s!;
    try {
      this.#it = s.chunkReader.chunk(s.metas[3 * i + 2]!).iterator(this.#it);
    } catch (e) {
      return this.#fail(e as Error);
    }
    this.#ci = i;
    this.#inChunk = true;
    this.#plain = s.deleted === undefined && s.metas[3 * i]! >= s.mint && s.metas[3 * i + 1]! <= s.maxt;
    return true;
  }

  #fail(e: Error): false {
    this.#err = e;
    this.#done = true;
    this.#positioned = false;
    return false;
  }

  // #settle takes the iterator's answer `vt` and moves on until a sample in range and not
  // deleted is current, loading further chunks as needed; `target` is the minimum timestamp.
  #settle(vt: ValueType, target: number): ValueType {
    const s = this.#s!;
    for (;;) {
      if (vt === ValueType.None) {
        const e = this.#it!.err();
        if (e !== undefined) {
          this.#fail(e);
          return ValueType.None;
        }
        if (this.#ci + 1 >= this.#nc || !this.#load(this.#ci + 1)) {
          this.#done = true;
          this.#positioned = false;
          return ValueType.None;
        }
        vt = this.#it!.seek(target);
        continue;
      }
      const t = this.#it!.atT();
      if (t > s.maxt) {
        this.#done = true;
        this.#positioned = false;
        return ValueType.None;
      }
      if (t < target || (s.deleted !== undefined && isDeleted(t, s.deleted))) {
        vt = this.#it!.next();
        continue;
      }
      this.#positioned = true;
      return vt;
    }
  }

  next(): ValueType {
    if (this.#done) return ValueType.None;
    const s = this.#s!;
    if (!this.#inChunk) {
      if (!this.#load(0)) return ValueType.None;
      return this.#settle(this.#it!.seek(s.mint), s.mint);
    }
    const vt = this.#it!.next();
    // A positioned iterator in a plain chunk: its next sample is in range and not deleted.
    if (this.#plain && vt !== ValueType.None && this.#positioned) return vt;
    return this.#settle(vt, s.mint);
  }

  seek(t: number): ValueType {
    if (this.#done) return ValueType.None;
    if (this.#positioned && this.#it!.atT() >= t) return ValueType.Float;
    const s = this.#s!;
    const target = Math.max(t, s.mint);
    // Skip whole chunks that end before the target without reading them.
    let j = this.#inChunk ? this.#ci : 0;
    while (j < this.#nc && s.metas[3 * j + 1]! < target) j++;
    if (j >= this.#nc) {
      this.#done = true;
      this.#positioned = false;
      return ValueType.None;
    }
    if (!this.#inChunk || j !== this.#ci) {
      if (!this.#load(j)) return ValueType.None;
    }
    return this.#settle(this.#it!.seek(target), target);
  }

  /**
   * readFloats pushes the samples with mint < t ≤ maxt (and in the series' range, not deleted)
   * to `sink` in time order, in one call: the chunk iterator is called directly in a tight loop
   * instead of through next/atT/atF per sample. It stops at a histogram sample and returns
   * ValueType.Histogram, else returns ValueType.None; errors are reported by err(). The
   * iterator is left exhausted or past maxt.
   */
  readFloats(mint: number, maxt: number, sink: FloatSink): ValueType {
    let vt = this.seek(mint + 1);
    if (vt === ValueType.None) return ValueType.None;
    const s = this.#s!;
    const end = maxt < s.maxt ? maxt : s.maxt;
    const dels = s.deleted;
    for (;;) {
      const it = this.#it!;
      // Within the loaded chunk: plain reads; the range and tombstones are checked inline.
      for (; vt !== ValueType.None; vt = it.next()) {
        if (vt !== ValueType.Float) return vt;
        const t = it.atT();
        if (t > end) {
          this.#done = true;
          this.#positioned = false;
          return ValueType.None;
        }
        if (dels !== undefined && isDeleted(t, dels)) continue;
        sink.push(t, it.atF());
      }
      const e = it.err();
      if (e !== undefined) {
        this.#fail(e);
        return ValueType.None;
      }
      if (this.#ci + 1 >= this.#nc || !this.#load(this.#ci + 1)) {
        this.#done = true;
        this.#positioned = false;
        return ValueType.None;
      }
      vt = this.#it!.seek(s.mint);
    }
  }

  atT(): number {
    return this.#it!.atT();
  }

  atF(): number {
    return this.#it!.atF();
  }

  err(): Error | undefined {
    return this.#err;
  }
}
