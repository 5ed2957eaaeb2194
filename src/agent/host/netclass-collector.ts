/**
 * node_exporter's `netclass` collector: interface properties from /sys/class/net (up,
 * carrier, speed, MTU, flags, …) and node_network_info with addresses and states.
 * @module
 */
import { lstatSync } from 'node:fs';
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { NoDataError } from './errors.js';
import { listDir, tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

// [metric suffix, sysfs attribute, type] in node_exporter's order.
const FIELDS: readonly (readonly [string, string, MetricType])[] = [
  ['address_assign_type', 'addr_assign_type', 'gauge'],
  ['carrier', 'carrier', 'gauge'],
  ['carrier_changes_total', 'carrier_changes', 'counter'],
  ['carrier_up_changes_total', 'carrier_up_count', 'counter'],
  ['carrier_down_changes_total', 'carrier_down_count', 'counter'],
  ['device_id', 'dev_id', 'gauge'],
  ['dormant', 'dormant', 'gauge'],
  ['flags', 'flags', 'gauge'],
  ['iface_id', 'ifindex', 'gauge'],
  ['iface_link', 'iflink', 'gauge'],
  ['iface_link_mode', 'link_mode', 'gauge'],
  ['mtu_bytes', 'mtu', 'gauge'],
  ['name_assign_type', 'name_assign_type', 'gauge'],
  ['net_dev_group', 'netdev_group', 'gauge'],
  ['transmit_queue_length', 'tx_queue_len', 'gauge'],
  ['protocol_type', 'type', 'gauge'],
];

/** parseSysInt reads an integer attribute as Go's ParseInt(s, 0, 64) does (decimal, 0x hex, 0o, 0b); undefined when absent or unreadable. */
export function parseSysInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  if (s === '') return undefined;
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  if (!/^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)$/.test(body)) return undefined;
  const v = /^0\d/.test(body) ? parseInt(body, 8) : Number(body);
  return neg ? -v : v;
}

/** NetclassCollector is node_exporter's netclass collector (sysfs mode). */
export class NetclassCollector implements Collector {
  readonly name = 'netclass';
  readonly #paths: HostPaths;
  readonly #ignored: Regex;
  readonly #ignoreInvalidSpeed: boolean;

  constructor(opts: { paths: HostPaths; ignoredDevices?: string; ignoreInvalidSpeed?: boolean }) {
    this.#paths = opts.paths;
    this.#ignored = nameFilter(opts.ignoredDevices ?? '^$');
    this.#ignoreInvalidSpeed = opts.ignoreInvalidSpeed ?? false;
  }

  collect(out: MetricBatch): void {
    const base = under(this.#paths.sysfs, 'class/net');
    const devices = listDir(base).filter((d) => {
      try {
        return !lstatSync(under(base, d)).isFile();
      } catch {
        return false;
      }
    });
    if (devices.length === 0) throw new NoDataError(this.name, 'no /sys/class/net');
    const up = out.family('node_network_up', MetricType.gauge, "Value is 1 if operstate is 'up', 0 otherwise.", ['device']);
    const info = out.family('node_network_info', MetricType.gauge, 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', ['device', 'address', 'broadcast', 'duplex', 'operstate', 'adminstate', 'ifalias']);
    const fams = FIELDS.map(([n, , t]) => out.family(`node_network_${n}`, t, `Network device property: ${n}`, ['device']));
    const speedFam = out.family('node_network_speed_bytes', MetricType.gauge, 'Network device property: speed_bytes', ['device']);
    for (const dev of devices) {
      if (this.#ignored.test(dev)) continue;
      const dir = under(base, dev);
      const text = (attr: string): string => (tryReadText(under(dir, attr)) ?? '').trim();
      const operstate = text('operstate');
      out.add(up, operstate === 'up' ? 1 : 0, [dev]);
      const flags = parseSysInt(tryReadText(under(dir, 'flags')));
      const adminstate = flags === undefined ? '' : (flags & 1) === 1 ? 'up' : 'down';
      out.add(info, 1, [dev, text('address'), text('broadcast'), text('duplex'), operstate, adminstate, text('ifalias')]);
      for (let i = 0; i < FIELDS.length; i++) {
        const v = parseSysInt(tryReadText(under(dir, FIELDS[i]![1])));
        if (v !== undefined) out.add(fams[i]!, v, [dev]);
      }
      const speed = parseSysInt(tryReadText(under(dir, 'speed')));
      if (speed !== undefined && (speed >= 0 || !this.#ignoreInvalidSpeed)) out.add(speedFam, Math.trunc((speed * 1000 * 1000) / 8), [dev]);
    }
  }
}
