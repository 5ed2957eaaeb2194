/**
 * Errors of relabel configuration and target label population.
 * @module
 */

/** RelabelConfigError reports an invalid relabel_config; `field` names the offending YAML key. */
export class RelabelConfigError extends Error {
  override readonly name = 'RelabelConfigError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** TargetLabelsError reports a target whose labels cannot be scraped (no address, bad interval…). */
export class TargetLabelsError extends Error {
  override readonly name = 'TargetLabelsError';
  constructor(
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
