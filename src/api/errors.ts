/**
 * The one place that maps engine errors to HTTP: Prometheus's errorType values and status
 * codes (bad_data 400, execution 422, timeout 503, canceled 499, internal 500, not_found 404,
 * unavailable 503).
 * @module
 */
import { goString } from './prometheus-json.js';

/** ApiErrorType is one of the Prometheus API's error kinds. */
export type ApiErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'not_found' | 'unavailable';

const STATUS: Record<ApiErrorType, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 499,
  internal: 500,
  not_found: 404,
  unavailable: 503,
};

/** ApiError carries an errorType chosen by the API layer. */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly type: ApiErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** BadDataError is an invalid parameter. */
export class BadDataError extends ApiError {
  override readonly name = 'BadDataError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_data', message, options);
  }
}

/**
 * classify maps any error to an API error type by its class name, so engines need not know
 * about HTTP: parse errors are bad data, timeouts and cancellations keep their kind, other
 * query failures are execution errors.
 */
export function classify(e: unknown): { type: ApiErrorType; message: string } {
  if (e instanceof ApiError) return { type: e.type, message: e.message };
  const name = e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  switch (name) {
    case 'ParseError':
    case 'RegexSyntaxError':
    case 'DurationError':
    case 'BadDataError':
    case 'BadQueryError':
      return { type: 'bad_data', message };
    case 'QueryTimeoutError':
    case 'TimeoutError':
      return { type: 'timeout', message };
    case 'QueryCanceledError':
    case 'AbortError':
      return { type: 'canceled', message };
    case 'StorageError':
      // Prometheus reports storage failures during a query as internal errors (500).
      return { type: 'internal', message };
    case 'QueryError':
    case 'TooManySamplesError':
    case 'OutOfOrderSampleError':
    case 'DuplicateSampleError':
      return { type: 'execution', message };
    default:
      return { type: e instanceof Error && /^[A-Z]\w*Error$/.test(name) && name !== 'Error' && name !== 'TypeError' && name !== 'RangeError' ? 'execution' : 'internal', message };
  }
}

/** statusOf returns the HTTP status for an error type. */
export function statusOf(type: ApiErrorType): number {
  return STATUS[type];
}

/** errorBody renders Prometheus's error envelope, escaped as Go's encoding/json escapes it. */
export function errorBody(type: ApiErrorType, message: string): string {
  return `{"status":"error","errorType":"${type}","error":${goString(message)}}`;
}

/** RemoteWriteDecodeError is a malformed remote-write protobuf body, at a byte offset. */
export class RemoteWriteDecodeError extends Error {
  override readonly name = 'RemoteWriteDecodeError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}
