/**
 * node_exporter's `diskstats` collector: block device IO counters from /proc/diskstats, and
 * device information from the udev database (node_disk_info, filesystem, device mapper and
 * ATA properties). Partitions of whole disks, RAM disks and loops are left out by default.
 * @module
 */
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { ProcParseError } from './errors.js';
import { readText, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** DEFAULT_DISK_EXCLUDE is node_exporter's --collector.diskstats.device-exclude default. */
export const DEFAULT_DISK_EXCLUDE = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

const SECONDS_PER_TICK = 1.0 / 1000.0;
const SECTOR = 512.0;

/** DiskStat is one /proc/diskstats line: numbers after major, minor and name. */
export interface DiskStat {
  readonly major: string;
  readonly minor: string;
  readonly device: string;
  readonly fields: readonly number[];
}

/** parseDiskstats reads /proc/diskstats. */
export function parseDiskstats(text: string, path = '/proc/diskstats'): DiskStat[] {
  const out: DiskStat[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const f = lines[ln]!.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') continue;
    if (f.length < 14) throw new ProcParseError(path, ln + 1, `expected at least 14 fields, got ${f.length}`);
    const nums = f.slice(3).map(Number);
    if (nums.some((v) => !Number.isFinite(v))) throw new ProcParseError(path, ln + 1, `bad number in "${lines[ln]!.trim()}"`);
    out.push({ major: f[0]!, minor: f[1]!, device: f[2]!, fields: nums });
  }
  return out;
}

// [name, help, type, factor] in /proc/diskstats order.
const STATS: readonly (readonly [string, string, MetricType, number])[] = [
  ['reads_completed_total', 'The total number of reads completed successfully.', 'counter', 1],
  ['reads_merged_total', 'The total number of reads merged.', 'counter', 1],
  ['read_bytes_total', 'The total number of bytes read successfully.', 'counter', SECTOR],
  ['read_time_seconds_total', 'The total number of seconds spent by all reads.', 'counter', SECONDS_PER_TICK],
  ['writes_completed_total', 'The total number of writes completed successfully.', 'counter', 1],
  ['writes_merged_total', 'The number of writes merged.', 'counter', 1],
  ['written_bytes_total', 'The total number of bytes written successfully.', 'counter', SECTOR],
  ['write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter', SECONDS_PER_TICK],
  ['io_now', 'The number of I/Os currently in progress.', 'gauge', 1],
  ['io_time_seconds_total', 'Total seconds spent doing I/Os.', 'counter', SECONDS_PER_TICK],
  ['io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter', SECONDS_PER_TICK],
  ['discards_completed_total', 'The total number of discards completed successfully.', 'counter', 1],
  ['discards_merged_total', 'The total number of discards merged.', 'counter', 1],
  ['discarded_sectors_total', 'The total number of sectors discarded successfully.', 'counter', 1],
  ['discard_time_seconds_total', 'This is the total number of seconds spent by all discards.', 'counter', SECONDS_PER_TICK],
  ['flush_requests_total', 'The total number of flush requests completed successfully', 'counter', 1],
  ['flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.', 'counter', SECONDS_PER_TICK],
];

const ATA: readonly (readonly [string, string, string])[] = [
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
];

/** parseUdevProperties reads the `E:KEY=value` lines of a udev database file. */
export function parseUdevProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}

/** DiskstatsCollectorOptions configure the diskstats collector. */
export interface DiskstatsCollectorOptions {
  readonly paths: HostPaths;
  /** Devices to leave out (regex; default DEFAULT_DISK_EXCLUDE); ignored when `include` is set. */
  readonly exclude?: string;
  /** Only these devices (regex). */
  readonly include?: string;
}

/** DiskstatsCollector is node_exporter's diskstats collector. */
export class DiskstatsCollector implements Collector {
  readonly name = 'diskstats';
  readonly #paths: HostPaths;
  readonly #exclude: Regex | undefined;
  readonly #include: Regex | undefined;

  constructor(opts: DiskstatsCollectorOptions) {
    this.#paths = opts.paths;
    this.#include = opts.include !== undefined && opts.include !== '' ? nameFilter(opts.include) : undefined;
    const ex = this.#include !== undefined ? '' : (opts.exclude ?? DEFAULT_DISK_EXCLUDE);
    this.#exclude = ex !== '' ? nameFilter(ex) : undefined;
  }

  collect(out: MetricBatch): void {
    const path = under(this.#paths.procfs, 'diskstats');
    const stats = parseDiskstats(readText(path), path);
    const info = out.family('node_disk_info', MetricType.gauge, 'Info of /sys/block/<block_device>.', ['device', 'major', 'minor', 'path', 'wwn', 'model', 'serial', 'revision', 'rotational']);
    const fams = STATS.map(([n, h, t]) => out.family(`node_disk_${n}`, t, h, ['device']));
    for (const s of stats) {
      const dev = s.device;
      if (this.#include !== undefined ? !this.#include.test(dev) : this.#exclude?.test(dev) === true) continue;
      const udevText = tryReadText(under(this.#paths.udevData, `b${s.major}:${s.minor}`));
      const u = udevText !== undefined ? parseUdevProperties(udevText) : new Map<string, string>();
      const serial = u.get('SCSI_IDENT_SERIAL') || u.get('ID_SERIAL_SHORT') || u.get('ID_SERIAL') || '';
      const rot = tryReadText(under(this.#paths.sysfs, 'block', dev, 'queue/rotational'))?.trim() === '1' ? '1' : '0';
      out.add(info, 1, [dev, s.major, s.minor, u.get('ID_PATH') ?? '', u.get('ID_WWN') ?? '', u.get('ID_MODEL') ?? '', serial, u.get('ID_REVISION') ?? '', rot]);
      const n = Math.min(s.fields.length, STATS.length);
      for (let i = 0; i < n; i++) out.add(fams[i]!, s.fields[i]! * STATS[i]![3], [dev]);
      const fsType = u.get('ID_FS_TYPE') ?? '';
      if (fsType !== '') {
        const f = out.family('node_disk_filesystem_info', MetricType.gauge, 'Info about disk filesystem.', ['device', 'type', 'usage', 'uuid', 'version']);
        out.add(f, 1, [dev, fsType, u.get('ID_FS_USAGE') ?? '', u.get('ID_FS_UUID') ?? '', u.get('ID_FS_VERSION') ?? '']);
      }
      const dm = u.get('DM_NAME') ?? '';
      if (dm !== '') {
        const f = out.family('node_disk_device_mapper_info', MetricType.gauge, 'Info about disk device mapper.', ['device', 'name', 'uuid', 'vg_name', 'lv_name', 'lv_layer']);
        out.add(f, 1, [dev, dm, u.get('DM_UUID') ?? '', u.get('DM_VG_NAME') ?? '', u.get('DM_LV_NAME') ?? '', u.get('DM_LV_LAYER') ?? '']);
      }
      if ((u.get('ID_ATA') ?? '') !== '') {
        for (const [key, name, help] of ATA) {
          const raw = u.get(key);
          if (raw === undefined) continue;
          const v = Number(raw);
          if (raw.trim() === '' || !Number.isFinite(v)) continue;
          out.add(out.family(name, MetricType.gauge, help, ['device']), v, [dev]);
        }
      }
    }
  }
}
