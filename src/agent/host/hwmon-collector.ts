/**
 * node_exporter's `hwmon` collector: every sensor of /sys/class/hwmon (temperatures,
 * voltages, fans, currents, power, energy, humidity, PWM settings) named and scaled as
 * node_exporter names and scales them, labelled by chip and sensor.
 * @module
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { NoDataError } from './errors.js';
import { listDir, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

const SENSOR_TYPES = new Set(['vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion', 'freq']);
const FILE_RE = /^([^0-9]+)([0-9]*)?(?:_(.+))?$/;

/** cleanMetricName lower-cases a name, turns anything but [a-z0-9:_] into `_` and trims `_`. */
export function cleanMetricName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9:_]/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** explodeSensorFilename splits `temp1_crit_alarm` into type `temp`, number 1, property `crit_alarm`. */
export function explodeSensorFilename(name: string): { type: string; num: number; property: string } | undefined {
  const m = FILE_RE.exec(name);
  if (m === null) return undefined;
  return { type: m[1]!, num: m[2] !== undefined && m[2] !== '' ? Number(m[2]) : 0, property: m[3] ?? '' };
}

type SensorData = Map<string, Map<string, string>>;

function collectSensorData(dir: string, data: SensorData): void {
  for (const file of listDir(dir)) {
    const e = explodeSensorFilename(file);
    if (e === undefined || !SENSOR_TYPES.has(e.type)) continue;
    const raw = tryReadText(under(dir, file));
    if (raw === undefined) continue;
    const sensor = `${e.type}${e.num}`;
    let m = data.get(sensor);
    if (m === undefined) {
      m = new Map();
      data.set(sensor, m);
    }
    // node_exporter reads at most 128 bytes and trims newlines only.
    m.set(e.property, raw.slice(0, 128).replace(/^\n+|\n+$/g, ''));
  }
}

function parseGoFloat(s: string): number | undefined {
  if (s.trim() !== s || s === '') return undefined;
  const v = Number(s);
  return Number.isNaN(v) && s !== 'NaN' ? undefined : v;
}

function realpathOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** HwmonCollectorOptions configure the hwmon collector (node_exporter's --collector.hwmon.* filters, unanchored regexes). */
export interface HwmonCollectorOptions {
  readonly paths: HostPaths;
  readonly chipInclude?: string;
  readonly chipExclude?: string;
  /** Matched against `<chip>;<sensor>`. */
  readonly sensorInclude?: string;
  readonly sensorExclude?: string;
}

/** DeviceFilter keeps names matching include (when set) and not matching exclude. */
class DeviceFilter {
  readonly #include: Regex | undefined;
  readonly #exclude: Regex | undefined;
  constructor(include: string | undefined, exclude: string | undefined, what: string) {
    if ((include ?? '') !== '' && (exclude ?? '') !== '') throw new Error(`hwmon: ${what}-include and ${what}-exclude are mutually exclusive`);
    this.#include = (include ?? '') !== '' ? nameFilter(include!) : undefined;
    this.#exclude = (exclude ?? '') !== '' ? nameFilter(exclude!) : undefined;
  }
  ignored(name: string): boolean {
    return (this.#exclude !== undefined && this.#exclude.test(name)) || (this.#include !== undefined && !this.#include.test(name));
  }
}

/** HwmonCollector is node_exporter's hwmon collector. */
export class HwmonCollector implements Collector {
  readonly name = 'hwmon';
  readonly #paths: HostPaths;
  readonly #chips: DeviceFilter;
  readonly #sensors: DeviceFilter;

  constructor(opts: HwmonCollectorOptions) {
    this.#paths = opts.paths;
    this.#chips = new DeviceFilter(opts.chipInclude, opts.chipExclude, 'chip');
    this.#sensors = new DeviceFilter(opts.sensorInclude, opts.sensorExclude, 'sensor');
  }

  collect(out: MetricBatch): void {
    const base = under(this.#paths.sysfs, 'class/hwmon');
    const names = listDir(base);
    if (names.length === 0) throw new NoDataError(this.name, 'no /sys/class/hwmon');
    const entries: { dir: string; baseName: string; nameFile: string }[] = [];
    const chipCounts = new Map<string, number>();
    const nameCounts = new Map<string, number>();
    for (const n of names) {
      const dir = under(base, n);
      try {
        const st = lstatSync(dir);
        if (!(st.isSymbolicLink() ? statSync(dir) : st).isDirectory()) continue;
      } catch {
        continue;
      }
      const baseName = this.#hwmonName(dir);
      if (baseName === undefined) continue;
      const nameFile = (tryReadText(under(dir, 'name')) ?? '').trim();
      entries.push({ dir, baseName, nameFile });
      chipCounts.set(baseName, (chipCounts.get(baseName) ?? 0) + 1);
      const nk = `${baseName}\u0000${nameFile}`;
      nameCounts.set(nk, (nameCounts.get(nk) ?? 0) + 1);
    }
    for (const e of entries) {
      let chip = e.baseName;
      if (chipCounts.get(e.baseName)! > 1) {
        let suffix = cleanMetricName(e.nameFile);
        if (suffix === '' || nameCounts.get(`${e.baseName}\u0000${e.nameFile}`)! > 1) suffix = cleanMetricName(basename(e.dir));
        chip = `${e.baseName}_${suffix}`;
      }
      if (this.#chips.ignored(chip)) continue;
      this.#chip(out, e.dir, chip);
    }
  }

  #hwmonName(dir: string): string | undefined {
    const dev = realpathOrUndefined(under(dir, 'device'));
    if (dev !== undefined) {
      const devName = cleanMetricName(basename(dev));
      const devType = cleanMetricName(basename(dirname(dev)));
      if (devType !== '' && devName !== '') return `${devType}_${devName}`;
      if (devName !== '') return devName;
    }
    const n = tryReadText(under(dir, 'name'));
    if (n !== undefined && n !== '') {
      const c = cleanMetricName(n);
      if (c !== '') return c;
    }
    const real = realpathOrUndefined(dir);
    if (real === undefined) return undefined;
    const c = cleanMetricName(basename(real));
    return c !== '' ? c : undefined;
  }

  #chip(out: MetricBatch, dir: string, chip: string): void {
    const data: SensorData = new Map();
    collectSensorData(dir, data);
    try {
      if (statSync(under(dir, 'device')).isDirectory()) collectSensorData(under(dir, 'device'), data);
    } catch {
      // No device directory.
    }
    const chipName = tryReadText(under(dir, 'name'));
    if (chipName !== undefined && chipName !== '') {
      const c = cleanMetricName(chipName);
      if (c !== '') out.add(out.family('node_hwmon_chip_names', MetricType.gauge, 'Annotation metric for human-readable chip names', ['chip', 'chip_name']), 1, [chip, c]);
    }
    const L = ['chip', 'sensor'];
    const g = (name: string, help: string, v: number, lv: readonly string[], type: MetricType = MetricType.gauge): void => out.add(out.family(name, type, help, L), v, lv);
    for (const [sensor, sd] of data) {
      if (this.#sensors.ignored(`${chip};${sensor}`)) continue;
      const type = explodeSensorFilename(sensor)!.type;
      const lv = [chip, sensor];
      const label = sd.get('label');
      if (label !== undefined) {
        out.add(out.family('node_hwmon_sensor_label', MetricType.gauge, 'Label for given chip and sensor', ['chip', 'sensor', 'label']), 1, [chip, sensor, label]);
      }
      if (type === 'beep_enable') {
        g('node_hwmon_beep_enabled', 'Hardware beep enabled', sd.get('') === '1' ? 1 : 0, lv);
        continue;
      }
      if (type === 'vrm' || type === 'update_interval') {
        const v = parseGoFloat(sd.get('') ?? '');
        if (v === undefined) continue;
        if (type === 'vrm') g('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', v, lv);
        else g('node_hwmon_update_interval_seconds', 'Hardware monitor update interval', v * 0.001, lv);
        continue;
      }
      const prefix = `node_hwmon_${type}`;
      for (const [element0, value] of sd) {
        let element = element0;
        if (element === 'label') continue;
        let name = prefix;
        if (element === 'input') {
          if (sd.has('')) name += '_input';
        } else if (element !== '') {
          name += `_${cleanMetricName(element)}`;
        }
        const v = parseGoFloat(value);
        if (v === undefined) continue;
        if (element === 'fault' || element === 'alarm') {
          g(name, `Hardware sensor ${element} status (${type})`, v, lv);
        } else if (element === 'beep') {
          g(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', v, lv);
        } else if (type === 'in' || type === 'cpu') {
          g(`${name}_volts`, `Hardware monitor for voltage (${element})`, v * 0.001, lv);
        } else if (type === 'temp' && element !== 'type') {
          if (element === '') element = 'input';
          g(`${name}_celsius`, `Hardware monitor for temperature (${element})`, v * 0.001, lv);
        } else if (type === 'curr') {
          g(`${name}_amps`, `Hardware monitor for current (${element})`, v * 0.001, lv);
        } else if (type === 'energy') {
          g(`${name}_joule_total`, `Hardware monitor for joules used so far (${element})`, v / 1000000.0, lv, MetricType.counter);
        } else if (type === 'power' && element === 'accuracy') {
          g(name, 'Hardware monitor power meter accuracy, as a ratio', v / 1000000.0, lv);
        } else if (type === 'power' && (element === 'average_interval' || element === 'average_interval_min' || element === 'average_interval_max')) {
          g(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, v * 0.001, lv);
        } else if (type === 'power') {
          g(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, v / 1000000.0, lv);
        } else if (type === 'humidity') {
          g(name, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, v / 1000000.0, lv);
        } else if (type === 'fan' && (element === 'input' || element === 'min' || element === 'max' || element === 'target')) {
          g(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, v, lv);
        } else if (type === 'freq' && element === 'input') {
          if (label !== undefined) g(`${name}_freq_mhz`, 'Hardware monitor for GPU frequency in MHz', v / 1000000.0, [chip, cleanMetricName(label)]);
        } else {
          g(name, `Hardware monitor ${type} element ${element}`, v, lv);
        }
      }
    }
  }
}
