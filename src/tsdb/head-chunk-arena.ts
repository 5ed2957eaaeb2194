/**
 * Storage for the head's closed chunks: their bytes are copied into large shared buffers
 * instead of one typed array each, which in V8 would cost some 200 bytes of bookkeeping per
 * chunk on top of its ~150 bytes of data. A buffer is dropped once every chunk in it is freed;
 * views handed to queries keep a dropped buffer alive until they are collected, so a reader
 * never sees bytes change.
 * @module
 */

/** CHUNK_ARENA_BUFFER_SIZE is the size of one arena buffer (1 MiB). */
export const CHUNK_ARENA_BUFFER_SIZE = 1 << 20;
const SLOT = 2 ** 24; // refs are slot * 2^24 + offset

/** ChunkArena allocates immutable byte strings (closed chunks) in shared buffers. */
export class ChunkArena {
  readonly #size: number;
  readonly #bufs: (Uint8Array | undefined)[] = [];
  readonly #live: number[] = [];
  readonly #freeSlots: number[] = [];
  #cur = -1;
  #off = 0;
  #allocated = 0;

  constructor(options: { readonly bufferSize?: number } = {}) {
    const { bufferSize = CHUNK_ARENA_BUFFER_SIZE } = options;
    if (!Number.isInteger(bufferSize) || bufferSize < 64 || bufferSize > SLOT) {
      throw new RangeError(`ChunkArena bufferSize must be an integer in [64, 2^24], got ${bufferSize}`);
    }
    this.#size = bufferSize;
  }

  /** alloc copies `data` into the arena and returns its ref. */
  alloc(data: Uint8Array): number {
    const len = data.length;
    if (len > this.#size) {
      // Larger than a buffer: a buffer of its own.
      const slot = this.#newSlot(len);
      this.#bufs[slot]!.set(data);
      this.#live[slot] = len;
      return slot * SLOT;
    }
    if (this.#cur < 0 || this.#off + len > this.#size) {
      if (this.#cur >= 0) this.#maybeDrop(this.#cur, true);
      this.#cur = this.#newSlot(this.#size);
      this.#off = 0;
    }
    const ref = this.#cur * SLOT + this.#off;
    this.#bufs[this.#cur]!.set(data, this.#off);
    this.#off += len;
    this.#live[this.#cur]! += len;
    return ref;
  }

  /** get returns a view of `len` bytes at ref (valid for as long as the caller holds it). */
  get(ref: number, len: number): Uint8Array {
    const slot = Math.floor(ref / SLOT);
    const off = ref - slot * SLOT;
    return this.#bufs[slot]!.subarray(off, off + len);
  }

  /** free releases `len` bytes at ref; the ref is invalid afterwards. */
  free(ref: number, len: number): void {
    const slot = Math.floor(ref / SLOT);
    this.#live[slot]! -= len;
    this.#maybeDrop(slot, false);
  }

  /** bytes returns the size of the buffers held. */
  bytes(): number {
    return this.#allocated;
  }

  /** liveBytes returns the bytes of chunks not yet freed. */
  liveBytes(): number {
    let n = 0;
    for (const l of this.#live) n += l;
    return n;
  }

  #newSlot(size: number): number {
    const slot = this.#freeSlots.pop() ?? this.#bufs.length;
    this.#bufs[slot] = new Uint8Array(size);
    this.#live[slot] = 0;
    this.#allocated += size;
    return slot;
  }

  #maybeDrop(slot: number, retiring: boolean): void {
    if (this.#live[slot] !== 0) return;
    // The buffer being filled stays until it is full (its bytes are never rewritten: views
    // handed out earlier may still read them).
    if (slot === this.#cur && !retiring) return;
    if (slot === this.#cur) this.#cur = -1;
    this.#allocated -= this.#bufs[slot]!.length;
    this.#bufs[slot] = undefined;
    this.#freeSlots.push(slot);
  }
}
