// The container collector against real kernel cgroups (../shared/recipes/cgroup-container.sh):
// a "Docker" container made of v1 cgroups with a memory limit, a CPU quota and a pids limit,
// driven through CPU load, direct block IO and a real OOM kill. The OOM kill must show up in
// container_oom_events_total (from memory.oom_control) and in the kernel-log watcher.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CgroupCollector, KmsgOomWatcher, MetricBatch, renderText, type OomEvent } from '../src/agent/index.js';
import { IN_CI } from './support/peers.js';
import { shared } from './support/shared.js';

const RECIPE = shared('recipes/cgroup-container.sh');
const NETNS = shared('recipes/netns-pair.sh');
const canRun = process.getuid?.() === 0 && existsSync(RECIPE) && existsSync('/sys/fs/cgroup');
if (!canRun && IN_CI) throw new Error('cgroup tests need root and the cgroup-container.sh recipe');

function samples(b: MetricBatch): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of renderText(b).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** find returns the value of the one series of `name` whose labels contain every fragment. */
function find(s: Map<string, number>, name: string, ...fragments: string[]): number | undefined {
  for (const [k, v] of s) if (k.startsWith(`${name}{`) && fragments.every((f) => k.includes(f))) return v;
  return undefined;
}

describe.skipIf(!canRun)('CgroupCollector on real cgroups (v1 host)', () => {
  const id = randomBytes(32).toString('hex');
  const name = `docker/${id}`;
  const cg = `id="/docker/${id}"`;
  let workdir: string;
  const ac = new AbortController();
  const ooms: OomEvent[] = [];
  let watcher: KmsgOomWatcher;
  let watching: Promise<void>;

  const recipe = (...args: string[]): { status: number | null; out: string } => {
    const r = spawnSync(RECIPE, args, { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };

  const ns = `vc${process.pid % 100000}`;

  beforeAll(() => {
    workdir = mkdtempSync(join('/var/tmp', 'vigil-cgio-'));
    // The container gets a network namespace with a real eth0 (cgroups do not count network IO;
    // cAdvisor and vigil read /proc/<pid>/net/dev of a container process).
    execFileSync(NETNS, ['up', ns], { encoding: 'utf8', timeout: 60_000 });
    execFileSync(RECIPE, ['start', name, '--netns', `${ns}-agent`, '--memory', String(64 << 20), '--cpu-quota-us', '10000', '--pids-max', '64', '--', 'sleep', '120'], { encoding: 'utf8', timeout: 60_000 });
    watcher = new KmsgOomWatcher({ pollMs: 50, onOom: (e) => ooms.push(e) });
    watching = watcher.run(ac.signal);
  });

  afterAll(async () => {
    ac.abort();
    await watching;
    recipe('stop', name);
    spawnSync(NETNS, ['down', ns], { timeout: 60_000 });
    rmSync(workdir, { recursive: true, force: true });
  });

  it('reports limits, CPU, throttling, block IO, processes and a real OOM kill', async () => {
    const c = new CgroupCollector({ oom: watcher });
    expect(c.layout().v1.has('memory')).toBe(true);
    const b0 = new MetricBatch();
    await c.collect(b0);
    const s0 = samples(b0);
    expect(c.containers().find((x) => x.id === id)).toMatchObject({ cgroupPath: `/docker/${id}`, runtime: 'docker' });
    expect(find(s0, 'container_spec_memory_limit_bytes', cg)).toBe(64 << 20);
    expect(find(s0, 'container_spec_cpu_quota', cg)).toBe(10000);
    expect(find(s0, 'container_spec_cpu_period', cg)).toBe(100000);
    expect(find(s0, 'container_threads_max', cg)).toBe(64);
    expect(find(s0, 'container_processes', cg)).toBeGreaterThanOrEqual(1);
    expect(find(s0, 'container_oom_events_total', cg)).toBe(0);
    const cpu0 = find(s0, 'container_cpu_usage_seconds_total', cg, 'cpu="total"')!;
    // The container's single-record files stay open for the next cycle, which reads them afresh.
    expect(c.keptFiles).toBeGreaterThanOrEqual(8);

    // Two busy loops for one second under a 10% quota: about 0.1 s of CPU and throttled
    // periods, even on a machine busy enough to give each loop far less than a core.
    expect(recipe('exec', name, '--', 'timeout', '1', 'sh', '-c', '(while :; do :; done) & while :; do :; done').status).toBe(124);
    // 8 MiB written with O_DIRECT is charged to the cgroup.
    expect(recipe('exec', name, '--', 'dd', 'if=/dev/zero', `of=${join(workdir, 'f')}`, 'bs=1M', 'count=8', 'oflag=direct').status).toBe(0);
    // Network traffic from inside the container's namespace to the other side of the veth pair.
    // (bash's /dev/udp: no ping on this machine; the peer answers ARP and ICMP port unreachable.)
    expect(recipe('exec', name, '--netns', `${ns}-agent`, '--', 'bash', '-c', 'for i in 1 2 3 4 5; do head -c 1000 /dev/zero >/dev/udp/198.18.0.2/9; sleep 0.05; done').status).toBe(0);
    // 128 MiB in one buffer under a 64 MiB limit: the OOM killer takes dd.
    expect(recipe('exec', name, '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1').status).toBe(137);

    // The watcher polls every 50 ms.
    for (let i = 0; i < 40 && ooms.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const b1 = new MetricBatch();
    await c.collect(b1);
    const s1 = samples(b1);
    const cpu1 = find(s1, 'container_cpu_usage_seconds_total', cg, 'cpu="total"')!;
    expect(cpu1 - cpu0).toBeGreaterThan(0.03);
    expect(cpu1 - cpu0).toBeLessThan(0.5);
    expect(find(s1, 'container_cpu_cfs_throttled_periods_total', cg)).toBeGreaterThan(0);
    expect(find(s1, 'container_cpu_cfs_throttled_seconds_total', cg)).toBeGreaterThan(0);
    expect(find(s1, 'container_fs_writes_bytes_total', cg)).toBeGreaterThanOrEqual(8 << 20);
    expect(find(s1, 'container_memory_failcnt', cg)).toBeGreaterThan(0);
    expect(find(s1, 'container_memory_max_usage_bytes', cg)).toBe(64 << 20);
    expect(find(s1, 'container_oom_events_total', cg)).toBe(1);
    expect(find(s1, 'container_network_transmit_bytes_total', cg, 'interface="eth0"')).toBeGreaterThanOrEqual(5000);
    expect(find(s1, 'container_network_transmit_packets_total', cg, 'interface="eth0"')).toBeGreaterThanOrEqual(5);
    expect(find(s1, 'container_network_receive_packets_total', cg, 'interface="eth0"')).toBeGreaterThanOrEqual(1);
    expect(find(s1, 'container_network_receive_bytes_total', cg, 'interface="lo"')).toBeUndefined();
    expect(ooms.find((e) => e.cgroupPath === `/docker/${id}`)).toMatchObject({ task: 'dd', constraint: 'CONSTRAINT_MEMCG', oomCgroupPath: `/docker/${id}` });
    expect(watcher.count(`/docker/${id}`)).toBe(1);
  });

  it('a cgroup removed and made again under the same path is read afresh; a gone one lets go of its files', async () => {
    const again = `docker/${randomBytes(32).toString('hex')}`;
    const path = `id="/${again}"`;
    const c = new CgroupCollector();
    const cpu = async (): Promise<number | undefined> => {
      const b = new MetricBatch();
      await c.collect(b);
      return find(samples(b), 'container_cpu_usage_seconds_total', path, 'cpu="total"');
    };
    try {
      expect(recipe('start', again, '--', 'sleep', '120').status).toBe(0);
      expect(recipe('exec', again, '--', 'timeout', '0.5', 'sh', '-c', 'while :; do :; done').status).toBe(124);
      expect(await cpu()).toBeGreaterThan(0.05);
      const kept = c.keptFiles;
      // Removed and made again between two cycles: the kept descriptors answer ENODEV, the
      // files are opened again under the same path, and the new cgroup's figures come back.
      expect(recipe('stop', again).status).toBe(0);
      expect(recipe('start', again, '--', 'sleep', '120').status).toBe(0);
      expect(await cpu()).toBeLessThan(0.02);
      expect(recipe('stop', again).status).toBe(0);
      expect(await cpu()).toBeUndefined();
      // Other containers on the host keep theirs.
      expect(kept - c.keptFiles).toBeGreaterThanOrEqual(8);
    } finally {
      recipe('stop', again);
      c.close();
    }
    expect(c.keptFiles).toBe(0);
  });
});
