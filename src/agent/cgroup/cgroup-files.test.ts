import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CgroupParseError, cgroupLayout, containerOf, parseBlkio, parseCgroupMounts, parseCpuMax, parseIoStat, parseKeyed, parsePidList, parseValue } from './index.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2 = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
const COMBINED = `25 23 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
26 23 0:23 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
27 23 0:24 / /host/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
28 23 0:25 / /a\\040b rw - cgroup cgroup rw,pids
`;

describe('cgroup mounts', () => {
  it('finds separate cpu and cpuacct mounts and the unified mount of a hybrid host', () => {
    const l = cgroupLayout(parseCgroupMounts(HYBRID));
    expect(l.mode).toBe('hybrid');
    expect(l.v1.get('cpu')?.mountPoint).toBe('/sys/fs/cgroup/cpu');
    expect(l.v1.get('cpuacct')?.mountPoint).toBe('/sys/fs/cgroup/cpuacct');
    expect(l.v1.get('name=systemd')?.mountPoint).toBe('/sys/fs/cgroup/systemd');
    expect(l.unified?.mountPoint).toBe('/sys/fs/cgroup/unified');
  });
  it('recognises a pure v2 host', () => {
    const l = cgroupLayout(parseCgroupMounts(V2));
    expect(l.mode).toBe('v2');
    expect(l.unified?.mountPoint).toBe('/sys/fs/cgroup');
  });
  it('maps combined controllers, prefers the mount of the whole tree, decodes escapes', () => {
    const l = cgroupLayout(parseCgroupMounts(COMBINED));
    expect(l.mode).toBe('v1');
    expect(l.v1.get('cpu')).toBe(l.v1.get('cpuacct'));
    expect(l.v1.get('memory')?.mountPoint).toBe('/host/sys/fs/cgroup/memory');
    expect(l.v1.get('pids')?.mountPoint).toBe('/a b');
  });
  it('reports a malformed line with its number', () => {
    expect(() => parseCgroupMounts('1 2 3\n', '/m')).toThrow(new CgroupParseError('/m', 1, 'malformed mountinfo line "1 2 3"'));
    expect(() => cgroupLayout([])).toThrow(/no cgroup/);
  });
});

describe('containerOf', () => {
  const id = 'c652e8674cc618ab3bda66c5bb5af93a88f9fa4efec4e4c0851c68dde4b25750';
  it.each([
    { path: `/docker/${id}`, want: { id, runtime: 'docker', podUid: '' } },
    { path: `/system.slice/docker-${id}.scope`, want: { id, runtime: 'docker', podUid: '' } },
    { path: `/libpod_parent/libpod-${id}`, want: { id, runtime: 'podman', podUid: '' } },
    { path: `/machine.slice/libpod-${id}.scope`, want: { id, runtime: 'podman', podUid: '' } },
    { path: `/kubepods/burstable/pod0b6d8a4c-5d3e-4c2b-9f5e-2b7e1c9e0a11/${id}`, want: { id, runtime: 'unknown', podUid: '0b6d8a4c-5d3e-4c2b-9f5e-2b7e1c9e0a11' } },
    { path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6d8a4c_5d3e_4c2b_9f5e_2b7e1c9e0a11.slice/cri-containerd-${id}.scope`, want: { id, runtime: 'containerd', podUid: '0b6d8a4c-5d3e-4c2b-9f5e-2b7e1c9e0a11' } },
    { path: `/kubepods.slice/crio-${id}.scope`, want: { id, runtime: 'crio', podUid: '' } },
  ])('$path', ({ path, want }) => {
    expect(containerOf(path)).toEqual(want);
  });
  it.each(['/', '/docker', '/libpod_parent/conmon', `/machine.slice/libpod-conmon-${id}.scope`, '/system.slice/ssh.service', `/docker/${id.slice(1)}`])('not a container: %s', (p) => {
    expect(containerOf(p)).toBeUndefined();
  });
});

describe('cgroup file parsers', () => {
  it('reads keyed files and reports a bad line', () => {
    expect(parseKeyed('user 10\nsystem 20\n', 'cpuacct.stat')).toEqual(new Map([['user', 10], ['system', 20]]));
    expect(() => parseKeyed('user 10\nsystem\n', 'cpuacct.stat')).toThrow(new CgroupParseError('cpuacct.stat', 2, 'expected "key value", got "system"'));
  });
  it('reads values with max as Infinity', () => {
    expect(parseValue('max\n', 'memory.max')).toBe(Infinity);
    expect(parseValue('9223372036854771712\n', 'memory.limit_in_bytes')).toBe(9223372036854771712);
    expect(() => parseValue('', 'x')).toThrow(CgroupParseError);
    expect(parseCpuMax('max 100000\n', 'cpu.max')).toEqual({ quota: Infinity, period: 100000 });
    expect(parseCpuMax('50000 100000\n', 'cpu.max')).toEqual({ quota: 50000, period: 100000 });
  });
  it('reads blkio rows (skipping Total) and io.stat', () => {
    expect(parseBlkio('254:0 Read 8388608\n254:0 Write 4096\n254:0 Total 8392704\nTotal 8392704\n', 'b')).toEqual([
      { major: 254, minor: 0, op: 'Read', value: 8388608 },
      { major: 254, minor: 0, op: 'Write', value: 4096 },
      { major: 254, minor: 0, op: 'Total', value: 8392704 },
    ]);
    expect(parseBlkio('Total 0\n', 'b')).toEqual([]);
    expect(() => parseBlkio('254:0 Read\n', 'b')).toThrow(/b:1/);
    const io = parseIoStat('259:8 rbytes=74526720 wbytes=3789381632 rios=2936 wios=181928 dbytes=0 dios=0\n', 'io.stat');
    expect(io[0]!.fields.get('wbytes')).toBe(3789381632);
    expect(() => parseIoStat('259:8 rbytes\n', 'io.stat')).toThrow(/io.stat:1: bad field "rbytes"/);
    expect(parsePidList('1\n22\n', 'p')).toEqual([1, 22]);
  });
  it('throws only CgroupParseError on any input (fuzz)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const f of [parseKeyed, parseBlkio, parseIoStat, parsePidList, parseValue, parseCpuMax] as const) {
          try {
            f(s, 'x');
          } catch (e) {
            if (!(e instanceof CgroupParseError)) throw e;
          }
        }
        try {
          parseCgroupMounts(s);
        } catch (e) {
          if (!(e instanceof CgroupParseError)) throw e;
        }
      }),
    );
  });
});
