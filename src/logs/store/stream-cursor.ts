/**
 * Reading one stream for a query: the blocks of its chunks and heads that overlap the time
 * range, skipped by token filter where needles allow, searched block-wide for needles with one
 * `indexOf` before any line is decoded, and merged where blocks overlap in time (late entries).
 * @module
 */
import type { Labels } from '../../model/index.js';
import { unescapeLine, type Fields } from './block-codec.js';
import type { BlockText, BlockTimes, ChunkReader } from './chunk-reader.js';
import { unpackBlock, unpackJsonIndex } from './chunk-reader.js';
import { columnsFor, type JsonIndex } from './json-index.js';
import type { HeadBlock, RawBlock } from './head-block.js';
import type { CursorQuery, EntryBatch, FieldColumn, LineFilter, StreamCursor } from './interface.js';
import type { ChunkMeta, HeadChunk, SealedBlock } from './store-stream.js';

/** Source is one block to read: on disk, sealed in a head, or a head's open block. */
export interface Source {
  readonly mint: number;
  readonly maxt: number;
  times(): Promise<BlockTimes>;
  text(withFields: boolean): Promise<BlockText | undefined>;
  /** The block's JSON field index, if it has one. */
  json(): Promise<JsonIndex | undefined>;
}

/** diskSource reads block `b` of an on-disk chunk. */
export function diskSource(reader: ChunkReader, meta: ChunkMeta, b: number): Source {
  const bm = meta.header.blocks[b]!;
  return {
    mint: bm.mint,
    maxt: bm.maxt,
    async times() {
      return (await reader.times(meta))[b]!;
    },
    text(withFields) {
      return reader.text(meta, b, withFields);
    },
    json() {
      return reader.jsonIndex(meta, b);
    },
  };
}

/** sealedSource reads a sealed head block (raw, or packed once compressed). */
export function sealedSource(sb: SealedBlock): Source {
  let unpacked: Promise<BlockText> | undefined;
  return {
    mint: sb.mint,
    maxt: sb.maxt,
    async times() {
      return sb.times;
    },
    async text() {
      const raw = sb.raw;
      if (raw !== undefined) return raw;
      unpacked ??= unpackBlock(sb.packed!);
      return unpacked;
    },
    async json() {
      return sb.packed === undefined ? undefined : unpackJsonIndex(sb.packed);
    },
  };
}

/** openSource reads the first `n` entries of a head's open block. */
export function openSource(hb: HeadBlock, n: number): Source {
  let raw: RawBlock | undefined;
  const get = (): RawBlock => (raw ??= hb.seal(n));
  return {
    mint: hb.mint,
    maxt: hb.maxt,
    async times() {
      return get();
    },
    async text() {
      return get();
    },
    async json() {
      return undefined;
    },
  };
}

/** headSources lists the sources of a head chunk overlapping [mint, maxt]. */
export function headSources(h: HeadChunk, mint: number, maxt: number): Source[] {
  const out: Source[] = [];
  for (const sb of h.blocks) if (sb.mint <= maxt && sb.maxt >= mint) out.push(sealedSource(sb));
  const n = h.open.count;
  if (n > 0 && h.open.mint <= maxt && h.open.maxt >= mint) out.push(openSource(h.open, n));
  return out;
}

/** Search holds the compiled pushdown of a query. */
export interface Search {
  readonly needles: readonly Buffer[];
  readonly folded: readonly Buffer[];
  readonly filter: LineFilter | undefined;
  /** Alternative groups (escaped): a line must hold one string of every group (see LineHints). */
  readonly hints: readonly (readonly Buffer[])[];
  /** Fields to answer from JSON indexes where blocks have them (see CursorQuery.jsonFields). */
  readonly jsonFields?: readonly string[];
}

/** Clusters read ahead of the one being consumed. */
const PREFETCH = 2;

interface Picked {
  n: number;
  /** The requested JSON fields, dictionary-encoded, when read from an index. */
  cols?: FieldColumn[];
  t: Float64Array;
  ns: Int32Array;
  bytes: Int32Array;
  lines: string[] | undefined;
  fields: Fields[] | undefined;
}

/** SourceCursor reads a stream's sources in the query's direction. */
export class SourceCursor implements StreamCursor {
  readonly #clusters: Source[][];
  readonly #q: CursorQuery;
  readonly #search: Search;
  readonly #needText: boolean;
  #next = 0;

  constructor(
    readonly labels: Labels,
    sources: Source[],
    q: CursorQuery,
    search: Search,
  ) {
    this.#q = q;
    this.#search = search;
    this.#needText = q.lines || q.bytes === true || search.needles.length > 0 || search.folded.length > 0 || search.filter !== undefined || search.hints.length > 0;
    sources.sort((a, b) => a.mint - b.mint || a.maxt - b.maxt);
    const clusters: Source[][] = [];
    let cur: Source[] = [];
    let curMax = -Infinity;
    for (const s of sources) {
      if (cur.length > 0 && s.mint > curMax) {
        clusters.push(cur);
        cur = [];
        curMax = -Infinity;
      }
      cur.push(s);
      if (s.maxt > curMax) curMax = s.maxt;
    }
    if (cur.length > 0) clusters.push(cur);
    if (q.direction === 'backward') clusters.reverse();
    this.#clusters = clusters;
  }

  // Clusters being read ahead: reading (I/O and decompression on zlib's thread pool) of the
  // next few clusters overlaps with the caller's work on the current one.
  readonly #ahead = new Map<number, Promise<Picked[]>>();

  #start(i: number): Promise<Picked[]> {
    let p = this.#ahead.get(i);
    if (p === undefined) {
      const cluster = this.#clusters[i]!;
      p = (this.#columnsOk ? this.#readClusterColumns(cluster) : Promise.all(cluster.map((src) => this.#read(src)))).then((ps) =>
        ps.filter((x): x is Picked => x !== undefined && x.n > 0),
      );
      // Errors surface when the cluster is awaited; mark them handled until then.
      p.catch(() => {});
      this.#ahead.set(i, p);
    }
    return p;
  }

  // Parts answered from JSON indexes, handed out one batch each (see CursorQuery.jsonFields).
  #pendingCols: Picked[] = [];

  async next(signal?: AbortSignal): Promise<EntryBatch | undefined> {
    const queued = this.#pendingCols.shift();
    if (queued !== undefined) return this.#batch(queued);
    while (this.#next < this.#clusters.length) {
      signal?.throwIfAborted();
      const i = this.#next++;
      // Read ahead only once the caller came back for more: a limited query (newest 1000 lines)
      // often needs just the first cluster of most streams.
      const depth = i === 0 ? 0 : this.#needText ? PREFETCH : PREFETCH * 4;
      for (let j = i; j < Math.min(this.#clusters.length, i + 1 + depth); j++) this.#start(j);
      const parts = await this.#start(i);
      this.#ahead.delete(i);
      if (parts.length === 0) continue;
      if (parts[0]!.cols !== undefined) {
        // Index parts of overlapping blocks are not merged: each is in order on its own.
        this.#pendingCols.push(...parts.slice(1));
        return this.#batch(parts[0]!);
      }
      return this.#batch(parts.length === 1 ? parts[0]! : mergeParts(parts));
    }
    return undefined;
  }

  #batch(p: Picked): EntryBatch {
    if (this.#q.direction === 'backward') reverse(p);
    return p.cols !== undefined
      ? { count: p.n, t: p.t, ns: p.ns, bytes: p.bytes, lines: undefined, fields: undefined, columns: p.cols }
      : { count: p.n, t: p.t, ns: p.ns, bytes: p.bytes, lines: p.lines, fields: p.fields };
  }

  get #columnsOk(): boolean {
    const s = this.#search;
    // Hints only narrow what text is read; an index answers without text, so it wins.
    return s.jsonFields !== undefined && s.needles.length === 0 && s.folded.length === 0 && s.filter === undefined;
  }

  // readClusterColumns answers a cluster from its blocks' JSON indexes when all have one
  // covering the fields (each block a part of its own), else reads its text as usual.
  async #readClusterColumns(cluster: readonly Source[]): Promise<(Picked | undefined)[]> {
    const parts = await Promise.all(cluster.map((src) => this.#readColumns(src)));
    if (parts.every((p) => p !== null)) return parts as (Picked | undefined)[];
    return Promise.all(cluster.map((src) => this.#read(src)));
  }

  // readColumns answers a block from its JSON index; null when it has none covering the fields.
  async #readColumns(src: Source): Promise<Picked | undefined | null> {
    const index = await src.json();
    const cols = index === undefined ? undefined : columnsFor(index, this.#search.jsonFields!);
    if (cols === undefined) return null;
    const q = this.#q;
    const tm = await src.times();
    const lo = lowerBound(tm.t, tm.count, q.mint);
    const hi = lowerBound(tm.t, tm.count, q.maxt + 1);
    if (lo >= hi) return undefined;
    const n = hi - lo;
    const fc: FieldColumn[] = cols.map((c) => (c === undefined ? { values: [], codes: new Uint8Array(n) } : { values: c.values, codes: c.idx.slice(lo, hi) }));
    return { n, t: tm.t.slice(lo, hi), ns: tm.ns.slice(lo, hi), bytes: zeros(n), lines: undefined, fields: undefined, cols: fc };
  }

  async #read(src: Source): Promise<Picked | undefined> {
    const q = this.#q;
    const tm = await src.times();
    const lo = lowerBound(tm.t, tm.count, q.mint);
    const hi = lowerBound(tm.t, tm.count, q.maxt + 1);
    if (lo >= hi) return undefined;
    if (!this.#needText) {
      const n = hi - lo;
      // Views into the cached times when nothing will reorder them in place (forward).
      const fwd = q.direction === 'forward';
      return { n, t: fwd ? tm.t.subarray(lo, hi) : tm.t.slice(lo, hi), ns: fwd ? tm.ns.subarray(lo, hi) : tm.ns.slice(lo, hi), bytes: zeros(n), lines: undefined, fields: undefined };
    }
    const bt = await src.text(q.lines);
    if (bt === undefined) return undefined;
    const { text, lineOff, escaped, ascii } = bt;
    const s = this.#search;
    let cand: number[] | undefined;
    if (s.needles.length > 0) {
      cand = findLines(text, lineOff, lo, hi, s.needles[0]!);
      for (let k = 1; k < s.needles.length && cand.length > 0; k++) cand = cand.filter((i) => lineHas(text, lineOff, i, s.needles[k]!));
    }
    if (s.hints.length > 0 && bt.fields === undefined && (cand === undefined || cand.length > 0)) {
      for (const group of s.hints) {
        let any: number[] = [];
        for (const alt of group) any = unionSorted(any, findLines(text, lineOff, lo, hi, alt));
        cand = cand === undefined ? any : intersectSorted(cand, any);
        if (cand.length === 0) break;
      }
    }
    if (s.folded.length > 0 && (cand === undefined || cand.length > 0)) {
      const ft = foldRange(text, lineOff[lo]!, lineOff[hi]!);
      const base = lineOff[lo]!;
      let fc = findLinesFolded(ft, base, lineOff, lo, hi, s.folded[0]!);
      for (let k = 1; k < s.folded.length && fc.length > 0; k++) fc = fc.filter((i) => ft.subarray(lineOff[i]! - base, lineOff[i + 1]! - base).indexOf(s.folded[k]!) >= 0);
      cand = cand === undefined ? fc : intersectSorted(cand, fc);
    }
    const n = cand === undefined ? hi - lo : cand.length;
    if (n === 0) return undefined;
    const out: Picked = {
      n: 0,
      t: new Float64Array(n),
      ns: new Int32Array(n),
      bytes: new Int32Array(n),
      lines: q.lines ? [] : undefined,
      fields: q.lines && bt.fields !== undefined ? [] : undefined,
    };
    const filter = s.filter;
    for (let k = 0; k < n; k++) {
      const i = cand === undefined ? lo + k : cand[k]!;
      const ls = lineOff[i]!;
      const le = lineOff[i + 1]! - 1;
      let line: string | undefined;
      if (filter !== undefined || q.lines) {
        line = unescapeLine(text, ls, le, escaped, ascii);
        if (filter !== undefined && !filter(line)) continue;
      }
      const j = out.n++;
      out.t[j] = tm.t[i]!;
      out.ns[j] = tm.ns[i]!;
      out.bytes[j] = escaped ? rawLength(text, ls, le) : le - ls;
      if (out.lines !== undefined) out.lines.push(line!);
      if (out.fields !== undefined) out.fields.push(bt.fields![i]);
    }
    return out;
  }
}

let ZEROS = new Int32Array(4096);
// zeros returns n zero byte sizes (a shared, never written array).
function zeros(n: number): Int32Array {
  if (n > ZEROS.length) ZEROS = new Int32Array(Math.max(n, ZEROS.length * 2));
  return ZEROS.subarray(0, n);
}

// lowerBound returns the first index with t[i] >= x (t sorted ascending).
function lowerBound(t: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// findLines returns the indices in [lo, hi) of lines containing `needle` (escaped bytes).
function findLines(text: Buffer, lineOff: Int32Array, lo: number, hi: number, needle: Buffer): number[] {
  const out: number[] = [];
  const end = lineOff[hi]!;
  const view = end === text.length ? text : text.subarray(0, end);
  let pos = lineOff[lo]!;
  let li = lo;
  for (;;) {
    const m = view.indexOf(needle, pos);
    if (m < 0) break;
    li = lineAt(lineOff, li, hi, m);
    out.push(li);
    pos = lineOff[li + 1]!;
    if (pos >= end) break;
  }
  return out;
}

// findLinesFolded is findLines over a folded copy `ft` of text[base:…].
function findLinesFolded(ft: Buffer, base: number, lineOff: Int32Array, lo: number, hi: number, needle: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  let li = lo;
  for (;;) {
    const m = ft.indexOf(needle, pos);
    if (m < 0) break;
    li = lineAt(lineOff, li, hi, m + base);
    out.push(li);
    pos = lineOff[li + 1]! - base;
    if (pos >= ft.length) break;
  }
  return out;
}

// lineAt finds the line holding byte `pos`, searching from line `from`.
function lineAt(lineOff: Int32Array, from: number, hi: number, pos: number): number {
  let lo = from;
  let h = hi - 1;
  while (lo < h) {
    const mid = (lo + h + 1) >>> 1;
    if (lineOff[mid]! <= pos) lo = mid;
    else h = mid - 1;
  }
  return lo;
}

function lineHas(text: Buffer, lineOff: Int32Array, i: number, needle: Buffer): boolean {
  return text.subarray(lineOff[i]!, lineOff[i + 1]!).indexOf(needle) >= 0;
}

function foldRange(text: Buffer, s: number, e: number): Buffer {
  const out = Buffer.allocUnsafe(e - s);
  for (let i = s; i < e; i++) {
    const c = text[i]!;
    out[i - s] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
  }
  return out;
}

function unionSorted(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i]!);
      i++;
      j++;
    }
  }
  return out;
}

function intersectSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      out.push(a[i]!);
      i++;
      j++;
    }
  }
  return out;
}

// rawLength returns the unescaped byte length of text[s:e).
function rawLength(text: Buffer, s: number, e: number): number {
  let n = e - s;
  for (let i = s; i < e; i++) if (text[i] === 0x00) n--;
  return n;
}

function mergeParts(parts: Picked[]): Picked {
  let n = 0;
  for (const p of parts) n += p.n;
  const idx: { p: number; i: number }[] = [];
  for (let p = 0; p < parts.length; p++) for (let i = 0; i < parts[p]!.n; i++) idx.push({ p, i });
  idx.sort((x, y) => {
    const a = parts[x.p]!;
    const b = parts[y.p]!;
    return a.t[x.i]! - b.t[y.i]! || a.ns[x.i]! - b.ns[y.i]! || x.p - y.p || x.i - y.i;
  });
  const withLines = parts[0]!.lines !== undefined;
  const anyFields = parts.some((p) => p.fields !== undefined);
  const out: Picked = {
    n,
    t: new Float64Array(n),
    ns: new Int32Array(n),
    bytes: new Int32Array(n),
    lines: withLines ? new Array<string>(n) : undefined,
    fields: anyFields ? new Array<Fields>(n) : undefined,
  };
  for (let k = 0; k < n; k++) {
    const { p, i } = idx[k]!;
    const src = parts[p]!;
    out.t[k] = src.t[i]!;
    out.ns[k] = src.ns[i]!;
    out.bytes[k] = src.bytes[i]!;
    if (out.lines !== undefined) out.lines[k] = src.lines![i]!;
    if (out.fields !== undefined) out.fields[k] = src.fields?.[i];
  }
  return out;
}

function reverse(p: Picked): void {
  const n = p.n;
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    swap(p.t, i, j);
    swap(p.ns, i, j);
    swap(p.bytes, i, j);
    if (p.lines !== undefined) [p.lines[i], p.lines[j]] = [p.lines[j]!, p.lines[i]!];
    if (p.fields !== undefined) [p.fields[i], p.fields[j]] = [p.fields[j], p.fields[i]];
    if (p.cols !== undefined) {
      for (const c of p.cols) {
        const x = c.codes[i]!;
        c.codes[i] = c.codes[j]!;
        c.codes[j] = x;
      }
    }
  }
}

function swap(a: Float64Array | Int32Array, i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}
