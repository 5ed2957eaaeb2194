/**
 * node_exporter's `time` collector: the system clock, the time zone offset, and the kernel's
 * clock sources.
 * @module
 */
import type { Collector } from './collector.js';
import { listDir, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/**
 * zoneOf returns the local time zone's abbreviation and offset east of UTC in seconds at t
 * (ms). A host on UTC (the usual server) is answered without Intl: loading the ICU time zone
 * data costs the process about 8 MB of memory.
 */
export function zoneOf(t: number): { zone: string; offsetSeconds: number } {
  const d = new Date(t);
  const offsetSeconds = -d.getTimezoneOffset() * 60 || 0;
  const tz = process.env.TZ;
  if (offsetSeconds === 0 && (tz === undefined || tz === '' || tz === 'UTC' || tz === 'Etc/UTC' || tz === ':UTC')) return { zone: 'UTC', offsetSeconds };
  let zone = offsetSeconds === 0 ? 'UTC' : '';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part !== undefined) zone = part.value;
  } catch {
    // No Intl data: fall back below.
  }
  if (zone === '' || (zone === 'GMT' && offsetSeconds === 0)) zone = offsetSeconds === 0 ? 'UTC' : zone || `UTC${offsetSeconds > 0 ? '+' : '-'}${Math.abs(offsetSeconds / 3600)}`;
  return { zone, offsetSeconds };
}

/** TimeCollector is node_exporter's time collector. */
export class TimeCollector implements Collector {
  readonly name = 'time';
  readonly #paths: HostPaths;
  readonly #now: () => number;

  constructor(opts: { paths: HostPaths; now?: () => number }) {
    this.#paths = opts.paths;
    this.#now = opts.now ?? (() => performance.timeOrigin + performance.now());
  }

  collect(out: MetricBatch): void {
    const nowMs = this.#now();
    out.single('node_time_seconds', MetricType.gauge, 'System time in seconds since epoch (1970).', nowMs / 1000);
    const { zone, offsetSeconds } = zoneOf(nowMs);
    out.add(out.family('node_time_zone_offset_seconds', MetricType.gauge, 'System time zone offset in seconds.', ['time_zone']), offsetSeconds, [zone]);
    const base = under(this.#paths.sysfs, 'devices/system/clocksource');
    const dirs = listDir(base).filter((d) => /^clocksource\d+$/.test(d));
    if (dirs.length === 0) return;
    const avail = out.family('node_time_clocksource_available_info', MetricType.gauge, "Available clocksources read from '/sys/devices/system/clocksource'.", ['device', 'clocksource']);
    const cur = out.family('node_time_clocksource_current_info', MetricType.gauge, "Current clocksource read from '/sys/devices/system/clocksource'.", ['device', 'clocksource']);
    dirs.forEach((d, i) => {
      const device = String(i);
      for (const cs of (tryReadText(under(base, d, 'available_clocksource')) ?? '').trim().split(/\s+/)) if (cs !== '') out.add(avail, 1, [device, cs]);
      const c = (tryReadText(under(base, d, 'current_clocksource')) ?? '').trim();
      if (c !== '') out.add(cur, 1, [device, c]);
    });
  }
}
