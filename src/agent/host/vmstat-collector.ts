/**
 * node_exporter's `vmstat` collector: the /proc/vmstat fields matching a pattern (default
 * `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped node_vmstat_<field>.
 * @module
 */
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { ProcParseError } from './errors.js';
import { readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** DEFAULT_VMSTAT_FIELDS is node_exporter's --collector.vmstat.fields default. */
export const DEFAULT_VMSTAT_FIELDS = '^(oom_kill|pgpg|pswp|pg.*fault).*';

/** VmstatCollector is node_exporter's vmstat collector. */
export class VmstatCollector implements Collector {
  readonly name = 'vmstat';
  readonly #path: string;
  readonly #fields: Regex;

  constructor(opts: { paths: HostPaths; fields?: string }) {
    this.#path = under(opts.paths.procfs, 'vmstat');
    this.#fields = nameFilter(opts.fields ?? DEFAULT_VMSTAT_FIELDS);
  }

  collect(out: MetricBatch): void {
    const lines = readText(this.#path).split('\n');
    for (let ln = 0; ln < lines.length; ln++) {
      const line = lines[ln]!;
      if (line === '') continue;
      const sp = line.indexOf(' ');
      const key = sp < 0 ? line : line.slice(0, sp);
      const v = Number(line.slice(sp + 1));
      if (sp < 0 || !Number.isFinite(v)) throw new ProcParseError(this.#path, ln + 1, `invalid line "${line}"`);
      if (!this.#fields.test(key)) continue;
      out.single(`node_vmstat_${key}`, MetricType.untyped, `/proc/vmstat information field ${key}.`, v);
    }
  }
}
