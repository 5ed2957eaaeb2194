/**
 * Errors of LogQL evaluation. The API layer maps them by name: QueryError → execution (422),
 * QueryTimeoutError → timeout (503), QueryCanceledError → canceled (499), LimitExceededError →
 * bad_data (400), ParseError → bad_data (400).
 * @module
 */

/** QueryError is a query that parsed but cannot be evaluated (pipeline errors, bad labels). */
export class QueryError extends Error {
  override readonly name: string = 'QueryError';
}

/** QueryTimeoutError reports a query that ran past its time budget. */
export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`query timed out after ${timeoutMs} ms`);
  }
}

/** QueryCanceledError reports a query whose caller gave up. */
export class QueryCanceledError extends Error {
  override readonly name = 'QueryCanceledError';
  constructor() {
    super('query canceled');
  }
}

/** LimitExceededError reports a query over one of the configured limits, naming it. */
export class LimitExceededError extends Error {
  override readonly name = 'LimitExceededError';
  constructor(
    readonly limit: string,
    readonly value: number,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/** BadRequestError reports invalid query parameters (times, step, direction, limit). */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}
