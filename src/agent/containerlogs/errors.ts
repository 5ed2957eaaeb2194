/**
 * Errors of the container log sources.
 * @module
 */

/** ContainerLogsOptionError reports an invalid container log source option, naming it. */
export class ContainerLogsOptionError extends Error {
  override readonly name = 'ContainerLogsOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
