/**
 * node_exporter's `thermal_zone` collector: zone temperatures and cooling device states from
 * /sys/class/thermal.
 * @module
 */
import type { Collector } from './collector.js';
import { listDir, tryReadNumber, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** ThermalZoneCollector is node_exporter's thermal_zone collector. */
export class ThermalZoneCollector implements Collector {
  readonly name = 'thermal_zone';
  readonly #paths: HostPaths;

  constructor(opts: { paths: HostPaths }) {
    this.#paths = opts.paths;
  }

  collect(out: MetricBatch): void {
    const base = under(this.#paths.sysfs, 'class/thermal');
    const entries = listDir(base);
    const zones = entries.filter((d) => /^thermal_zone\d/.test(d));
    if (zones.length > 0) {
      const f = out.family('node_thermal_zone_temp', MetricType.gauge, 'Zone temperature in Celsius', ['zone', 'type']);
      for (const z of zones) {
        const temp = tryReadNumber(under(base, z, 'temp'));
        if (temp === undefined) continue;
        out.add(f, temp / 1000.0, [z.slice('thermal_zone'.length), (tryReadText(under(base, z, 'type')) ?? '').trim()]);
      }
    }
    const devices = entries.filter((d) => /^cooling_device\d/.test(d));
    if (devices.length > 0) {
      const cur = out.family('node_cooling_device_cur_state', MetricType.gauge, 'Current throttle state of the cooling device', ['name', 'type']);
      const max = out.family('node_cooling_device_max_state', MetricType.gauge, 'Maximum throttle state of the cooling device', ['name', 'type']);
      for (const d of devices) {
        const c = tryReadNumber(under(base, d, 'cur_state'));
        const m = tryReadNumber(under(base, d, 'max_state'));
        const t = tryReadText(under(base, d, 'type'));
        if (c === undefined || m === undefined || t === undefined) continue;
        const lv = [d.slice('cooling_device'.length), t.trim()];
        out.add(cur, c, lv);
        out.add(max, m, lv);
      }
    }
  }
}
