/**
 * Errors of query evaluation. Messages match Prometheus's, so clients that inspect them keep
 * working; `api/errors.ts` maps each class to an HTTP status and `errorType`.
 * @module
 */

/** QueryError is the base of every evaluation failure (Prometheus's `execution` errors). */
export class QueryError extends Error {
  override readonly name: string = 'QueryError';
}

/** QueryTimeoutError: the query ran past its deadline. */
export class QueryTimeoutError extends QueryError {
  override readonly name = 'QueryTimeoutError';
  constructor(readonly phase: string) {
    super(`query timed out in ${phase}`);
  }
}

/** QueryCanceledError: the caller's AbortSignal fired. */
export class QueryCanceledError extends QueryError {
  override readonly name = 'QueryCanceledError';
  constructor(
    readonly phase: string,
    options?: { cause?: unknown },
  ) {
    super(`query was canceled in ${phase}`, options);
  }
}

/** TooManySamplesError: the query would hold more samples in memory than allowed. */
export class TooManySamplesError extends QueryError {
  override readonly name = 'TooManySamplesError';
  constructor(
    readonly phase: string,
    readonly limit: number,
  ) {
    super(`query processing would load too many samples into memory in ${phase}`);
  }
}

/** StorageError wraps a failure of the storage layer while selecting or reading series. */
export class StorageError extends QueryError {
  override readonly name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** BadQueryError: the query or its parameters are invalid (Prometheus's `bad_data`), beyond parse errors. */
export class BadQueryError extends QueryError {
  override readonly name = 'BadQueryError';
}

/** UnsupportedError: the query needs a feature vigil does not implement yet (native histograms, …). */
export class UnsupportedError extends QueryError {
  override readonly name = 'UnsupportedError';
  constructor(readonly feature: string) {
    super(`not supported by vigil yet: ${feature}`);
  }
}
