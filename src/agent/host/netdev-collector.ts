/**
 * node_exporter's `netdev` collector: per-interface receive and transmit counters from
 * /proc/net/dev (the same figures node_exporter 1.5 reads over netlink: the kernel prints
 * `drop` as rx_dropped + rx_missed_errors, `frame` and `carrier` as the sums netlink mode
 * adds up), plus receive_nohandler from sysfs where the kernel has it.
 * @module
 */
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { ProcParseError } from './errors.js';
import { readText, tryReadNumber, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** NETDEV_FIELDS are /proc/net/dev's 16 columns under node_exporter's metric names. */
export const NETDEV_FIELDS = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

/** NetDevLine is one interface of /proc/net/dev. */
export interface NetDevLine {
  readonly device: string;
  /** The 16 counters in NETDEV_FIELDS order. */
  readonly values: readonly number[];
}

/** parseNetDev reads /proc/net/dev (or /proc/<pid>/net/dev). */
export function parseNetDev(text: string, path = '/proc/net/dev'): NetDevLine[] {
  const out: NetDevLine[] = [];
  const lines = text.split('\n');
  for (let ln = 2; ln < lines.length; ln++) {
    const line = lines[ln]!;
    if (line.trim() === '') continue;
    const c = line.indexOf(':');
    if (c < 0) throw new ProcParseError(path, ln + 1, `no ":" in "${line}"`);
    const f = line.slice(c + 1).trim().split(/\s+/);
    if (f.length < 16) throw new ProcParseError(path, ln + 1, `expected 16 fields, got ${f.length}`);
    const values = f.slice(0, 16).map(Number);
    if (values.some((v) => !Number.isFinite(v))) throw new ProcParseError(path, ln + 1, `bad number in "${line.trim()}"`);
    out.push({ device: line.slice(0, c).trim(), values });
  }
  return out;
}

/** NetdevCollectorOptions configure the netdev collector. */
export interface NetdevCollectorOptions {
  readonly paths: HostPaths;
  /** Devices to leave out (regex); mutually exclusive with include. */
  readonly exclude?: string;
  /** Only these devices (regex). */
  readonly include?: string;
}

/** NetdevCollector is node_exporter's netdev collector. */
export class NetdevCollector implements Collector {
  readonly name = 'netdev';
  readonly #paths: HostPaths;
  readonly #exclude: Regex | undefined;
  readonly #include: Regex | undefined;

  constructor(opts: NetdevCollectorOptions) {
    if ((opts.exclude ?? '') !== '' && (opts.include ?? '') !== '') throw new Error('netdev: device-exclude and device-include are mutually exclusive');
    this.#paths = opts.paths;
    this.#exclude = (opts.exclude ?? '') !== '' ? nameFilter(opts.exclude!) : undefined;
    this.#include = (opts.include ?? '') !== '' ? nameFilter(opts.include!) : undefined;
  }

  collect(out: MetricBatch): void {
    const path = under(this.#paths.procfs, 'net/dev');
    const fams = NETDEV_FIELDS.map((k) => out.family(`node_network_${k}_total`, MetricType.counter, `Network device statistic ${k}.`, ['device']));
    const nohandler = out.family('node_network_receive_nohandler_total', MetricType.counter, 'Network device statistic receive_nohandler.', ['device']);
    for (const d of parseNetDev(readText(path), path)) {
      if (this.#exclude?.test(d.device) === true || (this.#include !== undefined && !this.#include.test(d.device))) continue;
      for (let i = 0; i < 16; i++) out.add(fams[i]!, d.values[i]!, [d.device]);
      const nh = tryReadNumber(under(this.#paths.sysfs, 'class/net', d.device, 'statistics/rx_nohandler'));
      if (nh !== undefined) out.add(nohandler, nh, [d.device]);
    }
  }
}
