/**
 * Where each cgroup controller is mounted, read from /proc/self/mountinfo. Hosts come in
 * three layouts: v1 (one mount per controller or controller group: `cpu` and `cpuacct` may
 * be separate mounts or one `cpu,cpuacct`), v2 (one `cgroup2` mount holding every
 * controller), and hybrid (v1 controllers plus a cgroup2 mount, usually at
 * /sys/fs/cgroup/unified, that has few or no controllers).
 * @module
 */
import { CgroupParseError, NoCgroupsError } from './errors.js';

/** CgroupMount is one cgroup filesystem mount. */
export interface CgroupMount {
  /** Where it is mounted. */
  readonly mountPoint: string;
  /** The cgroup path at the mount's root ('/' unless the mount or a cgroup namespace shows a sub-tree). */
  readonly root: string;
  /** v1 controllers of the mount (`cpu`, `cpuacct`, `memory`, `name=systemd`); [] for cgroup2. */
  readonly controllers: readonly string[];
  readonly version: 1 | 2;
}

/** CgroupLayout maps controllers to mounts. */
export interface CgroupLayout {
  /** `v1`, `v2` (unified only) or `hybrid` (v1 controllers plus a cgroup2 mount). */
  readonly mode: 'v1' | 'v2' | 'hybrid';
  /** v1 mount per controller name. */
  readonly v1: ReadonlyMap<string, CgroupMount>;
  /** The cgroup2 mount, if any. */
  readonly unified: CgroupMount | undefined;
  /** Controllers enabled at the cgroup2 root (`cgroup.controllers`), for v2 and hybrid. */
  readonly unifiedControllers: readonly string[];
}

/** unescapeMountPath decodes the octal escapes (`\040` space, `\011` tab, `\012`, `\134`) of mountinfo paths. */
export function unescapeMountPath(s: string): string {
  return s.includes('\\') ? s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) : s;
}

/** parseCgroupMounts reads the cgroup and cgroup2 mounts of a mountinfo file. */
export function parseCgroupMounts(text: string, path = '/proc/self/mountinfo'): CgroupMount[] {
  const out: CgroupMount[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    if (line === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0 || dash + 3 > f.length) throw new CgroupParseError(path, ln + 1, `malformed mountinfo line "${line}"`);
    const fstype = f[dash + 1]!;
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescapeMountPath(f[3]!);
    const mountPoint = unescapeMountPath(f[4]!);
    if (fstype === 'cgroup2') {
      out.push({ mountPoint, root, controllers: [], version: 2 });
      continue;
    }
    const known = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'blkio', 'perf_event', 'net_prio', 'hugetlb', 'pids', 'rdma', 'misc']);
    const controllers = (f[dash + 3] ?? '').split(',').filter((o) => known.has(o) || o.startsWith('name='));
    out.push({ mountPoint, root, controllers, version: 1 });
  }
  return out;
}

/**
 * cgroupLayout picks one mount per controller. When a controller is mounted more than once
 * (bind mounts into containers), the mount showing the whole tree (root '/') and then the
 * shortest mount point wins.
 */
export function cgroupLayout(mounts: readonly CgroupMount[], unifiedControllers: readonly string[] = [], path = '/proc/self/mountinfo'): CgroupLayout {
  if (mounts.length === 0) throw new NoCgroupsError(path);
  const better = (a: CgroupMount, b: CgroupMount | undefined): boolean =>
    b === undefined || (a.root === '/' && b.root !== '/') || (a.root === b.root && a.mountPoint.length < b.mountPoint.length);
  const v1 = new Map<string, CgroupMount>();
  let unified: CgroupMount | undefined;
  for (const m of mounts) {
    if (m.version === 2) {
      if (better(m, unified)) unified = m;
      continue;
    }
    for (const c of m.controllers) if (better(m, v1.get(c))) v1.set(c, m);
  }
  const hasV1Resource = [...v1.keys()].some((c) => !c.startsWith('name='));
  const mode = unified !== undefined && !hasV1Resource ? 'v2' : unified !== undefined ? 'hybrid' : 'v1';
  return { mode, v1, unified, unifiedControllers };
}
