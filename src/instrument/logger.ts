/**
 * Structured logging in Prometheus's logfmt style (`ts=… level=info component=scrape msg="…"`),
 * written to stderr. Engines take a Logger in their options; the CLI makes the real one.
 * @module
 */

/** LogLevel orders messages by importance. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Fields are extra key/value pairs of a log line. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

/** Logger writes structured log lines. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** with returns a logger that adds these fields to every line. */
  with(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** LogfmtLoggerOptions configures a LogfmtLogger. */
export interface LogfmtLoggerOptions {
  readonly level?: LogLevel;
  readonly format?: 'logfmt' | 'json';
  readonly write?: (line: string) => void;
}

/** LogfmtLogger writes one line per message. */
export class LogfmtLogger implements Logger {
  readonly #min: number;
  readonly #format: 'logfmt' | 'json';
  readonly #write: (line: string) => void;
  readonly #base: LogFields;

  constructor(opts: LogfmtLoggerOptions = {}, base: LogFields = {}) {
    const { level = 'info', format = 'logfmt', write = (l: string) => void process.stderr.write(l) } = opts;
    if (!(level in RANK)) throw new Error(`invalid log level "${level}"`);
    this.#min = RANK[level];
    this.#format = format;
    this.#write = write;
    this.#base = base;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log('error', msg, fields);
  }

  with(fields: LogFields): Logger {
    return new LogfmtLogger(
      { level: (Object.keys(RANK) as LogLevel[])[this.#min]!, format: this.#format, write: this.#write },
      { ...this.#base, ...fields },
    );
  }

  #log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] < this.#min) return;
    const all: Record<string, unknown> = { ts: new Date().toISOString(), level, ...this.#base, msg, ...fields };
    if (this.#format === 'json') {
      this.#write(JSON.stringify(all) + '\n');
      return;
    }
    let line = '';
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined || v === null) continue;
      const s = String(v);
      line += (line === '' ? '' : ' ') + k + '=' + (/^[^\s"=]+$/.test(s) ? s : JSON.stringify(s));
    }
    this.#write(line + '\n');
  }
}

/** NOP_LOGGER discards everything. */
export const NOP_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return NOP_LOGGER;
  },
};
