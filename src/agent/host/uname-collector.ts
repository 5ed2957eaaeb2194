/**
 * node_exporter's `uname` collector: node_uname_info, labelled with what uname(2) returns.
 * @module
 */
import { hostname, machine, release, type, version } from 'node:os';
import type { Collector } from './collector.js';
import { tryReadText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** UnameCollector is node_exporter's uname collector. */
export class UnameCollector implements Collector {
  readonly name = 'uname';
  readonly #paths: HostPaths;

  constructor(opts: { paths: HostPaths }) {
    this.#paths = opts.paths;
  }

  collect(out: MetricBatch): void {
    // Node has no uname(2) binding for the NIS domain name; the kernel shows it here.
    const domain = tryReadText(under(this.#paths.procfs, 'sys/kernel/domainname'))?.trim() || '(none)';
    const f = out.family('node_uname_info', MetricType.gauge, 'Labeled system information as provided by the uname system call.', ['sysname', 'release', 'version', 'machine', 'nodename', 'domainname']);
    out.add(f, 1, [type(), release(), version(), machine(), hostname(), domain]);
  }
}
