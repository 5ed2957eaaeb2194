/**
 * node_exporter's `entropy` collector: the kernel's available entropy and pool size.
 * @module
 */
import type { Collector } from './collector.js';
import { ProcParseError } from './errors.js';
import { readText, tryReadNumber, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** EntropyCollector is node_exporter's entropy collector. */
export class EntropyCollector implements Collector {
  readonly name = 'entropy';
  readonly #paths: HostPaths;

  constructor(opts: { paths: HostPaths }) {
    this.#paths = opts.paths;
  }

  collect(out: MetricBatch): void {
    const path = under(this.#paths.procfs, 'sys/kernel/random/entropy_avail');
    const avail = Number(readText(path).trim());
    if (!Number.isFinite(avail)) throw new ProcParseError(path, 1, 'not a number');
    out.single('node_entropy_available_bits', MetricType.gauge, 'Bits of available entropy.', avail);
    const pool = tryReadNumber(under(this.#paths.procfs, 'sys/kernel/random/poolsize'));
    if (pool !== undefined) out.single('node_entropy_pool_size_bits', MetricType.gauge, 'Bits of entropy pool.', pool);
  }
}
