/**
 * node_exporter's `loadavg` collector: node_load1, node_load5, node_load15 from /proc/loadavg.
 * @module
 */
import type { Collector } from './collector.js';
import { ProcParseError } from './errors.js';
import { readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** parseLoadavg reads the three load averages. */
export function parseLoadavg(text: string, path = '/proc/loadavg'): [number, number, number] {
  const f = text.trim().split(/\s+/);
  if (f.length < 3) throw new ProcParseError(path, 1, `unexpected content "${text.trim()}"`);
  const v = f.slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) if (f[i] === '' || !Number.isFinite(v[i])) throw new ProcParseError(path, 1, `could not parse load "${f[i]}"`);
  return [v[0]!, v[1]!, v[2]!];
}

/** LoadavgCollector is node_exporter's loadavg collector. */
export class LoadavgCollector implements Collector {
  readonly name = 'loadavg';
  readonly #path: string;

  constructor(opts: { paths: HostPaths }) {
    this.#path = under(opts.paths.procfs, 'loadavg');
  }

  collect(out: MetricBatch): void {
    const [l1, l5, l15] = parseLoadavg(readText(this.#path), this.#path);
    out.single('node_load1', MetricType.gauge, '1m load average.', l1);
    out.single('node_load5', MetricType.gauge, '5m load average.', l5);
    out.single('node_load15', MetricType.gauge, '15m load average.', l15);
  }
}
