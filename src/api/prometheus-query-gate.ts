/**
 * The query queue (`--query.max-concurrency`): at most N queries evaluate at once, the rest
 * wait in arrival order. Waiting counts against a query's timeout, and a query whose deadline
 * passes in the queue fails as Prometheus's does ("query timed out in query queue").
 * @module
 */
import { QueryCanceledError, QueryTimeoutError } from '../promql/index.js';

interface Waiter {
  readonly grant: () => void;
}

/** QueryGateOptions configure a QueryGate. */
export interface QueryGateOptions {
  /** How many queries may run at once (default 20, Prometheus's). */
  readonly maxConcurrent?: number;
}

/** QueryGate admits queries into evaluation. */
export class QueryGate {
  readonly #max: number;
  #running = 0;
  readonly #queue: Waiter[] = [];

  constructor(options: QueryGateOptions = {}) {
    const { maxConcurrent = 20 } = options;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new Error(`QueryGateOptions.maxConcurrent must be a positive integer, got ${maxConcurrent}`);
    this.#max = maxConcurrent;
  }

  /** running is how many queries hold a slot. */
  get running(): number {
    return this.#running;
  }

  /** waiting is how many queries are queued. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * acquire resolves with a release function once a slot is free. `deadline` is in
   * performance.now() ms; it rejects with QueryTimeoutError when the deadline passes while
   * waiting (at once for -Infinity; a free slot is granted to any other deadline) and with
   * QueryCanceledError when `signal` aborts.
   */
  acquire(deadline: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(new QueryCanceledError('query queue', { cause: signal.reason }));
    if (deadline === -Infinity) return Promise.reject(new QueryTimeoutError('query queue'));
    if (this.#running < this.#max && this.#queue.length === 0) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          this.#running++;
          resolve(this.#releaser());
        },
      };
      const onAbort = (): void => {
        cleanup();
        reject(new QueryCanceledError('query queue', { cause: signal?.reason }));
      };
      timer = setTimeout(() => {
        cleanup();
        reject(new QueryTimeoutError('query queue'));
      }, Math.max(0, deadline - performance.now()));
      timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#running--;
      const next = this.#queue[0];
      if (next !== undefined && this.#running < this.#max) next.grant();
    };
  }
}
