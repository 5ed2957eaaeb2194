/**
 * Container metrics with cAdvisor's names, read straight from the cgroup filesystem (v1,
 * v2 or hybrid) and labelled with what the container runtime knows (name, image, and the
 * Kubernetes container, pod and namespace).
 * @module
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MetricType, parseDiskstats, parseNetDev, readText, type Collector, type MetricBatch } from '../host/index.js';
import type { PsiTotals } from '../host/index.js';
import { cgroupLayout, parseCgroupMounts, type CgroupLayout } from './cgroup-mounts.js';
import { containerOf, type ContainerRef } from './container-id.js';
import { ContainerStatsReader, dirOf, type ContainerStats } from './container-stats.js';
import { FdBudget, KeptFiles } from './kept-files.js';
import { readCgroupFile } from './read-cgroup-file.js';

/** ContainerMetadata is what the runtime knows about a container. */
export interface ContainerMetadata {
  readonly name: string;
  readonly image: string;
  /** Runtime labels; `io.kubernetes.container.name`, `io.kubernetes.pod.name` and `io.kubernetes.pod.namespace` become labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Creation time, Unix ms (0 when unknown). */
  readonly createdMs: number;
  /** Last start time, Unix ms (0 when unknown). */
  readonly startedMs: number;
}

/** MetadataSource looks containers up by 64-hex id; synchronous, so it is a cache kept fresh elsewhere (docker/ContainerCache). */
export interface MetadataSource {
  get(id: string): ContainerMetadata | undefined;
}

/** OomCounter counts OOM kills seen outside the cgroup files (the kernel log), per cgroup path. */
export interface OomCounter {
  count(cgroupPath: string): number;
}

/** CgroupCollectorOptions configure the container collector. */
export interface CgroupCollectorOptions {
  /** procfs root (default /proc): mountinfo, per-process network counters, diskstats. */
  readonly procfs?: string;
  /** mountinfo to read the cgroup mounts from (default <procfs>/self/mountinfo). */
  readonly mountinfo?: string;
  readonly metadata?: MetadataSource;
  readonly oom?: OomCounter;
  /** How deep below a hierarchy's root containers are looked for (default 8). */
  readonly maxDepth?: number;
  /** Clock for container_last_seen, Unix ms. */
  readonly now?: () => number;
  /** Called when one container's files cannot be read; the others are still reported. */
  readonly onError?: (cgroupPath: string, err: unknown) => void;
  /**
   * Most cgroup file descriptors kept open between cycles, over all containers (default 4096,
   * about 12 per container; 0 opens every file per read). See KeptFiles.
   */
  readonly maxKeptFiles?: number;
}

/** FoundContainer is a container cgroup found in one cycle. */
export interface FoundContainer extends ContainerRef {
  /** The cgroup path relative to the hierarchy root, cAdvisor's `id` label (`/docker/<id>`). */
  readonly cgroupPath: string;
}

const BASE = ['id', 'name', 'image', 'container', 'namespace', 'pod'] as const;

// [name, help, type, extra labels]
type Fam = readonly [string, string, MetricType, readonly string[]];
const F = {
  lastSeen: ['container_last_seen', 'Last time a container was seen by the exporter', 'gauge', []],
  start: ['container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', 'gauge', []],
  creation: ['container_creation_time_seconds', 'Container creation time since unix epoch in seconds.', 'gauge', []],
  cpuUsage: ['container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', 'counter', ['cpu']],
  cpuUser: ['container_cpu_user_seconds_total', 'Cumulative user cpu time consumed in seconds.', 'counter', []],
  cpuSystem: ['container_cpu_system_seconds_total', 'Cumulative system cpu time consumed in seconds.', 'counter', []],
  cfsPeriods: ['container_cpu_cfs_periods_total', 'Number of elapsed enforcement period intervals.', 'counter', []],
  cfsThrottled: ['container_cpu_cfs_throttled_periods_total', 'Number of throttled period intervals.', 'counter', []],
  cfsThrottledSec: ['container_cpu_cfs_throttled_seconds_total', 'Total time duration the container has been throttled.', 'counter', []],
  cfsBurstPeriods: ['container_cpu_cfs_burst_periods_total', 'Number of periods when burst occurs.', 'counter', []],
  cfsBurstSec: ['container_cpu_cfs_burst_seconds_total', 'Total time duration the container has been bursted.', 'counter', []],
  specPeriod: ['container_spec_cpu_period', 'CPU period of the container.', 'gauge', []],
  specQuota: ['container_spec_cpu_quota', 'CPU quota of the container.', 'gauge', []],
  specShares: ['container_spec_cpu_shares', 'CPU share of the container.', 'gauge', []],
  specMem: ['container_spec_memory_limit_bytes', 'Memory limit for the container.', 'gauge', []],
  specSwap: ['container_spec_memory_swap_limit_bytes', 'Memory swap limit for the container.', 'gauge', []],
  specRes: ['container_spec_memory_reservation_limit_bytes', 'Memory reservation limit for the container.', 'gauge', []],
  memCache: ['container_memory_cache', 'Number of bytes of page cache memory.', 'gauge', []],
  memRss: ['container_memory_rss', 'Size of RSS in bytes.', 'gauge', []],
  memKernel: ['container_memory_kernel_usage', 'Size of kernel memory allocated in bytes.', 'gauge', []],
  memMapped: ['container_memory_mapped_file', 'Size of memory mapped files in bytes.', 'gauge', []],
  memSwap: ['container_memory_swap', 'Container swap usage in bytes.', 'gauge', []],
  memFailcnt: ['container_memory_failcnt', 'Number of memory usage hits limits', 'counter', []],
  memUsage: ['container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', 'gauge', []],
  memMax: ['container_memory_max_usage_bytes', 'Maximum memory usage recorded in bytes', 'gauge', []],
  memWs: ['container_memory_working_set_bytes', 'Current working set in bytes.', 'gauge', []],
  memActive: ['container_memory_total_active_file_bytes', 'Current total active file in bytes.', 'gauge', []],
  memInactive: ['container_memory_total_inactive_file_bytes', 'Current total inactive file in bytes.', 'gauge', []],
  memFailures: ['container_memory_failures_total', 'Cumulative count of memory allocation failures.', 'counter', ['failure_type', 'scope']],
  memHigh: ['container_memory_events_high_total', 'Cumulative count of memory.high throttle events for the container', 'counter', []],
  memMaxEv: ['container_memory_events_max_total', 'Cumulative count of memory.max limit hit events for the container', 'counter', []],
  oom: ['container_oom_events_total', 'Count of out of memory events observed for the container', 'counter', []],
  fsReadsBytes: ['container_fs_reads_bytes_total', 'Cumulative count of bytes read', 'counter', ['device']],
  fsReads: ['container_fs_reads_total', 'Cumulative count of reads completed', 'counter', ['device']],
  fsWritesBytes: ['container_fs_writes_bytes_total', 'Cumulative count of bytes written', 'counter', ['device']],
  fsWrites: ['container_fs_writes_total', 'Cumulative count of writes completed', 'counter', ['device']],
  blkio: ['container_blkio_device_usage_total', 'Blkio Device bytes usage', 'counter', ['device', 'major', 'minor', 'operation']],
  netRxBytes: ['container_network_receive_bytes_total', 'Cumulative count of bytes received', 'counter', ['interface']],
  netRxPackets: ['container_network_receive_packets_total', 'Cumulative count of packets received', 'counter', ['interface']],
  netRxDropped: ['container_network_receive_packets_dropped_total', 'Cumulative count of packets dropped while receiving', 'counter', ['interface']],
  netRxErrors: ['container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving', 'counter', ['interface']],
  netTxBytes: ['container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', 'counter', ['interface']],
  netTxPackets: ['container_network_transmit_packets_total', 'Cumulative count of packets transmitted', 'counter', ['interface']],
  netTxDropped: ['container_network_transmit_packets_dropped_total', 'Cumulative count of packets dropped while transmitting', 'counter', ['interface']],
  netTxErrors: ['container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting', 'counter', ['interface']],
  processes: ['container_processes', 'Number of processes running inside the container.', 'gauge', []],
  threads: ['container_threads', 'Number of threads running inside the container', 'gauge', []],
  threadsMax: ['container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero', 'gauge', []],
  psiCpuStalled: ['container_pressure_cpu_stalled_seconds_total', 'Total time duration no tasks in the container could make progress due to CPU congestion.', 'counter', []],
  psiCpuWaiting: ['container_pressure_cpu_waiting_seconds_total', 'Total time duration tasks in the container have waited due to CPU congestion.', 'counter', []],
  psiMemStalled: ['container_pressure_memory_stalled_seconds_total', 'Total time duration no tasks in the container could make progress due to memory congestion.', 'counter', []],
  psiMemWaiting: ['container_pressure_memory_waiting_seconds_total', 'Total time duration tasks in the container have waited due to memory congestion.', 'counter', []],
  psiIoStalled: ['container_pressure_io_stalled_seconds_total', 'Total time duration no tasks in the container could make progress due to IO congestion.', 'counter', []],
  psiIoWaiting: ['container_pressure_io_waiting_seconds_total', 'Total time duration tasks in the container have waited due to IO congestion.', 'counter', []],
} as const satisfies Record<string, Fam>;

type Handles = { [K in keyof typeof F]: number };

/**
 * CgroupCollector finds container cgroups each cycle and reports them. The cgroup layout is
 * read once from mountinfo; a host without cgroups makes every cycle fail with
 * NoCgroupsError.
 */
export class CgroupCollector implements Collector {
  readonly name = 'cgroup';
  readonly #procfs: string;
  readonly #mountinfo: string;
  readonly #metadata: MetadataSource | undefined;
  readonly #oom: OomCounter | undefined;
  readonly #maxDepth: number;
  readonly #now: () => number;
  readonly #onError: ((cgroupPath: string, err: unknown) => void) | undefined;
  #layout: CgroupLayout | undefined;
  #selfNetns: string | undefined;
  /** Containers found in the last cycle. */
  #last: readonly FoundContainer[] = [];
  /** One reader per container cgroup, kept across cycles (it remembers missing files and limits). */
  #readers = new Map<string, ContainerStatsReader>();
  /** Network namespace per pid, kept while the pid is a container's. */
  #netnsOf = new Map<number, string | undefined>();
  readonly #fds: FdBudget;

  constructor(opts: CgroupCollectorOptions = {}) {
    this.#procfs = opts.procfs ?? '/proc';
    this.#mountinfo = opts.mountinfo ?? join(this.#procfs, 'self/mountinfo');
    this.#metadata = opts.metadata;
    this.#oom = opts.oom;
    this.#maxDepth = opts.maxDepth ?? 8;
    this.#now = opts.now ?? Date.now;
    this.#onError = opts.onError;
    this.#fds = new FdBudget(opts.maxKeptFiles ?? 4096);
  }

  /** keptFiles is how many cgroup file descriptors are kept open between cycles. */
  get keptFiles(): number {
    return this.#fds.used;
  }

  /** close closes the descriptors kept open between cycles (a later cycle opens them again). */
  close(): void {
    for (const r of this.#readers.values()) r.close();
    this.#readers = new Map();
  }

  /** layout returns the cgroup layout (read from mountinfo on first use). */
  layout(): CgroupLayout {
    if (this.#layout === undefined) {
      const mounts = parseCgroupMounts(readText(this.#mountinfo), this.#mountinfo);
      const uni = mounts.find((m) => m.version === 2);
      const ctl = uni !== undefined ? (readCgroupFile(join(uni.mountPoint, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter((c) => c !== '') : [];
      this.#layout = cgroupLayout(mounts, ctl, this.#mountinfo);
    }
    return this.#layout;
  }

  /** containers lists the container cgroups of the last cycle. */
  containers(): readonly FoundContainer[] {
    return this.#last;
  }

  /** discover walks the hierarchy and returns the container cgroups found now. */
  discover(): FoundContainer[] {
    const l = this.layout();
    const m = l.mode === 'v2' ? l.unified : (l.v1.get('memory') ?? l.v1.get('cpuacct') ?? l.v1.get('cpu') ?? l.v1.get('pids') ?? l.unified ?? [...l.v1.values()][0]);
    if (m === undefined) return [];
    const base = dirOf(m, m.root) ?? m.mountPoint;
    const out: FoundContainer[] = [];
    const walk = (dir: string, cgPath: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // removed while walking
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const child = cgPath === '/' ? `/${e.name}` : `${cgPath}/${e.name}`;
        const ref = containerOf(child);
        if (ref !== undefined) out.push({ ...ref, cgroupPath: child });
        else if (depth < this.#maxDepth) walk(join(dir, e.name), child, depth + 1);
      }
    };
    walk(base, m.root, 1);
    return out;
  }

  /** collect reports every container; it yields to the event loop every few containers so a cycle over many does not stall other work. */
  async collect(out: MetricBatch): Promise<void> {
    const layout = this.layout();
    const found = this.discover();
    this.#last = found;
    const h = Object.fromEntries(Object.entries(F).map(([k, [n, help, t, extra]]) => [k, out.family(n, t, help, [...BASE, ...extra])])) as Handles;
    const now = this.#now();
    const devNames = this.#deviceNames();
    this.#selfNetns ??= this.#netns('self');
    const readers = new Map<string, ContainerStatsReader>();
    const netns = new Map<number, string | undefined>();
    let n = 0;
    for (const c of found) {
      if (++n % 16 === 0) await new Promise((r) => setImmediate(r));
      let s: ContainerStats;
      try {
        const r = this.#readers.get(c.cgroupPath) ?? new ContainerStatsReader(layout, c.cgroupPath, { files: new KeptFiles(this.#fds) });
        readers.set(c.cgroupPath, r);
        s = r.read();
      } catch (e) {
        this.#onError?.(c.cgroupPath, e);
        continue;
      }
      const md = this.#metadata?.get(c.id);
      const kl = md?.labels ?? {};
      const base = [c.cgroupPath, md?.name ?? '', md?.image ?? '', kl['io.kubernetes.container.name'] ?? '', kl['io.kubernetes.pod.namespace'] ?? '', kl['io.kubernetes.pod.name'] ?? ''];
      const add = (fam: number, v: number | undefined, extra: readonly string[] = []): void => {
        if (v !== undefined) out.add(fam, v, extra.length === 0 ? base : [...base, ...extra]);
      };
      add(h.lastSeen, Math.floor(now / 1000));
      const createdMs = md !== undefined && md.createdMs > 0 ? md.createdMs : s.cgroupCreatedMs;
      const startedMs = md !== undefined && md.startedMs > 0 ? md.startedMs : createdMs;
      if (createdMs !== undefined) add(h.creation, Math.floor(createdMs / 1000));
      if (startedMs !== undefined) add(h.start, Math.floor(startedMs / 1000));
      if (s.cpu !== undefined) {
        add(h.cpuUsage, s.cpu.usageNs / 1e9, ['total']);
        add(h.cpuUser, s.cpu.userNs !== undefined ? s.cpu.userNs / 1e9 : undefined);
        add(h.cpuSystem, s.cpu.systemNs !== undefined ? s.cpu.systemNs / 1e9 : undefined);
        if (s.cpuSpec !== undefined && s.cpuSpec.quotaUs !== 0) {
          add(h.cfsPeriods, s.cpu.periods);
          add(h.cfsThrottled, s.cpu.throttledPeriods);
          add(h.cfsThrottledSec, s.cpu.throttledNs !== undefined ? s.cpu.throttledNs / 1e9 : undefined);
          add(h.cfsBurstPeriods, s.cpu.burstPeriods);
          add(h.cfsBurstSec, s.cpu.burstNs !== undefined ? s.cpu.burstNs / 1e9 : undefined);
        }
      }
      if (s.cpuSpec !== undefined) {
        add(h.specPeriod, s.cpuSpec.periodUs);
        if (s.cpuSpec.quotaUs !== 0) add(h.specQuota, s.cpuSpec.quotaUs);
        add(h.specShares, s.cpuSpec.shares);
      }
      if (s.memorySpec !== undefined) {
        const lim = (x: number | undefined): number => (x === undefined || !Number.isFinite(x) ? 0 : x);
        add(h.specMem, lim(s.memorySpec.limit));
        add(h.specSwap, lim(s.memorySpec.swapLimit));
        add(h.specRes, lim(s.memorySpec.reservation));
      }
      const m = s.memory;
      if (m !== undefined) {
        add(h.memCache, m.cache);
        add(h.memRss, m.rss);
        add(h.memKernel, m.kernel ?? 0);
        add(h.memMapped, m.mappedFile);
        add(h.memSwap, m.swap ?? 0);
        add(h.memFailcnt, m.failcnt ?? 0);
        add(h.memUsage, m.usage);
        add(h.memMax, m.maxUsage ?? 0);
        add(h.memWs, m.workingSet);
        add(h.memActive, m.activeFile ?? 0);
        add(h.memInactive, m.inactiveFile ?? 0);
        for (const scope of ['container', 'hierarchy']) {
          add(h.memFailures, m.pgfault ?? 0, ['pgfault', scope]);
          add(h.memFailures, m.pgmajfault ?? 0, ['pgmajfault', scope]);
        }
        add(h.memHigh, m.eventsHigh);
        add(h.memMaxEv, m.eventsMax);
      }
      const fromLog = this.#oom?.count(c.cgroupPath) ?? 0;
      add(h.oom, Math.max(s.oomKills ?? 0, fromLog));
      for (const d of s.io) {
        const dev = devNames.get(`${d.major}:${d.minor}`) ?? `${d.major}:${d.minor}`;
        add(h.fsReadsBytes, d.readBytes, [dev]);
        add(h.fsReads, d.reads, [dev]);
        add(h.fsWritesBytes, d.writeBytes, [dev]);
        add(h.fsWrites, d.writes, [dev]);
        for (const [op, bytes] of d.byOp) add(h.blkio, bytes, [dev, String(d.major), String(d.minor), op]);
      }
      this.#network(s, netns, (fam, v, iface) => add(h[fam], v, [iface]));
      add(h.processes, s.pids.length);
      add(h.threads, s.pidsCurrent);
      add(h.threadsMax, s.pidsMax);
      const psi = (st: keyof Handles, wt: keyof Handles, p: PsiTotals | undefined): void => {
        if (p === undefined) return;
        if (p.full !== undefined) add(h[st], p.full / 1e6);
        if (p.some !== undefined) add(h[wt], p.some / 1e6);
      };
      psi('psiCpuStalled', 'psiCpuWaiting', s.psi.cpu);
      psi('psiMemStalled', 'psiMemWaiting', s.psi.memory);
      psi('psiIoStalled', 'psiIoWaiting', s.psi.io);
    }
    // A container gone since the last cycle lets go of its files.
    for (const [path, r] of this.#readers) if (!readers.has(path)) r.close();
    this.#readers = readers;
    this.#netnsOf = netns;
  }

  /** network reads a container process's /proc/<pid>/net/dev, unless it shares the agent's network namespace. */
  #network(s: ContainerStats, seen: Map<number, string | undefined>, add: (fam: 'netRxBytes' | 'netRxPackets' | 'netRxDropped' | 'netRxErrors' | 'netTxBytes' | 'netTxPackets' | 'netTxDropped' | 'netTxErrors', v: number, iface: string) => void): void {
    for (const pid of s.pids.slice(0, 3)) {
      const ns = this.#netnsOf.has(pid) ? this.#netnsOf.get(pid) : this.#netns(String(pid));
      seen.set(pid, ns);
      if (ns === undefined) continue; // exited: try the next process
      if (ns === this.#selfNetns) return;
      const text = readCgroupFile(join(this.#procfs, String(pid), 'net/dev'));
      if (text === undefined) continue;
      for (const d of parseNetDev(text, join(this.#procfs, String(pid), 'net/dev'))) {
        if (d.device === 'lo') continue;
        const x = d.values;
        add('netRxBytes', x[0]!, d.device);
        add('netRxPackets', x[1]!, d.device);
        add('netRxErrors', x[2]!, d.device);
        add('netRxDropped', x[3]!, d.device);
        add('netTxBytes', x[8]!, d.device);
        add('netTxPackets', x[9]!, d.device);
        add('netTxErrors', x[10]!, d.device);
        add('netTxDropped', x[11]!, d.device);
      }
      return;
    }
  }

  #netns(pid: string): string | undefined {
    try {
      return readlinkSync(join(this.#procfs, pid, 'ns/net'));
    } catch {
      return undefined;
    }
  }

  /** deviceNames maps `major:minor` to `/dev/<name>` from /proc/diskstats (cAdvisor's device label). */
  #deviceNames(): Map<string, string> {
    const out = new Map<string, string>();
    const text = readCgroupFile(join(this.#procfs, 'diskstats'));
    if (text === undefined) return out;
    try {
      for (const d of parseDiskstats(text)) out.set(`${d.major}:${d.minor}`, `/dev/${d.device}`);
    } catch {
      // Names are cosmetic; fall back to major:minor.
    }
    return out;
  }
}
