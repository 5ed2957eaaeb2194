/**
 * Record payloads of the log store's WAL (written with the shared Prometheus-format WAL of
 * src/wal; each payload starts with its type byte, chosen outside Prometheus's record types):
 *
 *   stream (0x40): ref <uvarint> | n <uvarint> | (name <uvarint str>, value <uvarint str>) × n
 *   entries (0x41): ref <uvarint> | seq_start <uvarint> | count <uvarint> | base_t <varint ms>
 *       then per entry: t − base_t <varint> | ns <uvarint> | line <uvarint len, UTF-8 bytes>
 *       | fields n <uvarint> | (key <uvarint str>, value <uvarint str>) × n
 *
 * The encoder writes the records of one append straight into one scratch buffer and remembers
 * where each line's bytes are, so the head copies them without encoding twice.
 * @module
 */
import { DecBuf, encodeUtf8Into, putUvarint, putVarint, utf8Length } from '../../encoding/index.js';
import { Labels } from '../../model/index.js';
import type { LineBatch } from './line-batch.js';

/** Record types. */
export const WalRecordType = { Stream: 0x40, Entries: 0x41 } as const;

/** WalEncoder builds the records of one append in a reusable buffer. */
export class WalEncoder {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #len = 0;
  #starts: number[] = [];
  /** Offsets of the k-th line written since reset: lineStart[k]..lineEnd[k] in `raw`. */
  lineStart = new Int32Array(1024);
  lineEnd = new Int32Array(1024);
  /** Number of lines written since reset. */
  lineCount = 0;

  /** reset starts a new batch. */
  reset(): void {
    this.#len = 0;
    this.#starts = [];
    this.lineCount = 0;
  }

  /** records returns views of the records written since reset (valid until the next write). */
  records(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.#starts.length; i++) out.push(this.#buf.subarray(this.#starts[i]!, this.#starts[i + 1] ?? this.#len));
    return out;
  }

  /** raw exposes the scratch buffer (line offsets index into it). */
  get raw(): Buffer {
    return this.#buf;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.#buf.copy(b, 0, 0, this.#len);
    this.#buf = b;
  }

  #begin(type: number): void {
    this.#room(1);
    this.#starts.push(this.#len);
    this.#buf[this.#len++] = type;
  }

  #uvarint(v: number): void {
    this.#room(10);
    this.#len = putUvarint(this.#buf, this.#len, v);
  }

  #varint(v: number): void {
    this.#room(10);
    this.#len = putVarint(this.#buf, this.#len, v);
  }

  #str(s: string): void {
    const n = s.length <= 64 ? utf8Length(s) : Buffer.byteLength(s, 'utf8');
    this.#uvarint(n);
    this.#room(n);
    this.#len = n <= 64 ? encodeUtf8Into(this.#buf, this.#len, s) : this.#len + this.#buf.write(s, this.#len, 'utf8');
  }

  /** stream appends a stream definition record. */
  stream(ref: number, labels: Labels): void {
    this.#begin(WalRecordType.Stream);
    this.#uvarint(ref);
    this.#uvarint(labels.length);
    labels.forEach((n, v) => {
      this.#str(n);
      this.#str(v);
    });
  }

  /**
   * entries appends an entries record for entries [from, to) of a batch but those with
   * keep[i − from] = 0 (keep undefined: all), and records the byte range of each written line
   * in lineStart/lineEnd (indexed by written position).
   */
  entries(ref: number, seqStart: number, b: LineBatch, from: number, to: number, keep: Uint8Array | undefined, kept: number): void {
    if (this.lineStart.length < this.lineCount + kept) {
      const cap = (this.lineCount + kept) * 2;
      const ls = new Int32Array(cap);
      ls.set(this.lineStart.subarray(0, this.lineCount));
      const le = new Int32Array(cap);
      le.set(this.lineEnd.subarray(0, this.lineCount));
      this.lineStart = ls;
      this.lineEnd = le;
    }
    this.#begin(WalRecordType.Entries);
    this.#uvarint(ref);
    this.#uvarint(seqStart);
    this.#uvarint(kept);
    let first = from;
    if (keep !== undefined) while (first < to && keep[first - from] === 0) first++;
    const baseT = b.t[first]!;
    this.#varint(baseT);
    const bytes = b.bytes;
    const fields = b.fields;
    let k = this.lineCount;
    for (let i = first; i < to; i++) {
      if (keep !== undefined && keep[i - from] === 0) continue;
      const s = b.start[i]!;
      const n = b.end[i]! - s;
      this.#room(n + 30);
      const buf = this.#buf;
      let o = putVarint(buf, this.#len, b.t[i]! - baseT);
      o = putUvarint(buf, o, b.ns[i]!);
      o = putUvarint(buf, o, n);
      if (n <= 32) {
        for (let j = 0; j < n; j++) buf[o + j] = bytes[s + j]!;
      } else {
        buf.set(bytes.subarray(s, s + n), o);
      }
      this.lineStart[k] = o;
      this.lineEnd[k] = o + n;
      this.#len = o + n;
      const f = fields === undefined ? undefined : fields[i];
      if (f === undefined) {
        this.#buf[this.#len++] = 0;
      } else {
        const keys = Object.keys(f);
        this.#uvarint(keys.length);
        for (const key of keys) {
          this.#str(key);
          this.#str(f[key]!);
        }
      }
      k++;
    }
    this.lineCount = k;
  }
}

/** decodeStreamRecord reads a stream definition. */
export function decodeStreamRecord(p: Uint8Array): { ref: number; labels: Labels } {
  const d = new DecBuf(p, 1);
  const ref = d.uvarint();
  const n = d.uvarint();
  const nv: string[] = [];
  for (let i = 0; i < n; i++) nv.push(d.uvarintStr(), d.uvarintStr());
  return { ref, labels: Labels.fromStrings(...nv) };
}

/** EntriesVisitor receives each decoded entry; the line is p[start:end). */
export type EntriesVisitor = (seq: number, t: number, ns: number, p: Uint8Array, start: number, end: number, fields: Record<string, string> | undefined) => void;

/** decodeEntriesRecord reads an entries record, calling `visit` per entry. Throws DecodeError. */
export function decodeEntriesRecord(p: Uint8Array, visit: EntriesVisitor): { ref: number; seqStart: number; count: number } {
  const d = new DecBuf(p, 1);
  const ref = d.uvarint();
  const seqStart = d.uvarint();
  const count = d.uvarint();
  const baseT = d.varint();
  visitAll(d, count, baseT, seqStart, visit);
  return { ref, seqStart, count };
}

function visitAll(d: DecBuf, count: number, baseT: number, seqStart: number, visit: EntriesVisitor): void {
  for (let i = 0; i < count; i++) {
    const t = baseT + d.varint();
    const ns = d.uvarint();
    const len = d.uvarint();
    const start = d.off;
    d.skip(len);
    const nf = d.uvarint();
    let fields: Record<string, string> | undefined;
    if (nf > 0) {
      fields = {};
      for (let j = 0; j < nf; j++) {
        const k = d.uvarintStr();
        fields[k] = d.uvarintStr();
      }
    }
    visit(seqStart + i, t, ns, d.buf, start, start + len, fields);
  }
}
