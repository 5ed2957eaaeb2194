/**
 * Runs long-lived components together: each has `run(signal)`; when one fails or the outer
 * signal aborts, all are stopped, and the group resolves once every one has returned.
 * @module
 */

/** Service is a long-lived component that resolves after a clean stop. */
export interface Service {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

/** runGroup runs services until signal aborts or one of them fails; rethrows the first failure. */
export async function runGroup(services: readonly Service[], signal: AbortSignal): Promise<void> {
  const inner = new AbortController();
  const stop = (): void => inner.abort();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) inner.abort();
  let first: unknown;
  await Promise.all(
    services.map(async (s) => {
      try {
        await s.run(inner.signal);
        // A service that ends on its own while others still run stops the group too.
        if (!inner.signal.aborted) inner.abort();
      } catch (e) {
        if (first === undefined) first = new Error(`${s.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        inner.abort();
      }
    }),
  );
  signal.removeEventListener('abort', stop);
  if (first !== undefined) throw first;
}
