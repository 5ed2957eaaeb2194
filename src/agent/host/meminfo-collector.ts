/**
 * node_exporter's `meminfo` collector: every /proc/meminfo field as node_memory_<Field>_bytes
 * (kB values times 1024) or node_memory_<Field> (counts such as HugePages_Total).
 * @module
 */
import type { Collector } from './collector.js';
import { ProcParseError } from './errors.js';
import { readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** parseMeminfo reads /proc/meminfo into metric-name suffixes (`MemTotal_bytes`, `Active_anon_bytes`, `HugePages_Free`) and values. */
export function parseMeminfo(text: string, path = '/proc/meminfo'): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const parts = lines[ln]!.trim().split(/\s+/);
    // Some kernels print empty lines.
    if (parts.length === 1 && parts[0] === '') continue;
    if (parts.length < 2 || !parts[0]!.endsWith(':')) throw new ProcParseError(path, ln + 1, `invalid line "${lines[ln]}"`);
    let v = Number(parts[1]);
    if (parts[1] === '' || !Number.isFinite(v)) throw new ProcParseError(path, ln + 1, `invalid value "${parts[1]}"`);
    // Active(anon) -> Active_anon
    let key = parts[0]!.slice(0, -1).replace(/\((.*)\)/, '_$1');
    if (parts.length === 3) {
      v *= 1024;
      key += '_bytes';
    } else if (parts.length !== 2) {
      throw new ProcParseError(path, ln + 1, `invalid line "${lines[ln]}"`);
    }
    out.set(key.replace(/[^a-zA-Z0-9_:]/g, '_'), v);
  }
  return out;
}

/** MeminfoCollector is node_exporter's meminfo collector. */
export class MeminfoCollector implements Collector {
  readonly name = 'meminfo';
  readonly #path: string;

  constructor(opts: { paths: HostPaths }) {
    this.#path = under(opts.paths.procfs, 'meminfo');
  }

  collect(out: MetricBatch): void {
    for (const [k, v] of parseMeminfo(readText(this.#path), this.#path)) {
      out.single(`node_memory_${k}`, k.endsWith('_total') ? MetricType.counter : MetricType.gauge, `Memory information field ${k}.`, v);
    }
  }
}
