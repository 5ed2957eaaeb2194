/**
 * node_exporter's `stat` collector: interrupts, context switches, forks, boot time and
 * process counts from /proc/stat (softirqs behind an option, as node_exporter's
 * --collector.stat.softirq).
 * @module
 */
import type { Collector } from './collector.js';
import { ProcParseError } from './errors.js';
import { readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** ProcStat is the system-wide part of /proc/stat. */
export interface ProcStat {
  readonly intr: number;
  readonly ctxt: number;
  readonly btime: number;
  readonly processes: number;
  readonly procsRunning: number;
  readonly procsBlocked: number;
  /** softirq counts by vector, in /proc/stat's order. */
  readonly softirq: readonly number[];
}

const SOFTIRQ_VECTORS = ['hi', 'timer', 'net_tx', 'net_rx', 'block', 'block_iopoll', 'tasklet', 'sched', 'hrtimer', 'rcu'] as const;

/** parseProcStat reads the system-wide lines of /proc/stat. */
export function parseProcStat(text: string, path = '/proc/stat'): ProcStat {
  let intr = 0;
  let ctxt = 0;
  let btime = 0;
  let processes = 0;
  let procsRunning = 0;
  let procsBlocked = 0;
  let softirq: number[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    const num = (s: string | undefined): number => {
      const v = Number(s);
      if (s === undefined || s === '' || !Number.isFinite(v)) throw new ProcParseError(path, ln + 1, `bad number in "${line.slice(0, 80)}"`);
      return v;
    };
    switch (key) {
      case 'intr':
        intr = num(line.slice(sp + 1).trim().split(' ', 1)[0]);
        break;
      case 'ctxt':
        ctxt = num(line.slice(sp + 1).trim());
        break;
      case 'btime':
        btime = num(line.slice(sp + 1).trim());
        break;
      case 'processes':
        processes = num(line.slice(sp + 1).trim());
        break;
      case 'procs_running':
        procsRunning = num(line.slice(sp + 1).trim());
        break;
      case 'procs_blocked':
        procsBlocked = num(line.slice(sp + 1).trim());
        break;
      case 'softirq':
        softirq = line.slice(sp + 1).trim().split(/\s+/).slice(1).map(num);
        break;
      default:
        break;
    }
  }
  return { intr, ctxt, btime, processes, procsRunning, procsBlocked, softirq };
}

/** StatCollector is node_exporter's stat collector. */
export class StatCollector implements Collector {
  readonly name = 'stat';
  readonly #path: string;
  readonly #softirq: boolean;

  constructor(opts: { paths: HostPaths; softirq?: boolean }) {
    this.#path = under(opts.paths.procfs, 'stat');
    this.#softirq = opts.softirq ?? false;
  }

  collect(out: MetricBatch): void {
    const s = parseProcStat(readText(this.#path), this.#path);
    out.single('node_intr_total', MetricType.counter, 'Total number of interrupts serviced.', s.intr);
    out.single('node_context_switches_total', MetricType.counter, 'Total number of context switches.', s.ctxt);
    out.single('node_forks_total', MetricType.counter, 'Total number of forks.', s.processes);
    out.single('node_boot_time_seconds', MetricType.gauge, 'Node boot time, in unixtime.', s.btime);
    out.single('node_procs_running', MetricType.gauge, 'Number of processes in runnable state.', s.procsRunning);
    out.single('node_procs_blocked', MetricType.gauge, 'Number of processes blocked waiting for I/O to complete.', s.procsBlocked);
    if (this.#softirq) {
      const f = out.family('node_softirqs_total', MetricType.counter, 'Number of softirq calls.', ['vector']);
      for (let i = 0; i < SOFTIRQ_VECTORS.length && i < s.softirq.length; i++) out.add(f, s.softirq[i]!, [SOFTIRQ_VECTORS[i]!]);
    }
  }
}
