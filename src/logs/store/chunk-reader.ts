/**
 * Reading chunks back: token filters, timestamp columns and text blocks, each checked against
 * its CRC32C, decompressed off the main thread (zlib's thread pool) and kept in byte-bounded
 * LRU caches so repeated queries do not read or inflate again.
 * @module
 */
import { promisify } from 'node:util';
import { brotliDecompress, brotliDecompressSync } from 'node:zlib';
import { crc32c } from '../../encoding/index.js';
import { decodeFields, decodeTimes, splitLines, type Fields } from './block-codec.js';
import { BlockFlag, Codec, type PackedBlock } from './chunk-format.js';
import type { BlockPacker } from './block-packer.js';
import type { ChunkSegments } from './chunk-segments.js';
import { CorruptChunkError, StoreClosedError } from './errors.js';
import { decodeJsonIndex, type JsonIndex } from './json-index.js';
import type { ChunkMeta } from './store-stream.js';
import { BloomFilter } from './token-filter.js';

const inflate = promisify(brotliDecompress);

/** Times of one block in time order. */
export interface BlockTimes {
  readonly count: number;
  readonly t: Float64Array;
  readonly ns: Int32Array;
}

/** BlockText is the decoded text (and fields) of one block. */
export interface BlockText {
  readonly text: Buffer;
  readonly lineOff: Int32Array;
  readonly escaped: boolean;
  readonly ascii: boolean;
  readonly fields: readonly Fields[] | undefined;
}

/**
 * ByteLru is a least-recently-used cache bounded by the summed byte sizes of its values.
 * With `protectMs`, an entry used within that time is never evicted to make room: a scan of
 * more data than fits does not flush what other queries are using, it is simply not cached.
 */
export class ByteLru<K, V> {
  readonly #max: number;
  readonly #protectMs: number;
  readonly #m = new Map<K, { v: V; bytes: number; used: number }>();
  #bytes = 0;

  constructor(maxBytes: number, protectMs = 0) {
    this.#max = maxBytes;
    this.#protectMs = protectMs;
  }

  get(k: K): V | undefined {
    const e = this.#m.get(k);
    if (e === undefined) return undefined;
    this.#m.delete(k);
    e.used = performance.now();
    this.#m.set(k, e);
    return e.v;
  }

  set(k: K, v: V, bytes: number): void {
    if (bytes > this.#max) return;
    const old = this.#m.get(k);
    if (old !== undefined) {
      this.#bytes -= old.bytes;
      this.#m.delete(k);
    }
    const now = performance.now();
    // Make room from the least recently used end, but never from entries still in use.
    for (const [key, e] of this.#m) {
      if (this.#bytes + bytes <= this.#max) break;
      if (this.#protectMs > 0 && now - e.used < this.#protectMs) return;
      this.#m.delete(key);
      this.#bytes -= e.bytes;
    }
    if (this.#bytes + bytes > this.#max) return;
    this.#m.set(k, { v, bytes, used: now });
    this.#bytes += bytes;
  }

  delete(k: K): void {
    const e = this.#m.get(k);
    if (e === undefined) return;
    this.#bytes -= e.bytes;
    this.#m.delete(k);
  }

  /** bytes is the summed size of the cached values. */
  get bytes(): number {
    return this.#bytes;
  }
}

/** ChunkReaderOptions configures the caches. */
export interface ChunkReaderOptions {
  readonly segments: ChunkSegments;
  /** Budget for decoded timestamp columns (default 64 MiB). */
  readonly timesCacheBytes?: number;
  /** Budget for decompressed text blocks (default 256 MiB). */
  readonly textCacheBytes?: number;
  /** Told about every corrupt chunk found while reading. */
  readonly onCorrupt: (e: CorruptChunkError) => void;
  /** Worker pool to decompress on (else zlib's thread pool). */
  readonly packer?: BlockPacker;
}

/** ChunkReader reads and caches chunk parts. */
export class ChunkReader {
  readonly #segments: ChunkSegments;
  readonly #times: ByteLru<ChunkMeta, BlockTimes[]>;
  readonly #text: ByteLru<string, BlockText>;
  readonly #json = new ByteLru<string, JsonIndex>(32 << 20);
  readonly #onCorrupt: (e: CorruptChunkError) => void;
  readonly #packer: BlockPacker | undefined;
  readonly #textKeys = new WeakMap<ChunkMeta, string>();
  #nextKey = 0;

  constructor(opts: ChunkReaderOptions) {
    const { segments, timesCacheBytes = 64 << 20, textCacheBytes = 256 << 20, onCorrupt, packer } = opts;
    this.#packer = packer;
    this.#segments = segments;
    this.#times = new ByteLru(timesCacheBytes);
    // Blocks read in the last 30 s stay: large scans do not flush what other queries use.
    this.#text = new ByteLru(textCacheBytes, 30_000);
    this.#onCorrupt = onCorrupt;
  }

  #corrupt(meta: ChunkMeta, off: number, detail: string): CorruptChunkError {
    const e = new CorruptChunkError(meta.seg.path, meta.offset + off, `${detail} (stream ${meta.header.labels.toString()})`);
    this.#onCorrupt(e);
    return e;
  }

  /** filter loads a chunk's token filter; undefined when it is corrupt (then the chunk is read). */
  async filter(meta: ChunkMeta): Promise<BloomFilter | undefined> {
    if (meta.filter !== undefined) return meta.filter;
    const h = meta.header;
    const buf = await this.#segments.read(meta.seg, meta.offset + h.filterOff, h.filterLen);
    if (crc32c(buf, 0, buf.length) !== h.filterCrc) {
      this.#corrupt(meta, h.filterOff, 'token filter checksum mismatch');
      return undefined;
    }
    meta.filter = BloomFilter.decode(buf);
    return meta.filter;
  }

  /**
   * times returns the timestamp columns of all blocks of a chunk; a block whose column is
   * corrupt is reported and comes back empty.
   */
  async times(meta: ChunkMeta): Promise<BlockTimes[]> {
    const cached = this.#times.get(meta);
    if (cached !== undefined) return cached;
    const h = meta.header;
    const buf = await this.#segments.read(meta.seg, meta.offset + h.tsStart, h.tsEnd - h.tsStart);
    const out: BlockTimes[] = [];
    for (const b of h.blocks) {
      const s = b.tsOff - h.tsStart;
      const e = s + b.tsLen;
      const t = new Float64Array(b.count);
      const ns = new Int32Array(b.count);
      try {
        if (crc32c(buf, s, e) !== b.tsCrc) throw new Error('timestamp column checksum mismatch');
        decodeTimes(buf, s, e, b.count, b.mint, t, ns);
        out.push({ count: b.count, t, ns });
      } catch (err) {
        this.#corrupt(meta, b.tsOff, (err as Error).message + '; block skipped');
        out.push({ count: 0, t: new Float64Array(0), ns: new Int32Array(0) });
      }
    }
    this.#times.set(meta, out, h.count * 12 + 64);
    return out;
  }

  /** primeTimes caches the timestamps of a chunk just written (they are at hand then). */
  primeTimes(meta: ChunkMeta, times: BlockTimes[]): void {
    this.#times.set(meta, times, meta.header.count * 12 + 64);
  }

  /** text returns a block's decoded text and fields; undefined (reported) when corrupt. */
  async text(meta: ChunkMeta, block: number, withFields: boolean): Promise<BlockText | undefined> {
    let k = this.#textKeys.get(meta);
    if (k === undefined) {
      k = `${this.#nextKey++}:`;
      this.#textKeys.set(meta, k);
    }
    const key = k + block;
    const cached = this.#text.get(key);
    if (cached !== undefined && (!withFields || cached.fields !== undefined || meta.header.blocks[block]!.fieldsLen === 0)) return cached;
    const h = meta.header;
    const b = h.blocks[block]!;
    const buf = await this.#segments.read(meta.seg, meta.offset + b.dataOff, b.textLen + b.fieldsLen);
    if (crc32c(buf, 0, buf.length) !== b.dataCrc) {
      this.#corrupt(meta, b.dataOff, 'text column checksum mismatch; block skipped');
      return undefined;
    }
    let text: Buffer;
    let fieldsRaw: Buffer | undefined;
    let lineOff: Int32Array | undefined;
    try {
      if (h.codec === Codec.Brotli && this.#packer?.hasWorkers === true) {
        // Off this thread: decompression and line splitting on a worker, buffers transferred.
        const u = await this.#packer.unpack(buf, b.textLen, b.fieldsLen, b.rawTextLen, b.count, withFields);
        text = u.text;
        lineOff = u.lineOff;
        fieldsRaw = u.fields;
      } else {
        text = h.codec === Codec.Brotli ? await inflate(buf.subarray(0, b.textLen), { chunkSize: Math.max(16384, b.rawTextLen) }) : buf.subarray(0, b.textLen);
        if (b.fieldsLen > 0 && withFields) {
          const fb = buf.subarray(b.textLen);
          fieldsRaw = h.codec === Codec.Brotli ? await inflate(fb) : fb;
        }
        lineOff = text.length === b.rawTextLen ? splitLines(text, b.count) : undefined;
      }
    } catch (err) {
      if (err instanceof StoreClosedError) throw err;
      this.#corrupt(meta, b.dataOff, `cannot decompress: ${(err as Error).message}; block skipped`);
      return undefined;
    }
    if (lineOff === undefined) {
      this.#corrupt(meta, b.dataOff, `text holds other than ${b.count} lines; block skipped`);
      return undefined;
    }
    let fields: Fields[] | undefined;
    if (fieldsRaw !== undefined) {
      try {
        fields = decodeFields(fieldsRaw, b.count);
      } catch (err) {
        this.#corrupt(meta, b.dataOff + b.textLen, `fields column: ${(err as Error).message}; fields dropped`);
      }
    }
    const out: BlockText = { text, lineOff, escaped: (b.flags & BlockFlag.Escaped) !== 0, ascii: (b.flags & BlockFlag.Ascii) !== 0, fields };
    this.#text.set(key, out, text.length + lineOff.length * 4 + (fieldsRaw?.length ?? 0) * 2);
    return out;
  }

  /** jsonIndex returns a block's JSON field index; undefined when it has none or it is corrupt. */
  async jsonIndex(meta: ChunkMeta, block: number): Promise<JsonIndex | undefined> {
    const b = meta.header.blocks[block]!;
    if (b.jsonLen === 0) return undefined;
    let k = this.#textKeys.get(meta);
    if (k === undefined) {
      k = `${this.#nextKey++}:`;
      this.#textKeys.set(meta, k);
    }
    const key = k + block;
    const cached = this.#json.get(key);
    if (cached !== undefined) return cached;
    const off = b.dataOff + b.textLen + b.fieldsLen;
    const buf = await this.#segments.read(meta.seg, meta.offset + off, b.jsonLen);
    if (crc32c(buf, 0, buf.length) !== b.jsonCrc) {
      this.#corrupt(meta, off, 'JSON index checksum mismatch; lines are read instead');
      return undefined;
    }
    let index: JsonIndex;
    try {
      index = decodeJsonIndex(meta.header.codec === Codec.Brotli ? brotliDecompressSync(buf) : buf, b.count);
    } catch (err) {
      this.#corrupt(meta, off, `JSON index: ${(err as Error).message}; lines are read instead`);
      return undefined;
    }
    let bytes = 64;
    for (const c of index.keys.values()) bytes += c === null ? 16 : c.idx.length + 32 * c.values.length;
    this.#json.set(key, index, bytes);
    return index;
  }

  /** forget drops a chunk's cached parts (its segment was deleted). */
  forget(meta: ChunkMeta): void {
    this.#times.delete(meta);
    const k = this.#textKeys.get(meta);
    if (k !== undefined) {
      for (let i = 0; i < meta.header.blocks.length; i++) {
        this.#text.delete(k + i);
        this.#json.delete(k + i);
      }
    }
  }
}

/** unpackJsonIndex decodes a packed head block's JSON index, if any. */
export function unpackJsonIndex(p: PackedBlock): JsonIndex | undefined {
  return p.json === undefined ? undefined : decodeJsonIndex(brotliDecompressSync(p.json), p.count);
}

/** unpackBlock decompresses a packed head block back into its text form. */
export async function unpackBlock(p: PackedBlock): Promise<BlockText> {
  const text = await inflate(p.text, { chunkSize: Math.max(16384, p.rawTextLen) });
  const lineOff = splitLines(text, p.count);
  if (lineOff === undefined) throw new Error('internal: packed head block does not split into its lines');
  const fields = p.fields === undefined ? undefined : decodeFields(await inflate(p.fields), p.count);
  return { text, lineOff, escaped: (p.flags & BlockFlag.Escaped) !== 0, ascii: (p.flags & BlockFlag.Ascii) !== 0, fields };
}
