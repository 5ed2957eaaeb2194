/**
 * node_exporter's `filesystem` collector: size, free and available bytes, inodes and
 * read-only state of every mounted filesystem (from /proc/1/mounts and statfs), without the
 * pseudo filesystems and container mounts node_exporter leaves out by default. A mount whose
 * statfs does not answer within the timeout is reported with node_filesystem_device_error 1
 * and not asked again until that call returns.
 * @module
 */
import { statfs } from 'node:fs/promises';
import type { Regex } from '../../model/index.js';
import type { Collector } from './collector.js';
import { nameFilter } from './name-filter.js';
import { ProcParseError } from './errors.js';
import { isMissing, readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

/** DEFAULT_MOUNT_POINTS_EXCLUDE is node_exporter's --collector.filesystem.mount-points-exclude default. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
/** DEFAULT_FS_TYPES_EXCLUDE is node_exporter's --collector.filesystem.fs-types-exclude default. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';

/** Mount is one line of /proc/mounts. */
export interface Mount {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: string;
}

/** parseMounts reads /proc/<pid>/mounts, decoding the `\040` (space) and `\011` (tab) escapes of mount points. */
export function parseMounts(text: string, path = '/proc/mounts'): Mount[] {
  const out: Mount[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    if (lines[ln]!.trim() === '') continue;
    const f = lines[ln]!.trim().split(/\s+/);
    if (f.length < 4) throw new ProcParseError(path, ln + 1, `malformed mount point information "${lines[ln]}"`);
    out.push({ device: f[0]!, mountPoint: f[1]!.replaceAll('\\040', ' ').replaceAll('\\011', '\t'), fsType: f[2]!, options: f[3]! });
  }
  return out;
}

/** FilesystemCollectorOptions configure the filesystem collector. */
export interface FilesystemCollectorOptions {
  readonly paths: HostPaths;
  readonly mountPointsExclude?: string;
  readonly fsTypesExclude?: string;
  /** How long a statfs may take before the mount is marked stuck, ms (default 5000). */
  readonly mountTimeoutMs?: number;
}

/** FilesystemCollector is node_exporter's filesystem collector. */
export class FilesystemCollector implements Collector {
  readonly name = 'filesystem';
  readonly #paths: HostPaths;
  readonly #mpExclude: Regex;
  readonly #fsExclude: Regex;
  readonly #timeoutMs: number;
  /** Mount points whose statfs has not returned yet. */
  readonly #stuck = new Set<string>();

  constructor(opts: FilesystemCollectorOptions) {
    this.#paths = opts.paths;
    this.#mpExclude = nameFilter(opts.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE);
    this.#fsExclude = nameFilter(opts.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE);
    this.#timeoutMs = opts.mountTimeoutMs ?? 5000;
  }

  async collect(out: MetricBatch): Promise<void> {
    const mounts = this.#mounts();
    const labels = ['device', 'mountpoint', 'fstype'];
    const fam = {
      size: out.family('node_filesystem_size_bytes', MetricType.gauge, 'Filesystem size in bytes.', labels),
      free: out.family('node_filesystem_free_bytes', MetricType.gauge, 'Filesystem free space in bytes.', labels),
      avail: out.family('node_filesystem_avail_bytes', MetricType.gauge, 'Filesystem space available to non-root users in bytes.', labels),
      files: out.family('node_filesystem_files', MetricType.gauge, 'Filesystem total file nodes.', labels),
      filesFree: out.family('node_filesystem_files_free', MetricType.gauge, 'Filesystem total free file nodes.', labels),
      ro: out.family('node_filesystem_readonly', MetricType.gauge, 'Filesystem read-only status.', labels),
      err: out.family('node_filesystem_device_error', MetricType.gauge, 'Whether an error occurred while getting statistics for the given device.', labels),
    };
    const seen = new Set<string>();
    const todo: Mount[] = [];
    for (const m of mounts) {
      const mp = this.#strip(m.mountPoint);
      if (this.#mpExclude.test(mp) || this.#fsExclude.test(m.fsType)) continue;
      const key = `${m.device}\u0000${mp}\u0000${m.fsType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      todo.push({ ...m, mountPoint: mp });
    }
    const results = await Promise.all(todo.map((m) => this.#statfs(m.mountPoint)));
    for (let i = 0; i < todo.length; i++) {
      const m = todo[i]!;
      const s = results[i];
      const lv = [m.device, m.mountPoint, m.fsType];
      out.add(fam.err, s === undefined ? 1 : 0, lv);
      if (s === undefined) continue;
      out.add(fam.size, s.blocks * s.bsize, lv);
      out.add(fam.free, s.bfree * s.bsize, lv);
      out.add(fam.avail, s.bavail * s.bsize, lv);
      out.add(fam.files, s.files, lv);
      out.add(fam.filesFree, s.ffree, lv);
      out.add(fam.ro, m.options.split(',').includes('ro') ? 1 : 0, lv);
    }
  }

  #mounts(): Mount[] {
    for (const rel of ['1/mounts', 'self/mounts', 'mounts']) {
      const path = under(this.#paths.procfs, rel);
      let text: string;
      try {
        text = readText(path);
      } catch (e) {
        if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EACCES') continue;
        throw e;
      }
      return parseMounts(text, path);
    }
    throw new ProcParseError(under(this.#paths.procfs, 'mounts'), 0, 'no mount table readable');
  }

  #strip(mp: string): string {
    const root = this.#paths.rootfs;
    if (root === '/' || root === '') return mp;
    const r = root.endsWith('/') ? root.slice(0, -1) : root;
    if (!mp.startsWith(r)) return mp;
    const s = mp.slice(r.length);
    return s === '' ? '/' : s;
  }

  async #statfs(mp: string): Promise<{ bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number } | undefined> {
    if (this.#stuck.has(mp)) return undefined;
    const call = statfs(under(this.#paths.rootfs, mp));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), this.#timeoutMs);
      timer.unref();
    });
    try {
      const r = await Promise.race([call, timeout]);
      if (r === 'timeout') {
        this.#stuck.add(mp);
        // Asked again only once the hanging call returns.
        call.then(
          () => this.#stuck.delete(mp),
          () => this.#stuck.delete(mp),
        );
        return undefined;
      }
      return r;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
