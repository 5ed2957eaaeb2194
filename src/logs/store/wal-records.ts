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
import type { LogEntry } from './interface.js';

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
   * entries appends an entries record for entries[i] where keep[i] is 1, and records the byte
   * range of each kept line in lineStart/lineEnd (indexed by kept position).
   */
  entries(ref: number, seqStart: number, entries: readonly LogEntry[], keep: Uint8Array, kept: number): void {
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
    let baseT = 0;
    for (let i = 0; i < entries.length; i++) {
      if (keep[i] === 1) {
        baseT = entries[i]!.t;
        break;
      }
    }
    this.#varint(baseT);
    let k = this.lineCount;
    for (let i = 0; i < entries.length; i++) {
      if (keep[i] !== 1) continue;
      const e = entries[i]!;
      this.#varint(e.t - baseT);
      this.#uvarint(e.ns);
      const line = e.line;
      // Worst case 3 bytes per UTF-16 unit; write, then patch the length in front.
      const max = line.length * 3;
      this.#room(max + 10);
      const lenPos = this.#len;
      const lenBytes = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : max < 0x10000000 ? 4 : 5;
      const start = lenPos + lenBytes;
      const n = line.length <= 64 ? encodeUtf8Into(this.#buf, start, line) - start : this.#buf.write(line, start, 'utf8');
      putPaddedUvarint(this.#buf, lenPos, n, lenBytes);
      this.lineStart[k] = start;
      this.lineEnd[k] = start + n;
      this.#len = start + n;
      const f = e.fields;
      if (f === undefined) {
        this.#uvarint(0);
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

// putPaddedUvarint writes v as a uvarint of exactly `width` bytes (continuation bits padded),
// which decoders read like any uvarint; it lets the length precede bytes written before it.
function putPaddedUvarint(buf: Uint8Array, off: number, v: number, width: number): void {
  for (let i = 0; i < width - 1; i++) {
    buf[off + i] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[off + width - 1] = v;
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
