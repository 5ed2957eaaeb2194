/**
 * LogForwarder: the agent's log side in one service. It owns the shipper (disk queue, state
 * under `<dataDir>/state/`) and runs the configured sources into it: journald, file globs,
 * container output through the Docker API, and the kubelet's CRI log files. Docker events
 * from the metrics side can be shipped through `eventSink`. On stop the sources end first, so
 * everything they handed over is sealed into the queue before the shipper closes it.
 * @module
 */
import { hostname } from 'node:os';
import type { Logger, Registry } from '../instrument/index.js';
import { NOP_LOGGER } from '../instrument/index.js';
import { LabelsBuilder, type Labels } from '../model/index.js';
import { DockerLogSource, criLogFiles, type ContainerLogClient, type CriLogFilesOptions, type DockerLogSourceOptions } from './containerlogs/index.js';
import { DockerClient } from './docker/index.js';
import type { EventEntry, EventSink } from './events/index.js';
import { JournalFollower, type JournalFollowerOptions } from './journald/index.js';
import { ShipOptionError, Shipper, type ShipStream, type ShipperOptions } from './ship/index.js';
import { FileTailer, type FileTailerOptions } from './tail/index.js';

type Injected = 'sink' | 'registry' | 'logger';

/** LogForwarderOptions configure a LogForwarder; every source is off unless given. */
export interface LogForwarderOptions {
  /** The agent's data directory (positions in `state/`, the queue in `log-queue/`). */
  readonly dataDir: string;
  /** Where and how to ship (the server URL, token, TLS, batching, queue cap…). */
  readonly ship: Omit<ShipperOptions, 'dataDir' | 'registry' | 'logger'>;
  /** Follow the journal. */
  readonly journald?: Omit<JournalFollowerOptions, Injected>;
  /** Follow files; each tailer needs its own `sourcePrefix` when there are several. */
  readonly files?: readonly Omit<FileTailerOptions, Injected>[];
  /** Follow container output through the Docker API (`host` is a DOCKER_HOST value; default from the environment). */
  readonly docker?: Omit<DockerLogSourceOptions, Injected | 'client'> & { readonly client?: ContainerLogClient; readonly host?: string };
  /** Follow the kubelet's CRI log files. */
  readonly cri?: Omit<CriLogFilesOptions, Injected>;
  /** `host` label of every stream that has none (default os.hostname(); '' for none). */
  readonly host?: string;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

interface Source {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

/** LogForwarder is a Service running the shipper and the log sources. */
export class LogForwarder {
  readonly name = 'log-forwarder';
  readonly shipper: Shipper;
  readonly sources: readonly Source[];
  readonly #log: Logger;
  readonly #eventStreams = new Map<string, ShipStream>();

  constructor(options: LogForwarderOptions) {
    const { dataDir, ship, journald, files = [], docker, cri, host = hostname(), registry, logger = NOP_LOGGER } = options;
    const labels: Record<string, string> = { ...(ship.labels ?? {}) };
    if (host !== '' && labels.host === undefined) labels.host = host;
    this.shipper = new Shipper({ ...ship, labels, dataDir, registry, logger });
    const common = { sink: this.shipper, registry, logger };
    const sources: Source[] = [];
    if (journald !== undefined) sources.push(new JournalFollower({ ...journald, ...common }));
    const prefixes = new Set<string>();
    for (const f of files) {
      const p = f.sourcePrefix ?? 'file';
      if (prefixes.has(p)) throw new ShipOptionError('files', `two tailers share the source prefix "${p}"; give each its own sourcePrefix`);
      prefixes.add(p);
      sources.push(new FileTailer({ ...f, ...common }));
    }
    if (docker !== undefined) {
      const { client, host: dockerHost, ...rest } = docker;
      sources.push(new DockerLogSource({ ...rest, client: client ?? new DockerClient(dockerHost === undefined ? {} : { host: dockerHost }), ...common }));
    }
    if (cri !== undefined) sources.push(criLogFiles({ ...cri, ...common }));
    this.sources = sources;
    this.#log = logger.with({ component: 'log-forwarder' });
  }

  /** eventSink ships event entries (the metrics side's Docker events) as log entries. */
  get eventSink(): EventSink {
    return {
      emit: (e: EventEntry): void => {
        this.shipper.add(this.#eventStream(e.stream), e.t, e.ns, e.line, e.fields);
        this.shipper.mark('docker-events', { t: e.t, ns: e.ns });
      },
    };
  }

  /** eventsSinceMs is where an events stream resumes: the time of the last shipped event, if any. */
  eventsSinceMs(): number | undefined {
    const p = this.shipper.position('docker-events') as { t?: unknown } | undefined;
    return typeof p?.t === 'number' ? p.t : undefined;
  }

  /** run runs the shipper and the sources until the signal aborts (or a source fails). */
  async run(signal: AbortSignal): Promise<void> {
    const sourcesAc = new AbortController();
    const shipAc = new AbortController();
    const stop = (): void => sourcesAc.abort();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    const shipping = this.shipper.run(shipAc.signal);
    let failure: unknown;
    try {
      await Promise.all(
        this.sources.map(async (s) => {
          try {
            await s.run(sourcesAc.signal);
          } catch (e) {
            this.#log.error('a log source failed', { source: s.name, err: (e as Error).message });
            failure ??= new Error(`${s.name}: ${(e as Error).message}`, { cause: e });
            sourcesAc.abort();
          }
        }),
      );
      // Without sources (events only) keep shipping until told to stop.
      if (this.sources.length === 0 && !sourcesAc.signal.aborted) await new Promise<void>((r) => sourcesAc.signal.addEventListener('abort', () => r(), { once: true }));
    } finally {
      signal.removeEventListener('abort', stop);
      shipAc.abort();
      await shipping;
    }
    if (failure !== undefined) throw failure;
  }

  #eventStream(stream: Readonly<Record<string, string>>): ShipStream {
    const key = JSON.stringify(stream);
    let s = this.#eventStreams.get(key);
    if (s === undefined) {
      const b = new LabelsBuilder();
      for (const [k, v] of Object.entries(stream)) b.set(k, v);
      const l: Labels = b.labels();
      s = this.shipper.stream(l);
      if (this.#eventStreams.size > 1000) this.#eventStreams.clear();
      this.#eventStreams.set(key, s);
    }
    return s;
  }
}
