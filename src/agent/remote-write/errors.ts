/**
 * Errors of the remote-write sender.
 * @module
 */

/**
 * RemoteWriteError reports a request the receiver refused or that could not be sent.
 * `status` is the HTTP status (0 for a network error or timeout); `recoverable` tells whether
 * the request is retried (5xx, 429, network) or dropped (other 4xx).
 */
export class RemoteWriteError extends Error {
  override readonly name = 'RemoteWriteError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly recoverable: boolean,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`remote write to ${url}: ${status > 0 ? `HTTP ${status}: ` : ''}${detail}`, options);
  }
}
