/**
 * Reading cgroup interface files: a file that does not exist (a controller not enabled for
 * this cgroup, an older kernel) or vanished with its cgroup reads as undefined.
 * @module
 */
import { readText } from '../host/index.js';

/** readCgroupFile returns a file's text, or undefined when the file or its cgroup is gone or the kernel refuses the read. */
export function readCgroupFile(path: string): string | undefined {
  try {
    return readText(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'EOPNOTSUPP' || code === 'EINVAL' || code === 'ESRCH') return undefined;
    throw e;
  }
}
