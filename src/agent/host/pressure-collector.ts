/**
 * node_exporter's `pressure` collector: pressure stall information (PSI) from
 * /proc/pressure/{cpu,io,memory,irq}, as seconds of waiting (some) and stalling (full).
 * @module
 */
import type { Collector } from './collector.js';
import { NoDataError, ProcParseError } from './errors.js';
import { isMissing, readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** PsiTotals are the `total=` microseconds of the some and full lines (undefined when the line is absent). */
export interface PsiTotals {
  readonly some: number | undefined;
  readonly full: number | undefined;
}

/** parsePsi reads a PSI file (`some avg10=… total=N`, `full …`). */
export function parsePsi(text: string, path = '/proc/pressure'): PsiTotals {
  let some: number | undefined;
  let full: number | undefined;
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '') continue;
    const m = /(?:^|\s)total=(\d+)(?:\s|$)/.exec(line);
    if (m === null) throw new ProcParseError(path, ln + 1, `no total= in "${line}"`);
    if (line.startsWith('some ')) some = Number(m[1]);
    else if (line.startsWith('full ')) full = Number(m[1]);
    else throw new ProcParseError(path, ln + 1, `unknown PSI line "${line}"`);
  }
  return { some, full };
}

// [resource, some name, some help, full name, full help]
const RESOURCES = [
  // The kernel prints a "full" line for cpu too (always 0 at system level); node_exporter leaves it out.
  ['cpu', 'cpu_waiting_seconds_total', 'Total time in seconds that processes have waited for CPU time', '', ''],
  ['io', 'io_waiting_seconds_total', 'Total time in seconds that processes have waited due to IO congestion', 'io_stalled_seconds_total', 'Total time in seconds no process could make progress due to IO congestion'],
  ['memory', 'memory_waiting_seconds_total', 'Total time in seconds that processes have waited for memory', 'memory_stalled_seconds_total', 'Total time in seconds no process could make progress due to memory congestion'],
  ['irq', '', '', 'irq_stalled_seconds_total', 'Total time in seconds no process could make progress due to IRQ congestion'],
] as const;

/** PressureCollector is node_exporter's pressure collector. */
export class PressureCollector implements Collector {
  readonly name = 'pressure';
  readonly #paths: HostPaths;

  constructor(opts: { paths: HostPaths }) {
    this.#paths = opts.paths;
  }

  collect(out: MetricBatch): void {
    for (const [res, someName, someHelp, fullName, fullHelp] of RESOURCES) {
      const path = under(this.#paths.procfs, 'pressure', res);
      let text: string;
      try {
        text = readText(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // irq pressure is newer (Linux 6.1); the others missing means no PSI at all.
        if (res === 'irq' && (isMissing(e) || code === 'EOPNOTSUPP')) continue;
        if (isMissing(e)) throw new NoDataError(this.name, 'no /proc/pressure: needs Linux 4.20+ with CONFIG_PSI');
        if (code === 'EOPNOTSUPP') throw new NoDataError(this.name, 'pressure information is disabled (boot with psi=1)');
        throw e;
      }
      const psi = parsePsi(text, path);
      // The microsecond totals are divided twice, as node_exporter does, so the floats match.
      if (someName !== '' && psi.some !== undefined) out.single(`node_pressure_${someName}`, MetricType.counter, someHelp, psi.some / 1000.0 / 1000.0);
      if (fullName !== '' && psi.full !== undefined) out.single(`node_pressure_${fullName}`, MetricType.counter, fullHelp, psi.full / 1000.0 / 1000.0);
    }
  }
}
