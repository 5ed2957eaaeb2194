/**
 * Errors of the log receivers.
 * @module
 */

/** ReceiverOptionError reports an invalid receiver or token option, naming it. */
export class ReceiverOptionError extends Error {
  override readonly name = 'ReceiverOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}

/** IngestErrorKind classifies why an ingest request was refused. */
export type IngestErrorKind = 'bad_request' | 'unauthorized' | 'forbidden' | 'too_large' | 'unsupported' | 'not_found' | 'method' | 'unavailable';

/** IngestError is a refused ingest request; `kind` says why (the HTTP handlers map it to a status). */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(
    readonly kind: IngestErrorKind,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}
