/**
 * Prometheus's WAL record encoding (series, samples, tombstones), so a vigil data directory
 * stays Prometheus-shaped and a Prometheus WAL replays in vigil.
 *
 * Sample values travel as raw IEEE 754 bits: they are read from and written to Float64Array
 * storage through 32-bit views, never through a JS number, so NaN payloads (the staleness
 * marker) survive exactly. Nothing is allocated per sample.
 * @module
 */
import { putUvarint, putVarint, readUvarint, readVarint, uvarintSize, type Cursor } from '../encoding/index.js';
import { RecordDecodeError } from './errors.js';

/** RecordType is the first byte of a record. */
export const RecordType = {
  Unknown: 255,
  Series: 1,
  Samples: 2,
  Tombstones: 3,
  Exemplars: 4,
  MmapMarkers: 5,
  Metadata: 6,
  HistogramSamples: 7,
  FloatHistogramSamples: 8,
} as const;
/** One of RecordType's values. */
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

// Index of the low and high 32-bit words of a float64 in a Uint32Array view.
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = LE ? 0 : 1;
const HI = LE ? 1 : 0;
const TWO32 = 4294967296;

/** recordType returns the type of a record, Unknown for empty or unrecognised ones. */
export function recordType(rec: Uint8Array): RecordType {
  const t = rec[0];
  return t !== undefined && t >= 1 && t <= 8 ? (t as RecordType) : RecordType.Unknown;
}

/** SampleBatch holds decoded or to-be-encoded samples as parallel typed arrays (struct of arrays). */
export class SampleBatch {
  refs: Float64Array;
  ts: Float64Array;
  vs: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.refs = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  /** reset empties the batch, keeping its storage. */
  reset(): void {
    this.length = 0;
  }

  /** ensure makes room for n samples in total, keeping the first `length`. */
  ensure(n: number): void {
    if (n <= this.refs.length) return;
    let cap = this.refs.length * 2;
    while (cap < n) cap *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.refs = grow(this.refs);
    this.ts = grow(this.ts);
    this.vs = grow(this.vs);
  }

  /** push appends one sample. */
  push(ref: number, t: number, v: number): void {
    if (this.length === this.refs.length) this.ensure(this.length + 1);
    const i = this.length++;
    this.refs[i] = ref;
    this.ts[i] = t;
    this.vs[i] = v;
  }
}

/** SeriesRecordEntry is one series of a series record: its ref and flat sorted [name, value, …] labels. */
export interface SeriesRecordEntry {
  readonly ref: number;
  readonly labels: readonly string[];
}

/** TombstoneEntry deletes the samples of series `ref` in [mint, maxt]. */
export interface TombstoneEntry {
  readonly ref: number;
  readonly mint: number;
  readonly maxt: number;
}

/**
 * RecordEncoder encodes records into internal buffers that it reuses: a returned record is
 * valid until the next call of the same method.
 */
export class RecordEncoder {
  #series = Buffer.allocUnsafe(4096);
  #samples = Buffer.allocUnsafe(16 * 1024);
  #tomb = Buffer.allocUnsafe(1024);

  /** series encodes a series record. */
  series(entries: readonly SeriesRecordEntry[]): Uint8Array {
    // Upper bound: 3 UTF-8 bytes per UTF-16 unit, 5 bytes of length prefix per string.
    let size = 1;
    for (const e of entries) {
      size += 8 + 5;
      for (const s of e.labels) size += 5 + 3 * s.length;
    }
    if (this.#series.length < size) this.#series = Buffer.allocUnsafe(size * 2);
    const b = this.#series;
    b[0] = RecordType.Series;
    let off = 1;
    for (const e of entries) {
      off = putU64(b, off, e.ref);
      off = putUvarint(b, off, e.labels.length / 2);
      for (const s of e.labels) off = putString(b, off, s);
    }
    return b.subarray(0, off);
  }

  /** samples encodes the first `batch.length` samples of a batch as a samples record. */
  samples(batch: SampleBatch): Uint8Array {
    const n = batch.length;
    // Worst case per sample: two 10-byte varints and 8 value bytes.
    const size = 1 + 16 + n * 28;
    if (this.#samples.length < size) this.#samples = Buffer.allocUnsafe(size * 2);
    const b = this.#samples;
    b[0] = RecordType.Samples;
    if (n === 0) return b.subarray(0, 1);
    const refs = batch.refs;
    const ts = batch.ts;
    const words = new Uint32Array(batch.vs.buffer, batch.vs.byteOffset, n * 2);
    const baseRef = refs[0]!;
    const baseT = ts[0]!;
    let off = putU64(b, 1, baseRef);
    off = putI64(b, off, baseT);
    for (let i = 0; i < n; i++) {
      off = putSmallVarint(b, off, refs[i]! - baseRef);
      off = putSmallVarint(b, off, ts[i]! - baseT);
      const hi = words[2 * i + HI]!;
      const lo = words[2 * i + LO]!;
      b[off] = hi >>> 24;
      b[off + 1] = hi >>> 16;
      b[off + 2] = hi >>> 8;
      b[off + 3] = hi;
      b[off + 4] = lo >>> 24;
      b[off + 5] = lo >>> 16;
      b[off + 6] = lo >>> 8;
      b[off + 7] = lo;
      off += 8;
    }
    return b.subarray(0, off);
  }

  /** tombstones encodes a tombstones record. */
  tombstones(entries: readonly TombstoneEntry[]): Uint8Array {
    const size = 1 + entries.length * 28;
    if (this.#tomb.length < size) this.#tomb = Buffer.allocUnsafe(size * 2);
    const b = this.#tomb;
    b[0] = RecordType.Tombstones;
    let off = 1;
    for (const e of entries) {
      off = putU64(b, off, e.ref);
      off = putVarint(b, off, e.mint);
      off = putVarint(b, off, e.maxt);
    }
    return b.subarray(0, off);
  }
}

/** decodeSeries decodes a series record. Throws RecordDecodeError. */
export function decodeSeries(rec: Uint8Array): SeriesRecordEntry[] {
  expectType(rec, RecordType.Series);
  const cur: Cursor = { off: 1 };
  const out: SeriesRecordEntry[] = [];
  const buf = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  try {
    while (cur.off < rec.length) {
      const ref = getU64(rec, cur);
      const n = readUvarint(rec, cur);
      if (n > rec.length) throw new Error(`label count ${n} exceeds the record`);
      const labels: string[] = new Array(2 * n);
      for (let i = 0; i < 2 * n; i++) {
        const len = readUvarint(rec, cur);
        if (cur.off + len > rec.length) throw new Error('label string exceeds the record');
        labels[i] = buf.toString('utf8', cur.off, cur.off + len);
        cur.off += len;
      }
      out.push({ ref, labels });
    }
  } catch (e) {
    throw new RecordDecodeError(RecordType.Series, cur.off, (e as Error).message, { cause: e });
  }
  return out;
}

/**
 * decodeSamples appends the samples of a samples record to `batch` (which grows as needed).
 * Throws RecordDecodeError.
 */
export function decodeSamples(rec: Uint8Array, batch: SampleBatch): void {
  expectType(rec, RecordType.Samples);
  if (rec.length === 1) return;
  const cur: Cursor = { off: 1 };
  try {
    const baseRef = getU64(rec, cur);
    const baseT = getI64(rec, cur);
    // At least 10 bytes per sample: reserve for the upper bound once.
    batch.ensure(batch.length + Math.ceil((rec.length - cur.off) / 10));
    let words = new Uint32Array(batch.vs.buffer);
    while (cur.off < rec.length) {
      const dref = readVarint(rec, cur);
      const dt = readVarint(rec, cur);
      const off = cur.off;
      if (off + 8 > rec.length) throw new Error('truncated sample value');
      const i = batch.length;
      if (i === batch.refs.length) {
        batch.ensure(i + 1);
        words = new Uint32Array(batch.vs.buffer);
      }
      batch.refs[i] = baseRef + dref;
      batch.ts[i] = baseT + dt;
      words[2 * i + HI] = ((rec[off]! << 24) | (rec[off + 1]! << 16) | (rec[off + 2]! << 8) | rec[off + 3]!) >>> 0;
      words[2 * i + LO] = ((rec[off + 4]! << 24) | (rec[off + 5]! << 16) | (rec[off + 6]! << 8) | rec[off + 7]!) >>> 0;
      cur.off = off + 8;
      batch.length = i + 1;
    }
  } catch (e) {
    throw new RecordDecodeError(RecordType.Samples, cur.off, (e as Error).message, { cause: e });
  }
}

/** decodeTombstones decodes a tombstones record. Throws RecordDecodeError. */
export function decodeTombstones(rec: Uint8Array): TombstoneEntry[] {
  expectType(rec, RecordType.Tombstones);
  const cur: Cursor = { off: 1 };
  const out: TombstoneEntry[] = [];
  try {
    while (cur.off < rec.length) {
      const ref = getU64(rec, cur);
      const mint = readVarint(rec, cur);
      const maxt = readVarint(rec, cur);
      out.push({ ref, mint, maxt });
    }
  } catch (e) {
    throw new RecordDecodeError(RecordType.Tombstones, cur.off, (e as Error).message, { cause: e });
  }
  return out;
}

// putSmallVarint is putVarint with 32-bit integer arithmetic for the usual small deltas.
function putSmallVarint(b: Uint8Array, off: number, v: number): number {
  if (v >= -0x20000000 && v < 0x20000000) {
    let u = v < 0 ? -2 * v - 1 : 2 * v; // zig-zag, < 2^30
    while (u >= 0x80) {
      b[off++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    b[off++] = u;
    return off;
  }
  return putVarint(b, off, v);
}

// putString writes a uvarint length and the UTF-8 bytes of s; ASCII is copied in JS, which is
// much cheaper for short label strings than a call into Buffer's native encoder.
function putString(b: Buffer, off: number, s: string): number {
  const n = s.length;
  if (n < 0x80) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[off + 1 + i] = c;
    }
    if (i === n) {
      b[off] = n;
      return off + 1 + n;
    }
  }
  const len = Buffer.byteLength(s, 'utf8');
  off = putUvarint(b, off, len);
  return off + b.write(s, off, len, 'utf8');
}

function expectType(rec: Uint8Array, t: RecordType): void {
  if (rec[0] !== t) throw new RecordDecodeError(rec[0] ?? -1, 0, `expected record type ${t}`);
}

function putU64(b: Uint8Array, off: number, v: number): number {
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  b[off] = hi >>> 24;
  b[off + 1] = hi >>> 16;
  b[off + 2] = hi >>> 8;
  b[off + 3] = hi;
  b[off + 4] = lo >>> 24;
  b[off + 5] = lo >>> 16;
  b[off + 6] = lo >>> 8;
  b[off + 7] = lo;
  return off + 8;
}

function putI64(b: Uint8Array, off: number, v: number): number {
  // Two's complement: floor division keeps lo in [0, 2^32) for negative values too.
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  const h = hi < 0 ? hi + TWO32 : hi;
  b[off] = h >>> 24;
  b[off + 1] = h >>> 16;
  b[off + 2] = h >>> 8;
  b[off + 3] = h;
  b[off + 4] = lo >>> 24;
  b[off + 5] = lo >>> 16;
  b[off + 6] = lo >>> 8;
  b[off + 7] = lo;
  return off + 8;
}

function getU64(b: Uint8Array, cur: Cursor): number {
  const o = cur.off;
  if (o + 8 > b.length) throw new Error('truncated 64-bit field');
  const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  cur.off = o + 8;
  if (hi >= 0x200000) throw new Error(`series ref ${hi}:${lo} exceeds 2^53`);
  return hi * TWO32 + lo;
}

function getI64(b: Uint8Array, cur: Cursor): number {
  const o = cur.off;
  if (o + 8 > b.length) throw new Error('truncated 64-bit field');
  const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!; // signed
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  cur.off = o + 8;
  return hi * TWO32 + lo;
}
