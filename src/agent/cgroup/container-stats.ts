/**
 * Reads one container's cgroup files, v1 or v2, into the figures cAdvisor reports. Values
 * are as the kernel keeps them (bytes, nanoseconds, counts); a missing controller or file
 * leaves its part undefined rather than failing.
 * @module
 */
import { parsePsi, type PsiTotals } from '../host/index.js';
import { parseBlkio, parseCpuMax, parseIoStat, parseKeyed, parsePidList, parseValue, type BlkioRow } from './cgroup-files.js';
import type { CgroupLayout, CgroupMount } from './cgroup-mounts.js';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import type { KeptFiles } from './kept-files.js';
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

/** MAX_MEMORY is cAdvisor's threshold above which a memory limit means "none" (2^62). */
const MAX_MEMORY = 2 ** 62;
const finiteLimit = (x: number | undefined): number | undefined => (x === undefined ? undefined : x > MAX_MEMORY ? Infinity : x);

/** readContainerStats reads a container's cgroup (path relative to the hierarchy roots) once. */
export function readContainerStats(layout: CgroupLayout, cgroupPath: string): ContainerStats {
  return new ContainerStatsReader(layout, cgroupPath).read();
}

/** BLKIO_BYTES and BLKIO_OPS are the v1 files tried for block IO, best first. */
const BLKIO_BYTES = ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes', 'blkio.bfq.io_service_bytes_recursive', 'blkio.io_service_bytes_recursive'];
const BLKIO_OPS = ['blkio.throttle.io_serviced_recursive', 'blkio.throttle.io_serviced', 'blkio.bfq.io_serviced_recursive', 'blkio.io_serviced_recursive'];

/**
 * ContainerStatsReader reads one container's cgroup again and again, cycle after cycle,
 * opening as few files as it can: opening a cgroup file is most of the cost of a cycle. A
 * file found missing is not tried again (the set of interface files of a cgroup does not
 * change while it exists); the limits and the cgroup's creation time are re-read only every
 * `specEvery` reads; the block IO files that carry data are found once and re-probed only
 * every `specEvery` reads while none does. With `files`, descriptors stay open between reads
 * (see KeptFiles); close() closes them.
 */
export class ContainerStatsReader {
  readonly #layout: CgroupLayout;
  readonly #cg: string;
  readonly #specEvery: number;
  readonly #missing = new Set<string>();
  #reads = 0;
  #spec: { cpuSpec: CpuSpec | undefined; memorySpec: MemorySpec | undefined; pidsMax: number | undefined; useHierarchy: boolean; createdMs: number | undefined } | undefined;
  #blkio: { bytes: string | undefined; ops: string | undefined } | undefined;
  readonly #files: KeptFiles | undefined;

  constructor(layout: CgroupLayout, cgroupPath: string, opts: { specEvery?: number; files?: KeptFiles } = {}) {
    this.#layout = layout;
    this.#cg = cgroupPath;
    this.#specEvery = opts.specEvery ?? 6;
    this.#files = opts.files;
  }

  /** close closes the descriptors kept for this cgroup. */
  close(): void {
    this.#files?.close();
  }

  /** read returns the container's figures now. Throws CgroupParseError for a malformed file. */
  read(): ContainerStats {
    const fresh = this.#reads++ % this.#specEvery === 0;
    if (fresh) this.#spec = undefined;
    return this.#layout.mode === 'v2' ? this.#readV2(dirOf(this.#layout.unified, this.#cg)!) : this.#readV1(fresh);
  }

  /** The path #text read last: the parsers name it in their errors (built once, not per parse). */
  #path = '';

  #text(dir: string | undefined, file: string): string | undefined {
    if (dir === undefined) return undefined;
    // Plain concatenation: path.join showed in profiles at a few hundred files per cycle.
    const path = `${dir}/${file}`;
    if (this.#missing.has(path)) return undefined;
    // Every interface file but the pid lists is made by one show call: one read() is enough.
    const single = file !== 'cgroup.procs' && file !== 'tasks';
    const t = this.#files !== undefined ? this.#files.read(path, single) : readCgroupFile(path, single);
    if (t === undefined) this.#missing.add(path);
    this.#path = path;
    return t;
  }

  #v(dir: string | undefined, file: string): number | undefined {
    const t = this.#text(dir, file);
    return t === undefined ? undefined : parseValue(t, this.#path);
  }

  #keyed(dir: string | undefined, file: string): Map<string, number> | undefined {
    const t = this.#text(dir, file);
    return t === undefined ? undefined : parseKeyed(t, this.#path);
  }

  #psi(dir: string | undefined, file: string): PsiTotals | undefined {
    const t = this.#text(dir, file);
    return t === undefined ? undefined : parsePsi(t, this.#path);
  }

  #pids(dir: string | undefined): number[] | undefined {
    const t = this.#text(dir, 'cgroup.procs');
    return t === undefined ? undefined : parsePidList(t, this.#path);
  }

  #dirs: { cpu?: string; acct?: string; mem?: string; blk?: string; pids?: string; uni?: string } | undefined;

  #readV1(fresh: boolean): ContainerStats {
    const l = this.#layout;
    const cg = this.#cg;
    this.#dirs ??= {
      cpu: dirOf(l.v1.get('cpu'), cg),
      acct: dirOf(l.v1.get('cpuacct'), cg),
      mem: dirOf(l.v1.get('memory'), cg),
      blk: dirOf(l.v1.get('blkio'), cg),
      pids: dirOf(l.v1.get('pids'), cg),
      uni: dirOf(l.unified, cg),
    };
    const { cpu: cpuDir, acct: acctDir, mem: memDir, blk: blkDir, pids: pidsDir, uni: uniDir } = this.#dirs;

    if (this.#spec === undefined) {
      let cpuSpec: CpuSpec | undefined;
      const period = this.#v(cpuDir, 'cpu.cfs_period_us');
      if (period !== undefined) {
        const quota = this.#v(cpuDir, 'cpu.cfs_quota_us') ?? -1;
        cpuSpec = { periodUs: period, quotaUs: quota < 0 ? 0 : quota, shares: this.#v(cpuDir, 'cpu.shares') ?? 0 };
      }
      const limit = this.#v(memDir, 'memory.limit_in_bytes');
      const memorySpec =
        limit === undefined
          ? undefined
          : { limit: finiteLimit(limit) ?? Infinity, swapLimit: finiteLimit(this.#v(memDir, 'memory.memsw.limit_in_bytes')), reservation: finiteLimit(this.#v(memDir, 'memory.soft_limit_in_bytes')) };
      const pidsMax = this.#v(pidsDir, 'pids.max');
      this.#spec = {
        cpuSpec,
        memorySpec,
        pidsMax: pidsMax === undefined ? undefined : Number.isFinite(pidsMax) ? pidsMax : 0,
        useHierarchy: (this.#v(memDir, 'memory.use_hierarchy') ?? 1) === 1,
        createdMs: created(memDir ?? acctDir ?? cpuDir ?? pidsDir ?? uniDir),
      };
    }
    const spec = this.#spec;

    let cpu: CpuStats | undefined;
    const usage = this.#v(acctDir, 'cpuacct.usage');
    if (usage !== undefined) {
      const st = this.#keyed(acctDir, 'cpuacct.stat');
      const cs = this.#keyed(cpuDir, 'cpu.stat');
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

    let memory: MemoryStats | undefined;
    let oomKills: number | undefined;
    const memUsage = this.#v(memDir, 'memory.usage_in_bytes');
    if (memUsage !== undefined) {
      const st = this.#keyed(memDir, 'memory.stat') ?? new Map<string, number>();
      const k = (name: string): number | undefined => st.get(spec.useHierarchy ? `total_${name}` : name);
      const inactive = st.get('total_inactive_file');
      memory = {
        usage: memUsage,
        maxUsage: this.#v(memDir, 'memory.max_usage_in_bytes'),
        failcnt: this.#v(memDir, 'memory.failcnt'),
        cache: k('cache') ?? 0,
        rss: k('rss') ?? 0,
        mappedFile: k('mapped_file') ?? 0,
        swap: k('swap'),
        workingSet: inactive === undefined ? memUsage : Math.max(0, memUsage - inactive),
        activeFile: st.get('total_active_file'),
        inactiveFile: inactive,
        kernel: this.#v(memDir, 'memory.kmem.usage_in_bytes'),
        pgfault: st.get('pgfault'),
        pgmajfault: st.get('pgmajfault'),
        eventsHigh: undefined,
        eventsMax: undefined,
      };
      oomKills = this.#keyed(memDir, 'memory.oom_control')?.get('oom_kill');
    }

    return {
      cpu,
      cpuSpec: spec.cpuSpec,
      memory,
      memorySpec: spec.memorySpec,
      oomKills,
      io: this.#readBlkio(blkDir, fresh),
      pidsCurrent: this.#v(pidsDir, 'pids.current'),
      pidsMax: spec.pidsMax,
      pids: this.#pids(pidsDir) ?? this.#pids(memDir) ?? this.#pids(acctDir) ?? this.#pids(uniDir) ?? [],
      psi: { cpu: this.#psi(uniDir, 'cpu.pressure'), memory: this.#psi(uniDir, 'memory.pressure'), io: this.#psi(uniDir, 'io.pressure') },
      cgroupCreatedMs: spec.createdMs,
    };
  }

  /**
   * readBlkio reads v1 block IO. The throttle files count IO of every scheduler but only once
   * a throttle rule exists on some kernels; the CFQ/BFQ files only under those schedulers. The
   * first file with non-zero device rows wins; Read and Write rows are used (Sync, Async and
   * Discard classify the same bytes again).
   */
  #readBlkio(dir: string | undefined, probe: boolean): DeviceIo[] {
    if (dir === undefined) return [];
    if (this.#blkio === undefined || this.#blkio.bytes === undefined) {
      // While no file has shown data, the best candidate is checked every read and all of
      // them every specEvery reads (a file that is missing is never opened again).
      const first = (names: readonly string[]): string | undefined =>
        names.find((n, i) => {
          if (!probe && i > 0 && this.#blkio !== undefined) return false;
          const t = this.#text(dir, n);
          return t !== undefined && parseBlkio(t, this.#path).some((r) => r.value > 0);
        });
      this.#blkio = { bytes: first(BLKIO_BYTES), ops: first(BLKIO_OPS) };
    }
    const rowsOf = (n: string | undefined): BlkioRow[] => {
      if (n === undefined) return [];
      const t = this.#text(dir, n);
      return t === undefined ? [] : parseBlkio(t, this.#path);
    };
    const devs = new Map<string, { major: number; minor: number; readBytes: number; writeBytes: number; reads: number; writes: number; byOp: Map<string, number> }>();
    const dev = (major: number, minor: number): NonNullable<ReturnType<typeof devs.get>> => {
      const key = `${major}:${minor}`;
      let d = devs.get(key);
      if (d === undefined) {
        d = { major, minor, readBytes: 0, writeBytes: 0, reads: 0, writes: 0, byOp: new Map() };
        devs.set(key, d);
      }
      return d;
    };
    for (const r of rowsOf(this.#blkio.bytes)) {
      const d = dev(r.major, r.minor);
      d.byOp.set(r.op, (d.byOp.get(r.op) ?? 0) + r.value);
      if (r.op === 'Read') d.readBytes += r.value;
      else if (r.op === 'Write') d.writeBytes += r.value;
    }
    for (const r of rowsOf(this.#blkio.ops)) {
      const d = dev(r.major, r.minor);
      if (r.op === 'Read') d.reads += r.value;
      else if (r.op === 'Write') d.writes += r.value;
    }
    return [...devs.values()];
  }

  #readV2(dir: string): ContainerStats {
    if (this.#spec === undefined) {
      let cpuSpec: CpuSpec | undefined;
      const maxText = this.#text(dir, 'cpu.max');
      if (maxText !== undefined) {
        const { quota, period } = parseCpuMax(maxText, this.#path);
        const weight = this.#v(dir, 'cpu.weight') ?? 0;
        cpuSpec = { periodUs: period, quotaUs: Number.isFinite(quota) ? quota : 0, shares: weight >= 1 && weight <= 10000 ? 2 + Math.floor(((weight - 1) * 262142) / 9999) : 0 };
      }
      const max = this.#v(dir, 'memory.max');
      const memorySpec = max === undefined ? undefined : { limit: finiteLimit(max) ?? Infinity, swapLimit: finiteLimit(this.#v(dir, 'memory.swap.max')), reservation: finiteLimit(this.#v(dir, 'memory.min')) };
      const pidsMax = this.#v(dir, 'pids.max');
      this.#spec = { cpuSpec, memorySpec, pidsMax: pidsMax === undefined ? undefined : Number.isFinite(pidsMax) ? pidsMax : 0, useHierarchy: true, createdMs: created(dir) };
    }
    const spec = this.#spec;
    const cs = this.#keyed(dir, 'cpu.stat');
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
    let memory: MemoryStats | undefined;
    let oomKills: number | undefined;
    const usage = this.#v(dir, 'memory.current');
    if (usage !== undefined) {
      const st = this.#keyed(dir, 'memory.stat') ?? new Map<string, number>();
      const ev = this.#keyed(dir, 'memory.events');
      const inactive = st.get('inactive_file');
      memory = {
        usage,
        maxUsage: this.#v(dir, 'memory.peak'),
        failcnt: ev?.get('max'),
        cache: st.get('file') ?? 0,
        rss: st.get('anon') ?? 0,
        mappedFile: st.get('file_mapped') ?? 0,
        swap: this.#v(dir, 'memory.swap.current'),
        workingSet: inactive === undefined ? usage : Math.max(0, usage - inactive),
        activeFile: st.get('active_file'),
        inactiveFile: inactive,
        kernel: st.get('kernel'),
        pgfault: st.get('pgfault'),
        pgmajfault: st.get('pgmajfault'),
        eventsHigh: ev?.get('high'),
        eventsMax: ev?.get('max'),
      };
      oomKills = ev?.get('oom_kill');
    }
    const io: DeviceIo[] = [];
    const ioText = this.#text(dir, 'io.stat');
    if (ioText !== undefined) {
      for (const r of parseIoStat(ioText, this.#path)) {
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
    return {
      cpu,
      cpuSpec: spec.cpuSpec,
      memory,
      memorySpec: spec.memorySpec,
      oomKills,
      io,
      pidsCurrent: this.#v(dir, 'pids.current'),
      pidsMax: spec.pidsMax,
      pids: this.#pids(dir) ?? [],
      psi: { cpu: this.#psi(dir, 'cpu.pressure'), memory: this.#psi(dir, 'memory.pressure'), io: this.#psi(dir, 'io.pressure') },
      cgroupCreatedMs: spec.createdMs,
    };
  }
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
