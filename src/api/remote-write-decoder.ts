/**
 * A streaming decoder of remote-write 1.0 `WriteRequest` protobuf bytes that allocates
 * nothing per sample: it walks the wire format, hands each series' label strings to the
 * visitor, then each of its samples as (t, v). Field order inside a message is free, unknown
 * fields are skipped, and malformed input fails with the byte offset.
 *
 * ```
 * WriteRequest  1: TimeSeries (repeated)          3: MetricMetadata (skipped)
 * TimeSeries    1: Label   2: Sample   3: Exemplar (counted)   4: Histogram (counted)
 * Label         1: name string   2: value string
 * Sample        1: value double (fixed64)   2: timestamp int64 (varint)
 * ```
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { RemoteWriteDecodeError } from './errors.js';

/** WriteRequestVisitor receives what the decoder finds, series by series. */
export interface WriteRequestVisitor {
  /**
   * known is offered the raw bytes of a series' label fields, buf[start, end), before they are
   * decoded; returning true means the visitor recognises them (from an earlier request) and
   * takes the series as current, so `series` is not called and its samples follow.
   */
  known?(buf: Buffer, start: number, end: number): boolean;
  /**
   * series starts a series whose labels were decoded. `nv` holds `n` alternating names and
   * values as sent (a scratch array, valid only during the call); `valid` is false when a
   * string is not UTF-8; [rawStart, rawEnd) are the raw label bytes (rawStart -1 when the
   * label fields are not contiguous). Return false to skip its samples.
   */
  series(nv: readonly string[], n: number, valid: boolean, rawStart: number, rawEnd: number): boolean;
  /** sample adds one sample of the current series; t is Unix ms. */
  sample(t: number, v: number): void;
  /** skipped reports exemplars and native histograms of the current series vigil does not store. */
  skipped(exemplars: number, histograms: number): void;
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** WriteRequestDecoder decodes WriteRequests; reuse one per receiver to reuse its scratch space. */
export class WriteRequestDecoder {
  #buf: Buffer = Buffer.alloc(0);
  #off = 0;
  readonly #nv: string[] = [];

  /** decode walks a whole (decompressed) WriteRequest. Throws RemoteWriteDecodeError. */
  decode(buf: Buffer, v: WriteRequestVisitor): void {
    this.#buf = buf;
    this.#off = 0;
    const end = buf.length;
    while (this.#off < end) {
      const tag = this.#uvarint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === WIRE_LEN) {
        const len = this.#len(end);
        const start = this.#off;
        this.#timeSeries(start, start + len, v);
        this.#off = start + len;
      } else {
        this.#skip(wire, end);
      }
    }
  }

  #timeSeries(start: number, end: number, v: WriteRequestVisitor): void {
    // Pass 1: find the label fields (a contiguous run in practice) and count what is skipped.
    let n = 0;
    let exemplars = 0;
    let histograms = 0;
    let labelsStart = -1;
    let labelsEnd = -1;
    let contiguous = true;
    this.#off = start;
    while (this.#off < end) {
      const fieldStart = this.#off;
      const tag = this.#uvarint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire !== WIRE_LEN || field < 1 || field > 4) {
        this.#skip(wire, end);
        continue;
      }
      const len = this.#len(end);
      this.#off += len;
      if (field === 1) {
        if (labelsStart < 0) labelsStart = fieldStart;
        else if (labelsEnd !== fieldStart) contiguous = false;
        labelsEnd = this.#off;
        n++;
      } else if (field === 3) exemplars++;
      else if (field === 4) histograms++;
    }
    if (exemplars > 0 || histograms > 0) v.skipped(exemplars, histograms);
    // A visitor that recognises the raw label bytes needs no strings decoded.
    const known = contiguous && n > 0 && v.known !== undefined && v.known(this.#buf, labelsStart, labelsEnd);
    if (!known) {
      const nv = this.#nv;
      let valid = true;
      let i = 0;
      this.#off = start;
      while (this.#off < end) {
        const tag = this.#uvarint32();
        const field = tag >>> 3;
        const wire = tag & 7;
        if (field !== 1 || wire !== WIRE_LEN) {
          this.#skip(wire, end);
          continue;
        }
        const len = this.#len(end);
        const s = this.#off;
        this.#off = s + len;
        if (!this.#label(s, s + len, i++)) valid = false;
      }
      if (!v.series(nv, n, valid, contiguous && n > 0 ? labelsStart : -1, labelsEnd)) return;
    }
    // Pass 2: samples.
    this.#off = start;
    while (this.#off < end) {
      const tag = this.#uvarint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field !== 2 || wire !== WIRE_LEN) {
        this.#skip(wire, end);
        continue;
      }
      const len = this.#len(end);
      const s = this.#off;
      this.#off = s + len;
      this.#sample(s, s + len, v);
    }
  }

  // #label decodes Label at [start, end) into nv[2i], nv[2i+1]; returns false for bad UTF-8.
  #label(start: number, end: number, i: number): boolean {
    const buf = this.#buf;
    let name = '';
    let value = '';
    let ok = true;
    const save = this.#off;
    this.#off = start;
    while (this.#off < end) {
      const tag = this.#uvarint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if ((field === 1 || field === 2) && wire === WIRE_LEN) {
        const len = this.#len(end);
        const s = this.#off;
        this.#off = s + len;
        const str = buf.toString('utf8', s, s + len);
        if (!isAscii(buf, s, s + len) && !isUtf8(buf.subarray(s, s + len))) ok = false;
        if (field === 1) name = str;
        else value = str;
      } else {
        this.#skip(wire, end);
      }
    }
    this.#off = save;
    this.#nv[2 * i] = name;
    this.#nv[2 * i + 1] = value;
    return ok;
  }

  #sample(start: number, end: number, v: WriteRequestVisitor): void {
    const buf = this.#buf;
    let value = 0;
    let t = 0;
    this.#off = start;
    while (this.#off < end) {
      const tag = this.#uvarint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === WIRE_I64) {
        if (this.#off + 8 > end) throw this.#eof();
        value = buf.readDoubleLE(this.#off);
        this.#off += 8;
      } else if (field === 2 && wire === WIRE_VARINT) {
        t = this.#int64();
      } else {
        this.#skip(wire, end);
      }
    }
    v.sample(t, value);
  }

  #skip(wire: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.#int64();
        return;
      case WIRE_I64:
        if (this.#off + 8 > end) throw this.#eof();
        this.#off += 8;
        return;
      case WIRE_LEN: {
        const len = this.#len(end);
        this.#off += len;
        return;
      }
      case WIRE_I32:
        if (this.#off + 4 > end) throw this.#eof();
        this.#off += 4;
        return;
      default:
        throw new RemoteWriteDecodeError(`proto: illegal wireType ${wire}`, this.#off);
    }
  }

  #len(end: number): number {
    const at = this.#off;
    const len = this.#uvarint32();
    if (len > end - this.#off) throw new RemoteWriteDecodeError('unexpected EOF: length beyond the end of the message', at);
    return len;
  }

  // A varint that must fit 32 bits (tags and lengths).
  #uvarint32(): number {
    const buf = this.#buf;
    let off = this.#off;
    let v = 0;
    let shift = 0;
    for (;;) {
      if (off >= buf.length) throw this.#eof();
      const b = buf[off++]!;
      if (shift === 28 && b > 0x0f) throw new RemoteWriteDecodeError('proto: integer overflow', this.#off);
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.#off = off;
    return v;
  }

  // An int64 varint (two's complement in up to 10 bytes), exact for |v| < 2^53.
  #int64(): number {
    const buf = this.#buf;
    let off = this.#off;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (; ; i++) {
      if (off >= buf.length) throw this.#eof();
      if (i === 10) throw new RemoteWriteDecodeError('proto: integer overflow', this.#off);
      const b = buf[off++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) break;
    }
    this.#off = off;
    if (hi & 0x80000000) {
      // Negative: -(~x + 1) over the two 32-bit halves.
      const nlo = ~lo >>> 0;
      const nhi = ~hi >>> 0;
      return -(nhi * 4294967296 + nlo + 1);
    }
    return (hi >>> 0) * 4294967296 + (lo >>> 0);
  }

  #eof(): RemoteWriteDecodeError {
    return new RemoteWriteDecodeError('unexpected EOF', this.#off);
  }
}

function isAscii(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i]! >= 0x80) return false;
  return true;
}
