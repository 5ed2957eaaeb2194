/**
 * Errors of the host collectors and of the metric batch they fill.
 * @module
 */

/** MetricBatchError reports a family declared inconsistently or a sample that does not fit its family. */
export class MetricBatchError extends Error {
  override readonly name = 'MetricBatchError';
  constructor(
    readonly metric: string,
    readonly detail: string,
  ) {
    super(`metric ${metric}: ${detail}`);
  }
}

/**
 * ProcParseError reports a /proc or /sys file whose text does not have the expected shape;
 * `line` is 1-based (0 when the problem is not tied to a line).
 */
export class ProcParseError extends Error {
  override readonly name = 'ProcParseError';
  constructor(
    readonly path: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${path}${line > 0 ? `:${line}` : ''}: ${detail}`);
  }
}

/** CollectorError wraps the failure of one collector in one cycle; the other collectors still report. */
export class CollectorError extends Error {
  override readonly name = 'CollectorError';
  constructor(
    readonly collector: string,
    options: { cause: unknown },
  ) {
    super(`collector ${collector} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
  }
}

/** NoDataError reports that a collector's source does not exist on this host (no PSI, no hwmon); the cycle records it as not successful without logging an error. */
export class NoDataError extends Error {
  override readonly name = 'NoDataError';
  constructor(
    readonly collector: string,
    readonly detail: string,
  ) {
    super(`collector ${collector}: no data: ${detail}`);
  }
}
