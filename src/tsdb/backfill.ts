/**
 * Backfill: turns samples with timestamps into blocks, as `promtool tsdb create-blocks-from
 * openmetrics` does. Samples are grouped into aligned ranges of the block duration (2h, or the
 * largest compaction range not above --max-block-duration); within a range each series' chunks
 * are cut exactly where Prometheus's head would cut them (≈120 samples spread evenly over the
 * head's chunk range, which promtool sets to twice the block duration), so the blocks match
 * promtool's. Unlike promtool, the input is read once: all ranges fill in one pass.
 * @module
 */
import { Labels } from '../model/index.js';
import { DuplicateSampleError, OutOfOrderSampleError } from '../storage/index.js';
import { XORChunk, type ChunkAppender } from './chunkenc/index.js';
import { BlockWriter, type ChunkMeta } from './block-writer.js';
import { DEFAULT_BLOCK_DURATION_MS, exponentialBlockRanges } from './compact-planner.js';
import type { BlockMeta } from './meta.js';

const SAMPLES_PER_CHUNK = 120;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
/** Go's math.NaN(), which Prometheus's parsers return for "NaN". */
const GO_NAN = (() => {
  U32[1 - LO] = 0x7ff80000;
  U32[LO] = 1;
  return F64[0]!;
})();

/**
 * compatibleBlockDuration returns the block duration promtool uses for a --max-block-duration:
 * 2h, or the largest of 2h·3^k not above it.
 */
export function compatibleBlockDuration(maxBlockDurationMs = 0): number {
  if (maxBlockDurationMs <= DEFAULT_BLOCK_DURATION_MS) return DEFAULT_BLOCK_DURATION_MS;
  const ranges = exponentialBlockRanges(DEFAULT_BLOCK_DURATION_MS, 10, 3);
  let idx = ranges.length - 1;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges[i]! > maxBlockDurationMs) {
      idx = i - 1;
      break;
    }
  }
  return ranges[idx]!;
}

// Go's integer division truncates toward zero; Prometheus's chunk cut times use it.
function rangeForTimestamp(t: number, width: number): number {
  return Math.trunc(t / width) * width + width;
}

function computeChunkEndTime(start: number, cur: number, max: number): number {
  const n = Math.trunc((max - start) / ((cur - start + 1) * 4));
  if (n <= 1) return max;
  return start + Math.trunc((max - start) / n);
}

/** One series within one block range: finished chunks and the open one. */
class SeriesInRange {
  readonly chunks: ChunkMeta[] = [];
  #cur: XORChunk | undefined;
  #app: ChunkAppender | undefined;
  #mint = 0;
  #maxt = 0;
  #n = 0;
  #nextAt = 0;
  #lastHi = 0;
  #lastLo = 0;
  samples = 0;

  constructor(readonly ref: number) {}

  append(t: number, v: number, chunkRange: number): void {
    F64[0] = v;
    const hi = U32[1 - LO]!;
    const lo = U32[LO]!;
    if (this.#cur !== undefined) {
      if (t <= this.#maxt) {
        if (t === this.#maxt) {
          if (hi === this.#lastHi && lo === this.#lastLo) return;
          throw new DuplicateSampleError();
        }
        throw new OutOfOrderSampleError();
      }
      // The head's rule: at a quarter of a chunk, predict when to cut so the rest of the chunk
      // range splits into equal chunks; cut early if samples come in much faster than predicted.
      if (this.#n === SAMPLES_PER_CHUNK / 4) this.#nextAt = computeChunkEndTime(this.#mint, this.#maxt, this.#nextAt);
      if (t >= this.#nextAt || this.#n >= SAMPLES_PER_CHUNK * 2) this.#cut(t, chunkRange);
    } else {
      this.#cut(t, chunkRange);
    }
    this.#app!.append(t, v);
    this.#n++;
    this.#maxt = t;
    this.#lastHi = hi;
    this.#lastLo = lo;
    this.samples++;
  }

  #cut(t: number, chunkRange: number): void {
    this.#finish();
    this.#cur = new XORChunk({ capacity: 128 });
    this.#app = this.#cur.appender();
    this.#mint = t;
    this.#maxt = t;
    this.#n = 0;
    this.#nextAt = rangeForTimestamp(t, chunkRange);
  }

  #finish(): void {
    if (this.#cur === undefined || this.#n === 0) return;
    this.#cur.compact();
    this.chunks.push({ mint: this.#mint, maxt: this.#maxt, chunk: this.#cur });
    this.#cur = undefined;
  }

  /** close finishes the open chunk; the series takes no more samples. */
  close(): void {
    this.#finish();
    this.#app = undefined;
  }
}

/** BackfillOptions configure a backfill. */
export interface BackfillOptions {
  /** Directory the blocks are written in. */
  readonly outputDir: string;
  /** Upper bound of the block duration, ms (default: 2h blocks). */
  readonly maxBlockDurationMs?: number;
  /** Chunk segment size cap (default 512 MiB). */
  readonly segmentSize?: number;
}

/** Backfiller collects samples and writes them as blocks. */
export class Backfiller {
  readonly #opts: BackfillOptions;
  /** The block duration in ms. */
  readonly blockDuration: number;
  readonly #chunkRange: number;
  readonly #labels: Labels[] = [];
  readonly #byKey = new Map<string, number>();
  readonly #ranges = new Map<number, Map<number, SeriesInRange>>();
  #lastRef = -1;
  #lastRange = NaN;
  #last: SeriesInRange | undefined;
  #samples = 0;

  constructor(options: BackfillOptions) {
    this.#opts = options;
    this.blockDuration = compatibleBlockDuration(options.maxBlockDurationMs);
    // promtool's block writer head uses twice the block duration as its chunk range.
    this.#chunkRange = 2 * this.blockDuration;
  }

  /** samples returns how many samples were accepted. */
  get samples(): number {
    return this.#samples;
  }

  /** seriesRef returns a number identifying the label set, creating it on first sight. */
  seriesRef(labels: Labels): number {
    const k = labels.key();
    let ref = this.#byKey.get(k);
    if (ref === undefined) {
      ref = this.#labels.length;
      this.#labels.push(labels);
      this.#byKey.set(k, ref);
    }
    return ref;
  }

  /**
   * append adds a sample (t in ms). Throws OutOfOrderSampleError for a sample older than the
   * series' last one in the same block range, DuplicateSampleError for the same timestamp with
   * another value; an exact duplicate is ignored. NaN values are stored with Go's NaN bits.
   */
  append(ref: number, t: number, v: number): void {
    if (!Number.isSafeInteger(t)) throw new RangeError(`timestamp ${t} is not an integer number of ms`);
    const r = Math.floor(t / this.blockDuration);
    let s = this.#last;
    if (ref !== this.#lastRef || r !== this.#lastRange || s === undefined) {
      let m = this.#ranges.get(r);
      if (m === undefined) {
        m = new Map();
        this.#ranges.set(r, m);
      }
      s = m.get(ref);
      if (s === undefined) {
        s = new SeriesInRange(ref);
        m.set(ref, s);
      }
      this.#last = s;
      this.#lastRef = ref;
      this.#lastRange = r;
    }
    if (v !== v) {
      F64[0] = v;
      // Keep Prometheus's stale marker; any other NaN becomes Go's NaN, as promtool stores it.
      if (!(U32[1 - LO] === 0x7ff00000 && U32[LO] === 2)) v = GO_NAN;
    }
    const before = s.samples;
    s.append(t, v, this.#chunkRange);
    this.#samples += s.samples - before;
  }

  /**
   * flush writes one block per range that has samples, oldest first, calling `onBlock` after
   * each, and resolves to their metas.
   */
  async flush(onBlock?: (meta: BlockMeta) => void | Promise<void>): Promise<BlockMeta[]> {
    const out: BlockMeta[] = [];
    const ranges = [...this.#ranges.keys()].sort((a, b) => a - b);
    for (const r of ranges) {
      const m = this.#ranges.get(r)!;
      const series = [...m.values()];
      for (const s of series) s.close();
      series.sort((a, b) => this.#labels[a.ref]!.compare(this.#labels[b.ref]!));
      const w = await BlockWriter.create({
        dir: this.#opts.outputDir,
        mint: r * this.blockDuration,
        maxt: (r + 1) * this.blockDuration,
        metaMaxTime: 'data',
        ...(this.#opts.segmentSize !== undefined ? { segmentSize: this.#opts.segmentSize } : {}),
      });
      try {
        for (const s of series) await w.addSeries(this.#labels[s.ref]!, s.chunks);
      } catch (e) {
        await w.abort();
        throw e;
      }
      const meta = await w.commit();
      this.#ranges.delete(r);
      if (meta !== undefined) {
        out.push(meta);
        await onBlock?.(meta);
      }
    }
    this.#last = undefined;
    return out;
  }
}
