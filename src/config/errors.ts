/**
 * Errors of configuration loading. Every one carries the file, the 1-based line and column and
 * the offending key, and prints as `file:line:col: key: detail`.
 * @module
 */

/** ConfigError reports a configuration file that cannot be used as written. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly key: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${line}:${col}: ${key === '' ? '' : `${key}: `}${detail}`, options);
  }
}

/** ConfigCheckError reports a config that parses but fails a check against the filesystem or its targets. */
export class ConfigCheckError extends Error {
  override readonly name = 'ConfigCheckError';
  constructor(
    readonly file: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}
