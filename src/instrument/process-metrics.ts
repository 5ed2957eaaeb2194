/**
 * Process metrics with client_golang's names (`process_*`), read from /proc/self, plus the
 * Node.js runtime's heap figures.
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Registry } from './registry.js';

const CLK_TCK = 100; // USER_HZ on Linux for every architecture Node supports
const PAGE_SIZE = 4096;

/** registerProcessMetrics adds process_* and nodejs_* collectors to a registry. */
export function registerProcessMetrics(reg: Registry): void {
  const startTimeSeconds = Date.now() / 1000 - process.uptime();
  reg.collect((w) => {
    const stat = readStat();
    if (stat !== undefined) {
      w.family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.');
      w.sample('process_cpu_seconds_total', [], (stat.utime + stat.stime) / CLK_TCK);
      w.family('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.');
      w.sample('process_virtual_memory_bytes', [], stat.vsize);
      w.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
      w.sample('process_resident_memory_bytes', [], stat.rss * PAGE_SIZE);
    }
    const fds = countFds();
    if (fds !== undefined) {
      w.family('process_open_fds', 'gauge', 'Number of open file descriptors.');
      w.sample('process_open_fds', [], fds);
    }
    const maxFds = readMaxFds();
    if (maxFds !== undefined) {
      w.family('process_max_fds', 'gauge', 'Maximum number of open file descriptors.');
      w.sample('process_max_fds', [], maxFds);
    }
    w.family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.');
    w.sample('process_start_time_seconds', [], Math.round(startTimeSeconds * 100) / 100);
    const mem = process.memoryUsage();
    w.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.');
    w.sample('nodejs_heap_size_used_bytes', [], mem.heapUsed);
    w.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved, in bytes.');
    w.sample('nodejs_heap_size_total_bytes', [], mem.heapTotal);
    w.family('nodejs_external_memory_bytes', 'gauge', 'Memory held by Buffers and other objects outside the V8 heap, in bytes.');
    w.sample('nodejs_external_memory_bytes', [], mem.external);
    // Per heap space, with prom-client's names (space "new", "old", "code", "large_object"…).
    const spaces = getHeapSpaceStatistics().map((s) => ({ ...s, space: s.space_name.replace(/_space$/, '') }));
    const perSpace = [
      ['nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', 'space_size'],
      ['nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', 'space_used_size'],
      ['nodejs_heap_space_size_available_bytes', 'Process heap space size available from Node.js in bytes.', 'space_available_size'],
    ] as const;
    for (const [name, help, field] of perSpace) {
      w.family(name, 'gauge', help);
      for (const s of spaces) w.sample(name, [['space', s.space]], s[field]);
    }
  });
}

function readStat(): { utime: number; stime: number; vsize: number; rss: number } | undefined {
  try {
    const s = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name, which may contain spaces, start after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { utime: Number(f[11]), stime: Number(f[12]), vsize: Number(f[20]), rss: Number(f[21]) };
  } catch {
    return undefined;
  }
}

function countFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function readMaxFds(): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
