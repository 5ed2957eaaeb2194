/**
 * The index file writer (format v2). Like Prometheus's index.Writer it takes every symbol first,
 * in sorted order, then the series in label order, and lays the file out the same way: symbol
 * table, 16-byte aligned series, label indices, 4-byte aligned postings (the all-series list
 * first), label offset table, postings offset table, TOC. The file is built in memory and
 * returned as bytes, for the block writer to write and fsync.
 * @module
 */
import { EncBuf } from '../../encoding/index.js';
import { compareStrings, type Labels } from '../../model/index.js';
import { IndexWriteError } from './errors.js';
import { INDEX_VERSION_V2, MAGIC_INDEX, SERIES_ALIGNMENT, type ChunkMetaRef } from './format.js';

/** IndexWriter writes one index file. Methods must be called in stage order: symbols, series, finish. */
export class IndexWriter {
  readonly #b = new EncBuf(1 << 16);
  #stage: 'symbols' | 'series' | 'done' = 'symbols';
  readonly #symbols = new Map<string, number>();
  #lastSymbol: string | undefined;
  #tocSymbols = 0;
  #tocSeries = 0;
  #lastSeries: Labels | undefined;
  // name → value symbol index → refs (increasing, as series arrive in order)
  readonly #postings = new Map<string, Map<number, number[]>>();
  readonly #all: number[] = [];
  readonly #scratch = new EncBuf(256);

  constructor() {
    this.#b.putBE32(MAGIC_INDEX);
    this.#b.putByte(INDEX_VERSION_V2);
    this.#tocSymbols = this.#b.length;
    this.#b.putZeros(8); // length and count, filled in when the symbols are done
  }

  /** addSymbol adds the next symbol; symbols must be unique and added in sorted order. */
  addSymbol(s: string): void {
    if (this.#stage !== 'symbols') throw new IndexWriteError(`symbol "${s}" added after the symbol stage`);
    if (this.#lastSymbol !== undefined && compareStrings(s, this.#lastSymbol) <= 0) {
      throw new IndexWriteError(`symbol "${s}" out of order after "${this.#lastSymbol}"`);
    }
    this.#lastSymbol = s;
    this.#symbols.set(s, this.#symbols.size);
    this.#b.putUvarintStr(s);
  }

  #finishSymbols(): void {
    const b = this.#b;
    const start = this.#tocSymbols;
    b.putBE32At(start, b.length - start - 4);
    b.putBE32At(start + 4, this.#symbols.size);
    b.putCRC32C(start + 4);
    this.#tocSeries = b.length;
    this.#stage = 'series';
  }

  /**
   * addSeries adds the next series, with label sets strictly increasing, and returns its ref
   * (offset / 16). Chunks must be in time order, not overlapping, with increasing refs.
   */
  addSeries(labels: Labels, chunks: readonly ChunkMetaRef[]): number {
    if (this.#stage === 'symbols') this.#finishSymbols();
    if (this.#stage !== 'series') throw new IndexWriteError('series added after finish');
    if (this.#lastSeries !== undefined && labels.compare(this.#lastSeries) <= 0) {
      throw new IndexWriteError(`out-of-order series added with label set ${labels.toString()}`);
    }
    this.#lastSeries = labels;
    const b = this.#b;
    const pad = (SERIES_ALIGNMENT - (b.length % SERIES_ALIGNMENT)) % SERIES_ALIGNMENT;
    b.putZeros(pad);
    const ref = b.length / SERIES_ALIGNMENT;
    if (ref > 0xffffffff) throw new IndexWriteError('index exceeds 64 GiB: series refs no longer fit 32 bits');
    const e = this.#scratch;
    e.reset();
    e.putUvarint(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const name = labels.nameAt(i);
      const value = labels.valueAt(i);
      const ni = this.#symbols.get(name);
      const vi = this.#symbols.get(value);
      if (ni === undefined) throw new IndexWriteError(`symbol "${name}" not added`);
      if (vi === undefined) throw new IndexWriteError(`symbol "${value}" not added`);
      e.putUvarint(ni);
      e.putUvarint(vi);
      let byValue = this.#postings.get(name);
      if (byValue === undefined) {
        byValue = new Map();
        this.#postings.set(name, byValue);
      }
      const list = byValue.get(vi);
      if (list === undefined) byValue.set(vi, [ref]);
      else list.push(ref);
    }
    this.#all.push(ref);
    e.putUvarint(chunks.length);
    let prevMaxt = 0;
    let prevRef = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.maxt < c.mint) throw new IndexWriteError(`chunk maxt ${c.maxt} before mint ${c.mint} in ${labels.toString()}`);
      if (i === 0) {
        e.putVarint(c.mint);
        e.putUvarint(c.maxt - c.mint);
        e.putUvarint(c.ref);
      } else {
        if (c.mint < prevMaxt) throw new IndexWriteError(`overlapping chunks at ${c.mint} in ${labels.toString()}`);
        if (c.ref <= prevRef) throw new IndexWriteError(`chunk refs not increasing in ${labels.toString()}`);
        e.putUvarint(c.mint - prevMaxt);
        e.putUvarint(c.maxt - c.mint);
        e.putVarint(c.ref - prevRef);
      }
      prevMaxt = c.maxt;
      prevRef = c.ref;
    }
    b.putUvarint(e.length);
    const start = b.length;
    b.putBytes(e.get());
    b.putCRC32C(start);
    return ref;
  }

  /** finish writes the remaining sections and the TOC and returns the whole file. */
  finish(): Uint8Array {
    if (this.#stage === 'symbols') this.#finishSymbols();
    if (this.#stage === 'done') throw new IndexWriteError('finish called twice');
    this.#stage = 'done';
    const b = this.#b;
    const symbolsByIndex: string[] = new Array(this.#symbols.size);
    for (const [s, i] of this.#symbols) symbolsByIndex[i] = s;
    const names = [...this.#postings.keys()].sort(compareStrings);
    const valueIndices = new Map<string, number[]>();
    for (const n of names) valueIndices.set(n, [...this.#postings.get(n)!.keys()].sort((x, y) => x - y));

    // Label indices: one per name, listing its values' symbol indices.
    const tocLabelIndices = b.length;
    const labelIndexOffsets: [string, number][] = [];
    for (const n of names) {
      this.#align4();
      labelIndexOffsets.push([n, b.length]);
      const vals = valueIndices.get(n)!;
      const start = b.length;
      b.putBE32(0);
      b.putBE32(1); // number of names per entry
      b.putBE32(vals.length);
      for (const v of vals) b.putBE32(v);
      b.putBE32At(start, b.length - start - 4);
      b.putCRC32C(start + 4);
    }

    // Postings: the all-series list under ("", ""), then every pair in name, value order.
    const tocPostings = b.length;
    const postingsOffsets: [string, string, number][] = [];
    const writeList = (name: string, value: string, refs: readonly number[]): void => {
      this.#align4();
      postingsOffsets.push([name, value, b.length]);
      const start = b.length;
      b.putBE32(0);
      b.putBE32(refs.length);
      for (const r of refs) b.putBE32(r);
      b.putBE32At(start, b.length - start - 4);
      b.putCRC32C(start + 4);
    };
    writeList('', '', this.#all);
    for (const n of names) {
      const byValue = this.#postings.get(n)!;
      for (const vi of valueIndices.get(n)!) writeList(n, symbolsByIndex[vi]!, byValue.get(vi)!);
    }

    // Label offset table.
    const tocLabelIndicesTable = b.length;
    this.#table(labelIndexOffsets.length, () => {
      for (const [n, off] of labelIndexOffsets) {
        b.putUvarint(1);
        b.putUvarintStr(n);
        b.putUvarint(off);
      }
    });

    // Postings offset table.
    const tocPostingsTable = b.length;
    this.#table(postingsOffsets.length, () => {
      for (const [n, v, off] of postingsOffsets) {
        b.putUvarint(2);
        b.putUvarintStr(n);
        b.putUvarintStr(v);
        b.putUvarint(off);
      }
    });

    const toc = b.length;
    b.putBE64(this.#tocSymbols);
    b.putBE64(this.#tocSeries);
    b.putBE64(tocLabelIndices);
    b.putBE64(tocLabelIndicesTable);
    b.putBE64(tocPostings);
    b.putBE64(tocPostingsTable);
    b.putCRC32C(toc);
    return b.get();
  }

  #align4(): void {
    const pad = (4 - (this.#b.length % 4)) % 4;
    this.#b.putZeros(pad);
  }

  // #table writes `len <4b> | #entries <4b> | entries | CRC32C`.
  #table(entries: number, body: () => void): void {
    const b = this.#b;
    const start = b.length;
    b.putBE32(0);
    b.putBE32(entries);
    body();
    b.putBE32At(start, b.length - start - 4);
    b.putCRC32C(start + 4);
  }
}
