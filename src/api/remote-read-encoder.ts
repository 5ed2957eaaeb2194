/**
 * Protobuf encoding of remote-read answers without an object per sample: series are sized
 * first, then written into one buffer. Field layout as gogo-protobuf marshals it (zero-valued
 * scalars left out), so answers match Prometheus's byte for byte.
 *
 * ```
 * ReadResponse         1: QueryResult
 * QueryResult          1: TimeSeries
 * TimeSeries           1: Label (name 1, value 2)   2: Sample (value 1 double, timestamp 2 int64)
 * ChunkedReadResponse  1: ChunkedSeries   2: query_index int64
 * ChunkedSeries        1: Label   2: Chunk (min_time_ms 1, max_time_ms 2, type 3, data 4)
 * ```
 * @module
 */

/** SeriesSamples is one series of a samples answer: flat label pairs and parallel arrays. */
export interface SeriesSamples {
  /** Alternating names and values, sorted by name. */
  readonly labels: readonly string[];
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  /** Samples used in ts/vs. */
  readonly n: number;
}

/** ChunkData is one encoded chunk of a streamed answer. */
export interface ChunkData {
  readonly minT: number;
  readonly maxT: number;
  /** Chunk encoding: 1 for XOR. */
  readonly type: number;
  readonly data: Uint8Array;
}

/** SeriesChunks is one series of a streamed answer. */
export interface SeriesChunks {
  readonly labels: readonly string[];
  readonly chunks: readonly ChunkData[];
}

/** varintSize is the length of an int64 varint (negative numbers take 10 bytes). */
export function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function lenField(payload: number): number {
  return 1 + varintSize(payload) + payload;
}

function labelsSize(nv: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < nv.length; i += 2) size += lenField(labelSize(nv[i]!, nv[i + 1]!));
  return size;
}

function labelSize(name: string, value: string): number {
  const n = Buffer.byteLength(name);
  const v = Buffer.byteLength(value);
  return (n > 0 ? lenField(n) : 0) + (v > 0 ? lenField(v) : 0);
}

function sampleSize(t: number, v: number): number {
  return (v !== 0 ? 9 : 0) + (t !== 0 ? 1 + varintSize(t) : 0);
}

/** ProtoBuf writes protobuf fields into a preallocated buffer. */
class ProtoBuf {
  readonly buf: Buffer;
  off = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  varint(v: number): void {
    const b = this.buf;
    if (v < 0) {
      // Two's complement in 64 bits, ten bytes.
      let lo = v % 4294967296;
      let hi = Math.floor(v / 4294967296);
      lo = lo >>> 0;
      hi = hi >>> 0;
      for (let i = 0; i < 9; i++) {
        b[this.off++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi = hi >>> 7;
      }
      b[this.off++] = lo & 0x01;
      return;
    }
    while (v >= 128) {
      b[this.off++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.off++] = v;
  }

  tag(field: number, wire: number): void {
    this.buf[this.off++] = (field << 3) | wire;
  }

  string(field: number, s: string): void {
    if (s === '') return;
    const n = Buffer.byteLength(s);
    this.tag(field, 2);
    this.varint(n);
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  bytes(field: number, d: Uint8Array): void {
    this.tag(field, 2);
    this.varint(d.length);
    this.buf.set(d, this.off);
    this.off += d.length;
  }

  labels(field: number, nv: readonly string[]): void {
    for (let i = 0; i < nv.length; i += 2) {
      this.tag(field, 2);
      this.varint(labelSize(nv[i]!, nv[i + 1]!));
      this.string(1, nv[i]!);
      this.string(2, nv[i + 1]!);
    }
  }
}

function timeSeriesSize(s: SeriesSamples): number {
  let size = labelsSize(s.labels);
  for (let i = 0; i < s.n; i++) size += lenField(sampleSize(s.ts[i]!, s.vs[i]!));
  return size;
}

/** encodeReadResponse encodes a ReadResponse with one QueryResult per query. */
export function encodeReadResponse(results: readonly (readonly SeriesSamples[])[]): Buffer {
  const seriesSizes = results.map((r) => r.map(timeSeriesSize));
  const resultSizes = seriesSizes.map((sizes) => sizes.reduce((a, s) => a + lenField(s), 0));
  const total = resultSizes.reduce((a, s) => a + lenField(s), 0);
  const w = new ProtoBuf(total);
  for (let q = 0; q < results.length; q++) {
    w.tag(1, 2);
    w.varint(resultSizes[q]!);
    const list = results[q]!;
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      w.tag(1, 2);
      w.varint(seriesSizes[q]![k]!);
      w.labels(1, s.labels);
      for (let i = 0; i < s.n; i++) {
        const t = s.ts[i]!;
        const v = s.vs[i]!;
        w.tag(2, 2);
        w.varint(sampleSize(t, v));
        if (v !== 0) {
          w.tag(1, 1);
          w.buf.writeDoubleLE(v, w.off);
          w.off += 8;
        }
        if (t !== 0) {
          w.tag(2, 0);
          w.varint(t);
        }
      }
    }
  }
  return w.buf;
}

function chunkSize(c: ChunkData): number {
  return (c.minT !== 0 ? 1 + varintSize(c.minT) : 0) + (c.maxT !== 0 ? 1 + varintSize(c.maxT) : 0) + (c.type !== 0 ? 2 : 0) + (c.data.length > 0 ? lenField(c.data.length) : 0);
}

/** chunkedSeriesSize is the encoded size of one ChunkedSeries (for framing decisions). */
export function chunkedSeriesSize(s: SeriesChunks): number {
  let size = labelsSize(s.labels);
  for (const c of s.chunks) size += lenField(chunkSize(c));
  return size;
}

/** encodeChunkedReadResponse encodes one frame's ChunkedReadResponse. */
export function encodeChunkedReadResponse(series: readonly SeriesChunks[], queryIndex: number): Buffer {
  const sizes = series.map(chunkedSeriesSize);
  const total = sizes.reduce((a, s) => a + lenField(s), 0) + (queryIndex !== 0 ? 1 + varintSize(queryIndex) : 0);
  const w = new ProtoBuf(total);
  for (let k = 0; k < series.length; k++) {
    const s = series[k]!;
    w.tag(1, 2);
    w.varint(sizes[k]!);
    w.labels(1, s.labels);
    for (const c of s.chunks) {
      w.tag(2, 2);
      w.varint(chunkSize(c));
      if (c.minT !== 0) {
        w.tag(1, 0);
        w.varint(c.minT);
      }
      if (c.maxT !== 0) {
        w.tag(2, 0);
        w.varint(c.maxT);
      }
      if (c.type !== 0) {
        w.tag(3, 0);
        w.varint(c.type);
      }
      if (c.data.length > 0) w.bytes(4, c.data);
    }
  }
  if (queryIndex !== 0) {
    w.tag(2, 0);
    w.varint(queryIndex);
  }
  return w.buf;
}
