/**
 * Reads chunks from a block's segment files without mapping or loading them whole: reads go
 * through a small cache of fixed-size pages (queries walk series in index order, which is chunk
 * file order, so pages are mostly read once, sequentially). Reads are synchronous `pread`s, so
 * sample iteration stays synchronous. Every chunk's CRC32C is checked.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, readBE32 } from '../encoding/index.js';
import { chunkFromData, type Chunk } from './chunkenc/index.js';
import { BlockCorruptionError, ChunkReadError } from './block-errors.js';
import { CHUNKS_FORMAT_V1, MAGIC_CHUNKS, SEGMENT_HEADER_SIZE, chunkRefOffset, chunkRefSegment } from './chunks-format.js';

interface Segment {
  readonly path: string;
  readonly fd: number;
  readonly size: number;
}

/** ChunkReaderOptions tune the page cache. */
export interface ChunkReaderOptions {
  /** Page size in bytes (default 64 KiB). */
  readonly pageSize?: number;
  /** Pages kept (default 16, i.e. 1 MiB). */
  readonly cachePages?: number;
}

/** ChunkReader resolves chunk refs of one block. */
export class ChunkReader {
  readonly #segments: Segment[];
  readonly #pageSize: number;
  readonly #cachePages: number;
  // key: segment * 2^32 + page index; Map iteration order is the LRU order.
  readonly #cache = new Map<number, Uint8Array>();
  #closed = false;
  // The page read last: consecutive chunks mostly share it, so it skips the LRU bookkeeping.
  #lastKey = -1;
  #lastPage: Uint8Array | undefined;

  private constructor(segments: Segment[], pageSize: number, cachePages: number) {
    this.#segments = segments;
    this.#pageSize = pageSize;
    this.#cachePages = cachePages;
  }

  /**
   * open opens every segment file in `dir` (files named by six digits, in order) and checks their
   * headers. `blockDir` names the block in errors.
   */
  static async open(dir: string, options: ChunkReaderOptions & { readonly blockDir?: string } = {}): Promise<ChunkReader> {
    const { pageSize = 64 * 1024, cachePages = 16, blockDir = dir } = options;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => /^\d{6}$/.test(n)).sort();
    } catch (e) {
      throw new BlockCorruptionError(blockDir, 'chunks', (e as Error).message, { cause: e });
    }
    const segs: Segment[] = [];
    try {
      for (const n of names) {
        const path = join(dir, n);
        const fd = openSync(path, 'r');
        segs.push({ path, fd, size: fstatSync(fd).size });
        const h = Buffer.alloc(SEGMENT_HEADER_SIZE);
        const got = readSync(fd, h, 0, SEGMENT_HEADER_SIZE, 0);
        if (got < SEGMENT_HEADER_SIZE) throw new BlockCorruptionError(blockDir, `chunks/${n}`, `${got} bytes, shorter than the segment header`);
        const magic = readBE32(h, 0);
        if (magic !== MAGIC_CHUNKS) throw new BlockCorruptionError(blockDir, `chunks/${n}`, `invalid magic number ${magic.toString(16)}`);
        if (h[4] !== CHUNKS_FORMAT_V1) throw new BlockCorruptionError(blockDir, `chunks/${n}`, `invalid chunk format version ${h[4]}`);
      }
    } catch (e) {
      for (const s of segs) closeSync(s.fd);
      if (e instanceof BlockCorruptionError) throw e;
      throw new BlockCorruptionError(blockDir, 'chunks', (e as Error).message, { cause: e });
    }
    return new ChunkReader(segs, pageSize, cachePages);
  }

  /** size returns the total bytes of the segment files. */
  size(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }

  /** segmentCount returns the number of segment files. */
  segmentCount(): number {
    return this.#segments.length;
  }

  /** chunk reads the chunk at `ref`. Throws ChunkReadError when it is missing or corrupt. */
  chunk(ref: number): Chunk {
    if (this.#closed) throw new ChunkReadError('?', chunkRefOffset(ref), 'chunk reader is closed');
    const si = chunkRefSegment(ref);
    const off = chunkRefOffset(ref);
    const seg = this.#segments[si];
    if (seg === undefined) throw new ChunkReadError(`segment ${si}`, off, `segment index ${si} out of range (${this.#segments.length} segments)`);
    if (off < SEGMENT_HEADER_SIZE || off >= seg.size) throw new ChunkReadError(seg.path, off, `offset out of range (file has ${seg.size} bytes)`);
    // Try the page holding the chunk start.
    const P = this.#pageSize;
    const page = Math.floor(off / P);
    const buf = this.#page(si, seg, page);
    let p = off - page * P;
    let b = buf;
    // Length uvarint (≤ 5 bytes for a 32-bit length).
    let len = 0;
    let shift = 1;
    let i = 0;
    let ok = false;
    for (; i < 5 && p + i < b.length; i++) {
      const x = b[p + i]!;
      len += (x & 0x7f) * shift;
      shift *= 128;
      if (x < 0x80) {
        ok = true;
        break;
      }
    }
    const total = i + 1 + 1 + len + 4; // length field, encoding, data, CRC
    if (!ok || p + total > b.length) {
      if (!ok && p + i < b.length) throw new ChunkReadError(seg.path, off, 'chunk length overflows 32 bits');
      // The chunk crosses the page end: read it directly.
      const head = Buffer.alloc(5);
      readSync(seg.fd, head, 0, 5, off);
      len = 0;
      shift = 1;
      ok = false;
      for (i = 0; i < 5; i++) {
        const x = head[i]!;
        len += (x & 0x7f) * shift;
        shift *= 128;
        if (x < 0x80) {
          ok = true;
          break;
        }
      }
      if (!ok) throw new ChunkReadError(seg.path, off, 'bad chunk length');
      const need = i + 1 + 1 + len + 4;
      if (off + need > seg.size) throw new ChunkReadError(seg.path, off, `chunk of ${len} bytes runs past the end of the file (${seg.size} bytes)`);
      b = Buffer.alloc(need);
      const got = readSync(seg.fd, b, 0, need, off);
      if (got < need) throw new ChunkReadError(seg.path, off, `short read: ${got} of ${need} bytes`);
      p = 0;
    }
    const encAt = p + i + 1;
    const dataEnd = encAt + 1 + len;
    const want = readBE32(b, dataEnd);
    const got = crc32c(b, encAt, dataEnd);
    if (want !== got) {
      throw new ChunkReadError(seg.path, off, `checksum mismatch: stored ${want.toString(16)}, computed ${got.toString(16)}`);
    }
    try {
      return chunkFromData(b[encAt]!, b.subarray(encAt + 1, dataEnd));
    } catch (e) {
      throw new ChunkReadError(seg.path, off, (e as Error).message, { cause: e });
    }
  }

  #page(si: number, seg: Segment, page: number): Uint8Array {
    const key = si * 2 ** 32 + page;
    if (key === this.#lastKey) return this.#lastPage!;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      this.#lastKey = key;
      this.#lastPage = hit;
      return hit;
    }
    const start = page * this.#pageSize;
    const n = Math.min(this.#pageSize, seg.size - start);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = readSync(seg.fd, buf, got, n - got, start + got);
      if (r === 0) break;
      got += r;
    }
    const view = got === n ? buf : buf.subarray(0, got);
    this.#cache.set(key, view);
    this.#lastKey = key;
    this.#lastPage = view;
    if (this.#cache.size > this.#cachePages) {
      const oldest = this.#cache.keys().next().value as number;
      this.#cache.delete(oldest);
    }
    return view;
  }

  /** close closes the files; chunks already returned stay readable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#segments) closeSync(s.fd);
    this.#cache.clear();
    this.#lastKey = -1;
    this.#lastPage = undefined;
  }
}
