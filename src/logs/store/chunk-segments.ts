/**
 * Chunk segment files: chunks are appended to numbered segment files, one directory per app,
 * so that retention per app deletes whole files. A segment starts with an 8-byte header
 * (`"VLS1"`, version, 3 reserved bytes) followed by chunk records (chunk-format.ts).
 * @module
 */
import { closeSync, existsSync, ftruncateSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync, writevSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { readBE32, writeBE32 } from '../../encoding/index.js';
import { CHUNK_MAGIC, CHUNK_PREFIX_BYTES, decodeChunkHeader, readChunkPrefix, type ChunkHeader } from './chunk-format.js';
import { CorruptChunkError, StoreFullError, StoreWriteError, isDiskFull } from './errors.js';

const SEGMENT_MAGIC = 0x564c5331; // "VLS1"
const SEGMENT_HEADER = 8;
const SEGMENT_VERSION = 1;

/** ChunkSegment is one segment file. */
export interface ChunkSegment {
  readonly app: string;
  readonly id: number;
  readonly path: string;
  /** Bytes in the file. */
  size: number;
  /** Time range of its chunks (ms), Infinity/-Infinity when empty. */
  mint: number;
  maxt: number;
  /** Number of live chunks in it. */
  chunks: number;
  /** Wall-clock ms when the segment was opened for writing (or loaded). */
  readonly openedAt: number;
  deleted: boolean;
}

/** ChunkSegmentsOptions configures ChunkSegments. */
export interface ChunkSegmentsOptions {
  readonly dir: string;
  /** Start a new segment past this size (default 128 MiB). */
  readonly segmentBytes?: number;
  /** Start a new segment after this long (default 6 h), so time retention frees space in steps. */
  readonly segmentMaxAgeMs?: number;
  /** Clock for segment ages (tests). */
  readonly now?: () => number;
  /** Open for reading only: nothing is created, repaired or written. */
  readonly readOnly?: boolean;
}

interface Writer {
  readonly seg: ChunkSegment;
  readonly fd: number;
}

/** ChunkSegments owns the segment files under `dir`. */
export class ChunkSegments {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #segmentMaxAgeMs: number;
  readonly #now: () => number;
  readonly #segments = new Map<string, ChunkSegment[]>();
  readonly #writers = new Map<string, Writer>();
  readonly #handles = new Map<ChunkSegment, Promise<FileHandle>>();
  readonly #readOnly: boolean;

  constructor(opts: ChunkSegmentsOptions) {
    const { dir, segmentBytes = 128 << 20, segmentMaxAgeMs = 6 * 3_600_000, now = Date.now, readOnly = false } = opts;
    if (!(segmentBytes >= 4096)) throw new RangeError(`ChunkSegments: segmentBytes must be at least 4096, got ${segmentBytes}`);
    this.#dir = dir;
    this.#segmentBytes = segmentBytes;
    this.#segmentMaxAgeMs = segmentMaxAgeMs;
    this.#now = now;
    this.#readOnly = readOnly;
    if (!readOnly) mkdirSync(dir, { recursive: true });
  }

  /** apps lists the apps that have segments. */
  apps(): string[] {
    return [...this.#segments.keys()];
  }

  /** segmentsOf lists an app's live segments, oldest first. */
  segmentsOf(app: string): readonly ChunkSegment[] {
    return this.#segments.get(app) ?? [];
  }

  /**
   * load scans every segment and reports each valid chunk header. A region that does not decode
   * is reported through `onCorrupt` and skipped up to the next valid chunk; a torn chunk at the
   * end of a file is cut off.
   */
  load(onChunk: (seg: ChunkSegment, offset: number, h: ChunkHeader) => void, onCorrupt: (e: CorruptChunkError) => void): void {
    if (this.#readOnly && !existsSync(this.#dir)) return;
    for (const ent of readdirSync(this.#dir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      const app = decodeAppDir(ent.name);
      if (app === undefined) continue;
      const appDir = join(this.#dir, ent.name);
      const ids = readdirSync(appDir)
        .filter((n) => /^\d{8}$/.test(n))
        .map(Number)
        .sort((a, b) => a - b);
      const list: ChunkSegment[] = [];
      for (const id of ids) {
        const path = join(appDir, String(id).padStart(8, '0'));
        // A segment created just before a crash, before its header was written: nothing to read.
        if (statSync(path).size === 0) {
          if (!this.#readOnly) rmSync(path, { force: true });
          continue;
        }
        const seg: ChunkSegment = { app, id, path, size: 0, mint: Infinity, maxt: -Infinity, chunks: 0, openedAt: this.#now(), deleted: false };
        this.#scan(seg, onChunk, onCorrupt);
        list.push(seg);
      }
      if (list.length > 0) this.#segments.set(app, list);
    }
  }

  #scan(seg: ChunkSegment, onChunk: (seg: ChunkSegment, offset: number, h: ChunkHeader) => void, onCorrupt: (e: CorruptChunkError) => void): void {
    const fd = openSync(seg.path, this.#readOnly ? 'r' : 'r+');
    try {
      const size = fstatSync(fd).size;
      seg.size = size;
      const head = Buffer.alloc(SEGMENT_HEADER);
      if (size < SEGMENT_HEADER || readSync(fd, head, 0, SEGMENT_HEADER, 0) !== SEGMENT_HEADER || readBE32(head, 0) !== SEGMENT_MAGIC) {
        onCorrupt(new CorruptChunkError(seg.path, 0, 'bad segment header; segment ignored'));
        seg.size = size;
        return;
      }
      let off = SEGMENT_HEADER;
      const prefix = Buffer.alloc(CHUNK_PREFIX_BYTES);
      while (off < size) {
        let h: ChunkHeader | undefined;
        let detail = '';
        if (off + CHUNK_PREFIX_BYTES > size) {
          detail = 'torn chunk prefix at the end';
        } else {
          readSync(fd, prefix, 0, CHUNK_PREFIX_BYTES, off);
          try {
            const { length, headerLen } = readChunkPrefix(prefix, 0);
            if (off + length > size) {
              detail = `torn chunk: ${length} bytes announced, ${size - off} present`;
            } else {
              const hb = Buffer.allocUnsafe(CHUNK_PREFIX_BYTES + headerLen + 4);
              readSync(fd, hb, 0, hb.length, off);
              h = decodeChunkHeader(hb, 0, length, headerLen);
            }
          } catch (e) {
            detail = (e as Error).message;
          }
        }
        if (h !== undefined) {
          onChunk(seg, off, h);
          off += h.length;
          continue;
        }
        const next = findMagic(fd, off + 1, size);
        if (next < 0) {
          // Nothing valid follows: cut the file here so appends continue from a clean end.
          onCorrupt(new CorruptChunkError(seg.path, off, `${detail}; ${size - off} trailing bytes ${this.#readOnly ? 'ignored' : 'cut off'}`));
          try {
            if (!this.#readOnly) {
              ftruncateSync(fd, off);
              seg.size = off;
            }
          } catch {
            // Read-only: the same bytes are skipped again on the next start.
          }
          return;
        }
        onCorrupt(new CorruptChunkError(seg.path, off, `${detail}; skipped ${next - off} bytes to the next chunk`));
        off = next;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * append writes a chunk record (its parts in order) to the app's current segment, starting a
   * new segment when the current one is full or old. Throws StoreFullError when the disk is full
   * (the segment is cut back so no partial chunk remains).
   */
  append(app: string, parts: readonly Uint8Array[], length: number, mint: number, maxt: number): { seg: ChunkSegment; offset: number } {
    if (this.#readOnly) throw new StoreWriteError(this.#dir, 'opened read-only');
    let w = this.#writers.get(app);
    if (w !== undefined && (w.seg.size + length > this.#segmentBytes || this.#now() - w.seg.openedAt > this.#segmentMaxAgeMs) && w.seg.size > SEGMENT_HEADER) {
      closeSync(w.fd);
      this.#writers.delete(app);
      w = undefined;
    }
    w ??= this.#newWriter(app);
    const { seg, fd } = w;
    const offset = seg.size;
    let written = 0;
    try {
      // One writev for the whole record: a process killed meanwhile (kill -9) cannot leave half
      // a chunk, since a write to a regular file completes before the signal is acted on. Only a
      // short write (disk nearly full) goes on piece by piece.
      written = writevSync(fd, parts as Uint8Array[]);
      let skip = written;
      for (const p of parts) {
        if (skip >= p.length) {
          skip -= p.length;
          continue;
        }
        let o = skip;
        skip = 0;
        while (o < p.length) {
          const n = writeSync(fd, p, o, p.length - o);
          o += n;
          written += n;
        }
      }
    } catch (e) {
      if (written > 0) {
        try {
          ftruncateSync(fd, offset);
        } catch {
          // The torn chunk is cut off by the next load.
        }
      }
      if (isDiskFull(e)) throw new StoreFullError(seg.path, { cause: e });
      throw new StoreWriteError(seg.path, (e as Error).message, { cause: e });
    }
    seg.size += length;
    seg.chunks++;
    if (mint < seg.mint) seg.mint = mint;
    if (maxt > seg.maxt) seg.maxt = maxt;
    return { seg, offset };
  }

  #newWriter(app: string): Writer {
    const appDir = join(this.#dir, encodeAppDir(app));
    const list = this.#segments.get(app) ?? [];
    const id = (list[list.length - 1]?.id ?? 0) + 1;
    const path = join(appDir, String(id).padStart(8, '0'));
    let fd = -1;
    try {
      mkdirSync(appDir, { recursive: true });
      fd = openSync(path, 'w');
      const h = Buffer.alloc(SEGMENT_HEADER);
      writeBE32(h, 0, SEGMENT_MAGIC);
      h[4] = SEGMENT_VERSION;
      writeSync(fd, h, 0, SEGMENT_HEADER);
    } catch (e) {
      if (fd >= 0) {
        closeSync(fd);
        rmSync(path, { force: true });
      }
      if (isDiskFull(e)) throw new StoreFullError(path, { cause: e });
      throw new StoreWriteError(path, (e as Error).message, { cause: e });
    }
    const seg: ChunkSegment = { app, id, path, size: SEGMENT_HEADER, mint: Infinity, maxt: -Infinity, chunks: 0, openedAt: this.#now(), deleted: false };
    list.push(seg);
    this.#segments.set(app, list);
    const w = { seg, fd };
    this.#writers.set(app, w);
    return w;
  }

  /** read returns `length` bytes of a segment at `offset`. */
  async read(seg: ChunkSegment, offset: number, length: number): Promise<Buffer> {
    let h = this.#handles.get(seg);
    if (h === undefined) {
      h = open(seg.path, 'r');
      this.#handles.set(seg, h);
      h.catch(() => this.#handles.delete(seg));
    }
    const fh = await h;
    // Its own memory (never a pool slab): the bytes may be transferred to a worker.
    const buf = Buffer.allocUnsafeSlow(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) throw new CorruptChunkError(seg.path, offset, `file ends after ${got} of ${length} bytes`);
      got += bytesRead;
    }
    return buf;
  }

  /** remove deletes a segment file; reads already in flight finish on the open handle. */
  async remove(seg: ChunkSegment): Promise<void> {
    seg.deleted = true;
    const list = this.#segments.get(seg.app);
    if (list !== undefined) {
      const i = list.indexOf(seg);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#segments.delete(seg.app);
    }
    const w = this.#writers.get(seg.app);
    if (w?.seg === seg) {
      closeSync(w.fd);
      this.#writers.delete(seg.app);
    }
    rmSync(seg.path, { force: true });
    const h = this.#handles.get(seg);
    this.#handles.delete(seg);
    if (h !== undefined) await (await h.catch(() => undefined))?.close();
  }

  /** bytesOf sums the sizes of an app's segments. */
  bytesOf(app: string): number {
    let n = 0;
    for (const s of this.segmentsOf(app)) n += s.size;
    return n;
  }

  /** close closes every file. */
  async close(): Promise<void> {
    for (const w of this.#writers.values()) closeSync(w.fd);
    this.#writers.clear();
    const hs = [...this.#handles.values()];
    this.#handles.clear();
    for (const h of hs) await (await h.catch(() => undefined))?.close();
  }
}

// findMagic returns the offset of the next chunk magic at or after `from`, or -1.
function findMagic(fd: number, from: number, size: number): number {
  const win = 1 << 20;
  const buf = Buffer.allocUnsafe(win + 3);
  const magic = Buffer.alloc(4);
  writeBE32(magic, 0, CHUNK_MAGIC);
  let pos = from;
  while (pos < size) {
    const n = readSync(fd, buf, 0, Math.min(win + 3, size - pos), pos);
    if (n <= 0) return -1;
    const i = buf.subarray(0, n).indexOf(magic);
    if (i >= 0) return pos + i;
    pos += Math.max(1, n - 3);
  }
  return -1;
}

/** encodeAppDir maps an app name to a safe directory name: `_default` for '', else `app=` + escaped. */
export function encodeAppDir(app: string): string {
  if (app === '') return '_default';
  let out = 'app=';
  for (const b of Buffer.from(app, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** decodeAppDir inverts encodeAppDir; undefined for names it did not produce. */
export function decodeAppDir(name: string): string | undefined {
  if (name === '_default') return '';
  if (!name.startsWith('app=')) return undefined;
  const bytes: number[] = [];
  const s = name.slice(4);
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const v = parseInt(s.slice(i + 1, i + 3), 16);
      if (Number.isNaN(v)) return undefined;
      bytes.push(v);
      i += 2;
    } else {
      bytes.push(s.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
