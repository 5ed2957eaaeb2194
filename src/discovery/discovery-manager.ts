/**
 * The discovery manager: runs the providers of every scrape job and yields the merged target
 * groups per job, throttled like Prometheus's manager (at most one update per interval).
 * @module
 */
import type { Discoverer } from './discoverer.js';
import type { SDConfig } from './sd-config.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** NewDiscoverer builds the provider for one SD config. */
export type NewDiscoverer = (config: SDConfig, job: string) => Discoverer;

/** DiscoveryManagerOptions configure a DiscoveryManager. */
export interface DiscoveryManagerOptions {
  /** SD configs per job name; a job with none still appears in every update, with no groups. */
  readonly jobs: ReadonlyMap<string, readonly SDConfig[]>;
  readonly newDiscoverer: NewDiscoverer;
  /** Minimum time between two updates; Prometheus uses 5 s. */
  readonly updateIntervalMs?: number;
  /** Called when a provider's stream fails; the provider is not restarted. */
  readonly onError?: (err: Error, job: string, config: SDConfig) => void;
}

interface Provider {
  readonly job: string;
  readonly index: number;
  readonly config: SDConfig;
  readonly groups: Map<string, TargetGroup>;
  started: boolean;
}

/** DiscoveryManager merges the target groups of all providers per job. */
export class DiscoveryManager {
  readonly #jobs: ReadonlyMap<string, readonly SDConfig[]>;
  readonly #newDiscoverer: NewDiscoverer;
  readonly #updateIntervalMs: number;
  readonly #onError: (err: Error, job: string, config: SDConfig) => void;

  constructor(options: DiscoveryManagerOptions) {
    const { jobs, newDiscoverer, updateIntervalMs = 5000, onError = () => {} } = options;
    if (!(updateIntervalMs >= 0)) throw new Error(`DiscoveryManager: updateIntervalMs must be >= 0, got ${updateIntervalMs}`);
    this.#jobs = jobs;
    this.#newDiscoverer = newDiscoverer;
    this.#updateIntervalMs = updateIntervalMs;
    this.#onError = onError;
  }

  /**
   * run starts every provider and yields the complete groups of every job: first once every
   * provider has delivered its initial set (or one interval has passed), then after changes,
   * no more often than the update interval. Ends when signal aborts, with every provider stopped.
   */
  async *run(signal: AbortSignal): AsyncIterable<ReadonlyMap<string, readonly TargetGroup[]>> {
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const wake = new Wakeup();
    const providers: Provider[] = [];
    let dirty = false;
    const pumps: Promise<void>[] = [];
    for (const [job, configs] of this.#jobs) {
      configs.forEach((config, index) => {
        const p: Provider = { job, index, config, groups: new Map(), started: false };
        providers.push(p);
        pumps.push(
          this.#pump(p, inner.signal, () => {
            dirty = true;
            wake.wake();
          }),
        );
      });
    }
    try {
      let lastSent = -Infinity;
      let sentOnce = false;
      const startedAt = Date.now();
      while (!inner.signal.aborted) {
        const allStarted = providers.every((p) => p.started);
        const now = Date.now();
        if (!sentOnce && (allStarted || now - startedAt >= this.#updateIntervalMs)) {
          sentOnce = true;
          dirty = false;
          lastSent = now;
          yield this.#snapshot(providers);
          continue;
        }
        if (sentOnce && dirty && now - lastSent >= this.#updateIntervalMs) {
          dirty = false;
          lastSent = now;
          yield this.#snapshot(providers);
          continue;
        }
        const timeout = !sentOnce ? startedAt + this.#updateIntervalMs - now : dirty ? lastSent + this.#updateIntervalMs - now : Infinity;
        if ((await wake.wait(timeout, inner.signal)) === 'abort') break;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
      await Promise.all(pumps);
    }
  }

  #snapshot(providers: readonly Provider[]): Map<string, TargetGroup[]> {
    const out = new Map<string, TargetGroup[]>();
    for (const job of this.#jobs.keys()) out.set(job, []);
    for (const p of providers) {
      const list = out.get(p.job)!;
      for (const g of p.groups.values()) if (g.targets.length > 0) list.push(g);
    }
    return out;
  }

  async #pump(p: Provider, signal: AbortSignal, changed: () => void): Promise<void> {
    try {
      const d = this.#newDiscoverer(p.config, p.job);
      for await (const groups of d.run(signal)) {
        for (const g of groups) {
          if (g.targets.length === 0) p.groups.delete(g.source);
          else p.groups.set(g.source, g);
        }
        p.started = true;
        changed();
      }
    } catch (e) {
      this.#onError(e instanceof Error ? e : new Error(String(e)), p.job, p.config);
    } finally {
      if (!p.started) {
        p.started = true;
        changed();
      }
    }
  }
}
