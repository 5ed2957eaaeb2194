/**
 * A cache of what the engine knows about its containers (name, image, labels, times, pid),
 * kept fresh by listing every so often and by the events stream, so the cgroup collector can
 * label a cycle's samples without one API call per container.
 * @module
 */
import type { ContainerMetadata, MetadataSource } from '../cgroup/index.js';
import type { ContainerDetails } from './container-info.js';
import type { DockerClient } from './docker-client.js';
import type { DockerEvent } from './docker-event.js';
import { DockerApiError } from './errors.js';

/** CachedContainer is a cache entry: the metadata the collectors use plus the inspect details. */
export interface CachedContainer extends ContainerMetadata {
  readonly details: ContainerDetails;
}

/** ContainerCacheOptions configure the cache. */
export interface ContainerCacheOptions {
  readonly client: DockerClient;
  /** How often the whole list is re-read, ms (default 30 000); events keep it current in between. */
  readonly refreshMs?: number;
  /** Called when a refresh fails; the cache keeps its entries and tries again later. */
  readonly onError?: (e: unknown) => void;
}

/**
 * ContainerCache implements MetadataSource. `run` refreshes it until the signal aborts;
 * `apply` takes events (EventsService calls it) so a started container is known before the
 * next refresh.
 */
export class ContainerCache implements MetadataSource {
  readonly #client: DockerClient;
  readonly #refreshMs: number;
  readonly #onError: ((e: unknown) => void) | undefined;
  readonly #byId = new Map<string, CachedContainer>();
  #inflight: Promise<void> | undefined;

  constructor(opts: ContainerCacheOptions) {
    this.#client = opts.client;
    this.#refreshMs = opts.refreshMs ?? 30_000;
    if (!(this.#refreshMs > 0)) throw new Error('ContainerCache: refreshMs must be positive');
    this.#onError = opts.onError;
  }

  /** get returns a container's metadata by full id. */
  get(id: string): CachedContainer | undefined {
    return this.#byId.get(id);
  }

  /** size is the number of containers known. */
  get size(): number {
    return this.#byId.size;
  }

  /** all lists the known containers. */
  all(): readonly CachedContainer[] {
    return [...this.#byId.values()];
  }

  /** refresh lists every container and inspects those not yet known or whose state changed; concurrent calls share one refresh. */
  refresh(signal?: AbortSignal): Promise<void> {
    this.#inflight ??= this.#refresh(signal).finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #refresh(signal: AbortSignal | undefined): Promise<void> {
    const list = await this.#client.listContainers({ all: true }, signal);
    const seen = new Set<string>();
    for (const s of list) {
      seen.add(s.id);
      const have = this.#byId.get(s.id);
      if (have !== undefined && have.details.state === s.state) continue;
      await this.#inspect(s.id, signal);
    }
    for (const id of [...this.#byId.keys()]) if (!seen.has(id)) this.#byId.delete(id);
  }

  async #inspect(id: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      const d = await this.#client.inspectContainer(id, signal);
      this.#byId.set(d.id, { name: d.name, image: d.image, labels: d.labels, createdMs: d.created * 1000, startedMs: d.startedAt, details: d });
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) this.#byId.delete(id);
      else throw e;
    }
  }

  /** apply updates the cache from an event: containers that start, stop or are renamed are inspected again, removed ones dropped. */
  async apply(ev: DockerEvent, signal?: AbortSignal): Promise<void> {
    if (ev.type !== 'container' || ev.actorId === '') return;
    switch (ev.action) {
      case 'destroy':
      case 'remove':
        this.#byId.delete(ev.actorId);
        return;
      case 'create':
      case 'start':
      case 'restart':
      case 'die':
      case 'stop':
      case 'kill':
      case 'oom':
      case 'rename':
      case 'update':
      case 'health_status':
        await this.#inspect(ev.actorId, signal);
        return;
      default:
        return;
    }
  }

  /** run refreshes now and then every refreshMs until signal aborts; failures go to onError. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.refresh(signal);
      } catch (e) {
        if (signal.aborted) break;
        this.#onError?.(e);
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => (clearTimeout(timer), resolve());
        const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), this.#refreshMs);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
