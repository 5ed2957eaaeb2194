/**
 * Sequential reading of WAL records across segments, for replay and checkpoints.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32c } from '../encoding/index.js';
import { CorruptionError, UnsupportedCompressionError } from './errors.js';
import { snappy } from './snappy-addon.js';
import { FragmentType, PAGE_SIZE, RECORD_HEADER_SIZE, SNAPPY_FLAG, ZSTD_FLAG, listSegments, type SegmentRef } from './segment.js';

const CHUNK = 32 * PAGE_SIZE; // read 1 MiB at a time, page aligned

/** WalReaderOptions choose the segments to read. */
export interface WalReaderOptions {
  /** The WAL (or checkpoint) directory. */
  readonly dir: string;
  /** First segment to read, inclusive (default: the first present). */
  readonly from?: number;
  /** Last segment to read, inclusive (default: the last present). */
  readonly to?: number;
}

/**
 * WalReader pulls records in log order. `next()` returns false at the end or on an error;
 * then `err()` tells which: a CorruptionError (segment, offset of the end of the last intact
 * record) for a torn or damaged segment, which `Wal.repair` can cut there. Records are
 * returned without copying when possible: `record()` is valid until the next `next()`.
 */
export class WalReader {
  readonly dir: string;
  readonly #segs: readonly SegmentRef[];
  #si = -1;
  #fd = -1;
  readonly #buf = Buffer.allocUnsafe(CHUNK);
  #bufStart = 0; // segment offset of #buf[0]
  #bufLen = 0;
  #eof = false;
  #pos = 0; // segment offset of the next fragment
  #rec: Buffer = Buffer.allocUnsafe(64 * 1024);
  #recLen = 0;
  #inRecord = false;
  #recStart = 0;
  #recFlags = 0;
  #cur: Uint8Array = new Uint8Array(0);
  #curSeg = -1;
  #curOff = 0;
  #err: Error | undefined;
  #done = false;

  constructor(opts: WalReaderOptions) {
    this.dir = opts.dir;
    const all = listSegments(opts.dir);
    const from = opts.from ?? -Infinity;
    const to = opts.to ?? Infinity;
    this.#segs = all.filter((s) => s.index >= from && s.index <= to);
  }

  /** segments lists the segments this reader covers. */
  segments(): readonly SegmentRef[] {
    return this.#segs;
  }

  /** next advances to the next record; false at the end or on error (see err()). */
  next(): boolean {
    if (this.#done) return false;
    try {
      const ok = this.#next();
      if (!ok) this.#finish();
      return ok;
    } catch (e) {
      this.#err = e as Error;
      this.#finish();
      return false;
    }
  }

  /** record returns the current record's payload (decompressed); valid until next(). */
  record(): Uint8Array {
    return this.#cur;
  }

  /** segment returns the segment of the current record. */
  segment(): number {
    return this.#curSeg;
  }

  /** offset returns the byte offset of the current record's first fragment in its segment. */
  offset(): number {
    return this.#curOff;
  }

  /** err returns what stopped the reader early, if anything. */
  err(): Error | undefined {
    return this.#err;
  }

  /** close releases the open file; safe to call more than once. */
  close(): void {
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #corrupt(detail: string): never {
    const seg = this.#segs[this.#si]!.index;
    throw new CorruptionError(this.dir, seg, this.#inRecord ? this.#recStart : this.#pos, detail);
  }

  #next(): boolean {
    for (;;) {
      if (this.#fd < 0) {
        this.#si++;
        if (this.#si >= this.#segs.length) return false;
        this.#fd = openSync(this.#segs[this.#si]!.path, 'r');
        this.#bufStart = 0;
        this.#bufLen = 0;
        this.#eof = false;
        this.#pos = 0;
        this.#inRecord = false;
      }
      if (this.#pos >= this.#bufStart + this.#bufLen) {
        if (!this.#fill()) {
          if (this.#inRecord) this.#corrupt('last record of the segment is torn');
          closeSync(this.#fd);
          this.#fd = -1;
          continue;
        }
      }
      const buf = this.#buf;
      const end = this.#bufStart + this.#bufLen;
      const pos = this.#pos;
      const i = pos - this.#bufStart;
      const pageRem = PAGE_SIZE - (pos % PAGE_SIZE);
      const typeByte = buf[i]!;
      if (typeByte === FragmentType.PageTerm) {
        // The rest of the page is padding and must be zeros.
        const stop = Math.min(pos + pageRem, end) - this.#bufStart;
        for (let k = i + 1; k < stop; k++) if (buf[k] !== 0) this.#corrupt('unexpected non-zero byte in padded page');
        this.#pos = pos + pageRem;
        continue;
      }
      if (pageRem < RECORD_HEADER_SIZE) this.#corrupt('record header crosses a page boundary');
      if (end - pos < RECORD_HEADER_SIZE) this.#corrupt('torn record header');
      const ft = typeByte & 0x07;
      if (ft > FragmentType.Last || (typeByte & 0xe0) !== 0) this.#corrupt(`invalid fragment type byte 0x${typeByte.toString(16)}`);
      const len = buf.readUInt16BE(i + 1);
      const crc = buf.readUInt32BE(i + 3);
      if (RECORD_HEADER_SIZE + len > pageRem) this.#corrupt(`fragment of ${len} bytes exceeds the page`);
      if (pos + RECORD_HEADER_SIZE + len > end) this.#corrupt('torn record');
      const ds = i + RECORD_HEADER_SIZE;
      if (crc32c(buf, ds, ds + len) !== crc) this.#corrupt('checksum mismatch');
      let complete = false;
      switch (ft) {
        case FragmentType.Full:
          if (this.#inRecord) this.#corrupt('unexpected full fragment inside a record');
          this.#recStart = pos;
          this.#recFlags = typeByte;
          this.#cur = buf.subarray(ds, ds + len);
          complete = true;
          break;
        case FragmentType.First:
          if (this.#inRecord) this.#corrupt('unexpected first fragment inside a record');
          this.#inRecord = true;
          this.#recStart = pos;
          this.#recFlags = typeByte;
          this.#recLen = 0;
          this.#append(buf, ds, len);
          break;
        case FragmentType.Middle:
          if (!this.#inRecord) this.#corrupt('unexpected middle fragment');
          this.#append(buf, ds, len);
          break;
        case FragmentType.Last:
          if (!this.#inRecord) this.#corrupt('unexpected last fragment');
          this.#append(buf, ds, len);
          this.#cur = this.#rec.subarray(0, this.#recLen);
          complete = true;
          break;
      }
      this.#pos = pos + RECORD_HEADER_SIZE + len;
      if (!complete) continue;
      const seg = this.#segs[this.#si]!.index;
      if (this.#recFlags & ZSTD_FLAG) {
        throw new UnsupportedCompressionError(this.dir, seg, this.#recStart, 'zstd');
      }
      if (this.#recFlags & SNAPPY_FLAG) {
        try {
          this.#cur = snappy().uncompressSync(this.#cur, { asBuffer: true, copyOutputData: true }) as Buffer;
        } catch (e) {
          this.#inRecord = true; // report the record's start
          throw new CorruptionError(this.dir, seg, this.#recStart, `snappy: ${(e as Error).message}`, { cause: e });
        }
      }
      this.#inRecord = false;
      this.#curSeg = seg;
      this.#curOff = this.#recStart;
      return true;
    }
  }

  #append(src: Buffer, start: number, len: number): void {
    if (this.#recLen + len > this.#rec.length) {
      let size = this.#rec.length * 2;
      while (size < this.#recLen + len) size *= 2;
      const nb = Buffer.allocUnsafe(size);
      this.#rec.copy(nb, 0, 0, this.#recLen);
      this.#rec = nb;
    }
    src.copy(this.#rec, this.#recLen, start, start + len);
    this.#recLen += len;
  }

  // #fill reads the next chunk of the current segment; false at end of file.
  #fill(): boolean {
    if (this.#eof) return false;
    const start = this.#bufStart + this.#bufLen;
    let n = 0;
    while (n < CHUNK) {
      const r = readSync(this.#fd, this.#buf, n, CHUNK - n, start + n);
      if (r === 0) {
        this.#eof = true;
        break;
      }
      n += r;
    }
    this.#bufStart = start;
    this.#bufLen = n;
    return n > 0;
  }
}
