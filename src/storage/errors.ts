/**
 * Errors an Appender throws for samples it cannot take. Messages match Prometheus's.
 * @module
 */

/** OutOfOrderSampleError: the sample is older than the series' newest sample. */
export class OutOfOrderSampleError extends Error {
  override readonly name = 'OutOfOrderSampleError';
  constructor() {
    super('out of order sample');
  }
}

/** DuplicateSampleError: same timestamp as the newest sample, different value. */
export class DuplicateSampleError extends Error {
  override readonly name = 'DuplicateSampleError';
  constructor() {
    super('duplicate sample for timestamp');
  }
}

/** OutOfBoundsError: the sample falls before what the storage can still take. */
export class OutOfBoundsError extends Error {
  override readonly name = 'OutOfBoundsError';
  constructor() {
    super('out of bounds');
  }
}

/** TooOldSampleError: the sample is older than the out-of-order window allows. */
export class TooOldSampleError extends Error {
  override readonly name = 'TooOldSampleError';
  constructor() {
    super('too old sample');
  }
}
