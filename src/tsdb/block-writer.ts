/**
 * Writes one block directory atomically: chunks stream to `chunks/` as series are added, then
 * `index`, `tombstones` and `meta.json` are written, every file and directory is fsynced, and
 * the temporary directory `<ulid>.tmp-for-creation` is renamed to `<ulid>`. A crash leaves at
 * worst a temporary directory, never a partial block.
 * @module
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { compareStrings, type Labels } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { XORChunk, type Chunk } from './chunkenc/index.js';
import { IndexWriter, type ChunkMetaRef } from './index/index.js';
import { BlockWriteError } from './block-errors.js';
import { CHUNKS_DIRNAME } from './chunks-format.js';
import { ChunkWriter } from './chunks-writer.js';
import { META_VERSION, newULID, writeMeta, type BlockCompaction, type BlockMeta } from './meta.js';
import { Tombstones, writeTombstones } from './tombstones.js';

/** INDEX_FILENAME is the index file of a block. */
export const INDEX_FILENAME = 'index';
/** TMP_CREATION_SUFFIX marks a block directory being written. */
export const TMP_CREATION_SUFFIX = '.tmp-for-creation';

/** ChunkMeta is a chunk with the time range of its samples (inclusive, ms). */
export interface ChunkMeta {
  readonly mint: number;
  readonly maxt: number;
  readonly chunk: Chunk;
}

/** BlockWriterOptions configure one block. */
export interface BlockWriterOptions {
  /** The directory the block directory is created in (the data directory). */
  readonly dir: string;
  /** Inclusive start of the block's range, ms. */
  readonly mint: number;
  /** Exclusive end of the block's range, ms (meta.json's maxTime). */
  readonly maxt: number;
  /** The block's ULID (default: a new one). */
  readonly ulid?: string;
  /** Compaction meta (default: level 1, sources = [ulid]). */
  readonly compaction?: BlockCompaction;
  /** Chunk segment size cap in bytes (default 512 MiB). */
  readonly segmentSize?: number;
  /**
   * What meta.json's minTime/maxTime record: the block range (default, as for head blocks and
   * compactions) or the data's first sample and last sample + 1 (as promtool's backfill does).
   */
  readonly metaMaxTime?: 'range' | 'data';
}

interface PendingSeries {
  readonly labels: Labels;
  readonly chunks: ChunkMetaRef[];
}

/** BlockWriter writes one block. Series must be added in label order; finish with commit or abort. */
export class BlockWriter {
  readonly #opts: BlockWriterOptions;
  readonly #ulid: string;
  readonly #tmp: string;
  readonly #chunks: ChunkWriter;
  readonly #series: PendingSeries[] = [];
  #last: Labels | undefined;
  #samples = 0;
  #numChunks = 0;
  #dataMint = Infinity;
  #dataMaxt = -Infinity;
  #done = false;

  private constructor(opts: BlockWriterOptions, ulid: string, tmp: string, chunks: ChunkWriter) {
    this.#opts = opts;
    this.#ulid = ulid;
    this.#tmp = tmp;
    this.#chunks = chunks;
  }

  /** create prepares the temporary block directory. */
  static async create(options: BlockWriterOptions): Promise<BlockWriter> {
    const { dir, mint, maxt, ulid = newULID(), segmentSize } = options;
    if (!Number.isSafeInteger(mint) || !Number.isSafeInteger(maxt) || maxt <= mint) {
      throw new BlockWriteError(`block range [${mint}, ${maxt}) is empty or not integer ms`);
    }
    const tmp = join(dir, ulid + TMP_CREATION_SUFFIX);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const chunks = await ChunkWriter.create({ dir: join(tmp, CHUNKS_DIRNAME), ...(segmentSize !== undefined ? { segmentSize } : {}) });
    return new BlockWriter(options, ulid, tmp, chunks);
  }

  /** ulid is the block's id. */
  get ulid(): string {
    return this.#ulid;
  }

  /**
   * addSeries adds a series with its chunks (in time order, not overlapping). Chunks reaching
   * outside [mint, maxt) are cut to it by re-encoding; series left without samples are skipped.
   */
  async addSeries(labels: Labels, chunks: readonly ChunkMeta[]): Promise<void> {
    if (this.#done) throw new BlockWriteError('block writer already committed or aborted');
    if (this.#last !== undefined && labels.compare(this.#last) <= 0) {
      throw new BlockWriteError(`series ${labels.toString()} added out of order after ${this.#last.toString()}`);
    }
    const { mint, maxt } = this.#opts;
    const kept: ChunkMeta[] = [];
    let prevMaxt = -Infinity;
    for (const c of chunks) {
      if (c.chunk.numSamples() === 0) continue;
      if (c.mint < prevMaxt) throw new BlockWriteError(`overlapping chunks in ${labels.toString()} at ${c.mint}`);
      if (c.maxt < mint || c.mint >= maxt) continue;
      const cm = c.mint < mint || c.maxt >= maxt ? trimChunk(c, mint, maxt - 1) : c;
      if (cm === undefined) continue;
      kept.push(cm);
      prevMaxt = cm.maxt;
    }
    if (kept.length === 0) return;
    this.#last = labels;
    const refs = await this.#chunks.writeChunks(kept.map((c) => c.chunk));
    const metas: ChunkMetaRef[] = new Array(kept.length);
    for (let i = 0; i < kept.length; i++) {
      const c = kept[i]!;
      metas[i] = { mint: c.mint, maxt: c.maxt, ref: refs[i]! };
      this.#samples += c.chunk.numSamples();
      if (c.mint < this.#dataMint) this.#dataMint = c.mint;
      if (c.maxt > this.#dataMaxt) this.#dataMaxt = c.maxt;
    }
    this.#numChunks += kept.length;
    this.#series.push({ labels, chunks: metas });
  }

  /**
   * commit writes the index, tombstones and meta and moves the block into place. Resolves to the
   * meta, or to undefined when no series had samples (nothing is written then).
   */
  async commit(): Promise<BlockMeta | undefined> {
    if (this.#done) throw new BlockWriteError('block writer already committed or aborted');
    this.#done = true;
    try {
      await this.#chunks.close();
      if (this.#series.length === 0) {
        await rm(this.#tmp, { recursive: true, force: true });
        return undefined;
      }
      // Symbols: every name and value, plus "" for the all-series postings key, as Prometheus's.
      const set = new Set<string>(['']);
      for (const s of this.#series) {
        const nv = s.labels.pairs();
        for (let i = 0; i < nv.length; i++) set.add(nv[i]!);
      }
      const iw = new IndexWriter();
      for (const sym of [...set].sort(compareStrings)) iw.addSymbol(sym);
      for (const s of this.#series) iw.addSeries(s.labels, s.chunks);
      await writeSynced(join(this.#tmp, INDEX_FILENAME), iw.finish());
      await writeTombstones(this.#tmp, new Tombstones());
      const { mint, maxt, compaction } = this.#opts;
      const meta: BlockMeta = {
        ulid: this.#ulid,
        minTime: this.#opts.metaMaxTime === 'data' ? this.#dataMint : mint,
        maxTime: this.#opts.metaMaxTime === 'data' ? this.#dataMaxt + 1 : maxt,
        stats: { numSamples: this.#samples, numSeries: this.#series.length, numChunks: this.#numChunks },
        compaction: compaction ?? { level: 1, sources: [this.#ulid] },
        version: META_VERSION,
      };
      await writeMeta(this.#tmp, meta);
      await syncDir(join(this.#tmp, CHUNKS_DIRNAME));
      await syncDir(this.#tmp);
      const final = join(this.#opts.dir, this.#ulid);
      await rm(final, { recursive: true, force: true });
      await rename(this.#tmp, final);
      await syncDir(this.#opts.dir);
      return meta;
    } catch (e) {
      await rm(this.#tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  }

  /** abort discards everything written. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#chunks.abort();
    await rm(this.#tmp, { recursive: true, force: true });
  }
}

/** writeSynced writes a file and fsyncs it. */
export async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const f = await open(path, 'w');
  try {
    await f.writeFile(data);
    await f.sync();
  } finally {
    await f.close();
  }
}

/** syncDir fsyncs a directory so renames and new entries in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const f = await open(dir, 'r');
  try {
    await f.sync();
  } finally {
    await f.close();
  }
}

// trimChunk re-encodes the samples of c within [mint, maxt] (inclusive); undefined if none.
function trimChunk(c: ChunkMeta, mint: number, maxt: number): ChunkMeta | undefined {
  const out = new XORChunk();
  const app = out.appender();
  const it = c.chunk.iterator();
  let lo = Infinity;
  let hi = -Infinity;
  for (let vt = it.seek(mint); vt !== ValueType.None && it.atT() <= maxt; vt = it.next()) {
    const t = it.atT();
    app.append(t, it.atF());
    if (t < lo) lo = t;
    hi = t;
  }
  const err = it.err();
  if (err !== undefined) throw err;
  if (out.numSamples() === 0) return undefined;
  return { mint: lo, maxt: hi, chunk: out };
}

/** writeBlock writes a whole block from series given in label order (see BlockWriter). */
export async function writeBlock(
  options: BlockWriterOptions & {
    readonly series: Iterable<{ readonly labels: Labels; readonly chunks: readonly ChunkMeta[] }> | AsyncIterable<{ readonly labels: Labels; readonly chunks: readonly ChunkMeta[] }>;
  },
): Promise<BlockMeta | undefined> {
  const w = await BlockWriter.create(options);
  try {
    for await (const s of options.series) await w.addSeries(s.labels, s.chunks);
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.commit();
}

