/**
 * Where the host's /proc, /sys, root filesystem and udev database are, and cheap readers for
 * their small text files. /proc and /sys are served from kernel memory, so the readers are
 * synchronous: one open/read/close per file through one reused buffer, with no promise or
 * thread-pool hop per file (a cycle reads a few hundred of them).
 * @module
 */
import { closeSync, openSync, readdirSync, readSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** HostPaths are the roots the collectors read (node_exporter's --path.* flags). */
export interface HostPaths {
  /** procfs mount point (default /proc). */
  readonly procfs: string;
  /** sysfs mount point (default /sys). */
  readonly sysfs: string;
  /** Host root filesystem, when the agent runs in a container with it mounted (default /). */
  readonly rootfs: string;
  /** udev database (default /run/udev/data). */
  readonly udevData: string;
}

/** DEFAULT_HOST_PATHS are the paths on a host where the agent runs outside a container. */
export const DEFAULT_HOST_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' };

/** hostPaths fills unset roots with the defaults. */
export function hostPaths(p: Partial<HostPaths> = {}): HostPaths {
  return {
    procfs: p.procfs ?? DEFAULT_HOST_PATHS.procfs,
    sysfs: p.sysfs ?? DEFAULT_HOST_PATHS.sysfs,
    rootfs: p.rootfs ?? DEFAULT_HOST_PATHS.rootfs,
    udevData: p.udevData ?? DEFAULT_HOST_PATHS.udevData,
  };
}

let shared = Buffer.allocUnsafe(64 * 1024);

/** readText reads a whole file as UTF-8; errors (ENOENT, EACCES, EIO…) are thrown. */
export function readText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let n = 0;
    for (;;) {
      if (n === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2);
        shared.copy(bigger, 0, 0, n);
        shared = bigger;
      }
      const r = readSync(fd, shared, n, shared.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return shared.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** tryReadText reads a file, or returns undefined when it cannot be read (missing, no permission, an attribute the device refuses). */
export function tryReadText(path: string): string | undefined {
  try {
    return readText(path);
  } catch {
    return undefined;
  }
}

/** isMissing tells whether an error means the file or directory does not exist. */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** tryReadNumber reads a file holding one number (a sysfs attribute), or undefined. */
export function tryReadNumber(path: string): number | undefined {
  const t = tryReadText(path);
  if (t === undefined) return undefined;
  const s = t.trim();
  if (s === '') return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

/** listDir lists a directory's entry names, sorted; a missing directory gives []. */
export function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

/** tryReadLink returns a symlink's target, or undefined. */
export function tryReadLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** under joins a root and a path below it. */
export function under(root: string, ...parts: string[]): string {
  return join(root, ...parts);
}
