/**
 * Errors of the cgroup reader.
 * @module
 */

/** CgroupParseError reports a cgroup or mountinfo file whose text does not have the expected shape; `line` is 1-based (0 when not tied to a line). */
export class CgroupParseError extends Error {
  override readonly name = 'CgroupParseError';
  constructor(
    readonly path: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${path}${line > 0 ? `:${line}` : ''}: ${detail}`);
  }
}

/** NoCgroupsError reports a host where no cgroup hierarchy is mounted. */
export class NoCgroupsError extends Error {
  override readonly name = 'NoCgroupsError';
  constructor(readonly mountinfoPath: string) {
    super(`no cgroup or cgroup2 mount in ${mountinfoPath}`);
  }
}
