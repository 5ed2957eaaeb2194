/**
 * DockerLogSource: follows every container's output through the Docker Engine API
 * (`GET /containers/{id}/logs?follow=1&timestamps=1&since=…`) and ships each line with the
 * engine's timestamp, labelled with the container's name, its output stream and, for
 * Kubernetes containers, namespace, pod and container name.
 *
 * The position per container (`docker:<id>`) is the timestamp of the last line handed over
 * and how many lines carried exactly that timestamp. `since` is inclusive, and podman sends
 * whole-second timestamps, so on resume the lines at the saved timestamp are skipped up to
 * that count: a restart neither repeats nor skips a line. Containers are found by listing
 * them every `refreshIntervalMs`; one that exited is read to its end and marked done; one
 * that is removed is forgotten.
 * @module
 */
import type { Counter, Gauge, Logger, Registry } from '../../instrument/index.js';
import { NOP_LOGGER } from '../../instrument/index.js';
import { LineParser, ParsedLine } from '../../logs/parse/index.js';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import type { ContainerLogLine, ContainerSummary, LogsQuery } from '../docker/index.js';
import { ParsedStreams, type LogSink } from '../ship/index.js';
import { ContainerLogsOptionError } from './errors.js';

/** ContainerLogClient is what the source needs of the Docker client (docker/DockerClient fits). */
export interface ContainerLogClient {
  listContainers(q: { readonly all?: boolean }, signal?: AbortSignal): Promise<ContainerSummary[]>;
  logs(id: string, q: LogsQuery, signal?: AbortSignal): AsyncIterable<ContainerLogLine>;
}

/** DockerLogSourceOptions configure a DockerLogSource. */
export interface DockerLogSourceOptions {
  readonly client: ContainerLogClient;
  readonly sink: LogSink;
  /** Labels of every stream (default `job="docker"`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** How often containers are listed (default 5 s). */
  readonly refreshIntervalMs?: number;
  /** For containers already running at the agent's very first start: all their output (`beginning`) or new output only (`end`, default). */
  readonly startAt?: 'beginning' | 'end';
  /** Which containers to follow (default: all but those labelled `vigil.logs=false`). */
  readonly include?: (c: ContainerSummary) => boolean;
  /** Put the level found in a line in a `level` label (default true). */
  readonly levelLabel?: boolean;
  /** Delay before following a container again after its stream failed (default 2 s). */
  readonly retryMs?: number;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

/** ContainerLogPosition is the saved position of one container. */
export interface ContainerLogPosition {
  /** Unix ms and ns past it of the last line handed over. */
  t: number;
  ns: number;
  /** Lines handed over with exactly this timestamp. */
  n: number;
  /** The container had exited and its output was read to the end. */
  done?: boolean;
}

interface Follow {
  readonly ac: AbortController;
  running: boolean;
  task: Promise<void>;
}

const OPT_OUT = 'vigil.logs';

/** DockerLogSource is a Service shipping container output. */
export class DockerLogSource {
  readonly name = 'docker-logs';
  readonly #client: ContainerLogClient;
  readonly #sink: LogSink;
  readonly #labels: Readonly<Record<string, string>>;
  readonly #refreshMs: number;
  readonly #startAt: 'beginning' | 'end';
  readonly #include: (c: ContainerSummary) => boolean;
  readonly #levelLabel: boolean;
  readonly #retryMs: number;
  readonly #parser = new LineParser();
  readonly #log: Logger;
  readonly #follows = new Map<string, Follow>();
  readonly #failedAt = new Map<string, number>();
  readonly #m: { lines: Counter; containers: Gauge; errors: Counter } | undefined;
  #firstStart = 0;

  constructor(options: DockerLogSourceOptions) {
    const { client, sink, labels = { job: 'docker' }, refreshIntervalMs = 5000, startAt = 'end', include = (c) => c.labels[OPT_OUT] !== 'false', levelLabel = true, retryMs = 2000, registry, logger = NOP_LOGGER } = options;
    if (!(refreshIntervalMs > 0)) throw new ContainerLogsOptionError('refreshIntervalMs', `must be positive, got ${refreshIntervalMs}`);
    if (startAt !== 'beginning' && startAt !== 'end') throw new ContainerLogsOptionError('startAt', `must be "beginning" or "end", got "${String(startAt)}"`);
    if (!(retryMs >= 0)) throw new ContainerLogsOptionError('retryMs', `must be ≥ 0, got ${retryMs}`);
    this.#client = client;
    this.#sink = sink;
    this.#labels = labels;
    this.#refreshMs = refreshIntervalMs;
    this.#startAt = startAt;
    this.#include = include;
    this.#levelLabel = levelLabel;
    this.#retryMs = retryMs;
    this.#log = logger.with({ component: 'docker-logs' });
    this.#m =
      registry === undefined
        ? undefined
        : {
            lines: registry.counter({ name: 'vigil_agent_container_log_lines_total', help: 'Container output lines read through the Docker API.' }).labels(),
            containers: registry.gauge({ name: 'vigil_agent_container_log_streams', help: 'Containers whose output is being followed.' }).labels(),
            errors: registry.counter({ name: 'vigil_agent_container_log_errors_total', help: 'Container log streams that failed.' }).labels(),
          };
  }

  /** following lists the ids of the containers being followed. */
  following(): readonly string[] {
    return [...this.#follows.keys()];
  }

  /** run follows containers until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const startedKey = 'docker:started';
    const started = this.#sink.position(startedKey);
    if (typeof started === 'number') this.#firstStart = started;
    else {
      this.#firstStart = Date.now();
      this.#sink.mark(startedKey, this.#firstStart);
    }
    try {
      while (!signal.aborted) {
        try {
          await this.refresh(signal);
        } catch (e) {
          if (signal.aborted) break;
          this.#log.warn('listing containers failed', { err: (e as Error).message });
        }
        await sleep(this.#refreshMs, signal);
      }
    } finally {
      for (const f of this.#follows.values()) f.ac.abort();
      await Promise.allSettled([...this.#follows.values()].map((f) => f.task));
      this.#follows.clear();
    }
  }

  /** refresh lists the containers once and starts or stops following them. */
  async refresh(signal: AbortSignal): Promise<void> {
    const list = await this.#client.listContainers({ all: true }, signal);
    const present = new Set<string>();
    for (const c of list) {
      present.add(c.id);
      if (!this.#include(c)) continue;
      const running = c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
      const f = this.#follows.get(c.id);
      if (f !== undefined) continue;
      const pos = this.#position(c.id);
      if (!running && (pos?.done === true || (pos === undefined && c.created * 1000 < this.#firstStart))) continue;
      const failed = this.#failedAt.get(c.id);
      if (failed !== undefined && Date.now() - failed < this.#retryMs) continue;
      this.#start(c, running, signal);
    }
    // Removed containers: stop and forget.
    const prefix = 'docker:';
    for (const src of this.#sink.sources()) {
      if (!src.startsWith(prefix) || src === 'docker:started') continue;
      const id = src.slice(prefix.length);
      if (present.has(id)) continue;
      this.#follows.get(id)?.ac.abort();
      this.#sink.mark(src, null);
    }
    this.#m?.containers.set(this.#follows.size);
  }

  #position(id: string): ContainerLogPosition | undefined {
    const p = this.#sink.position(`docker:${id}`) as Partial<ContainerLogPosition> | undefined;
    if (p === undefined || typeof p.t !== 'number' || typeof p.ns !== 'number' || typeof p.n !== 'number') return undefined;
    return { t: p.t, ns: p.ns, n: p.n, done: p.done === true };
  }

  #start(c: ContainerSummary, running: boolean, outer: AbortSignal): void {
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    outer.addEventListener('abort', stop, { once: true });
    const f: Follow = { ac, running, task: Promise.resolve() };
    this.#follows.set(c.id, f);
    f.task = this.#follow(c, running, ac.signal)
      .catch((e: unknown) => {
        if (ac.signal.aborted) return;
        this.#m?.errors.inc();
        this.#failedAt.set(c.id, Date.now());
        this.#log.warn('following container output failed', { container: c.name, err: (e as Error).message });
      })
      .finally(() => {
        outer.removeEventListener('abort', stop);
        if (this.#follows.get(c.id) === f) this.#follows.delete(c.id);
        this.#m?.containers.set(this.#follows.size);
      });
  }

  async #follow(c: ContainerSummary, running: boolean, signal: AbortSignal): Promise<void> {
    const id = `docker:${c.id}`;
    const saved = this.#position(c.id);
    const pos: ContainerLogPosition = saved === undefined ? { t: 0, ns: 0, n: 0 } : { t: saved.t, ns: saved.ns, n: saved.n };
    let since: string | undefined;
    if (saved !== undefined) since = sinceText(saved.t, saved.ns);
    else if (this.#startAt === 'end' && c.created * 1000 < this.#firstStart) since = sinceText(Date.now(), 0);
    const streams = new ParsedStreams({ sink: this.#sink, labels: containerLabels(c, this.#labels), levelLabel: this.#levelLabel });
    const fields: Readonly<Record<string, string>> = { container_id: c.id };
    const p = new ParsedLine();
    let skipping = saved !== undefined;
    let skipped = 0;
    const q: LogsQuery = since === undefined ? { follow: running, timestamps: true } : { follow: running, timestamps: true, since };
    for await (const l of this.#client.logs(c.id, q, signal)) {
      if (skipping) {
        const cmp = l.t !== pos.t ? l.t - pos.t : l.ns - pos.ns;
        if (cmp < 0) continue;
        if (cmp === 0 && skipped < pos.n) {
          skipped++;
          continue;
        }
        skipping = false;
      }
      if (l.t === pos.t && l.ns === pos.ns) pos.n++;
      else {
        pos.t = l.t;
        pos.ns = l.ns;
        pos.n = 1;
      }
      this.#parser.parse(l.line, l.t, p);
      p.line = l.line;
      p.t = l.t;
      p.ns = l.ns;
      p.stream = l.stream;
      p.host = p.unit = p.identifier = p.container = '';
      p.fields = fields;
      streams.add(p);
      // The same object each time: the shipper copies it when it seals a batch.
      this.#sink.mark(id, pos);
      this.#m?.lines.inc();
    }
    if (signal.aborted) return;
    if (!running) {
      pos.done = true;
      this.#sink.mark(id, pos);
    } else {
      this.#log.debug('container output stream ended', { container: c.name });
    }
  }
}

/** containerLabels are a container's stream labels: its name, and Kubernetes' namespace, pod and container when present. */
export function containerLabels(c: ContainerSummary, base: Readonly<Record<string, string>>): Labels {
  const b = new LabelsBuilder();
  const k = c.labels;
  const ns = k['io.kubernetes.pod.namespace'];
  const pod = k['io.kubernetes.pod.name'];
  const name = k['io.kubernetes.container.name'];
  if (ns !== undefined && pod !== undefined) {
    b.set('namespace', ns);
    b.set('pod', pod);
    b.set('container', name ?? c.name);
  } else {
    b.set('container', c.name);
  }
  for (const [n, v] of Object.entries(base)) b.set(n, v);
  return b.labels();
}

/** sinceText formats a time as the API's `since`: Unix seconds with nine fractional digits. */
export function sinceText(t: number, ns: number): string {
  const s = Math.floor(t / 1000);
  const frac = (t - s * 1000) * 1_000_000 + ns;
  return `${s}.${String(frac).padStart(9, '0')}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
