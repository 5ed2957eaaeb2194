/**
 * The node agent: host metrics, container metrics, container events and push, composed into
 * one service, with the log side's services run beside them. Pull (`exposition`) collects
 * afresh on each call, as node_exporter does; push collects every interval and sends the
 * cycle with remote write (or appends it to a storage in the same process).
 * @module
 */
import { hostname as osHostname } from 'node:os';
import { NOP_LOGGER, Registry, type Counter, type Gauge, type Logger } from '../instrument/index.js';
import { Labels, isStaleNaN } from '../model/index.js';
import { DuplicateSampleError, OutOfBoundsError, OutOfOrderSampleError, TooOldSampleError, type Appendable, type SeriesRef } from '../storage/index.js';
import { EntryKind, PromParser } from '../textparse/index.js';
import type { AgentOptions, AgentService } from './agent-options.js';
import { CgroupCollector, KmsgOomWatcher, NoCgroupsError } from './cgroup/index.js';
import { ContainerCache, DockerClient } from './docker/index.js';
import { EventsService } from './events/index.js';
import { HostCollector, MetricBatch, MetricType, renderText, sortedSampleOrder } from './host/index.js';
import { RemoteWriteSender, StalenessTracker } from './remote-write/index.js';
import { addRegistry } from './self-metrics.js';

/** Agent is the node agent; build it with options, then `run` it. */
export class Agent {
  readonly registry: Registry;
  readonly hostname: string;
  readonly host: HostCollector | undefined;
  readonly cgroups: CgroupCollector | undefined;
  readonly docker: DockerClient | undefined;
  readonly containers: ContainerCache | undefined;
  readonly events: EventsService | undefined;
  readonly oom: KmsgOomWatcher | undefined;
  readonly sender: RemoteWriteSender | undefined;
  readonly #appendable: Appendable | undefined;
  readonly #externalLabels: Readonly<Record<string, string>>;
  readonly #intervalMs: number;
  readonly #flushTimeoutMs: number;
  readonly #extra: readonly AgentService[];
  readonly #log: Logger;
  readonly #staleness = new StalenessTracker();
  readonly #cycles: Counter;
  readonly #cycleSeconds: Gauge;
  readonly #cycleSamples: Gauge;
  readonly #containersGauge: Gauge;
  #collecting: Promise<MetricBatch> | undefined;
  #cgroupsMissing = false;

  constructor(opts: AgentOptions = {}) {
    this.registry = opts.registry ?? new Registry();
    this.hostname = opts.hostname ?? osHostname();
    this.#log = (opts.logger ?? NOP_LOGGER).with({ component: 'agent' });
    this.#intervalMs = opts.intervalMs ?? 10_000;
    if (!(this.#intervalMs >= 100)) throw new Error(`Agent: intervalMs must be at least 100, got ${opts.intervalMs}`);
    this.#flushTimeoutMs = opts.flushTimeoutMs ?? 5_000;
    this.#extra = opts.extraServices ?? [];
    this.#externalLabels = opts.externalLabels ?? { instance: this.hostname, job: 'vigil-agent' };
    this.#appendable = opts.appendable;

    if (opts.host !== false) {
      const cfg = opts.host ?? {};
      this.host = new HostCollector({ ...cfg, onError: cfg.onError ?? ((e) => this.#log.warn('host collector failed', { collector: e.collector, err: e.message })) });
    }
    if (opts.docker !== false) {
      const d = opts.docker ?? {};
      this.docker = new DockerClient(d.host !== undefined ? { host: d.host } : {});
      this.containers = new ContainerCache({ client: this.docker, refreshMs: d.refreshMs, onError: (e) => this.#log.debug('container list failed', { err: errText(e) }) });
      if (d.events !== false) {
        this.events = new EventsService({
          client: this.docker,
          cache: this.containers,
          sink: opts.eventSink,
          registry: this.registry,
          host: this.hostname,
          positionFile: d.eventsPositionFile,
          onError: (e) => this.#log.debug('events stream', { err: errText(e) }),
        });
      }
    }
    if (opts.kmsg !== false) {
      this.oom = new KmsgOomWatcher({
        path: typeof opts.kmsg === 'string' ? opts.kmsg : undefined,
        onOom: (e) => {
          this.#log.info('OOM kill', { cgroup: e.cgroupPath, task: e.task, pid: e.pid });
          this.events?.handleOom(e).catch((err: unknown) => this.#log.warn('OOM event not delivered', { err: errText(err) }));
        },
      });
    }
    if (opts.cgroups !== false) {
      const c = opts.cgroups ?? {};
      this.cgroups = new CgroupCollector({
        procfs: c.procfs,
        mountinfo: c.mountinfo,
        metadata: this.containers,
        oom: this.oom,
        onError: (p, e) => this.#log.debug('container stats failed', { cgroup: p, err: errText(e) }),
      });
    }
    if (opts.remoteWrite !== undefined) {
      this.sender = new RemoteWriteSender({
        ...opts.remoteWrite,
        externalLabels: this.#externalLabels,
        registry: this.registry,
        onError: (e) => this.#log.warn('remote write failed', { status: e.status, retrying: e.recoverable, err: e.detail }),
      });
    }
    this.#cycles = this.registry.counter({ name: 'vigil_agent_collections_total', help: 'Collection cycles run (pull and push).' }).labels();
    this.#cycleSeconds = this.registry.gauge({ name: 'vigil_agent_collection_duration_seconds', help: 'Duration of the last collection cycle.' }).labels();
    this.#cycleSamples = this.registry.gauge({ name: 'vigil_agent_collection_samples', help: 'Samples produced by the last collection cycle.' }).labels();
    this.#containersGauge = this.registry.gauge({ name: 'vigil_agent_containers', help: 'Containers found in the cgroup hierarchy in the last cycle.' }).labels();
  }

  /** collect runs one cycle of every collector; concurrent calls share the cycle in flight. */
  collect(signal?: AbortSignal): Promise<MetricBatch> {
    this.#collecting ??= this.#collect(signal).finally(() => (this.#collecting = undefined));
    return this.#collecting;
  }

  async #collect(signal?: AbortSignal): Promise<MetricBatch> {
    const start = performance.now();
    const batch = new MetricBatch();
    if (this.host !== undefined) await this.host.collect(batch, signal);
    if (this.cgroups !== undefined && !this.#cgroupsMissing) {
      try {
        await this.cgroups.collect(batch);
        this.#containersGauge.set(this.cgroups.containers().length);
      } catch (e) {
        if (e instanceof NoCgroupsError) {
          this.#cgroupsMissing = true;
          this.#log.info('no cgroup hierarchy mounted: container metrics off', { err: e.message });
        } else {
          this.#log.warn('container metrics failed', { err: errText(e) });
        }
      }
    }
    this.#cycles.inc();
    this.#cycleSeconds.set((performance.now() - start) / 1000);
    this.#cycleSamples.set(batch.samples);
    return batch;
  }

  /** exposition collects now and renders host, container and self metrics in the text format 0.0.4. */
  async exposition(signal?: AbortSignal): Promise<string> {
    const batch = await this.collect(signal);
    return renderText(batch) + this.registry.expose();
  }

  /** push runs one push cycle at time t: collect, add self-metrics and staleness markers, send or append. */
  async push(t = Date.now(), signal?: AbortSignal): Promise<void> {
    const batch = await this.collect(signal);
    addRegistry(batch, this.registry);
    const stale = this.#staleness.track(batch);
    if (this.sender !== undefined) {
      this.sender.enqueue(batch, t);
      if (stale !== undefined) this.sender.enqueue(stale, t);
    }
    if (this.#appendable !== undefined) {
      await appendBatch(this.#appendable, batch, t, this.#externalLabels);
      if (stale !== undefined) await appendBatch(this.#appendable, stale, t, this.#externalLabels);
    }
  }

  /**
   * run works until signal aborts: engine cache and events, the kernel-log watcher, the push
   * loop and sender, and the extra services. When one of them fails the others are stopped
   * and the failure is rethrown. Queued samples get flushTimeoutMs to be sent on the way out.
   */
  async run(signal: AbortSignal): Promise<void> {
    const inner = new AbortController();
    const stop = (): void => inner.abort();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) inner.abort();
    const services: AgentService[] = [...this.#extra];
    if (this.containers !== undefined) services.push({ name: 'container-cache', run: (s) => this.containers!.run(s) });
    if (this.events !== undefined) services.push({ name: 'container-events', run: (s) => this.events!.run(s) });
    if (this.oom !== undefined) {
      services.push({
        name: 'kmsg-oom',
        run: async (s) => {
          try {
            await this.oom!.run(s);
          } catch (e) {
            // Without /dev/kmsg (no permission, a container) OOM kills are still counted from the cgroup files.
            this.#log.info('kernel log not readable: OOM kills counted from cgroup files only', { err: errText(e) });
          }
        },
      });
    }
    if (this.sender !== undefined) services.push({ name: 'remote-write', run: (s) => this.sender!.run(s) });
    if (this.sender !== undefined || this.#appendable !== undefined) services.push({ name: 'push', run: (s) => this.#pushLoop(s) });
    let first: unknown;
    await Promise.all(
      services.map(async (svc) => {
        try {
          await svc.run(inner.signal);
        } catch (e) {
          if (first === undefined) first = new Error(`${svc.name}: ${errText(e)}`, { cause: e });
          inner.abort();
        }
      }),
    );
    signal.removeEventListener('abort', stop);
    this.cgroups?.close();
    if (this.sender !== undefined) {
      const left = await this.sender.flush(this.#flushTimeoutMs);
      if (left > 0) this.#log.warn('stopping with unsent samples', { samples: left });
    }
    if (first !== undefined) throw first;
  }

  async #pushLoop(signal: AbortSignal): Promise<void> {
    // Cycles start on multiples of the interval, so agents on many hosts align.
    while (!signal.aborted) {
      const now = Date.now();
      const next = Math.ceil((now + 1) / this.#intervalMs) * this.#intervalMs;
      await sleep(next - now, signal);
      if (signal.aborted) break;
      try {
        await this.push(next, signal);
      } catch (e) {
        if (signal.aborted) break;
        this.#log.warn('push cycle failed', { err: errText(e) });
      }
    }
  }
}

/** addExposition adds the series of a text-format exposition (the self-metrics registry) to a batch. */
export function addExposition(batch: MetricBatch, text: string): void {
  const p = new PromParser(Buffer.from(text));
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k === EntryKind.Help) help.set(p.family(), p.help());
    else if (k === EntryKind.Type) types.set(p.family(), p.type());
    else if (k === EntryKind.Series) {
      const ls = p.labels();
      const name = ls.metricName();
      const names: string[] = [];
      const values: string[] = [];
      ls.forEach((n, v) => {
        if (n !== '__name__') {
          names.push(n);
          values.push(v);
        }
      });
      const t = types.get(name);
      const type = t === 'counter' ? MetricType.counter : t === 'gauge' ? MetricType.gauge : MetricType.untyped;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      try {
        batch.add(batch.family(name, type, help.get(name) ?? help.get(base) ?? '', names), p.value(), values);
      } catch {
        // A self-metric clashing with a collected family keeps the collected one.
      }
    }
  }
}

/** appendBatch writes a batch at time t into a storage with external labels, in one transaction; samples the storage refuses are skipped. */
export async function appendBatch(appendable: Appendable, batch: MetricBatch, t: number, external: Readonly<Record<string, string>>): Promise<number> {
  const app = appendable.appender();
  let n = 0;
  try {
    for (const f of batch.families()) {
      for (const i of sortedSampleOrder(f)) {
        const obj: Record<string, string> = { ...external, __name__: f.name };
        for (let j = 0; j < f.labelNames.length; j++) {
          const v = f.labelValue(i, j);
          if (v !== '') obj[f.labelNames[j]!] = v;
          else delete obj[f.labelNames[j]!];
        }
        try {
          app.append(0 as SeriesRef | 0, Labels.fromObject(obj), t, f.value(i));
          n++;
        } catch (e) {
          // Out of order or duplicate (a restart within the interval), or a staleness marker
          // for a series the storage already closed: skip that sample, keep the batch.
          if (e instanceof OutOfOrderSampleError || e instanceof DuplicateSampleError || e instanceof OutOfBoundsError || e instanceof TooOldSampleError || isStaleNaN(f.value(i))) continue;
          throw e;
        }
      }
    }
    await app.commit();
  } catch (e) {
    await app.rollback();
    throw e;
  }
  return n;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
