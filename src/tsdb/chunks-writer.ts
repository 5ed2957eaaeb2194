/**
 * Writes a block's chunk segment files. Chunks are buffered and written in large batches; a
 * series' chunks go to one segment unless they alone exceed the segment size, as Prometheus
 * does, and a new segment is cut before the current one would pass the size cap.
 * @module
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EncBuf } from '../encoding/index.js';
import type { Chunk } from './chunkenc/index.js';
import { BlockWriteError } from './block-errors.js';
import {
  CHUNKS_FORMAT_V1,
  DEFAULT_CHUNK_SEGMENT_SIZE,
  MAGIC_CHUNKS,
  MAX_CHUNK_LEN_FIELD,
  SEGMENT_HEADER_SIZE,
  chunkRef,
  segmentName,
} from './chunks-format.js';

const FLUSH_BYTES = 4 * 1024 * 1024;

/** ChunkWriter appends chunks to `<dir>/000001`, `000002`, …; refs are returned as written. */
export class ChunkWriter {
  readonly #dir: string;
  readonly #segmentSize: number;
  #seq = -1;
  #f: FileHandle | undefined;
  #n = 0; // bytes in the current segment, buffered ones included
  readonly #pending = new EncBuf(1 << 16);
  readonly #files: string[] = [];
  #bytes = 0;
  #closed = false;

  private constructor(dir: string, segmentSize: number) {
    this.#dir = dir;
    this.#segmentSize = segmentSize;
  }

  /** create makes the directory (if needed) and returns a writer; no file exists until the first chunk. */
  static async create(options: { readonly dir: string; readonly segmentSize?: number }): Promise<ChunkWriter> {
    const { dir, segmentSize = DEFAULT_CHUNK_SEGMENT_SIZE } = options;
    if (!Number.isInteger(segmentSize) || segmentSize <= SEGMENT_HEADER_SIZE || segmentSize > 2 ** 32) {
      throw new BlockWriteError(`segmentSize ${segmentSize} must be an integer in (${SEGMENT_HEADER_SIZE}, 2^32]`);
    }
    await mkdir(dir, { recursive: true });
    return new ChunkWriter(dir, segmentSize);
  }

  /** files lists the segment files written so far. */
  files(): readonly string[] {
    return this.#files;
  }

  /** size returns the bytes written (buffered included). */
  size(): number {
    return this.#bytes;
  }

  /**
   * writeChunks appends one series' chunks and returns their refs, in order. The chunk bytes are
   * copied into the write buffer, so the chunks may change afterwards.
   */
  async writeChunks(chunks: readonly Chunk[]): Promise<number[]> {
    if (this.#closed) throw new BlockWriteError('chunk writer is closed');
    let batch = 0;
    for (const c of chunks) batch += MAX_CHUNK_LEN_FIELD + 1 + c.bytes().length + 4;
    const refs: number[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const data = c.bytes();
      const size = MAX_CHUNK_LEN_FIELD + 1 + data.length + 4;
      // Cut before the series when the whole series does not fit, else before a chunk that does not.
      const need = i === 0 ? batch : size;
      if (this.#f === undefined || (this.#n > SEGMENT_HEADER_SIZE && this.#n + need > this.#segmentSize)) await this.#cut();
      refs.push(chunkRef(this.#seq, this.#n));
      const p = this.#pending;
      const before = p.length;
      p.putUvarint(data.length);
      const encAt = p.length;
      p.putByte(c.encoding);
      p.putBytes(data);
      p.putCRC32C(encAt);
      const written = p.length - before;
      this.#n += written;
      this.#bytes += written;
      if (this.#n > 0xffffffff) throw new BlockWriteError('chunk segment exceeds 4 GiB');
    }
    if (this.#pending.length >= FLUSH_BYTES) await this.#flush();
    return refs;
  }

  async #flush(): Promise<void> {
    if (this.#f === undefined || this.#pending.length === 0) return;
    const data = this.#pending.get();
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.#f.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.#pending.reset();
  }

  async #finishSegment(): Promise<void> {
    if (this.#f === undefined) return;
    await this.#flush();
    await this.#f.sync();
    await this.#f.close();
    this.#f = undefined;
  }

  async #cut(): Promise<void> {
    await this.#finishSegment();
    this.#seq++;
    const name = join(this.#dir, segmentName(this.#seq));
    this.#f = await open(name, 'wx');
    this.#files.push(name);
    const p = this.#pending;
    p.putBE32(MAGIC_CHUNKS);
    p.putByte(CHUNKS_FORMAT_V1);
    p.putZeros(3);
    this.#n = SEGMENT_HEADER_SIZE;
    this.#bytes += SEGMENT_HEADER_SIZE;
  }

  /** close flushes, fsyncs and closes the last segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#finishSegment();
  }

  /** abort closes without syncing (the caller deletes the directory). */
  async abort(): Promise<void> {
    this.#closed = true;
    const f = this.#f;
    this.#f = undefined;
    await f?.close().catch(() => undefined);
  }
}
