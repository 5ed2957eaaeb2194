/**
 * Errors of the file tailer.
 * @module
 */

/** GlobError reports a path pattern that cannot be used, naming it. */
export class GlobError extends Error {
  override readonly name = 'GlobError';
  constructor(
    readonly pattern: string,
    readonly detail: string,
  ) {
    super(`glob "${pattern}": ${detail}`);
  }
}

/** TailOptionError reports an invalid tailer option, naming it. */
export class TailOptionError extends Error {
  override readonly name = 'TailOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
