// The container collector on a pure cgroup v2 host with every controller: the QEMU guest of
// ../shared/recipes/cgroup-v2-vm.sh runs the agent's collector from this checkout after a
// real container cgroup was throttled, wrote to disk with O_DIRECT and was OOM-killed.
// Slow (QEMU software emulation: 1–3 minutes on the shared machine), so it runs only with
// VIGIL_SLOW_TESTS=1; the files it captures are checked in as
// src/agent/cgroup/testdata/v2-guest-oom and tested on every run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { required } from './support/peers.js';
import { shared } from './support/shared.js';

const VM = shared('recipes/cgroup-v2-vm.sh');
const SHARE = join(process.env.VIGIL_V2VM_DIR ?? '/tmp/vigil-v2vm', 'share');
const ROOT = resolve(import.meta.dirname, '..');
// The test command sets VIGIL_SLOW_TESTS=1 under CI; there, root and the recipe must be present.
const run = process.env.VIGIL_SLOW_TESTS === '1' && required(process.getuid?.() === 0 && existsSync(VM), 'root and the cgroup-v2-vm recipe');

const GUEST = `set -e
R=${shared('recipes')}
ID=$1
OUT=$2
export VIGIL_CG_IO_FILE=/dev/vda
$R/cgroup-container.sh start docker/$ID --memory 67108864 --cpu-quota-us 10000 --pids-max 64 -- sleep 300 >/dev/null
$R/cgroup-container.sh exec docker/$ID -- timeout 2 sh -c '(while :; do :; done) & while :; do :; done' || true
$R/cgroup-container.sh exec docker/$ID -- dd if=/dev/zero of=/dev/vda bs=1M count=8 oflag=direct 2>/dev/null
rc=0; $R/cgroup-container.sh exec docker/$ID -- dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null || rc=$?
echo "$rc" > /tmp/share/$OUT.rc
cd ${ROOT}
node --import tsx --input-type=module -e "
import { CgroupCollector, MetricBatch, renderText } from '${ROOT}/src/agent/index.ts';
const c = new CgroupCollector({});
const b = new MetricBatch();
await c.collect(b);
console.log('# layout ' + c.layout().mode + ' ' + c.layout().unifiedControllers.join(','));
console.log('# kept ' + c.keptFiles);
process.stdout.write(renderText(b));
// A second cycle after more CPU work reads the kept files afresh.
const { execFileSync } = await import('node:child_process');
try { execFileSync('$R/cgroup-container.sh', ['exec', 'docker/$ID', '--', 'timeout', '1', 'sh', '-c', 'while :; do :; done']); } catch {}
const b2 = new MetricBatch();
await c.collect(b2);
const cpu = (t) => /^container_cpu_usage_seconds_total\\{[^}]*id=.\\/docker\\/$ID.[^}]*\\} (\\S+)$/m.exec(t)?.[1];
console.log('# cpu ' + cpu(renderText(b)) + ' ' + cpu(renderText(b2)));
" > /tmp/share/$OUT.txt
$R/cgroup-container.sh stop docker/$ID
`;

describe.skipIf(!run)('CgroupCollector on a pure cgroup v2 host (QEMU guest, slow)', () => {
  it('reports throttling, direct IO, limits and the OOM kill from cgroup v2 files', () => {
    execFileSync(VM, ['prepare'], { stdio: 'ignore', timeout: 600_000 });
    mkdirSync(SHARE, { recursive: true });
    const id = randomBytes(32).toString('hex');
    const out = `vigil-v2-${process.pid}`;
    writeFileSync(join(SHARE, `${out}.sh`), GUEST);
    execFileSync(VM, ['run', '--timeout', '600', '--', 'bash', `/tmp/share/${out}.sh`, id, out], { cwd: ROOT, stdio: 'ignore', timeout: 700_000 });
    expect(readFileSync(join(SHARE, `${out}.rc`), 'utf8').trim()).toBe('137');
    const text = readFileSync(join(SHARE, `${out}.txt`), 'utf8');
    expect(text).toMatch(/^# layout v2 .*memory.*pids/m);
    const get = (name: string, extra = ''): number | undefined => {
      const m = new RegExp(`^${name}\\{[^}]*${extra}[^}]*id="/docker/${id}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return m === null ? undefined : Number(m[1]);
    };
    expect(get('container_oom_events_total')).toBe(1);
    expect(get('container_spec_memory_limit_bytes')).toBe(67108864);
    expect(get('container_spec_cpu_quota')).toBe(10000);
    expect(get('container_threads_max')).toBe(64);
    expect(get('container_cpu_cfs_throttled_periods_total')).toBeGreaterThan(0);
    expect(get('container_fs_writes_bytes_total', 'device="/dev/vda"')).toBe(8388608);
    expect(get('container_memory_failcnt')).toBeGreaterThan(0);
    expect(get('container_pressure_memory_waiting_seconds_total')).toBeGreaterThan(0);
    // The container's files stayed open for the second cycle, which saw the CPU it used since.
    expect(Number(/^# kept (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(8);
    const [cpu1, cpu2] = /^# cpu (\S+) (\S+)$/m.exec(text)!.slice(1).map(Number);
    expect(cpu2! - cpu1!).toBeGreaterThan(0.02);
  }, 900_000);
});
