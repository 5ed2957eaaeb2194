/**
 * The index file reader (format v2) over the file's bytes. Opening verifies the header, the TOC
 * and the checksums of the symbol and postings offset tables and loads both; series and postings
 * lists are decoded (and checksummed) only when asked for.
 * @module
 */
import { DecBuf, DecodeError, crc32c as crc, readBE32 } from '../../encoding/index.js';
import { Labels, compareStrings } from '../../model/index.js';
import { IndexCorruptionError } from './errors.js';
import {
  INDEX_HEADER_LEN,
  INDEX_TOC_LEN,
  INDEX_VERSION_V1,
  INDEX_VERSION_V2,
  MAGIC_INDEX,
  SERIES_ALIGNMENT,
  type ChunkMetaRef,
  type TOC,
} from './format.js';
import { EMPTY_POSTINGS, mergePostings, type Postings } from './postings.js';
import type { PostingsSource } from './postings-for-matchers.js';

interface ValueTable {
  readonly values: string[];
  readonly offsets: number[];
}

/**
 * SeriesInRange is one decoded series for a query: its labels and the chunk metas overlapping
 * the query range as (mint, maxt, ref) triples, with no object per chunk.
 */
export interface SeriesInRange {
  readonly labels: Labels;
  readonly metas: Float64Array;
}

/** SeriesEntry is one decoded series: its labels and chunk metas. */
export interface SeriesEntry {
  readonly labels: Labels;
  readonly chunks: ChunkMetaRef[];
}

/** IndexReader reads an index file held in memory. */
export class IndexReader implements PostingsSource {
  readonly #b: Uint8Array;
  readonly #file: string | undefined;
  /** Format version (2). */
  readonly version: number;
  /** The section offsets. */
  readonly toc: TOC;
  readonly #symbols: string[];
  // Scratch for seriesInRange: chunk metas as triples before the kept ones are copied out.
  #metaScratch = new Float64Array(48);
  readonly #table = new Map<string, ValueTable>();
  readonly #names: string[];

  /** Opens an index from its bytes; throws IndexCorruptionError. */
  constructor(options: { readonly bytes: Uint8Array; readonly file?: string }) {
    const { bytes, file } = options;
    this.#b = bytes;
    this.#file = file;
    try {
      if (bytes.length < INDEX_HEADER_LEN + INDEX_TOC_LEN) this.#corrupt(`${bytes.length} bytes is too short for an index`, 0);
      const magic = readBE32(bytes, 0);
      if (magic !== MAGIC_INDEX) this.#corrupt(`bad magic 0x${magic.toString(16)}`, 0);
      this.version = bytes[4]!;
      if (this.version === INDEX_VERSION_V1) this.#corrupt('index format v1 (Prometheus < 2.1) is not supported', 4);
      if (this.version !== INDEX_VERSION_V2) this.#corrupt(`unknown index version ${this.version}`, 4);
      const tocOff = bytes.length - INDEX_TOC_LEN;
      const d = new DecBuf(bytes, tocOff, bytes.length - 4);
      this.toc = {
        symbols: d.be64(),
        series: d.be64(),
        labelIndices: d.be64(),
        labelIndicesTable: d.be64(),
        postings: d.be64(),
        postingsTable: d.be64(),
      };
      this.#checkTocCRC(tocOff);
      for (const [k, v] of Object.entries(this.toc)) {
        if (v > tocOff) this.#corrupt(`TOC entry ${k} = ${v} points past the TOC`, tocOff);
      }
      this.#symbols = this.#readSymbols();
      this.#readPostingsTable();
      this.#names = [...this.#table.keys()].filter((n) => n !== '').sort(compareStrings);
    } catch (e) {
      if (e instanceof IndexCorruptionError) throw e;
      if (e instanceof DecodeError) throw new IndexCorruptionError(e.message, e.offset, { file, cause: e });
      throw e;
    }
  }

  #corrupt(detail: string, off: number): never {
    throw new IndexCorruptionError(detail, off, { file: this.#file });
  }

  // The TOC has no length prefix; its checksum covers the six offsets.
  #checkTocCRC(tocOff: number): void {
    const want = readBE32(this.#b, tocOff + INDEX_TOC_LEN - 4);
    const got = crc(this.#b, tocOff, tocOff + INDEX_TOC_LEN - 4);
    if (want !== got) this.#corrupt('TOC checksum mismatch', tocOff);
  }

  #readSymbols(): string[] {
    if (this.toc.symbols === 0) return [];
    const d = DecBuf.sectionAt(this.#b, this.toc.symbols);
    const n = d.be32();
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = d.uvarintStr();
    return out;
  }

  #readPostingsTable(): void {
    if (this.toc.postingsTable === 0) return;
    const d = DecBuf.sectionAt(this.#b, this.toc.postingsTable);
    const n = d.be32();
    let prevName = '\u0000';
    let cur: ValueTable | undefined;
    for (let i = 0; i < n; i++) {
      const at = d.off;
      const keys = d.uvarint();
      if (keys !== 2) this.#corrupt(`postings offset entry with ${keys} keys`, at);
      let name = d.uvarintStr();
      const value = d.uvarintStr();
      const off = d.uvarint();
      if (name === prevName) name = prevName;
      else {
        prevName = name;
        cur = this.#table.get(name);
        if (cur === undefined) {
          cur = { values: [], offsets: [] };
          this.#table.set(name, cur);
        }
      }
      cur!.values.push(value);
      cur!.offsets.push(off);
    }
  }

  /**
   * verify decodes and checksums every series, postings list and label index, so corruption
   * anywhere in the file is found now rather than in the middle of a query. Throws
   * IndexCorruptionError.
   */
  verify(): void {
    const scratch: ChunkMetaRef[] = [];
    for (const t of this.#table.values()) for (const off of t.offsets) this.#readPostings(off);
    for (const ref of this.allPostings()) this.series(ref, scratch);
    if (this.toc.labelIndicesTable !== 0) {
      try {
        const d = DecBuf.sectionAt(this.#b, this.toc.labelIndicesTable);
        const n = d.be32();
        for (let i = 0; i < n; i++) {
          const keys = d.uvarint();
          for (let k = 0; k < keys; k++) d.uvarintStr();
          DecBuf.sectionAt(this.#b, d.uvarint());
        }
      } catch (e) {
        if (e instanceof DecodeError) this.#corrupt(`label indices: ${e.message}`, e.offset);
        throw e;
      }
    }
  }

  /** size returns the index file's length in bytes. */
  size(): number {
    return this.#b.length;
  }

  /** symbols returns the sorted symbol table. */
  symbols(): readonly string[] {
    return this.#symbols;
  }

  /** lookupSymbol returns the symbol with the given index. */
  lookupSymbol(i: number): string {
    const s = this.#symbols[i];
    if (s === undefined) this.#corrupt(`symbol ${i} out of range (${this.#symbols.length} symbols)`, -1);
    return s;
  }

  /** labelNames returns every label name, sorted. */
  labelNames(): readonly string[] {
    return this.#names;
  }

  sortedLabelValues(name: string): readonly string[] {
    return this.#table.get(name)?.values ?? [];
  }

  postings(name: string, values: readonly string[]): Postings {
    const t = this.#table.get(name);
    if (t === undefined) return EMPTY_POSTINGS;
    if (values.length === 1) {
      const i = indexOf(t.values, values[0]!);
      return i < 0 ? EMPTY_POSTINGS : this.#readPostings(t.offsets[i]!);
    }
    const lists: Postings[] = [];
    for (const v of values) {
      const i = indexOf(t.values, v);
      if (i >= 0) lists.push(this.#readPostings(t.offsets[i]!));
    }
    return mergePostings(lists);
  }

  /** allPostings returns every series ref. */
  allPostings(): Postings {
    return this.postings('', ['']);
  }

  #readPostings(off: number): Postings {
    try {
      const d = DecBuf.sectionAt(this.#b, off);
      const n = d.be32();
      if (d.remaining() !== n * 4) this.#corrupt(`postings list of ${n} entries in ${d.remaining()} bytes`, off);
      const out = new Uint32Array(n);
      const b = this.#b;
      let p = d.off;
      for (let i = 0; i < n; i++, p += 4) out[i] = readBE32(b, p);
      return out;
    } catch (e) {
      if (e instanceof DecodeError) this.#corrupt(`postings: ${e.message}`, off);
      throw e;
    }
  }

  // labelPairs reads a series entry's label references as name, value, name, value… strings.
  #labelPairs(d: DecBuf, ref: number, off: number): string[] {
    const nl = d.uvarint();
    const nv: string[] = new Array(nl * 2);
    const syms = this.#symbols;
    for (let i = 0; i < nl; i++) {
      const n = syms[d.uvarint()];
      const v = syms[d.uvarint()];
      if (n === undefined || v === undefined) this.#corrupt(`series ${ref} references a missing symbol`, off);
      if (i > 0 && !(nv[2 * i - 2]! < n)) this.#corrupt(`series ${ref} has unsorted label names`, off);
      nv[2 * i] = n;
      nv[2 * i + 1] = v;
    }
    return nv;
  }

  /**
   * seriesInRange decodes the series with the given ref for a query over [mint, maxt]: labels
   * and the metas of the chunks overlapping the range, as (mint, maxt, ref) triples.
   */
  seriesInRange(ref: number, mint: number, maxt: number): SeriesInRange {
    const off = ref * SERIES_ALIGNMENT;
    try {
      const d = DecBuf.uvarintSectionAt(this.#b, off);
      const nv = this.#labelPairs(d, ref, off);
      const nc = d.uvarint();
      let tmp = this.#metaScratch;
      if (tmp.length < 3 * nc) tmp = this.#metaScratch = new Float64Array(Math.max(3 * nc, 2 * tmp.length));
      let k = 0;
      let cmaxt = 0;
      let cref = 0;
      for (let i = 0; i < nc; i++) {
        let cmint: number;
        if (i === 0) {
          cmint = d.varint();
          cmaxt = cmint + d.uvarint();
          cref = d.uvarint();
        } else {
          cmint = cmaxt + d.uvarint();
          cmaxt = cmint + d.uvarint();
          cref += d.varint();
        }
        if (cmaxt < mint || cmint > maxt) continue;
        tmp[k++] = cmint;
        tmp[k++] = cmaxt;
        tmp[k++] = cref;
      }
      return { labels: Labels.fromSortedPairs(nv), metas: tmp.slice(0, k) };
    } catch (e) {
      if (e instanceof DecodeError) this.#corrupt(`series ${ref}: ${e.message}`, off);
      throw e;
    }
  }

  /**
   * series decodes the series with the given ref. Chunk metas are appended to `chunksOut` when
   * given (cleared first), to reuse an array.
   */
  series(ref: number, chunksOut: ChunkMetaRef[] = []): SeriesEntry {
    const off = ref * SERIES_ALIGNMENT;
    try {
      const d = DecBuf.uvarintSectionAt(this.#b, off);
      const nv = this.#labelPairs(d, ref, off);
      const nc = d.uvarint();
      chunksOut.length = 0;
      let maxt = 0;
      let cref = 0;
      for (let i = 0; i < nc; i++) {
        let mint: number;
        if (i === 0) {
          mint = d.varint();
          maxt = mint + d.uvarint();
          cref = d.uvarint();
        } else {
          mint = maxt + d.uvarint();
          maxt = mint + d.uvarint();
          cref += d.varint();
        }
        chunksOut.push({ mint, maxt, ref: cref });
      }
      return { labels: Labels.fromSortedPairs(nv), chunks: chunksOut };
    } catch (e) {
      if (e instanceof DecodeError) this.#corrupt(`series ${ref}: ${e.message}`, off);
      throw e;
    }
  }
}

function indexOf(a: readonly string[], s: string): number {
  // Values are in UTF-8 byte order, which compareStrings follows.
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStrings(a[mid]!, s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length && a[lo] === s ? lo : -1;
}
