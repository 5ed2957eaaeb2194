/**
 * The log store contract: receivers append, LogQL and the Loki API select. Declared here,
 * beside the storage, so both sides depend on it and not on each other.
 * @module
 */
import type { Labels, Matcher } from '../../model/index.js';

/**
 * LogEntry is one log line. Its time is split into whole Unix milliseconds `t` and the
 * nanoseconds past that millisecond `ns` (0–999 999), so nanosecond timestamps stay exact
 * without BigInt.
 */
export interface LogEntry {
  readonly t: number;
  readonly ns: number;
  readonly line: string;
  /** Structured fields (journald fields, JSON/logfmt keys, syslog structured data) kept beside the line. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** LineFilter keeps a line when it returns true; pushed down into the store to skip work. */
export type LineFilter = (line: string) => boolean;

/** Direction orders entries: oldest first (forward) or newest first (backward). */
export type Direction = 'forward' | 'backward';

/** SelectQuery asks for entries of the streams matching `matchers`, with t in [mint, maxt] (ms, inclusive). */
export interface SelectQuery {
  readonly matchers: readonly Matcher[];
  readonly mint: number;
  readonly maxt: number;
  readonly direction: Direction;
  /** Maximum entries over all streams; 0 for no limit. */
  readonly limit: number;
  readonly filter?: LineFilter;
  /** Literal substrings every wanted line contains; lets the store skip chunks by their filters. */
  readonly needles?: readonly string[];
}

/** StreamBatch is a run of entries of one stream, in the query's direction. */
export interface StreamBatch {
  readonly labels: Labels;
  readonly entries: readonly LogEntry[];
}

/** LogStore keeps log streams. */
export interface LogStore {
  /**
   * append adds entries to the stream with these labels. Resolves once the entries are
   * durable (WAL written); rejects without having stored any of them otherwise.
   */
  append(stream: Labels, entries: readonly LogEntry[], signal?: AbortSignal): Promise<void>;
  /**
   * select yields matching entries. Batches of one stream come in the query's direction;
   * batches of different streams may interleave. With a limit, the store returns the `limit`
   * entries nearest the start of the direction over all streams.
   */
  select(q: SelectQuery, signal?: AbortSignal): AsyncIterable<StreamBatch>;
  /** labelNames returns the sorted label names of streams with entries in [mint, maxt]. */
  labelNames(mint: number, maxt: number, matchers?: readonly Matcher[]): Promise<readonly string[]>;
  /** labelValues returns the sorted values of `name` over streams with entries in [mint, maxt]. */
  labelValues(name: string, mint: number, maxt: number, matchers?: readonly Matcher[]): Promise<readonly string[]>;
  /** series returns the label sets of streams matching `matchers` with entries in [mint, maxt]. */
  series(matchers: readonly Matcher[], mint: number, maxt: number): Promise<readonly Labels[]>;
  /** close flushes and releases everything. */
  close(): Promise<void>;
}

/** compareEntryTime orders two entries by (t, ns). */
export function compareEntryTime(a: LogEntry, b: LogEntry): number {
  return a.t - b.t || a.ns - b.ns;
}
