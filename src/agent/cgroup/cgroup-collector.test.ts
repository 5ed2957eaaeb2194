import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricBatch, renderText } from '../host/index.js';
import { CgroupCollector, type ContainerMetadata } from './index.js';
import { shared } from '../../../test/support/shared.js';

const CORPUS = shared('corpus/metrics/cgroups');
const V1_IDS = ['3d02975d4378f74f9a5005206e14745ce76947d970fad44ac6a5c5b80a3ccdf0', 'c652e8674cc618ab3bda66c5bb5af93a88f9fa4efec4e4c0851c68dde4b25750'];
const V2_ID = '1a38a7677732c264a914122d82b7b03e083fdadf8d0586b9df57db33a8f62e0c';

function samples(b: MetricBatch): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of renderText(b).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

describe('CgroupCollector on corpus cgroup trees', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
    // A /proc with just diskstats (device names) and mountinfo files for each layout.
    mkdirSync(join(dir, 'proc'));
    writeFileSync(join(dir, 'proc/diskstats'), ' 259       8 nvme0n1p8 1 0 0 0 0 0 0 0 0 0 0\n');
    writeFileSync(
      join(dir, 'mountinfo-v1'),
      `32 31 0:29 / ${CORPUS}/fluent-bit-docker/cgroupv1/cpu rw - cgroup cgroup rw,cpu,cpuacct\n35 31 0:32 / ${CORPUS}/fluent-bit-docker/cgroupv1/memory rw - cgroup cgroup rw,memory\n`,
    );
    // v2: the complete telegraf directory as a Docker container's scope, beside fluent-bit's.
    const scope = join(dir, 'cg2/system.slice', `docker-${V2_ID}.scope`);
    cpSync(join(CORPUS, 'telegraf/v2'), scope, { recursive: true });
    writeFileSync(join(dir, 'cg2/cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    writeFileSync(join(dir, 'mountinfo-v2'), `29 23 0:26 / ${join(dir, 'cg2')} rw - cgroup2 cgroup2 rw\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads cgroup v1 containers (Docker cgroupfs layout)', async () => {
    const c = new CgroupCollector({ procfs: join(dir, 'proc'), mountinfo: join(dir, 'mountinfo-v1'), now: () => 1_700_000_000_500 });
    const b = new MetricBatch();
    await c.collect(b);
    expect(c.containers().map((x) => x.id).sort()).toEqual(V1_IDS);
    const s = samples(b);
    const l = (id: string): string => `id="/docker/${id}",image="",name="",namespace="",pod=""`;
    expect(s.get(`container_cpu_usage_seconds_total{container="",cpu="total",${l(V1_IDS[1]!)}}`)).toBeGreaterThan(0);
    expect(s.get(`container_memory_usage_bytes{container="",${l(V1_IDS[0]!)}}`)).toBe(6299648);
    expect(s.get(`container_memory_usage_bytes{container="",${l(V1_IDS[1]!)}}`)).toBe(207499264);
    // 9223372036854771712 means no limit: cAdvisor reports 0.
    expect(s.get(`container_spec_memory_limit_bytes{container="",${l(V1_IDS[1]!)}}`)).toBe(0);
    expect(s.get(`container_last_seen{container="",${l(V1_IDS[1]!)}}`)).toBe(1_700_000_000);
    expect(s.get(`container_oom_events_total{container="",${l(V1_IDS[1]!)}}`)).toBe(0);
  });

  it('reads a complete cgroup v2 container with cAdvisor arithmetic and metadata labels', async () => {
    const md: ContainerMetadata = {
      name: 'k8s_app_web-0_shop_uid_0',
      image: 'nginx:1.25',
      labels: { 'io.kubernetes.container.name': 'app', 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'shop' },
      createdMs: 1_600_000_000_900,
      startedMs: 1_600_000_005_100,
    };
    const c = new CgroupCollector({ procfs: join(dir, 'proc'), mountinfo: join(dir, 'mountinfo-v2'), metadata: { get: (id) => (id === V2_ID ? md : undefined) } });
    expect(c.layout().mode).toBe('v2');
    const b = new MetricBatch();
    await c.collect(b);
    const s = samples(b);
    const L = `container="app",id="/system.slice/docker-${V2_ID}.scope",image="nginx:1.25",name="k8s_app_web-0_shop_uid_0",namespace="shop",pod="web-0"`;
    const want: Record<string, number> = {
      [`container_cpu_usage_seconds_total{${L.replace('container="app",', 'container="app",cpu="total",')}}`]: 98701.325189,
      [`container_cpu_user_seconds_total{${L}}`]: 61355.716211,
      [`container_cpu_system_seconds_total{${L}}`]: 37345.608977,
      [`container_cpu_cfs_periods_total{${L}}`]: 3936904,
      [`container_cpu_cfs_throttled_periods_total{${L}}`]: 6004,
      [`container_cpu_cfs_throttled_seconds_total{${L}}`]: 19175.137007,
      [`container_spec_cpu_quota{${L}}`]: 4800000,
      [`container_spec_cpu_period{${L}}`]: 100000,
      [`container_spec_cpu_shares{${L}}`]: 2046, // cpu.weight 79 converted as cAdvisor does
      [`container_spec_memory_limit_bytes{${L}}`]: 103079215104,
      [`container_memory_usage_bytes{${L}}`]: 13071106048,
      [`container_memory_max_usage_bytes{${L}}`]: 87302021120,
      [`container_memory_working_set_bytes{${L}}`]: 13071106048 - 2935459840,
      [`container_memory_rss{${L}}`]: 2471755776,
      [`container_memory_cache{${L}}`]: 8532865024,
      [`container_memory_mapped_file{${L}}`]: 14213120,
      [`container_oom_events_total{${L}}`]: 0,
      [`container_fs_reads_bytes_total{${L.replace('container="app",', 'container="app",device="/dev/nvme0n1p8",')}}`]: 74526720,
      [`container_fs_writes_bytes_total{${L.replace('container="app",', 'container="app",device="/dev/nvme0n1p8",')}}`]: 3789381632,
      [`container_fs_writes_total{${L.replace('container="app",', 'container="app",device="/dev/nvme0n1p8",')}}`]: 181928,
      [`container_threads{${L}}`]: 592,
      [`container_threads_max{${L}}`]: 629145,
      [`container_pressure_cpu_waiting_seconds_total{${L}}`]: 293.391454,
      [`container_pressure_cpu_stalled_seconds_total{${L}}`]: 277.111656,
      [`container_start_time_seconds{${L}}`]: 1_600_000_005,
      [`container_creation_time_seconds{${L}}`]: 1_600_000_000,
    };
    for (const [k, v] of Object.entries(want)) expect(s.get(k), k).toBe(v);
  });

  it('reads files captured on a pure v2 guest after CPU throttling, direct IO and an OOM kill', async () => {
    const id = 'cd4e9534bd7e6139683b1b4c73e71982464c10d1f38c8f16b278822ac1a2c68d';
    const root = join(dir, 'guest');
    cpSync(join(import.meta.dirname, 'testdata/v2-guest-oom'), join(root, 'docker', id), { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    writeFileSync(join(dir, 'mountinfo-guest'), `29 23 0:26 / ${root} rw - cgroup2 cgroup2 rw\n`);
    writeFileSync(join(dir, 'proc/diskstats'), ' 254       0 vda 1 0 0 0 0 0 0 0 0 0 0\n');
    const c = new CgroupCollector({ procfs: join(dir, 'proc'), mountinfo: join(dir, 'mountinfo-guest') });
    const b = new MetricBatch();
    await c.collect(b);
    const s = samples(b);
    const L = `container="",id="/docker/${id}",image="",name="",namespace="",pod=""`;
    const at = (name: string, extra = ''): number | undefined => s.get(`${name}{${extra}${L}}`) ?? s.get(`${name}{${L.replace('container="",', `container="",${extra}`)}}`);
    expect(at('container_oom_events_total')).toBe(1);
    expect(at('container_memory_failcnt')).toBe(40); // memory.events max
    expect(at('container_memory_max_usage_bytes')).toBe(67108864); // memory.peak
    expect(at('container_cpu_cfs_throttled_periods_total')).toBe(291);
    expect(at('container_cpu_cfs_throttled_seconds_total')).toBe(29.712308);
    expect(at('container_cpu_usage_seconds_total', 'cpu="total",')).toBe(2.9238);
    expect(at('container_spec_cpu_quota')).toBe(10000);
    expect(at('container_spec_memory_limit_bytes')).toBe(67108864);
    expect(at('container_threads_max')).toBe(64);
    expect(at('container_fs_writes_bytes_total', 'device="/dev/vda",')).toBe(8388608);
    expect(at('container_fs_writes_total', 'device="/dev/vda",')).toBe(8);
  });

  it('reports a container whose files are broken through onError and goes on', async () => {
    const broken = join(dir, 'cg2/system.slice', `docker-${'f'.repeat(64)}.scope`);
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'cpu.stat'), 'usage_usec\n');
    const errors: string[] = [];
    const c = new CgroupCollector({ procfs: join(dir, 'proc'), mountinfo: join(dir, 'mountinfo-v2'), onError: (p, e) => errors.push(`${p}: ${(e as Error).message}`) });
    const b = new MetricBatch();
    await c.collect(b);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cpu\.stat:1: expected "key value"/);
    expect([...samples(b).keys()].some((k) => k.includes(V2_ID))).toBe(true);
    rmSync(broken, { recursive: true });
  });
});
