/**
 * `vigil agent`: the node agent. Serves host, container and self metrics on /metrics (pull)
 * and pushes them to a server with remote write (push); follows the container engine's
 * events; runs the log side's services beside it. Flags follow node_exporter's where they
 * mean the same thing (`--path.*`, `--collector.X` / `--no-collector.X`, collector options).
 * @module
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent, HOST_COLLECTORS, type AgentOptions, type AgentService, type EventSink, type HostCollectorConfig } from '../agent/index.js';
import { LogfmtLogger, Registry, registerProcessMetrics, type Logger } from '../instrument/index.js';
import { LOGS_EXTENSION } from './agent-logs.js';
import { parseDuration } from '../model/index.js';
import type { Appendable } from '../storage/index.js';
import { FlagError, bool, formatFlagHelp, list, parseFlags, str, type FlagSpec, type ParsedFlags } from './flags.js';
import { VERSION } from './version.js';

/** AgentContext is what an agent extension gets to build its services from. */
export interface AgentContext {
  readonly flags: ParsedFlags;
  readonly dataDir: string;
  /** The server's base URL ('' without --server). */
  readonly server: string;
  readonly token: string;
  readonly hostname: string;
  readonly registry: Registry;
  readonly logger: Logger;
}

/**
 * AgentExtension adds flags and services to `vigil agent` (the log side: journald, files,
 * container logs, the shipper). `eventSink`, when given, receives the container events.
 */
export interface AgentExtension {
  readonly flags: readonly FlagSpec[];
  build(ctx: AgentContext): { readonly services: readonly AgentService[]; readonly eventSink?: EventSink };
}

/** AGENT_EXTENSIONS lists the extensions `vigil agent` runs; the log side registers here. */
export const AGENT_EXTENSIONS: AgentExtension[] = [LOGS_EXTENSION];

const HOST_FLAG_HELP: Readonly<Record<string, string>> = {
  cpu: 'CPU time by mode, guest time, throttles (node_cpu_*).',
  diskstats: 'Block device IO (node_disk_*).',
  entropy: 'Available entropy (node_entropy_*).',
  filefd: 'File handles (node_filefd_*).',
  filesystem: 'Filesystem space and inodes (node_filesystem_*).',
  hwmon: 'Hardware sensors (node_hwmon_*).',
  loadavg: 'Load averages (node_load1/5/15).',
  meminfo: 'Memory (node_memory_*).',
  netclass: 'Network interface properties (node_network_up, _info, …).',
  netdev: 'Network interface counters (node_network_receive/transmit_*).',
  os: 'OS release (node_os_info).',
  pressure: 'Pressure stall information (node_pressure_*).',
  stat: 'Boot time, context switches, forks, processes (node_boot_time_seconds, …).',
  thermal_zone: 'Thermal zones and cooling devices.',
  time: 'System time and clock sources (node_time_*).',
  uname: 'uname information (node_uname_info).',
  vmstat: 'Paging and OOM kill counters from /proc/vmstat (node_vmstat_*).',
};

/** AGENT_FLAGS lists the agent's own flags (extensions add theirs). */
export const AGENT_FLAGS: readonly FlagSpec[] = [
  { name: 'server', kind: 'string', placeholder: 'URL', default: '', help: 'vigil server to push to (remote write to <URL>/api/v1/write; the log side ships there too).' },
  { name: 'token', kind: 'string', placeholder: 'TOKEN', default: '', help: 'Bearer token for the server.' },
  { name: 'token-file', kind: 'string', placeholder: 'FILE', default: '', help: 'Read the bearer token from this file (surrounding whitespace trimmed); keeps it out of `ps`.' },
  { name: 'remote-write.url', kind: 'string', placeholder: 'URL', default: '', help: 'Push metrics to this remote-write receiver instead of the server (Prometheus, VictoriaMetrics, …).' },
  { name: 'remote-write.queue-max-bytes', kind: 'string', placeholder: 'SIZE', default: '32MB', help: 'Bound of the in-memory push queue (oldest dropped when full), units B, KB, MB, GB.' },
  { name: 'remote-write.ca-file', kind: 'string', placeholder: 'FILE', default: '', help: 'CA bundle for an https receiver.' },
  { name: 'push.interval', kind: 'string', placeholder: 'DURATION', default: '10s', help: 'How often metrics are collected and pushed.' },
  { name: 'external-label', kind: 'list', placeholder: 'NAME=VALUE', help: 'Label added to every pushed series (repeatable; default instance=<hostname>, job=vigil-agent).' },
  { name: 'web.listen-address', kind: 'string', placeholder: 'HOST:PORT', default: '127.0.0.1:9701', help: 'Address of /metrics ("" for none).' },
  { name: 'data.dir', kind: 'string', placeholder: 'DIR', default: './data-agent', help: 'Where the agent keeps its state (log positions and queue).' },
  { name: 'path.procfs', kind: 'string', placeholder: 'DIR', default: '/proc', help: 'procfs mount point.' },
  { name: 'path.sysfs', kind: 'string', placeholder: 'DIR', default: '/sys', help: 'sysfs mount point.' },
  { name: 'path.rootfs', kind: 'string', placeholder: 'DIR', default: '/', help: 'Root filesystem of the host (when the agent runs in a container).' },
  { name: 'path.udev.data', kind: 'string', placeholder: 'DIR', default: '/run/udev/data', help: 'udev database.' },
  { name: 'docker.host', kind: 'string', placeholder: 'URL', default: '', help: 'Docker-compatible engine (default $DOCKER_HOST, else unix:///var/run/docker.sock).' },
  ...Object.keys(HOST_COLLECTORS).map((n): FlagSpec => ({ name: `collector.${n}`, kind: 'bool', default: HOST_COLLECTORS[n]!.defaultEnabled, help: `Host collector ${n}: ${HOST_FLAG_HELP[n] ?? ''}` })),
  { name: 'collector.cgroups', kind: 'bool', default: true, help: 'Container metrics from cgroups (container_*).' },
  { name: 'collector.docker', kind: 'bool', default: true, help: 'Container names, images and labels, and events, from the engine.' },
  { name: 'collector.kmsg', kind: 'bool', default: true, help: 'OOM kills from /dev/kmsg.' },
  { name: 'collector.cpu.guest', kind: 'bool', default: true, help: 'Export node_cpu_guest_seconds_total.' },
  { name: 'collector.cpu.info', kind: 'bool', default: false, help: 'Export node_cpu_info and node_cpu_frequency_hertz.' },
  { name: 'collector.stat.softirq', kind: 'bool', default: false, help: 'Export node_softirqs_total.' },
  { name: 'collector.vmstat.fields', kind: 'string', placeholder: 'REGEX', default: '', help: 'vmstat fields to export (default ^(oom_kill|pgpg|pswp|pg.*fault).*).' },
  { name: 'collector.diskstats.device-exclude', kind: 'string', placeholder: 'REGEX', default: '', help: 'Block devices to leave out (default: partitions, ram, loop, fd).' },
  { name: 'collector.diskstats.device-include', kind: 'string', placeholder: 'REGEX', default: '', help: 'Only these block devices.' },
  { name: 'collector.filesystem.mount-points-exclude', kind: 'string', placeholder: 'REGEX', default: '', help: 'Mount points to leave out (default: /dev, /proc, /sys, container storage).' },
  { name: 'collector.filesystem.fs-types-exclude', kind: 'string', placeholder: 'REGEX', default: '', help: 'Filesystem types to leave out (default: pseudo filesystems).' },
  { name: 'collector.netdev.device-exclude', kind: 'string', placeholder: 'REGEX', default: '', help: 'Network devices to leave out of netdev.' },
  { name: 'collector.netdev.device-include', kind: 'string', placeholder: 'REGEX', default: '', help: 'Only these network devices in netdev.' },
  { name: 'collector.netclass.ignored-devices', kind: 'string', placeholder: 'REGEX', default: '', help: 'Network devices to leave out of netclass.' },
  { name: 'collector.hwmon.chip-include', kind: 'string', placeholder: 'REGEX', default: '', help: 'Only these hwmon chips.' },
  { name: 'collector.hwmon.chip-exclude', kind: 'string', placeholder: 'REGEX', default: '', help: 'hwmon chips to leave out.' },
  { name: 'log.level', kind: 'string', placeholder: 'LEVEL', default: 'info', help: 'Only log messages at this level or above: debug, info, warn, error.' },
  { name: 'log.format', kind: 'string', placeholder: 'FORMAT', default: 'logfmt', help: 'Log line format: logfmt or json.' },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 };

function parseSizeFlag(name: string, s: string): number {
  const m = /^(\d+)(B|KB|MB|GB)$/.exec(s);
  if (m === null) throw new FlagError(`--${name}: invalid size "${s}": want a number with a unit B, KB, MB or GB`);
  return Number(m[1]) * SIZE_UNITS[m[2]!]!;
}

function opt(f: ParsedFlags, name: string): string | undefined {
  const v = str(f, name);
  return v === '' ? undefined : v;
}

/** agentOptions turns parsed flags into AgentOptions (without the extensions' parts). */
export function agentOptions(f: ParsedFlags, registry: Registry, logger: Logger): AgentOptions {
  const enable: Record<string, boolean> = {};
  for (const n of Object.keys(HOST_COLLECTORS)) enable[n] = bool(f, `collector.${n}`);
  const host: HostCollectorConfig = {
    paths: { procfs: str(f, 'path.procfs'), sysfs: str(f, 'path.sysfs'), rootfs: str(f, 'path.rootfs'), udevData: str(f, 'path.udev.data') },
    enable,
    cpuGuest: bool(f, 'collector.cpu.guest'),
    cpuInfo: bool(f, 'collector.cpu.info'),
    statSoftirq: bool(f, 'collector.stat.softirq'),
    vmstatFields: opt(f, 'collector.vmstat.fields'),
    diskstatsDeviceExclude: opt(f, 'collector.diskstats.device-exclude'),
    diskstatsDeviceInclude: opt(f, 'collector.diskstats.device-include'),
    filesystemMountPointsExclude: opt(f, 'collector.filesystem.mount-points-exclude'),
    filesystemFsTypesExclude: opt(f, 'collector.filesystem.fs-types-exclude'),
    netdevDeviceExclude: opt(f, 'collector.netdev.device-exclude'),
    netdevDeviceInclude: opt(f, 'collector.netdev.device-include'),
    netclassIgnoredDevices: opt(f, 'collector.netclass.ignored-devices'),
    hwmonChipInclude: opt(f, 'collector.hwmon.chip-include'),
    hwmonChipExclude: opt(f, 'collector.hwmon.chip-exclude'),
  };
  let intervalMs: number;
  try {
    intervalMs = parseDuration(str(f, 'push.interval'));
  } catch (e) {
    throw new FlagError(`--push.interval: ${e instanceof Error ? e.message : String(e)}`);
  }
  const server = str(f, 'server').replace(/\/+$/, '');
  const rwUrl = str(f, 'remote-write.url') || (server !== '' ? `${server}/api/v1/write` : '');
  const externalLabels: Record<string, string> = {};
  for (const kv of list(f, 'external-label')) {
    const eq = kv.indexOf('=');
    if (eq <= 0 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(kv.slice(0, eq))) throw new FlagError(`--external-label: want NAME=VALUE, got "${kv}"`);
    externalLabels[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const ca = str(f, 'remote-write.ca-file');
  return {
    host,
    cgroups: bool(f, 'collector.cgroups') ? { procfs: str(f, 'path.procfs') } : false,
    docker: bool(f, 'collector.docker') ? { host: opt(f, 'docker.host') } : false,
    kmsg: bool(f, 'collector.kmsg'),
    intervalMs,
    remoteWrite:
      rwUrl === ''
        ? undefined
        : {
            url: rwUrl,
            token: agentToken(f),
            maxQueueBytes: parseSizeFlag('remote-write.queue-max-bytes', str(f, 'remote-write.queue-max-bytes')),
            ...(ca !== '' ? { ca: readCa(ca) } : {}),
            userAgent: `vigil-agent/${VERSION}`,
          },
    externalLabels: Object.keys(externalLabels).length > 0 ? externalLabels : undefined,
    registry,
    logger,
  };
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FlagError(`--remote-write.ca-file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * upAgentService is the node agent as `vigil up` runs it beside the server in one process:
 * host and container metrics are appended straight into the server's storage every interval
 * (no remote write, no port of its own), container events go to `eventSink` (the server's log
 * store). It keeps its own self-metrics registry (pushed with job="vigil-agent") so the
 * server's self-scrape does not see them twice. Wire it in buildServer for mode 'up':
 * `services.push(upAgentService({ appendable: storage, logger: log }))`.
 */
export function upAgentService(o: { appendable: Appendable; logger: Logger; eventSink?: EventSink; intervalMs?: number; hostname?: string; stateDir?: string }): AgentService {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const docker = o.stateDir === undefined ? undefined : { eventsPositionFile: join(o.stateDir, 'events-position.json') };
  const agent = new Agent({ appendable: o.appendable, eventSink: o.eventSink, intervalMs: o.intervalMs, hostname: o.hostname, docker, registry, logger: o.logger });
  return { name: 'agent', run: (signal) => agent.run(signal) };
}

/** metricsServer serves /metrics (gzip when asked), /-/healthy and a landing page. */
function metricsServer(agent: Agent, log: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    if (path === '/metrics') {
      void agent.exposition().then(
        (text) => {
          const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
          const body = gzip ? gzipSync(text) : Buffer.from(text);
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e: unknown) => {
          log.error('collection failed', { err: e instanceof Error ? e.message : String(e) });
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`collection failed: ${e instanceof Error ? e.message : String(e)}\n`);
        },
      );
    } else if (path === '/-/healthy') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('vigil agent is Healthy.\n');
    } else if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><head><title>vigil agent</title></head><body><h1>vigil agent</h1><p><a href="/metrics">Metrics</a></p></body></html>\n');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
    }
  });
}

/** listenOn binds host:port (IPv6 in brackets; empty host for every interface). */
async function listenOn(server: Server, addr: string): Promise<AddressInfo> {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (m === null) throw new FlagError(`--web.listen-address: invalid "${addr}": want host:port`);
  const host = m[1] ?? m[2];
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[3]), host === '' ? undefined : host, () => (server.off('error', reject), resolve()));
  });
  return server.address() as AddressInfo;
}

/** agentToken returns the token of --token or --token-file (not both), or undefined for none. */
export function agentToken(f: ParsedFlags): string | undefined {
  const inline = str(f, 'token');
  const file = str(f, 'token-file');
  if (file === '') return inline === '' ? undefined : inline;
  if (inline !== '') throw new FlagError('--token and --token-file: give one of them');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FlagError(`--token-file: cannot read ${file}: ${(e as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new FlagError(`--token-file: ${file} is empty`);
  return token;
}

/** runAgent implements `vigil agent`. */
export async function runAgent(argv: readonly string[]): Promise<number> {
  const specs = [...AGENT_FLAGS, ...AGENT_EXTENSIONS.flatMap((e) => e.flags)];
  const f = parseFlags(argv, specs);
  if (bool(f, 'help')) {
    process.stdout.write(
      'Usage: vigil agent [flags]\n\nRuns the node agent: host and container metrics on /metrics and pushed to a server, container events, logs.\n\n' + `Flags:\n${formatFlagHelp(specs)}\n`,
    );
    return 0;
  }
  const level = str(f, 'log.level');
  const format = str(f, 'log.format');
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new FlagError(`--log.level: want debug, info, warn or error, got "${level}"`);
  if (format !== 'logfmt' && format !== 'json') throw new FlagError(`--log.format: want logfmt or json, got "${format}"`);
  const log = new LogfmtLogger({ level: level as 'info', format });
  const registry = new Registry();
  registerProcessMetrics(registry);
  registry.gauge({ name: 'vigil_build_info', help: 'A metric with a constant 1 value labelled by the version vigil was built from.', labelNames: ['version', 'mode'] }).labels(VERSION, 'agent').set(1);
  const dataDir = str(f, 'data.dir');
  mkdirSync(dataDir, { recursive: true });
  const base = agentOptions(f, registry, log);
  const ctx: AgentContext = { flags: f, dataDir, server: str(f, 'server').replace(/\/+$/, ''), token: agentToken(f) ?? '', hostname: hostname(), registry, logger: log };
  const extraServices: AgentService[] = [];
  let eventSink: EventSink | undefined;
  for (const ext of AGENT_EXTENSIONS) {
    const built = ext.build(ctx);
    extraServices.push(...built.services);
    eventSink ??= built.eventSink;
  }
  const docker = base.docker === false ? false : { ...base.docker, eventsPositionFile: join(dataDir, 'events-position.json') };
  const agent = new Agent({ ...base, docker, extraServices, eventSink });

  const listen = str(f, 'web.listen-address');
  // A small server of its own: the API module's router would load the whole server side
  // (about 30 MB of code the agent never runs).
  const http = listen !== '' ? metricsServer(agent, log) : undefined;
  const ac = new AbortController();
  const onStop = (): void => {
    log.info('received termination signal, stopping');
    ac.abort();
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  try {
    const addr = http !== undefined ? await listenOn(http, listen) : undefined;
    log.info('vigil agent started', {
      version: VERSION,
      listen: addr !== undefined ? `${addr.address}:${addr.port}` : '',
      push: base.remoteWrite?.url ?? '',
      collectors: agent.host?.collectors.map((c) => c.name).join(',') ?? '',
    });
    await agent.run(ac.signal);
  } catch (e) {
    log.error('agent failed', { err: e instanceof Error ? e.message : String(e) });
    return 1;
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    if (http !== undefined) {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  }
  log.info('vigil agent stopped');
  return 0;
}
