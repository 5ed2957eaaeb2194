/**
 * What the node agent runs and where it sends it.
 * @module
 */
import type { Logger, Registry } from '../instrument/index.js';
import type { Appendable } from '../storage/index.js';
import type { HostCollectorConfig } from './host/index.js';
import type { EventSink } from './events/index.js';
import type { RemoteWriteSenderOptions } from './remote-write/index.js';

/** AgentService is a long-lived part the agent runs beside its own (the log side's forwarder). */
export interface AgentService {
  readonly name: string;
  /** run works until signal aborts and resolves after a clean stop; a rejection stops the agent. */
  run(signal: AbortSignal): Promise<void>;
}

/** CgroupOptions configure container metrics. */
export interface CgroupOptions {
  /** procfs root for mountinfo, per-process network counters and diskstats (default /proc). */
  readonly procfs?: string;
  /** mountinfo to find cgroup mounts in (default <procfs>/self/mountinfo). */
  readonly mountinfo?: string;
}

/** DockerOptions configure the engine connection (metadata for container metrics, events). */
export interface DockerOptions {
  /** A DOCKER_HOST value (default from the environment, else unix:///var/run/docker.sock). */
  readonly host?: string;
  /** Follow the events stream (default true). */
  readonly events?: boolean;
  /** How often the container list is re-read, ms (default 30 000). */
  readonly refreshMs?: number;
  /** Where the events stream's position is kept across restarts (default: none, start at now). */
  readonly eventsPositionFile?: string;
}

/** RemoteWriteOptions configure push (the sender's options without the ones the agent supplies). */
export type RemoteWriteOptions = Omit<RemoteWriteSenderOptions, 'registry' | 'onError' | 'externalLabels'>;

/**
 * AgentOptions configure an Agent. Every source is optional: `false` turns one off, an
 * omitted one runs with defaults where the host has it (host metrics always; cgroups when
 * mounted; Docker when its socket answers; the kernel log when readable).
 */
export interface AgentOptions {
  /** Host collectors (node_exporter's), or false. */
  readonly host?: HostCollectorConfig | false;
  /** Container metrics from cgroups, or false. */
  readonly cgroups?: CgroupOptions | false;
  /** The Docker-compatible engine, or false. */
  readonly docker?: DockerOptions | false;
  /** Watch /dev/kmsg for OOM kills (default true; a path to read another device). */
  readonly kmsg?: boolean | string;
  /** Collection interval for push, ms (default 10 000). */
  readonly intervalMs?: number;
  /** Push with remote write. */
  readonly remoteWrite?: RemoteWriteOptions;
  /** Or append straight into a storage (`vigil up`: the server's TSDB in the same process). */
  readonly appendable?: Appendable;
  /** Labels added to every pushed series (default `instance` = host name, `job` = `vigil-agent`). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Where container events go as log entries (the log forwarder's eventSink). */
  readonly eventSink?: EventSink;
  /** More services to run with the agent (the log side). */
  readonly extraServices?: readonly AgentService[];
  /** The host name used in labels (default os.hostname()). */
  readonly hostname?: string;
  /** Self-metrics registry (vigil_* metrics, shown on /metrics and pushed). */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** How long a stopping agent tries to send what is queued, ms (default 5 000). */
  readonly flushTimeoutMs?: number;
}
