/**
 * Host metrics with node_exporter's names: collectors over /proc and /sys, the metric batch
 * they fill, and its text rendering.
 * @module
 */
export { MetricBatch, MetricType, compareSamples, renderText, sortedSampleOrder } from './metric-batch.js';
export type { FamilyView } from './metric-batch.js';
export type { Collector } from './collector.js';
export { HostCollector, HOST_COLLECTORS } from './host-collector.js';
export type { HostCollectorConfig } from './host-collector.js';
export { DEFAULT_HOST_PATHS, hostPaths, isMissing, listDir, readText, readTextAt, tryReadNumber, tryReadText } from './host-paths.js';
export type { HostPaths } from './host-paths.js';
export { CpuCollector, parseCpuList, parseCpuinfo, parseProcStatCpus } from './cpu-collector.js';
export type { CpuCollectorOptions, CpuInfo } from './cpu-collector.js';
export { MeminfoCollector, parseMeminfo } from './meminfo-collector.js';
export { LoadavgCollector, parseLoadavg } from './loadavg-collector.js';
export { StatCollector, parseProcStat } from './stat-collector.js';
export type { ProcStat } from './stat-collector.js';
export { VmstatCollector, DEFAULT_VMSTAT_FIELDS } from './vmstat-collector.js';
export { DiskstatsCollector, DEFAULT_DISK_EXCLUDE, parseDiskstats, parseUdevProperties } from './diskstats-collector.js';
export type { DiskStat } from './diskstats-collector.js';
export { FilesystemCollector, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE, parseMounts } from './filesystem-collector.js';
export type { Mount } from './filesystem-collector.js';
export { NetdevCollector, NETDEV_FIELDS, parseNetDev } from './netdev-collector.js';
export type { NetDevLine } from './netdev-collector.js';
export { NetclassCollector, parseSysInt } from './netclass-collector.js';
export { UnameCollector } from './uname-collector.js';
export { TimeCollector, zoneOf } from './time-collector.js';
export { PressureCollector, parsePsi } from './pressure-collector.js';
export type { PsiTotals } from './pressure-collector.js';
export { HwmonCollector, cleanMetricName, explodeSensorFilename } from './hwmon-collector.js';
export { ThermalZoneCollector } from './thermal-zone-collector.js';
export { EntropyCollector } from './entropy-collector.js';
export { FilefdCollector } from './filefd-collector.js';
export { OsCollector, parseOsRelease } from './os-collector.js';
export { CollectorError, MetricBatchError, NoDataError, ProcParseError } from './errors.js';
