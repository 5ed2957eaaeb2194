/**
 * The log store's write-ahead log: numbered segment files of checksummed records. A record is
 * written before an append is acknowledged, so a `kill -9` loses nothing acknowledged; records
 * already folded into chunks are dropped by deleting whole segments.
 *
 * Record framing: `type <1 byte> | length <4 bytes BE> | CRC32C(payload) <4 bytes BE> | payload`.
 * Segments are named with 8 decimal digits (`00000001`) as Prometheus names WAL segments.
 * @module
 */
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, readBE32, writeBE32 } from '../../encoding/index.js';
import { CorruptWalError, StoreFullError, StoreWriteError, isDiskFull } from './errors.js';

const RECORD_HEADER = 9;

/** WalSync chooses when the WAL is fsynced: never explicitly (the OS writes it back; survives kill -9), or after every write. */
export type WalSync = 'none' | 'always';

/** LogWalOptions configures a LogWal. */
export interface LogWalOptions {
  readonly dir: string;
  /** Rotate to a new segment past this size (default 64 MiB). */
  readonly segmentBytes?: number;
  readonly sync?: WalSync;
}

/** WalRecord is one replayed record. */
export interface WalRecord {
  readonly segment: number;
  readonly type: number;
  readonly payload: Uint8Array;
}

/** LogWal appends records to the current segment and replays all segments on open. */
export class LogWal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #sync: WalSync;
  #fd = -1;
  #segment = 0;
  #size = 0;
  #segments: number[] = [];

  constructor(opts: LogWalOptions) {
    const { dir, segmentBytes = 64 << 20, sync = 'none' } = opts;
    if (!(segmentBytes >= 1024)) throw new RangeError(`LogWal: segmentBytes must be at least 1024, got ${segmentBytes}`);
    this.#dir = dir;
    this.#segmentBytes = segmentBytes;
    this.#sync = sync;
    mkdirSync(dir, { recursive: true });
    this.#segments = listSegments(dir);
  }

  /** segments lists the numbers of the segments on disk, ascending. */
  get segments(): readonly number[] {
    return this.#segments;
  }

  /** segment is the number of the segment being written (0 before start()). */
  get segment(): number {
    return this.#segment;
  }

  /**
   * replay reads every record of the existing segments in order. A torn or corrupt record ends
   * its segment: the rest of that segment is cut off and reported through `onCorrupt`.
   */
  *replay(onCorrupt: (e: CorruptWalError) => void): Generator<WalRecord> {
    for (const seg of this.#segments) {
      const path = join(this.#dir, segName(seg));
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (e) {
        onCorrupt(new CorruptWalError(path, 0, `cannot read: ${(e as Error).message}`, { cause: e }));
        continue;
      }
      let off = 0;
      while (off < buf.length) {
        if (off + RECORD_HEADER > buf.length) {
          this.#cut(path, off, 'torn record header', onCorrupt);
          break;
        }
        const type = buf[off]!;
        const len = readBE32(buf, off + 1);
        const crc = readBE32(buf, off + 5);
        const start = off + RECORD_HEADER;
        if (type === 0 || start + len > buf.length) {
          this.#cut(path, off, type === 0 ? 'zero record type' : `record of ${len} bytes runs past the end`, onCorrupt);
          break;
        }
        if (crc32c(buf, start, start + len) !== crc) {
          this.#cut(path, off, 'record checksum mismatch', onCorrupt);
          break;
        }
        yield { segment: seg, type, payload: buf.subarray(start, start + len) };
        off = start + len;
      }
    }
  }

  #cut(path: string, off: number, detail: string, onCorrupt: (e: CorruptWalError) => void): void {
    onCorrupt(new CorruptWalError(path, off, detail));
    try {
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, off);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Best effort: a read-only or vanished file is replayed up to the same point next time.
    }
  }

  /** start opens a fresh segment after the existing ones; call once, after replay. */
  start(): void {
    const last = this.#segments[this.#segments.length - 1] ?? 0;
    this.#open(last + 1);
  }

  #open(seg: number): void {
    const path = join(this.#dir, segName(seg));
    try {
      this.#fd = openSync(path, 'a');
    } catch (e) {
      if (isDiskFull(e)) throw new StoreFullError(path, { cause: e });
      throw new StoreWriteError(path, (e as Error).message, { cause: e });
    }
    this.#segment = seg;
    this.#size = 0;
    this.#segments.push(seg);
  }

  /** needsRotation tells whether the current segment is past its size. */
  get needsRotation(): boolean {
    return this.#size >= this.#segmentBytes;
  }

  /** rotate closes the current segment and opens the next one. */
  rotate(): void {
    const fd = this.#fd;
    this.#fd = -1;
    if (fd >= 0) {
      try {
        fdatasyncSync(fd);
      } catch {
        // The data is in the page cache either way; a failed sync on rotation is not fatal.
      }
      closeSync(fd);
    }
    this.#open(this.#segment + 1);
  }

  /**
   * write appends records (each `type` + payload) as one write. On failure the segment is cut
   * back to its size before the call, so no partial record remains, and the error is thrown:
   * StoreFullError when the disk is full, StoreWriteError otherwise.
   */
  write(records: readonly { type: number; payload: Uint8Array }[]): void {
    if (this.#fd < 0) throw new StoreWriteError(this.#dir, 'WAL is not open');
    let total = 0;
    for (const r of records) total += RECORD_HEADER + r.payload.length;
    const buf = Buffer.allocUnsafe(total);
    let o = 0;
    for (const r of records) {
      buf[o] = r.type;
      writeBE32(buf, o + 1, r.payload.length);
      writeBE32(buf, o + 5, crc32c(r.payload, 0, r.payload.length));
      buf.set(r.payload, o + RECORD_HEADER);
      o += RECORD_HEADER + r.payload.length;
    }
    this.writeFramed(buf);
  }

  /** writeFramed appends bytes already framed by frameRecord. */
  writeFramed(buf: Uint8Array): void {
    if (this.#fd < 0) throw new StoreWriteError(this.#dir, 'WAL is not open');
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
      if (this.#sync === 'always') fdatasyncSync(this.#fd);
    } catch (e) {
      const path = join(this.#dir, segName(this.#segment));
      if (off > 0) {
        try {
          ftruncateSync(this.#fd, this.#size);
        } catch {
          // If even the truncate fails, the torn record is cut by its checksum on replay.
        }
      }
      if (isDiskFull(e)) throw new StoreFullError(path, { cause: e });
      throw new StoreWriteError(path, (e as Error).message, { cause: e });
    }
    this.#size += buf.length;
  }

  /** size is the byte size of the current segment. */
  get size(): number {
    return this.#size;
  }

  /** deleteBefore removes every segment numbered below `seg` (never the current one). */
  deleteBefore(seg: number): void {
    const keep: number[] = [];
    for (const s of this.#segments) {
      if (s < seg && s !== this.#segment) {
        rmSync(join(this.#dir, segName(s)), { force: true });
      } else {
        keep.push(s);
      }
    }
    this.#segments = keep;
  }

  /** diskBytes sums the sizes of the segment files. */
  diskBytes(): number {
    let n = 0;
    for (const s of this.#segments) {
      try {
        n += statSync(join(this.#dir, segName(s))).size;
      } catch {
        // Deleted concurrently: counts as empty.
      }
    }
    return n;
  }

  /** close syncs and closes the current segment. */
  close(): void {
    if (this.#fd < 0) return;
    try {
      fdatasyncSync(this.#fd);
    } catch {
      // Closing anyway; the data reached the page cache when it was written.
    }
    closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** frameRecord frames one record payload (header + payload) into a new buffer. */
export function frameRecord(type: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER + payload.length);
  buf[0] = type;
  writeBE32(buf, 1, payload.length);
  writeBE32(buf, 5, crc32c(payload, 0, payload.length));
  buf.set(payload, RECORD_HEADER);
  return buf;
}

function segName(n: number): string {
  return String(n).padStart(8, '0');
}

function listSegments(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync(dir)) {
    if (/^\d{8}$/.test(e)) out.push(Number(e));
  }
  return out.sort((a, b) => a - b);
}
