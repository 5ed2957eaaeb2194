// Process figures for the agent benches, read from /proc: CPU seconds (whole process and per
// thread name), RSS, child processes, and a free local port.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const CLK_TCK = 100;

/** procCpuSeconds reads utime + stime of a process (0 once it is gone). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** procRssBytes reads VmRSS (0 once the process is gone). */
export function procRssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** threadCpuSeconds sums CPU seconds by thread kind: the main thread, and the others by name (libuv pool, V8 workers). */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const comm = Number(tid) === pid ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9]+$/, '');
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {
      // thread gone
    }
  }
  return out;
}

/** childPid returns the pid of a child of `parent` running `name`, or undefined. */
export function childPid(parent: number, name: string): number | undefined {
  const out = execFileSync('sh', ['-c', `pgrep -P ${parent} -x ${name} || true`], { encoding: 'utf8' }).trim();
  return out === '' ? undefined : Number(out.split('\n')[0]);
}

/** freePort finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** loadAverage returns /proc/loadavg's three figures. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Series is a list of readings with the summaries the benches print. */
export class Series {
  readonly xs: number[] = [];
  push(x: number): void {
    this.xs.push(x);
  }
  get max(): number {
    return this.xs.length === 0 ? 0 : Math.max(...this.xs);
  }
  avg(from = 0, to = this.xs.length): number {
    const s = this.xs.slice(from, to);
    return s.reduce((a, x) => a + x, 0) / Math.max(1, s.length);
  }
  median(): number {
    const s = [...this.xs].sort((a, b) => a - b);
    return s.length === 0 ? 0 : s[s.length >> 1]!;
  }
}

/** mb formats bytes as MB with one decimal. */
export function mb(x: number): string {
  return (x / 2 ** 20).toFixed(1);
}
