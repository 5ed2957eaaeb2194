// Containers for the agent benches: real v1 (or v2) cgroups named like Docker's cgroupfs
// layout (/docker/<64 hex> in every hierarchy), each holding a sleeping process and a 256 MiB
// memory limit, made here and removed by cleanup(). Those left by a run that was killed (their
// sleeping processes still in them) are removed first, so they are not counted as containers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** BenchContainers are the cgroups made and how to remove them. */
export interface BenchContainers {
  readonly ids: readonly string[];
  cleanup(): void;
}

/** makeContainers makes n container cgroups (needs root); without root it makes none. */
export function makeContainers(n: number): BenchContainers {
  if (process.getuid?.() !== 0) return { ids: [], cleanup: () => undefined };
  const roots = cgroupRoots();
  removeLeftovers(roots);
  if (n === 0) return { ids: [], cleanup: () => undefined };
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = (i + 1).toString(16).padStart(64, 'b');
    const p = spawn('sleep', ['7200'], { stdio: 'ignore' });
    procs.push(p);
    for (const r of roots) {
      const d = join(r, 'docker', id);
      mkdirSync(d, { recursive: true });
      dirs.push(d);
      writeFileSync(join(d, 'cgroup.procs'), String(p.pid));
      if (existsSync(join(d, 'memory.limit_in_bytes'))) writeFileSync(join(d, 'memory.limit_in_bytes'), String(256 << 20));
    }
    ids.push(id);
  }
  return {
    ids,
    cleanup: () => {
      for (const p of procs) p.kill('SIGKILL');
      const deadline = Date.now() + 5000;
      for (const d of dirs.reverse()) removeDir(d, deadline);
    },
  };
}

/** The hierarchies the containers are made in: v1 cpu, cpuacct, memory, blkio, pids, and a v2 tree with memory. */
function cgroupRoots(): string[] {
  const roots: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0) continue;
    const fstype = f[dash + 1];
    const opts = f[dash + 3] ?? '';
    if (fstype === 'cgroup' && /(^|,)(cpu|cpuacct|memory|blkio|pids)(,|$)/.test(opts)) roots.push(f[4]!);
    if (fstype === 'cgroup2' && readFileSync(join(f[4]!, 'cgroup.controllers'), 'utf8').includes('memory')) roots.push(f[4]!);
  }
  return [...new Set(roots)];
}

/** Removes the bench's cgroups (ids padded with 'b') that a killed run left, killing the processes still in them. */
function removeLeftovers(roots: readonly string[]): void {
  const dirs: string[] = [];
  for (const r of roots) {
    let names: string[];
    try {
      names = readdirSync(join(r, 'docker'));
    } catch {
      continue;
    }
    for (const name of names) if (/^b{40}[0-9a-f]{24}$/.test(name)) dirs.push(join(r, 'docker', name));
  }
  for (const d of dirs) {
    let pids: string[] = [];
    try {
      pids = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n');
    } catch {
      // removed meanwhile
    }
    for (const pid of pids) {
      try {
        if (pid !== '') process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  const deadline = Date.now() + 5000;
  for (const d of dirs) removeDir(d, deadline);
}

/** Removes an empty cgroup, waiting (up to the deadline) for its killed processes to leave. */
function removeDir(d: string, deadline: number): void {
  for (;;) {
    try {
      rmdirSync(d);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() > deadline) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}
