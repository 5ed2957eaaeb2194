/**
 * An on-disk block, opened read-only: `meta.json`, `index` (read into memory and checked),
 * `chunks/` (read lazily) and `tombstones`. Any problem is a BlockCorruptionError naming the
 * block and file, so the DB can report and skip that block.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexReader } from './index/index.js';
import { BlockCorruptionError } from './block-errors.js';
import { BlockQuerier } from './block-querier.js';
import { INDEX_FILENAME } from './block-writer.js';
import { CHUNKS_DIRNAME } from './chunks-format.js';
import { ChunkReader, type ChunkReaderOptions } from './chunks-reader.js';
import { META_FILENAME, readMeta, type BlockMeta } from './meta.js';
import { readTombstones, type Tombstones } from './tombstones.js';

/** Block is an opened block directory. */
export class Block {
  /** The block directory. */
  readonly dir: string;
  /** The parsed meta.json. */
  readonly meta: BlockMeta;
  /** The index reader. */
  readonly index: IndexReader;
  /** The chunk reader. */
  readonly chunks: ChunkReader;
  /** Deleted intervals. */
  readonly tombstones: Tombstones;
  readonly #size: number;
  #pending = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  private constructor(dir: string, meta: BlockMeta, index: IndexReader, chunks: ChunkReader, tombstones: Tombstones, size: number) {
    this.dir = dir;
    this.meta = meta;
    this.index = index;
    this.chunks = chunks;
    this.tombstones = tombstones;
    this.#size = size;
  }

  /**
   * open opens the block in `dir`. Unless `verifyIndex` is false, every checksum of the index is
   * checked now. Throws BlockCorruptionError.
   */
  static async open(dir: string, options: ChunkReaderOptions & { readonly verifyIndex?: boolean } = {}): Promise<Block> {
    const meta = await readMeta(dir);
    const metaSize = (await stat(join(dir, META_FILENAME))).size;
    let indexBytes: Buffer;
    try {
      indexBytes = await readFile(join(dir, INDEX_FILENAME));
    } catch (e) {
      throw new BlockCorruptionError(dir, INDEX_FILENAME, (e as Error).message, { cause: e });
    }
    let index: IndexReader;
    try {
      index = new IndexReader({ bytes: indexBytes, file: join(dir, INDEX_FILENAME) });
      if (options.verifyIndex !== false) index.verify();
    } catch (e) {
      throw new BlockCorruptionError(dir, INDEX_FILENAME, (e as Error).message, { cause: e });
    }
    const { tombstones, size: tsize } = await readTombstones(dir);
    const chunks = await ChunkReader.open(join(dir, CHUNKS_DIRNAME), { ...options, blockDir: dir });
    return new Block(dir, meta, index, chunks, tombstones, metaSize + indexBytes.length + tsize + chunks.size());
  }

  /** ulid is the block's id. */
  get ulid(): string {
    return this.meta.ulid;
  }

  /** minTime is the inclusive start of the block's range, ms. */
  get minTime(): number {
    return this.meta.minTime;
  }

  /** maxTime is the exclusive end of the block's range, ms. */
  get maxTime(): number {
    return this.meta.maxTime;
  }

  /** size returns the bytes the block takes on disk (meta, index, chunks, tombstones). */
  size(): number {
    return this.#size;
  }

  /** overlapsClosedInterval tells whether the block may hold samples in [mint, maxt]. */
  overlapsClosedInterval(mint: number, maxt: number): boolean {
    return this.meta.minTime <= maxt && mint < this.meta.maxTime;
  }

  /** querier returns a querier over [mint, maxt] (inclusive); close it to let the block close. */
  querier(mint: number, maxt: number): BlockQuerier {
    if (this.#closing !== undefined) throw new BlockCorruptionError(this.dir, 'block', 'block is closed');
    this.#pending++;
    return new BlockQuerier({
      readers: this,
      mint,
      maxt,
      onClose: () => {
        this.#pending--;
        if (this.#pending === 0) this.#drained?.();
      },
    });
  }

  /** close waits for open queriers to close, then releases the files. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        if (this.#pending > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
        this.chunks.close();
      })();
    }
    return this.#closing;
  }
}
