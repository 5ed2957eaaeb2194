/**
 * Reads one container's cgroup files, v1 or v2, into the figures cAdvisor reports. Values
 * are as the kernel keeps them (bytes, nanoseconds, counts); a missing controller or file
 * leaves its part undefined rather than failing.
 * @module
 */
import { parsePsi, type PsiTotals } from '../host/index.js';
import { parseBlkio, parseCpuMax, parseIoStat, parseKeyed, parsePidList, parseValue } from './cgroup-files.js';
import type { CgroupLayout, CgroupMount } from './cgroup-mounts.js';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { readCgroupFile } from './read-cgroup-file.js';

/** CpuStats are cumulative CPU figures, nanoseconds. */
export interface CpuStats {
  readonly usageNs: number;
  readonly userNs: number | undefined;
  readonly systemNs: number | undefined;
  readonly periods: number | undefined;
  readonly throttledPeriods: number | undefined;
  readonly throttledNs: number | undefined;
  readonly burstPeriods: number | undefined;
  readonly burstNs: number | undefined;
}

/** CpuSpec is the CPU allocation: period and quota in µs (quota 0 when unlimited), shares (v2 weights converted as cAdvisor does). */
export interface CpuSpec {
  readonly periodUs: number;
  readonly quotaUs: number;
  readonly shares: number;
}

/** MemoryStats are memory figures, bytes and counts. */
export interface MemoryStats {
  readonly usage: number;
  readonly maxUsage: number | undefined;
  readonly failcnt: number | undefined;
  readonly cache: number;
  readonly rss: number;
  readonly mappedFile: number;
  readonly swap: number | undefined;
  readonly workingSet: number;
  readonly activeFile: number | undefined;
  readonly inactiveFile: number | undefined;
  readonly kernel: number | undefined;
  readonly pgfault: number | undefined;
  readonly pgmajfault: number | undefined;
  /** v2 memory.events `high` and `max`. */
  readonly eventsHigh: number | undefined;
  readonly eventsMax: number | undefined;
}

/** MemorySpec are memory limits, bytes; Infinity when unlimited. */
export interface MemorySpec {
  readonly limit: number;
  readonly swapLimit: number | undefined;
  readonly reservation: number | undefined;
}

/** DeviceIo is one block device's IO charged to the container. */
export interface DeviceIo {
  readonly major: number;
  readonly minor: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly reads: number;
  readonly writes: number;
  /** Bytes by v1 operation (Read, Write, Sync, Async, Discard, Total) for container_blkio_device_usage_total. */
  readonly byOp: ReadonlyMap<string, number>;
}

/** ContainerStats is everything read for one container in one cycle. */
export interface ContainerStats {
  readonly cpu: CpuStats | undefined;
  readonly cpuSpec: CpuSpec | undefined;
  readonly memory: MemoryStats | undefined;
  readonly memorySpec: MemorySpec | undefined;
  /** The kernel's count of OOM kills in this cgroup (v1 memory.oom_control oom_kill, v2 memory.events oom_kill), when it keeps one. */
  readonly oomKills: number | undefined;
  readonly io: readonly DeviceIo[];
  readonly pidsCurrent: number | undefined;
  /** pids.max; 0 for no limit (cAdvisor's "infinity if value is zero"). */
  readonly pidsMax: number | undefined;
  /** Processes in the container's cgroup (cgroup.procs). */
  readonly pids: readonly number[];
  readonly psi: { readonly cpu?: PsiTotals; readonly memory?: PsiTotals; readonly io?: PsiTotals };
  /** Creation time of the cgroup directory (ms), cAdvisor's fallback for the container's creation time. */
  readonly cgroupCreatedMs: number | undefined;
}

/** dirOf maps a cgroup path to its directory in a mount (undefined when the mount does not show that part of the tree). */
export function dirOf(m: CgroupMount | undefined, cgroupPath: string): string | undefined {
  if (m === undefined) return undefined;
  if (m.root === '/') return join(m.mountPoint, cgroupPath);
  if (cgroupPath === m.root || cgroupPath.startsWith(m.root + '/')) return join(m.mountPoint, cgroupPath.slice(m.root.length));
  return undefined;
}

const v = (dir: string | undefined, file: string): number | undefined => {
  if (dir === undefined) return undefined;
  const t = readCgroupFile(join(dir, file));
  return t === undefined ? undefined : parseValue(t, join(dir, file));
};
const keyed = (dir: string | undefined, file: string): Map<string, number> | undefined => {
  if (dir === undefined) return undefined;
  const t = readCgroupFile(join(dir, file));
  return t === undefined ? undefined : parseKeyed(t, join(dir, file));
};
const psi = (dir: string | undefined, file: string): PsiTotals | undefined => {
  if (dir === undefined) return undefined;
  const t = readCgroupFile(join(dir, file));
  return t === undefined ? undefined : parsePsi(t, join(dir, file));
};
const pidsOf = (dir: string | undefined): number[] | undefined => {
  if (dir === undefined) return undefined;
  const t = readCgroupFile(join(dir, 'cgroup.procs'));
  return t === undefined ? undefined : parsePidList(t, join(dir, 'cgroup.procs'));
};

/** MAX_MEMORY is cAdvisor's threshold above which a memory limit means "none" (2^62). */
const MAX_MEMORY = 2 ** 62;
const finiteLimit = (x: number | undefined): number | undefined => (x === undefined ? undefined : x > MAX_MEMORY ? Infinity : x);

/** readContainerStats reads a container's cgroup (path relative to the hierarchy roots) under the given layout. */
export function readContainerStats(layout: CgroupLayout, cgroupPath: string): ContainerStats {
  return layout.mode === 'v2' ? readV2(dirOf(layout.unified, cgroupPath)!) : readV1(layout, cgroupPath);
}

function created(dir: string | undefined): number | undefined {
  if (dir === undefined) return undefined;
  try {
    const s = statSync(dir);
    return Math.min(s.ctimeMs, s.birthtimeMs > 0 ? s.birthtimeMs : s.ctimeMs);
  } catch {
    return undefined;
  }
}

function readV1(layout: CgroupLayout, cg: string): ContainerStats {
  const cpuDir = dirOf(layout.v1.get('cpu'), cg);
  const acctDir = dirOf(layout.v1.get('cpuacct'), cg);
  const memDir = dirOf(layout.v1.get('memory'), cg);
  const blkDir = dirOf(layout.v1.get('blkio'), cg);
  const pidsDir = dirOf(layout.v1.get('pids'), cg);
  const uniDir = dirOf(layout.unified, cg);

  let cpu: CpuStats | undefined;
  const usage = v(acctDir, 'cpuacct.usage');
  if (usage !== undefined) {
    const st = keyed(acctDir, 'cpuacct.stat');
    const cs = keyed(cpuDir, 'cpu.stat');
    // cpuacct.stat counts USER_HZ ticks; libcontainer turns them into ns with integer math.
    cpu = {
      usageNs: usage,
      userNs: st?.has('user') === true ? st.get('user')! * 1e7 : undefined,
      systemNs: st?.has('system') === true ? st.get('system')! * 1e7 : undefined,
      periods: cs?.get('nr_periods'),
      throttledPeriods: cs?.get('nr_throttled'),
      throttledNs: cs?.get('throttled_time'),
      burstPeriods: cs?.get('nr_bursts'),
      burstNs: cs?.get('burst_time'),
    };
  }
  let cpuSpec: CpuSpec | undefined;
  const period = v(cpuDir, 'cpu.cfs_period_us');
  if (period !== undefined) {
    const quota = v(cpuDir, 'cpu.cfs_quota_us') ?? -1;
    cpuSpec = { periodUs: period, quotaUs: quota < 0 ? 0 : quota, shares: v(cpuDir, 'cpu.shares') ?? 0 };
  }

  let memory: MemoryStats | undefined;
  let memorySpec: MemorySpec | undefined;
  let oomKills: number | undefined;
  const memUsage = v(memDir, 'memory.usage_in_bytes');
  if (memUsage !== undefined) {
    const st = keyed(memDir, 'memory.stat') ?? new Map<string, number>();
    const hier = (v(memDir, 'memory.use_hierarchy') ?? 1) === 1;
    const k = (name: string): number | undefined => st.get(hier ? `total_${name}` : name);
    const inactive = st.get('total_inactive_file');
    memory = {
      usage: memUsage,
      maxUsage: v(memDir, 'memory.max_usage_in_bytes'),
      failcnt: v(memDir, 'memory.failcnt'),
      cache: k('cache') ?? 0,
      rss: k('rss') ?? 0,
      mappedFile: k('mapped_file') ?? 0,
      swap: k('swap'),
      workingSet: inactive === undefined ? memUsage : Math.max(0, memUsage - inactive),
      activeFile: st.get('total_active_file'),
      inactiveFile: inactive,
      kernel: v(memDir, 'memory.kmem.usage_in_bytes'),
      pgfault: st.get('pgfault'),
      pgmajfault: st.get('pgmajfault'),
      eventsHigh: undefined,
      eventsMax: undefined,
    };
    memorySpec = {
      limit: finiteLimit(v(memDir, 'memory.limit_in_bytes')) ?? Infinity,
      swapLimit: finiteLimit(v(memDir, 'memory.memsw.limit_in_bytes')),
      reservation: finiteLimit(v(memDir, 'memory.soft_limit_in_bytes')),
    };
    oomKills = keyed(memDir, 'memory.oom_control')?.get('oom_kill');
  }

  const io = readBlkio(blkDir);
  const pidsCurrent = v(pidsDir, 'pids.current');
  const pidsMaxRaw = v(pidsDir, 'pids.max');
  const pids = pidsOf(pidsDir) ?? pidsOf(memDir) ?? pidsOf(acctDir) ?? pidsOf(uniDir) ?? [];
  return {
    cpu,
    cpuSpec,
    memory,
    memorySpec,
    oomKills,
    io,
    pidsCurrent,
    pidsMax: pidsMaxRaw === undefined ? undefined : Number.isFinite(pidsMaxRaw) ? pidsMaxRaw : 0,
    pids,
    psi: { cpu: psi(uniDir, 'cpu.pressure'), memory: psi(uniDir, 'memory.pressure'), io: psi(uniDir, 'io.pressure') },
    cgroupCreatedMs: created(memDir ?? acctDir ?? cpuDir ?? pidsDir ?? uniDir),
  };
}

/**
 * readBlkio reads v1 block IO. The throttle files count IO of every scheduler but only once
 * a throttle rule exists on some kernels; the CFQ/BFQ files only under those schedulers. The
 * first file with device rows wins; Read and Write rows are used (Sync/Async/Discard classify
 * the same bytes again).
 */
function readBlkio(dir: string | undefined): DeviceIo[] {
  if (dir === undefined) return [];
  const pick = (names: readonly string[]): ReturnType<typeof parseBlkio> => {
    for (const n of names) {
      const t = readCgroupFile(join(dir, n));
      if (t === undefined) continue;
      const rows = parseBlkio(t, join(dir, n));
      if (rows.some((r) => r.value > 0)) return rows;
    }
    return [];
  };
  const bytes = pick(['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes', 'blkio.bfq.io_service_bytes_recursive', 'blkio.io_service_bytes_recursive']);
  const ops = pick(['blkio.throttle.io_serviced_recursive', 'blkio.throttle.io_serviced', 'blkio.bfq.io_serviced_recursive', 'blkio.io_serviced_recursive']);
  const devs = new Map<string, { major: number; minor: number; readBytes: number; writeBytes: number; reads: number; writes: number; byOp: Map<string, number> }>();
  const dev = (major: number, minor: number): ReturnType<typeof devs.get> & object => {
    const key = `${major}:${minor}`;
    let d = devs.get(key);
    if (d === undefined) {
      d = { major, minor, readBytes: 0, writeBytes: 0, reads: 0, writes: 0, byOp: new Map() };
      devs.set(key, d);
    }
    return d;
  };
  for (const r of bytes) {
    const d = dev(r.major, r.minor);
    d.byOp.set(r.op, (d.byOp.get(r.op) ?? 0) + r.value);
    if (r.op === 'Read') d.readBytes += r.value;
    else if (r.op === 'Write') d.writeBytes += r.value;
  }
  for (const r of ops) {
    const d = dev(r.major, r.minor);
    if (r.op === 'Read') d.reads += r.value;
    else if (r.op === 'Write') d.writes += r.value;
  }
  return [...devs.values()];
}

function readV2(dir: string): ContainerStats {
  const cs = keyed(dir, 'cpu.stat');
  const cpu: CpuStats | undefined =
    cs === undefined || !cs.has('usage_usec')
      ? undefined
      : {
          usageNs: cs.get('usage_usec')! * 1000,
          userNs: cs.has('user_usec') ? cs.get('user_usec')! * 1000 : undefined,
          systemNs: cs.has('system_usec') ? cs.get('system_usec')! * 1000 : undefined,
          periods: cs.get('nr_periods'),
          throttledPeriods: cs.get('nr_throttled'),
          throttledNs: cs.has('throttled_usec') ? cs.get('throttled_usec')! * 1000 : undefined,
          burstPeriods: cs.get('nr_bursts'),
          burstNs: cs.has('burst_usec') ? cs.get('burst_usec')! * 1000 : undefined,
        };
  let cpuSpec: CpuSpec | undefined;
  const maxText = readCgroupFile(join(dir, 'cpu.max'));
  if (maxText !== undefined) {
    const { quota, period } = parseCpuMax(maxText, join(dir, 'cpu.max'));
    const weight = v(dir, 'cpu.weight') ?? 0;
    cpuSpec = { periodUs: period, quotaUs: Number.isFinite(quota) ? quota : 0, shares: weight >= 1 && weight <= 10000 ? 2 + Math.floor(((weight - 1) * 262142) / 9999) : 0 };
  }
  let memory: MemoryStats | undefined;
  let memorySpec: MemorySpec | undefined;
  let oomKills: number | undefined;
  const usage = v(dir, 'memory.current');
  if (usage !== undefined) {
    const st = keyed(dir, 'memory.stat') ?? new Map<string, number>();
    const ev = keyed(dir, 'memory.events');
    const inactive = st.get('inactive_file');
    memory = {
      usage,
      maxUsage: v(dir, 'memory.peak'),
      failcnt: ev?.get('max'),
      cache: st.get('file') ?? 0,
      rss: st.get('anon') ?? 0,
      mappedFile: st.get('file_mapped') ?? 0,
      swap: v(dir, 'memory.swap.current'),
      workingSet: inactive === undefined ? usage : Math.max(0, usage - inactive),
      activeFile: st.get('active_file'),
      inactiveFile: inactive,
      kernel: st.get('kernel'),
      pgfault: st.get('pgfault'),
      pgmajfault: st.get('pgmajfault'),
      eventsHigh: ev?.get('high'),
      eventsMax: ev?.get('max'),
    };
    memorySpec = { limit: finiteLimit(v(dir, 'memory.max')) ?? Infinity, swapLimit: finiteLimit(v(dir, 'memory.swap.max')), reservation: finiteLimit(v(dir, 'memory.min')) };
    oomKills = ev?.get('oom_kill');
  }
  const io: DeviceIo[] = [];
  const ioText = readCgroupFile(join(dir, 'io.stat'));
  if (ioText !== undefined) {
    for (const r of parseIoStat(ioText, join(dir, 'io.stat'))) {
      const g = (k: string): number => r.fields.get(k) ?? 0;
      const byOp = new Map<string, number>([
        ['Read', g('rbytes')],
        ['Write', g('wbytes')],
        ['Discard', g('dbytes')],
        ['Total', g('rbytes') + g('wbytes') + g('dbytes')],
      ]);
      io.push({ major: r.major, minor: r.minor, readBytes: g('rbytes'), writeBytes: g('wbytes'), reads: g('rios'), writes: g('wios'), byOp });
    }
  }
  const pidsMaxRaw = v(dir, 'pids.max');
  return {
    cpu,
    cpuSpec,
    memory,
    memorySpec,
    oomKills,
    io,
    pidsCurrent: v(dir, 'pids.current'),
    pidsMax: pidsMaxRaw === undefined ? undefined : Number.isFinite(pidsMaxRaw) ? pidsMaxRaw : 0,
    pids: pidsOf(dir) ?? [],
    psi: { cpu: psi(dir, 'cpu.pressure'), memory: psi(dir, 'memory.pressure'), io: psi(dir, 'io.pressure') },
    cgroupCreatedMs: created(dir),
  };
}
