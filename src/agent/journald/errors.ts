/**
 * Errors of the journald follower.
 * @module
 */

/** JournaldOptionError reports an invalid journald follower option, naming it. */
export class JournaldOptionError extends Error {
  override readonly name = 'JournaldOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
