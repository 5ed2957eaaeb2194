/**
 * The discovery manager: runs the providers of every scrape job and yields the merged target
 * groups per job, throttled like Prometheus's manager (at most one update per interval).
 * A reload (applyConfig) keeps the providers whose configuration did not change.
 * @module
 */
import { Labels } from '../model/index.js';
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
  /** Called when a provider's stream fails; the provider is not restarted until its config changes. */
  readonly onError?: (err: Error, job: string, config: SDConfig) => void;
}

interface Provider {
  readonly key: string;
  readonly job: string;
  readonly config: SDConfig;
  readonly groups: Map<string, TargetGroup>;
  readonly abort: AbortController;
  readonly createdAt: number;
  started: boolean;
  done: Promise<void> | undefined;
}

// Identity of a provider: its job and its config, with label sets compared by content.
function providerKey(job: string, config: SDConfig, n: number): string {
  return `${job}\u0000${n}\u0000${JSON.stringify(config, (_k, v: unknown) => (v instanceof Labels ? v.key() : v))}`;
}

/** DiscoveryManager merges the target groups of all providers per job. */
export class DiscoveryManager {
  #jobs: ReadonlyMap<string, readonly SDConfig[]>;
  readonly #newDiscoverer: NewDiscoverer;
  readonly #updateIntervalMs: number;
  readonly #onError: (err: Error, job: string, config: SDConfig) => void;
  #providers = new Map<string, Provider>();
  #running: { signal: AbortSignal; changed: () => void } | undefined;

  constructor(options: DiscoveryManagerOptions) {
    const { jobs, newDiscoverer, updateIntervalMs = 5000, onError = () => {} } = options;
    if (!(updateIntervalMs >= 0)) throw new Error(`DiscoveryManager: updateIntervalMs must be >= 0, got ${updateIntervalMs}`);
    this.#jobs = jobs;
    this.#newDiscoverer = newDiscoverer;
    this.#updateIntervalMs = updateIntervalMs;
    this.#onError = onError;
  }

  /**
   * applyConfig replaces the jobs. Providers whose job and config are unchanged keep running
   * (and keep their targets); the others stop or start. While running, the next update follows.
   */
  applyConfig(jobs: ReadonlyMap<string, readonly SDConfig[]>): void {
    this.#jobs = jobs;
    if (this.#running !== undefined) {
      this.#reconcile(this.#running.signal, this.#running.changed);
      this.#running.changed();
    }
  }

  #reconcile(signal: AbortSignal, changed: () => void): void {
    const next = new Map<string, Provider>();
    for (const [job, configs] of this.#jobs) {
      const seen = new Map<string, number>();
      for (const config of configs) {
        const base = providerKey(job, config, 0);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        const key = providerKey(job, config, n);
        const old = this.#providers.get(key);
        if (old !== undefined) {
          next.set(key, old);
          continue;
        }
        const p: Provider = { key, job, config, groups: new Map(), abort: new AbortController(), createdAt: Date.now(), started: false, done: undefined };
        const onAbort = (): void => p.abort.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        p.done = this.#pump(p, changed).finally(() => signal.removeEventListener('abort', onAbort));
        next.set(key, p);
      }
    }
    for (const [key, p] of this.#providers) if (!next.has(key)) p.abort.abort();
    this.#providers = next;
  }

  /**
   * run starts every provider and yields the complete groups of every job: first once every
   * provider has delivered its initial set (or one interval has passed), then after changes,
   * no more often than the update interval. Ends when signal aborts, with every provider stopped.
   * A manager runs at most once at a time.
   */
  async *run(signal: AbortSignal): AsyncIterable<ReadonlyMap<string, readonly TargetGroup[]>> {
    if (this.#running !== undefined) throw new Error('DiscoveryManager: already running');
    const wake = new Wakeup();
    let dirty = false;
    const changed = (): void => {
      dirty = true;
      wake.wake();
    };
    this.#running = { signal, changed };
    this.#reconcile(signal, changed);
    const stopped: Promise<void>[] = [];
    try {
      let lastSent = -Infinity;
      let sentOnce = false;
      const startedAt = Date.now();
      while (!signal.aborted) {
        const providers = [...this.#providers.values()];
        const now = Date.now();
        if (!sentOnce && (providers.every((p) => p.started) || now - startedAt >= this.#updateIntervalMs)) {
          sentOnce = true;
          dirty = false;
          lastSent = now;
          yield this.#snapshot();
          continue;
        }
        // After a reload, hold the update (up to one interval) until new providers have delivered,
        // so their jobs do not flap to zero targets.
        const waiting = providers.filter((p) => !p.started && now - p.createdAt < this.#updateIntervalMs);
        if (sentOnce && dirty && now - lastSent >= this.#updateIntervalMs && waiting.length === 0) {
          dirty = false;
          lastSent = now;
          yield this.#snapshot();
          continue;
        }
        let timeout: number;
        if (!sentOnce) timeout = startedAt + this.#updateIntervalMs - now;
        else if (!dirty) timeout = Infinity;
        // A waiting provider wakes the loop when it delivers; otherwise its grace period ends.
        else if (waiting.length > 0) timeout = Math.min(...waiting.map((p) => p.createdAt + this.#updateIntervalMs - now));
        else timeout = lastSent + this.#updateIntervalMs - now;
        if ((await wake.wait(timeout, signal)) === 'abort') break;
      }
    } finally {
      this.#running = undefined;
      for (const p of this.#providers.values()) {
        p.abort.abort();
        if (p.done !== undefined) stopped.push(p.done);
      }
      this.#providers = new Map();
      await Promise.all(stopped);
    }
  }

  #snapshot(): Map<string, TargetGroup[]> {
    const out = new Map<string, TargetGroup[]>();
    for (const job of this.#jobs.keys()) out.set(job, []);
    for (const p of this.#providers.values()) {
      const list = out.get(p.job);
      if (list === undefined) continue;
      for (const g of p.groups.values()) if (g.targets.length > 0) list.push(g);
    }
    return out;
  }

  async #pump(p: Provider, changed: () => void): Promise<void> {
    try {
      const d = this.#newDiscoverer(p.config, p.job);
      for await (const groups of d.run(p.abort.signal)) {
        for (const g of groups) {
          if (g.targets.length === 0) p.groups.delete(g.source);
          else p.groups.set(g.source, g);
        }
        p.started = true;
        changed();
      }
    } catch (e) {
      if (!p.abort.signal.aborted) this.#onError(e instanceof Error ? e : new Error(String(e)), p.job, p.config);
    } finally {
      if (!p.started) {
        p.started = true;
        changed();
      }
    }
  }
}
