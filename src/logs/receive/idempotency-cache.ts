/**
 * IdempotencyCache: remembers the answers to recent successful requests by their
 * `Idempotency-Key`, so a sender that resends a batch it could not see acknowledged (a crash
 * between the answer and its own bookkeeping, a lost response) does not store it twice.
 * Concurrent requests with the same key wait for the first one.
 * @module
 */

/** IdempotencyCache maps keys to answers, evicting the oldest past `capacity`. */
export class IdempotencyCache<T> {
  readonly #capacity: number;
  readonly #done = new Map<string, T>();
  readonly #running = new Map<string, Promise<T>>();

  constructor(capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`IdempotencyCache capacity must be a non-negative integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** size is the number of remembered answers. */
  get size(): number {
    return this.#done.size;
  }

  /**
   * run returns the remembered answer for `key` (marked `replayed`), or runs `fn` and remembers
   * its answer when `keep(answer)` says so. A failing or unkept run is not remembered.
   */
  async run(key: string, fn: () => Promise<T>, keep: (answer: T) => boolean): Promise<{ answer: T; replayed: boolean }> {
    for (;;) {
      const done = this.#done.get(key);
      if (done !== undefined) return { answer: done, replayed: true };
      const running = this.#running.get(key);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    const p = fn();
    this.#running.set(key, p);
    try {
      const answer = await p;
      if (keep(answer) && this.#capacity > 0) {
        this.#done.set(key, answer);
        if (this.#done.size > this.#capacity) this.#done.delete(this.#done.keys().next().value!);
      }
      return { answer, replayed: false };
    } finally {
      this.#running.delete(key);
    }
  }
}
