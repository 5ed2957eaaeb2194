/**
 * Container metrics from cgroups v1 and v2 with cAdvisor's names, and OOM kills from the
 * kernel log.
 * @module
 */
export { CgroupCollector } from './cgroup-collector.js';
export type { CgroupCollectorOptions, ContainerMetadata, FoundContainer, MetadataSource, OomCounter } from './cgroup-collector.js';
export { cgroupLayout, parseCgroupMounts, unescapeMountPath } from './cgroup-mounts.js';
export type { CgroupLayout, CgroupMount } from './cgroup-mounts.js';
export { parseBlkio, parseCpuMax, parseIoStat, parseKeyed, parsePidList, parseValue } from './cgroup-files.js';
export type { BlkioRow, IoStatRow } from './cgroup-files.js';
export { containerOf } from './container-id.js';
export type { ContainerRef } from './container-id.js';
export { ContainerStatsReader, dirOf, readContainerStats } from './container-stats.js';
export type { ContainerStats, CpuSpec, CpuStats, DeviceIo, MemorySpec, MemoryStats } from './container-stats.js';
export { KmsgOomWatcher, OomParser, parseKmsgRecord } from './kmsg-oom-watcher.js';
export type { KmsgOomWatcherOptions, KmsgRecord, OomEvent } from './kmsg-oom-watcher.js';
export { readCgroupFile } from './read-cgroup-file.js';
export { CgroupParseError, NoCgroupsError } from './errors.js';
