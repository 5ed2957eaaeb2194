/**
 * Recognising container cgroups by name: Docker, podman, containerd, CRI-O and Kubernetes
 * name a container's cgroup after its 64-hex id, in cgroupfs and systemd layouts.
 * @module
 */

/** ContainerRef is a cgroup recognised as a container. */
export interface ContainerRef {
  /** 64-hex container id. */
  readonly id: string;
  /** `docker`, `podman`, `containerd`, `crio` or `unknown`. */
  readonly runtime: string;
  /** Kubernetes pod UID when the cgroup sits under a kubepods pod cgroup, else ''. */
  readonly podUid: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SCOPED = /^(docker|libpod|cri-containerd|crio)-([0-9a-f]{64})\.scope$/;
const LIBPOD_CGROUPFS = /^libpod-([0-9a-f]{64})$/;
const POD = /^(?:kubepods-(?:besteffort-|burstable-)?)?pod([0-9a-f_-]{36})(?:\.slice)?$/;

const RUNTIME: Readonly<Record<string, string>> = { docker: 'docker', libpod: 'podman', 'cri-containerd': 'containerd', crio: 'crio' };

/**
 * containerOf tells whether a cgroup path (as `/docker/<id>`, `/system.slice/docker-<id>.scope`,
 * `/libpod_parent/libpod-<id>`, `/kubepods/burstable/pod<uid>/<id>`) is a container's, from
 * its last segment; conmon and other helper cgroups are not containers.
 */
export function containerOf(cgroupPath: string): ContainerRef | undefined {
  const segs = cgroupPath.split('/').filter((s) => s !== '');
  const leaf = segs[segs.length - 1];
  if (leaf === undefined) return undefined;
  const parent = segs[segs.length - 2] ?? '';
  const podUid = (POD.exec(parent)?.[1] ?? '').replaceAll('_', '-');
  let m = SCOPED.exec(leaf);
  if (m !== null) return { id: m[2]!, runtime: RUNTIME[m[1]!]!, podUid };
  m = LIBPOD_CGROUPFS.exec(leaf);
  if (m !== null) return { id: m[1]!, runtime: 'podman', podUid };
  if (HEX64.test(leaf)) {
    return { id: leaf, runtime: segs.includes('docker') ? 'docker' : 'unknown', podUid };
  }
  return undefined;
}
