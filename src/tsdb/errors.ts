/**
 * Errors of the head and the DB (block file errors are in block-errors.ts).
 * @module
 */

/** InvalidSeriesError rejects a sample whose labels cannot name a series (for example none at all). */
export class InvalidSeriesError extends Error {
  override readonly name = 'InvalidSeriesError';
  constructor(
    readonly labels: string,
    detail: string,
  ) {
    super(`invalid series ${labels}: ${detail}`);
  }
}

/** AppenderDoneError reports use of an appender after commit() or rollback(). */
export class AppenderDoneError extends Error {
  override readonly name = 'AppenderDoneError';
  constructor() {
    super('appender already committed or rolled back');
  }
}

/** DbClosedError reports use of a closed DB or head. */
export class DbClosedError extends Error {
  override readonly name = 'DbClosedError';
  constructor(readonly dir: string) {
    super(`TSDB ${dir} is closed`);
  }
}

/** LockedError reports a data directory in use by another live process. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is locked by process ${pid} (remove ${dir}/lock if that process is gone)`);
  }
}

/** WalReplayError reports a WAL that cannot be replayed at all (not a repairable corruption). */
export class WalReplayError extends Error {
  override readonly name = 'WalReplayError';
  constructor(
    readonly dir: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`replaying write-ahead log ${dir}: ${detail}`, options);
  }
}

/** OptionsError rejects an invalid DB or head option; `option` names it. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
