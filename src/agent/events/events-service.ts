/**
 * Follows the engine's events stream for as long as the agent runs: counts every event,
 * hands it to the event sink as a log entry, and keeps the container cache current. A broken
 * stream is reopened after a backoff from where it stopped (`since` the last event's second,
 * with the events of that second already seen skipped), so neither a restart of the engine
 * nor a dropped connection loses or repeats an event.
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Counter, Family, Gauge, Registry } from '../../instrument/index.js';
import { containerOf, type OomEvent } from '../cgroup/index.js';
import { DockerApiError, type ContainerCache, type DockerClient, type DockerEvent } from '../docker/index.js';
import { eventFields, eventLine, type EventEntry, type EventSink } from './event-entry.js';

/** EventsServiceOptions configure the service. */
export interface EventsServiceOptions {
  readonly client: DockerClient;
  readonly sink?: EventSink;
  readonly cache?: ContainerCache;
  readonly registry?: Registry;
  /** Host label of the entries (default os.hostname()). */
  readonly host?: string;
  /** `source` stream label; by default `docker` or `podman` as the engine's /version says. */
  readonly source?: string;
  /** Engine-side filters (default: every event). */
  readonly filters?: Readonly<Record<string, readonly string[]>>;
  /** First reconnect delay, ms (default 500); doubles up to reconnectMaxMs (default 30 000). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Unix ms to start from on the first connection (default: now, so history is not replayed). */
  readonly sinceMs?: number;
  /**
   * File that keeps the position (the last second handled and its events' keys) across
   * restarts: when it exists the stream resumes there, so events that happened while the agent
   * was down are delivered, and none twice. Written at most every positionWriteMs (default 1000)
   * and when run ends.
   */
  readonly positionFile?: string;
  readonly positionWriteMs?: number;
  readonly onError?: (e: unknown) => void;
  readonly now?: () => number;
}

/** EventsService turns the engine's events into counters and entries; run it as a service. */
export class EventsService {
  readonly #client: DockerClient;
  readonly #sink: EventSink | undefined;
  readonly #cache: ContainerCache | undefined;
  readonly #host: string;
  #source: string | undefined;
  readonly #filters: Readonly<Record<string, readonly string[]>> | undefined;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #onError: ((e: unknown) => void) | undefined;
  readonly #now: () => number;
  readonly #events: Family<Counter> | undefined;
  readonly #connected: Gauge | undefined;
  readonly #reconnects: Counter | undefined;
  /** The second of the newest event handled, and the keys of the events handled in it. */
  #lastSec = -1;
  readonly #seenInSecond = new Set<string>();
  #sinceSec: number;
  readonly #positionFile: string | undefined;
  readonly #positionWriteMs: number;
  #positionTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: EventsServiceOptions) {
    this.#client = opts.client;
    this.#sink = opts.sink;
    this.#cache = opts.cache;
    this.#host = opts.host ?? hostname();
    this.#source = opts.source;
    this.#filters = opts.filters;
    this.#minMs = opts.reconnectMinMs ?? 500;
    this.#maxMs = opts.reconnectMaxMs ?? 30_000;
    if (!(this.#minMs > 0) || !(this.#maxMs >= this.#minMs)) throw new Error('EventsService: need 0 < reconnectMinMs <= reconnectMaxMs');
    this.#onError = opts.onError;
    this.#now = opts.now ?? Date.now;
    this.#sinceSec = Math.floor((opts.sinceMs ?? this.#now()) / 1000);
    this.#positionFile = opts.positionFile;
    this.#positionWriteMs = opts.positionWriteMs ?? 1000;
    if (this.#positionFile !== undefined) this.#loadPosition(this.#positionFile);
    const r = opts.registry;
    this.#events = r?.counter({ name: 'vigil_container_events_total', help: 'Container engine events received, by object type and action (kernel OOM kills as type container, action oom_kill).', labelNames: ['type', 'action'] });
    this.#connected = r?.gauge({ name: 'vigil_container_events_connected', help: 'Whether the agent is connected to the container engine events stream.' }).labels();
    this.#reconnects = r?.counter({ name: 'vigil_container_events_reconnects_total', help: 'Times the container engine events stream was reopened after it broke.' }).labels();
  }

  /** run follows the stream until signal aborts; it never rejects on engine errors (they go to onError and are retried). */
  async run(signal: AbortSignal): Promise<void> {
    let delay = this.#minMs;
    let first = true;
    while (!signal.aborted) {
      if (!first) this.#reconnects?.inc();
      first = false;
      try {
        if (this.#source === undefined) this.#source = await this.#detectSource(signal);
        this.#connected?.set(1);
        for await (const ev of this.#client.events({ since: this.#sinceSec, filters: this.#filters }, signal)) {
          delay = this.#minMs;
          await this.handle(ev, signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        this.#onError?.(e);
      } finally {
        this.#connected?.set(0);
      }
      if (signal.aborted) break;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.#maxMs);
    }
    this.#savePosition();
  }

  // loadPosition resumes from a position file; a missing or unreadable one starts afresh.
  #loadPosition(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    try {
      const p = JSON.parse(text) as { sec?: unknown; keys?: unknown };
      if (typeof p.sec !== 'number' || !Number.isSafeInteger(p.sec) || p.sec < 0 || !Array.isArray(p.keys)) throw new Error('want {"sec": <unix seconds>, "keys": [...]}');
      this.#lastSec = p.sec;
      this.#sinceSec = p.sec;
      this.#seenInSecond.clear();
      for (const k of p.keys) if (typeof k === 'string') this.#seenInSecond.add(k);
    } catch (e) {
      this.#onError?.(new Error(`events position file ${file} ignored: ${(e as Error).message}`));
    }
  }

  // schedulePosition writes the position soon (coalescing bursts of events).
  #schedulePosition(): void {
    if (this.#positionFile === undefined || this.#positionTimer !== undefined) return;
    this.#positionTimer = setTimeout(() => this.#savePosition(), this.#positionWriteMs);
    this.#positionTimer.unref?.();
  }

  #savePosition(): void {
    if (this.#positionTimer !== undefined) clearTimeout(this.#positionTimer);
    this.#positionTimer = undefined;
    const file = this.#positionFile;
    if (file === undefined || this.#lastSec < 0) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ sec: this.#lastSec, keys: [...this.#seenInSecond] }));
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      this.#onError?.(e);
    }
  }

  /** handle processes one event (skipping one already handled before a reconnect). */
  async handle(ev: DockerEvent, signal?: AbortSignal): Promise<void> {
    if (!this.#fresh(ev)) return;
    this.#events?.labels(ev.type || 'unknown', ev.action || 'unknown').inc();
    if (this.#cache !== undefined) {
      try {
        await this.#cache.apply(ev, signal);
      } catch (e) {
        this.#onError?.(e);
      }
    }
    if (this.#sink === undefined) return this.#schedulePosition();
    const name = ev.attributes.name ?? (ev.type === 'container' ? this.#cache?.get(ev.actorId)?.name : undefined) ?? '';
    const core = { type: ev.type, action: ev.action, action_detail: ev.actionDetail, id: ev.actorId, name, image: ev.attributes.image ?? '', scope: ev.scope, time_nano: ev.timeNano };
    const stream: Record<string, string> = { source: this.#source ?? 'docker', host: this.#host, type: ev.type };
    if (ev.type === 'container' && name !== '') stream.container = name;
    await this.#emit({ stream, t: ev.t, ns: ev.ns, line: eventLine(core, ev.attributes), fields: eventFields(core, ev.attributes) });
    this.#schedulePosition();
  }

  /** handleOom reports an OOM kill read from the kernel log as an event of its container. */
  async handleOom(e: OomEvent): Promise<void> {
    this.#events?.labels('container', 'oom_kill').inc();
    if (this.#sink === undefined) return;
    const ref = containerOf(e.cgroupPath);
    const md = ref !== undefined ? this.#cache?.get(ref.id) : undefined;
    const attrs = { task: e.task, pid: String(e.pid), constraint: e.constraint, cgroup: e.cgroupPath, oom_cgroup: e.oomCgroupPath };
    const core = { type: 'container', action: 'oom_kill', action_detail: '', id: ref?.id ?? '', name: md?.name ?? '', image: md?.image ?? '', scope: 'local', time_nano: '' };
    const stream: Record<string, string> = { source: 'kernel', host: this.#host, type: 'container' };
    if (core.name !== '') stream.container = core.name;
    await this.#emit({ stream, t: e.t, ns: 0, line: eventLine(core, attrs), fields: eventFields(core, attrs) });
  }

  async #emit(entry: EventEntry): Promise<void> {
    try {
      await this.#sink!.emit(entry);
    } catch (e) {
      this.#onError?.(e);
    }
  }

  /**
   * fresh tells whether an event was not handled yet, and remembers it. The engine sends
   * events in time order and `since` has whole-second resolution, so a reopened stream
   * repeats at most the events of the last second handled: those are recognised by key.
   */
  #fresh(ev: DockerEvent): boolean {
    const sec = Math.floor(ev.t / 1000);
    if (sec < this.#lastSec) return false;
    const key = `${ev.timeNano}|${ev.type}|${ev.action}|${ev.actorId}`;
    if (sec > this.#lastSec) {
      this.#lastSec = sec;
      this.#seenInSecond.clear();
    } else if (this.#seenInSecond.has(key)) {
      return false;
    }
    this.#seenInSecond.add(key);
    this.#sinceSec = Math.max(this.#sinceSec, sec);
    return true;
  }

  async #detectSource(signal: AbortSignal): Promise<string> {
    try {
      const v = await this.#client.version(signal);
      return JSON.stringify(v).includes('Podman') ? 'podman' : 'docker';
    } catch (e) {
      // An engine that answers but has no /version is taken for Docker; an unreachable one is retried.
      if (e instanceof DockerApiError) return 'docker';
      throw e;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
