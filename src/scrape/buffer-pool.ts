/**
 * A pool of body buffers shared by the scrapes of one job, in power-of-two size classes, so
 * that memory follows the number of scrapes in flight rather than the number of targets (as
 * Prometheus's scrape buffer pool does).
 * @module
 */

const MIN_CLASS = 12; // 4 KiB

/** BufferPool hands out Buffers of at least a requested size and takes them back. */
export class BufferPool {
  readonly #free: Buffer[][] = [];
  readonly #maxPerClass: number;

  constructor(options: { readonly maxPerClass?: number } = {}) {
    const { maxPerClass = 4 } = options;
    if (!(maxPerClass >= 0)) throw new Error(`BufferPool: maxPerClass must be >= 0, got ${maxPerClass}`);
    this.#maxPerClass = maxPerClass;
  }

  /** get returns a buffer of at least `size` bytes (contents unspecified). */
  get(size: number): Buffer {
    const c = sizeClass(size);
    const list = this.#free[c];
    const b = list?.pop();
    return b ?? Buffer.allocUnsafe(2 ** c);
  }

  /** put returns a buffer obtained from get(); the caller must not use it afterwards. */
  put(b: Buffer): void {
    const c = Math.log2(b.length);
    if (!Number.isInteger(c) || c < MIN_CLASS) return;
    const list = (this.#free[c] ??= []);
    if (list.length < this.#maxPerClass) list.push(b);
  }

  /** freeBytes is the memory held by free buffers. */
  get freeBytes(): number {
    let n = 0;
    for (const list of this.#free) if (list !== undefined) for (const b of list) n += b.length;
    return n;
  }
}

function sizeClass(size: number): number {
  let c = MIN_CLASS;
  while (2 ** c < size) c++;
  return c;
}
