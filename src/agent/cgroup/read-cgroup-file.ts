/**
 * Reading cgroup interface files: a file that does not exist (a controller not enabled for
 * this cgroup, an older kernel) or vanished with its cgroup reads as undefined.
 * @module
 */
import { readText } from '../host/index.js';

/**
 * readCgroupFile returns a file's text, or undefined when the file or its cgroup is gone or
 * the kernel refuses the read. `singleRecord` is readText's: true for every interface file
 * but cgroup.procs and tasks (and for files outside cgroupfs that the kernel makes in one go).
 */
export function readCgroupFile(path: string, singleRecord = false): string | undefined {
  try {
    return readText(path, singleRecord);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/** isGone tells the errors that mean a cgroup file cannot be read: missing, its cgroup removed, or refused by the kernel. */
export function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'EOPNOTSUPP' || code === 'EINVAL' || code === 'ESRCH';
}
