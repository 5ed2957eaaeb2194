/**
 * node_exporter's `cpu` collector: per-CPU time by mode from /proc/stat, guest time, thermal
 * throttle counts and isolated CPUs from /sys.
 * @module
 */
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { ProcParseError } from './errors.js';
import { listDir, tryReadNumber, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** USER_HZ: /proc/stat counts clock ticks of 1/100 s on every Linux architecture node_exporter supports. */
const USER_HZ = 100;
/** An idle counter that goes back by this many seconds means a CPU was hot-plugged: start it over. */
const JUMP_BACK_SECONDS = 3.0;

const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** CpuTimes are one CPU's /proc/stat times in seconds: the 8 modes, then guest and guest_nice. */
type CpuTimes = Float64Array;

/** parseProcStatCpus reads the per-CPU lines of /proc/stat (not the `cpu` total) as seconds. */
export function parseProcStatCpus(text: string, path = '/proc/stat'): Map<number, CpuTimes> {
  const out = new Map<number, CpuTimes>();
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    if (!line.startsWith('cpu') || line.startsWith('cpu ')) continue;
    const f = line.trim().split(/\s+/);
    const id = Number(f[0]!.slice(3));
    if (!Number.isInteger(id) || id < 0) throw new ProcParseError(path, ln + 1, `bad cpu name "${f[0]}"`);
    if (f.length < 5) throw new ProcParseError(path, ln + 1, `too few fields in "${line}"`);
    const t = new Float64Array(10);
    for (let i = 1; i < f.length && i <= 10; i++) {
      const v = Number(f[i]);
      if (!Number.isFinite(v)) throw new ProcParseError(path, ln + 1, `bad number "${f[i]}"`);
      t[i - 1] = v / USER_HZ;
    }
    out.set(id, t);
  }
  return out;
}

/** CpuCollectorOptions configure the cpu collector. */
export interface CpuCollectorOptions {
  readonly paths: HostPaths;
  /** Export node_cpu_guest_seconds_total (node_exporter's --collector.cpu.guest, default true). */
  readonly guest?: boolean;
  /** Export node_cpu_info and node_cpu_frequency_hertz from /proc/cpuinfo (--collector.cpu.info, default false). */
  readonly info?: boolean;
  /** Export node_cpu_flag_info for the first CPU's flags matching this regex (turns info on). */
  readonly flagsInclude?: string;
  /** Export node_cpu_bug_info for the first CPU's bugs matching this regex (turns info on). */
  readonly bugsInclude?: string;
}

/** CpuInfo is one processor block of /proc/cpuinfo (x86 field names). */
export interface CpuInfo {
  readonly processor: string;
  readonly vendorId: string;
  readonly cpuFamily: string;
  readonly model: string;
  readonly modelName: string;
  readonly stepping: string;
  readonly microcode: string;
  readonly cpuMHz: number;
  readonly cacheSize: string;
  readonly physicalId: string;
  readonly coreId: string;
  readonly flags: readonly string[];
  readonly bugs: readonly string[];
}

/** parseCpuinfo reads /proc/cpuinfo's processor blocks. */
export function parseCpuinfo(text: string): CpuInfo[] {
  const out: CpuInfo[] = [];
  let cur: Map<string, string> | undefined;
  const flush = (): void => {
    if (cur === undefined) return;
    const g = (k: string): string => cur!.get(k) ?? '';
    out.push({
      processor: g('processor'),
      vendorId: g('vendor_id'),
      cpuFamily: g('cpu family'),
      model: g('model'),
      modelName: g('model name'),
      stepping: g('stepping'),
      microcode: g('microcode'),
      cpuMHz: Number(g('cpu MHz')) || 0,
      cacheSize: g('cache size'),
      physicalId: g('physical id'),
      coreId: g('core id'),
      flags: g('flags').split(/\s+/).filter((x) => x !== ''),
      bugs: g('bugs').split(/\s+/).filter((x) => x !== ''),
    });
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    const c = line.indexOf(':');
    if (c < 0) continue;
    const k = line.slice(0, c).trim();
    const v = line.slice(c + 1).trim();
    if (k === 'processor') {
      flush();
      cur = new Map();
    }
    cur?.set(k, v);
  }
  flush();
  return out;
}

/** CpuCollector is node_exporter's cpu collector. */
export class CpuCollector implements Collector {
  readonly name = 'cpu';
  readonly #paths: HostPaths;
  readonly #guest: boolean;
  /** Last exported times per CPU, to keep the counters from going backwards. */
  readonly #last = new Map<number, CpuTimes>();
  readonly #isolated: readonly number[];
  readonly #info: boolean;
  readonly #flags: Regex | undefined;
  readonly #bugs: Regex | undefined;

  constructor(opts: CpuCollectorOptions) {
    this.#paths = opts.paths;
    this.#guest = opts.guest ?? true;
    this.#flags = (opts.flagsInclude ?? '') !== '' ? nameFilter(opts.flagsInclude!) : undefined;
    this.#bugs = (opts.bugsInclude ?? '') !== '' ? nameFilter(opts.bugsInclude!) : undefined;
    this.#info = (opts.info ?? false) || this.#flags !== undefined || this.#bugs !== undefined;
    this.#isolated = parseCpuList(tryReadText(under(opts.paths.sysfs, 'devices/system/cpu/isolated')) ?? '');
  }

  collect(out: MetricBatch): void {
    if (this.#info) this.#cpuinfo(out);
    const path = under(this.#paths.procfs, 'stat');
    const text = tryReadText(path);
    if (text === undefined) throw new ProcParseError(path, 0, 'cannot read');
    const stats = parseProcStatCpus(text, path);
    const secs = out.family('node_cpu_seconds_total', MetricType.counter, 'Seconds the CPUs spent in each mode.', ['cpu', 'mode']);
    const guest = this.#guest ? out.family('node_cpu_guest_seconds_total', MetricType.counter, 'Seconds the CPUs spent in guests (VMs) for each mode.', ['cpu', 'mode']) : -1;
    for (const [id, cur] of stats) {
      const t = this.#monotonic(id, cur);
      const cpu = String(id);
      for (let m = 0; m < MODES.length; m++) out.add(secs, t[m]!, [cpu, MODES[m]!]);
      if (guest >= 0) {
        // Guest time is also counted in user and nice; exported apart.
        out.add(guest, t[8]!, [cpu, 'user']);
        out.add(guest, t[9]!, [cpu, 'nice']);
      }
    }
    for (const id of [...this.#last.keys()]) if (!stats.has(id)) this.#last.delete(id);
    if (this.#isolated.length > 0) {
      const iso = out.family('node_cpu_isolated', MetricType.gauge, 'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.', ['cpu']);
      for (const c of this.#isolated) out.add(iso, 1, [String(c)]);
    }
    this.#throttles(out);
  }

  #cpuinfo(out: MetricBatch): void {
    const path = under(this.#paths.procfs, 'cpuinfo');
    const text = tryReadText(path);
    if (text === undefined) throw new ProcParseError(path, 0, 'cannot read');
    const info = parseCpuinfo(text);
    const inf = out.family('node_cpu_info', MetricType.gauge, 'CPU information from /proc/cpuinfo.', ['package', 'core', 'cpu', 'vendor', 'family', 'model', 'model_name', 'microcode', 'stepping', 'cachesize']);
    const freq = out.family('node_cpu_frequency_hertz', MetricType.gauge, 'CPU frequency in hertz from /proc/cpuinfo.', ['package', 'core', 'cpu']);
    for (const c of info) {
      out.add(inf, 1, [c.physicalId, c.coreId, c.processor, c.vendorId, c.cpuFamily, c.model, c.modelName, c.microcode, c.stepping, c.cacheSize]);
      out.add(freq, c.cpuMHz * 1e6, [c.physicalId, c.coreId, c.processor]);
    }
    const first = info[0];
    if (first === undefined) return;
    if (this.#flags !== undefined) {
      const f = out.family('node_cpu_flag_info', MetricType.gauge, 'The `flags` field of CPU information from /proc/cpuinfo taken from the first core.', ['flag']);
      for (const x of first.flags) if (this.#flags.test(x)) out.add(f, 1, [x]);
    }
    if (this.#bugs !== undefined) {
      const f = out.family('node_cpu_bug_info', MetricType.gauge, 'The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.', ['bug']);
      for (const x of first.bugs) if (this.#bugs.test(x)) out.add(f, 1, [x]);
    }
  }

  #monotonic(id: number, cur: CpuTimes): CpuTimes {
    let last = this.#last.get(id);
    if (last === undefined || last[3]! - cur[3]! >= JUMP_BACK_SECONDS) {
      last = new Float64Array(10);
      this.#last.set(id, last);
    }
    for (let i = 0; i < 10; i++) if (cur[i]! >= last[i]!) last[i] = cur[i]!;
    return last;
  }

  #throttles(out: MetricBatch): void {
    const base = under(this.#paths.sysfs, 'devices/system/cpu');
    const pkg = new Map<string, number>();
    const core = new Map<string, number>();
    for (const d of listDir(base)) {
      if (!/^cpu\d+$/.test(d)) continue;
      const p = tryReadNumber(under(base, d, 'topology/physical_package_id'));
      const c = tryReadNumber(under(base, d, 'topology/core_id'));
      if (p === undefined || c === undefined) continue;
      const ck = `${p}\u0000${c}`;
      if (!core.has(ck)) {
        const n = tryReadNumber(under(base, d, 'thermal_throttle/core_throttle_count'));
        if (n !== undefined) core.set(ck, n);
      }
      if (!pkg.has(String(p))) {
        const n = tryReadNumber(under(base, d, 'thermal_throttle/package_throttle_count'));
        if (n !== undefined) pkg.set(String(p), n);
      }
    }
    if (pkg.size > 0) {
      const f = out.family('node_cpu_package_throttles_total', MetricType.counter, 'Number of times this CPU package has been throttled.', ['package']);
      for (const [p, n] of pkg) out.add(f, n, [p]);
    }
    if (core.size > 0) {
      const f = out.family('node_cpu_core_throttles_total', MetricType.counter, 'Number of times this CPU core has been throttled.', ['package', 'core']);
      for (const [k, n] of core) out.add(f, n, k.split('\u0000'));
    }
  }
}

/** parseCpuList reads a kernel CPU list such as `1,3-5,9`. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) continue;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let i = a; i <= b && i - a < 65536; i++) out.push(i);
  }
  return out;
}
