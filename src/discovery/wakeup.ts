/**
 * A resettable wake-up signal for provider loops: wait for a nudge, a timeout or an abort.
 * @module
 */

/** WakeReason says why wait() returned. */
export type WakeReason = 'wake' | 'timeout' | 'abort';

/** Wakeup lets one waiter sleep until wake(), a timeout or an abort, whichever is first. */
export class Wakeup {
  #pending = false;
  #resolve: ((r: WakeReason) => void) | undefined;

  /** wake ends the current wait, or makes the next one return at once. */
  wake(): void {
    if (this.#resolve !== undefined) {
      const r = this.#resolve;
      this.#resolve = undefined;
      r('wake');
    } else {
      this.#pending = true;
    }
  }

  /** clear forgets a wake() that no wait() has seen yet. */
  clear(): void {
    this.#pending = false;
  }

  /** wait sleeps up to timeoutMs (Infinity for no timeout); never rejects. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<WakeReason> {
    if (signal.aborted) return Promise.resolve('abort');
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve('wake');
    }
    return new Promise<WakeReason>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (r: WakeReason): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#resolve = undefined;
        resolve(r);
      };
      const onAbort = (): void => done('abort');
      signal.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
      this.#resolve = done;
    });
  }
}
