/**
 * The per-stream state of the disk store: its chunks on disk, its head (the entries not yet
 * in a chunk) and the heads being written out.
 * @module
 */
import type { Labels } from '../../model/index.js';
import type { ChunkHeader, PackedBlock } from './chunk-format.js';
import type { ChunkSegment } from './chunk-segments.js';
import type { BlockTimes } from './chunk-reader.js';
import { HeadBlock, type RawBlock } from './head-block.js';
import type { BloomFilter } from './token-filter.js';

/** ChunkMeta is the index entry of one chunk on disk. */
export interface ChunkMeta {
  readonly seg: ChunkSegment;
  readonly offset: number;
  readonly header: ChunkHeader;
  /** The chunk's token filter once loaded. */
  filter: BloomFilter | undefined;
}

/**
 * SealedBlock is a full block of a head: raw until its compression finishes, then packed.
 * Readers use `raw` when present, else decompress `packed`.
 */
export interface SealedBlock {
  readonly count: number;
  readonly mint: number;
  readonly maxt: number;
  /** The block's timestamps, kept in memory for queries after compression. */
  readonly times: BlockTimes;
  raw: RawBlock | undefined;
  packed: PackedBlock | undefined;
  /** Distinct token filter items of the block, once packed. */
  items: Uint32Array | undefined;
  /** Resolves once `packed` is set; rejects if compression failed. */
  ready: Promise<void>;
}

/** HeadChunk gathers a stream's entries until they are cut into a chunk. */
export class HeadChunk {
  /** Sequence number (within the stream) of the first entry. */
  readonly seqStart: number;
  readonly blocks: SealedBlock[] = [];
  open: HeadBlock;
  /** WAL segment holding the first entry (Infinity while empty). */
  firstWalSeg = Infinity;
  /** Wall-clock ms of the first and the last append. */
  createdAt = 0;
  lastAppendAt = 0;
  count = 0;
  textBytes = 0;
  /** The encoded token filter, once built (kept for a retried write). */
  filter: Uint8Array | undefined;
  mint = Infinity;
  maxt = -Infinity;

  /** The first block is sized by hints, e.g. from the stream's previous head. */
  constructor(seqStart: number, bytesHint = 16 * 1024, entriesHint = 64) {
    this.seqStart = seqStart;
    this.open = new HeadBlock(bytesHint, entriesHint);
  }

  /** seqEnd is one past the last entry's sequence number. */
  get seqEnd(): number {
    return this.seqStart + this.count;
  }
}

/** StoreStream is one stream of the disk store. */
export class StoreStream {
  readonly ref: number;
  readonly labels: Labels;
  /** The value of the `app` label ('' when absent): the retention and segment group. */
  readonly app: string;
  /** Chunks on disk in sequence order. */
  chunks: ChunkMeta[] = [];
  head: HeadChunk;
  /** Heads detached for writing, oldest first; written strictly in this order. */
  readonly cutting: HeadChunk[] = [];
  /** The sequence number the next appended entry gets. */
  nextSeq: number;
  /** WAL segment in which the stream's definition was last written (-1: never). */
  defSeg = -1;
  /** The last appended entry, for Loki's duplicate check. */
  lastT = -Infinity;
  lastNs = 0;
  lastLine: Uint8Array = new Uint8Array(0);
  /** A write of this stream's cutting heads is in progress. */
  draining: Promise<void> | undefined;
  /** Time range over chunks and heads (ms). */
  mint = Infinity;
  maxt = -Infinity;

  constructor(ref: number, labels: Labels, nextSeq = 0) {
    this.ref = ref;
    this.labels = labels;
    this.app = labels.get('app');
    this.nextSeq = nextSeq;
    this.head = new HeadChunk(nextSeq);
  }

  /** widen extends the stream's time range. */
  widen(mint: number, maxt: number): void {
    if (mint < this.mint) this.mint = mint;
    if (maxt > this.maxt) this.maxt = maxt;
  }

  /** recomputeRange recomputes the time range after chunks were dropped. */
  recomputeRange(): void {
    this.mint = Infinity;
    this.maxt = -Infinity;
    for (const c of this.chunks) this.widen(c.header.mint, c.header.maxt);
    for (const h of [...this.cutting, this.head]) if (h.count > 0) this.widen(h.mint, h.maxt);
  }

  /** isEmpty tells whether the stream holds no entry at all. */
  isEmpty(): boolean {
    return this.chunks.length === 0 && this.cutting.length === 0 && this.head.count === 0;
  }
}
