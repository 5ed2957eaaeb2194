/**
 * Errors of service discovery.
 * @module
 */

/** TargetGroupFileError reports a file_sd file that cannot be read as target groups. */
export class TargetGroupFileError extends Error {
  override readonly name = 'TargetGroupFileError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`, options);
  }
}

/** DiscoveryError reports a provider that failed to list or watch its source. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  constructor(
    readonly provider: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
  }
}
