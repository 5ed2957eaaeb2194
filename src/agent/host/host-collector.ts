/**
 * The host side of the agent: node_exporter's collectors for the host's /proc and /sys, run
 * together once per cycle, each timed and its success recorded in node_exporter's scrape
 * meta-metrics.
 * @module
 */
import type { Collector } from './collector.js';
import { CpuCollector } from './cpu-collector.js';
import { DiskstatsCollector } from './diskstats-collector.js';
import { CollectorError, NoDataError } from './errors.js';
import { FilesystemCollector } from './filesystem-collector.js';
import { hostPaths, type HostPaths } from './host-paths.js';
import { HwmonCollector } from './hwmon-collector.js';
import { LoadavgCollector } from './loadavg-collector.js';
import { MeminfoCollector } from './meminfo-collector.js';
import { MetricType, type MetricBatch } from './metric-batch.js';
import { NetdevCollector } from './netdev-collector.js';
import { PressureCollector } from './pressure-collector.js';
import { StatCollector } from './stat-collector.js';
import { ThermalZoneCollector } from './thermal-zone-collector.js';
import { TimeCollector } from './time-collector.js';
import { UnameCollector } from './uname-collector.js';
import { VmstatCollector } from './vmstat-collector.js';
import { EntropyCollector } from './entropy-collector.js';
import { FilefdCollector } from './filefd-collector.js';
import { OsCollector } from './os-collector.js';
import { NetclassCollector } from './netclass-collector.js';

/** HostCollectorConfig selects and tunes the host collectors (node_exporter's flags). */
export interface HostCollectorConfig {
  readonly paths?: Partial<HostPaths>;
  /** Turn collectors on or off by name, over their defaults (`--collector.X` / `--no-collector.X`). */
  readonly enable?: Readonly<Record<string, boolean>>;
  readonly cpuGuest?: boolean;
  readonly cpuInfo?: boolean;
  readonly cpuInfoFlagsInclude?: string;
  readonly cpuInfoBugsInclude?: string;
  readonly hwmonChipInclude?: string;
  readonly hwmonChipExclude?: string;
  readonly hwmonSensorInclude?: string;
  readonly hwmonSensorExclude?: string;
  readonly netclassIgnoreInvalidSpeed?: boolean;
  readonly statSoftirq?: boolean;
  readonly vmstatFields?: string;
  readonly diskstatsDeviceExclude?: string;
  readonly diskstatsDeviceInclude?: string;
  readonly filesystemMountPointsExclude?: string;
  readonly filesystemFsTypesExclude?: string;
  readonly netdevDeviceExclude?: string;
  readonly netdevDeviceInclude?: string;
  readonly netclassIgnoredDevices?: string;
  /** Called once per failing collector per cycle (not for NoDataError). */
  readonly onError?: (e: CollectorError) => void;
}

interface Entry {
  readonly defaultEnabled: boolean;
  readonly make: (c: HostCollectorConfig, p: HostPaths) => Collector;
}

/** HOST_COLLECTORS lists the host collectors by node_exporter name, with node_exporter's default enablement. */
export const HOST_COLLECTORS: Readonly<Record<string, Entry>> = {
  cpu: { defaultEnabled: true, make: (c, paths) => new CpuCollector({ paths, guest: c.cpuGuest, info: c.cpuInfo, flagsInclude: c.cpuInfoFlagsInclude, bugsInclude: c.cpuInfoBugsInclude }) },
  diskstats: { defaultEnabled: true, make: (c, paths) => new DiskstatsCollector({ paths, exclude: c.diskstatsDeviceExclude, include: c.diskstatsDeviceInclude }) },
  entropy: { defaultEnabled: true, make: (_c, paths) => new EntropyCollector({ paths }) },
  filefd: { defaultEnabled: true, make: (_c, paths) => new FilefdCollector({ paths }) },
  filesystem: { defaultEnabled: true, make: (c, paths) => new FilesystemCollector({ paths, mountPointsExclude: c.filesystemMountPointsExclude, fsTypesExclude: c.filesystemFsTypesExclude }) },
  hwmon: { defaultEnabled: true, make: (c, paths) => new HwmonCollector({ paths, chipInclude: c.hwmonChipInclude, chipExclude: c.hwmonChipExclude, sensorInclude: c.hwmonSensorInclude, sensorExclude: c.hwmonSensorExclude }) },
  loadavg: { defaultEnabled: true, make: (_c, paths) => new LoadavgCollector({ paths }) },
  meminfo: { defaultEnabled: true, make: (_c, paths) => new MeminfoCollector({ paths }) },
  netclass: { defaultEnabled: true, make: (c, paths) => new NetclassCollector({ paths, ignoredDevices: c.netclassIgnoredDevices, ignoreInvalidSpeed: c.netclassIgnoreInvalidSpeed }) },
  netdev: { defaultEnabled: true, make: (c, paths) => new NetdevCollector({ paths, exclude: c.netdevDeviceExclude, include: c.netdevDeviceInclude }) },
  os: { defaultEnabled: true, make: (_c, paths) => new OsCollector({ paths }) },
  pressure: { defaultEnabled: true, make: (_c, paths) => new PressureCollector({ paths }) },
  stat: { defaultEnabled: true, make: (c, paths) => new StatCollector({ paths, softirq: c.statSoftirq }) },
  thermal_zone: { defaultEnabled: true, make: (_c, paths) => new ThermalZoneCollector({ paths }) },
  time: { defaultEnabled: true, make: (_c, paths) => new TimeCollector({ paths }) },
  uname: { defaultEnabled: true, make: (_c, paths) => new UnameCollector({ paths }) },
  vmstat: { defaultEnabled: true, make: (c, paths) => new VmstatCollector({ paths, fields: c.vmstatFields }) },
};

/** HostCollector runs the enabled host collectors into one batch per cycle. */
export class HostCollector {
  readonly collectors: readonly Collector[];
  readonly #onError: ((e: CollectorError) => void) | undefined;

  constructor(config: HostCollectorConfig = {}) {
    const paths = hostPaths(config.paths);
    for (const name of Object.keys(config.enable ?? {})) {
      if (HOST_COLLECTORS[name] === undefined) throw new Error(`unknown host collector "${name}" (known: ${Object.keys(HOST_COLLECTORS).join(', ')})`);
    }
    this.collectors = Object.entries(HOST_COLLECTORS)
      .filter(([name, e]) => config.enable?.[name] ?? e.defaultEnabled)
      .map(([, e]) => e.make(config, paths));
    this.#onError = config.onError;
  }

  /** collect runs every collector (concurrently where they wait on I/O) and adds node_scrape_collector_* for each. */
  async collect(out: MetricBatch, signal?: AbortSignal): Promise<void> {
    const results = await Promise.all(
      this.collectors.map(async (c) => {
        const start = performance.now();
        let ok = 1;
        try {
          await c.collect(out, signal);
        } catch (e) {
          ok = 0;
          if (!(e instanceof NoDataError)) this.#onError?.(new CollectorError(c.name, { cause: e }));
        }
        return { name: c.name, seconds: (performance.now() - start) / 1000, ok };
      }),
    );
    const dur = out.family('node_scrape_collector_duration_seconds', MetricType.gauge, 'node_exporter: Duration of a collector scrape.', ['collector']);
    const success = out.family('node_scrape_collector_success', MetricType.gauge, 'node_exporter: Whether a collector succeeded.', ['collector']);
    for (const r of results) {
      out.add(dur, r.seconds, [r.name]);
      out.add(success, r.ok, [r.name]);
    }
  }
}
