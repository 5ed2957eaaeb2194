/**
 * node_exporter's `filefd` collector: allocated and maximum file handles from
 * /proc/sys/fs/file-nr.
 * @module
 */
import type { Collector } from './collector.js';
import { ProcParseError } from './errors.js';
import { readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** FilefdCollector is node_exporter's filefd collector. */
export class FilefdCollector implements Collector {
  readonly name = 'filefd';
  readonly #path: string;

  constructor(opts: { paths: HostPaths }) {
    this.#path = under(opts.paths.procfs, 'sys/fs/file-nr');
  }

  collect(out: MetricBatch): void {
    const f = readText(this.#path).trim().split(/\s+/);
    const allocated = Number(f[0]);
    const maximum = Number(f[2]);
    if (f.length !== 3 || !Number.isFinite(allocated) || !Number.isFinite(maximum)) throw new ProcParseError(this.#path, 1, `expected 3 numbers, got "${f.join(' ')}"`);
    out.single('node_filefd_allocated', MetricType.gauge, 'File descriptor statistics: allocated.', allocated);
    out.single('node_filefd_maximum', MetricType.gauge, 'File descriptor statistics: maximum.', maximum);
  }
}
