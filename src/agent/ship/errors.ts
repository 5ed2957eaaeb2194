/**
 * Errors of the log shipper: bad options, refused deliveries, unreadable state and queue files.
 * @module
 */

/** ShipOptionError reports an invalid shipper, source or forwarder option, naming it. */
export class ShipOptionError extends Error {
  override readonly name = 'ShipOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}

/**
 * DeliveryError reports a batch the server did not acknowledge: `status` is the HTTP status
 * (0 when no answer came: connection refused, reset, timeout) and `retryable` whether sending
 * the same batch again may succeed.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly retryable: boolean,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${url}: ${detail}`, options);
  }
}

/** StateFileError reports a position state file that cannot be read, parsed or written. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${detail}`, options);
  }
}

/** QueueRecordError reports a disk queue record that does not decode (segment and offset of the record). */
export class QueueRecordError extends Error {
  override readonly name = 'QueueRecordError';
  constructor(
    readonly dir: string,
    readonly segment: number,
    readonly offset: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`disk queue ${dir}, segment ${segment} at ${offset}: ${detail}`, options);
  }
}
