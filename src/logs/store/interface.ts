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
  /** Literal ASCII substrings every wanted line contains when ASCII letter case is ignored. */
  readonly foldedNeedles?: readonly string[];
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

/** Fields of one entry (structured metadata), or undefined when it has none. */
export type EntryFields = Readonly<Record<string, string>> | undefined;

/**
 * EntryBatch is a run of entries of one stream in the query's direction, column-wise so that
 * reading allocates no object per entry. Arrays may be longer than `count`; only the first
 * `count` slots are valid. A batch is valid until the cursor's next call.
 */
export interface EntryBatch {
  readonly count: number;
  /** Entry times: whole Unix milliseconds and nanoseconds past them. */
  readonly t: Float64Array;
  readonly ns: Int32Array;
  /** The lines, or undefined when the query asked for times only (`lines: false`). */
  readonly lines: readonly string[] | undefined;
  /** UTF-8 byte length of each line; zeros when the query asked for neither lines nor bytes. */
  readonly bytes: Int32Array;
  /** Structured fields per entry, or undefined when no entry of the batch has any. */
  readonly fields: readonly EntryFields[] | undefined;
  /**
   * With CursorQuery.jsonFields: when set, the batch came from a JSON field index instead of
   * text (`lines` is then undefined) and every line is a JSON object. For field
   * jsonFields[i], columns[i].codes[k] is 0 when entry k lacks it, else 1 + the index of its
   * value in columns[i].values (the value `| json` would give).
   */
  readonly columns?: readonly FieldColumn[];
}

/** FieldColumn is one dictionary-encoded field of a batch (see EntryBatch.columns). */
export interface FieldColumn {
  readonly values: readonly string[];
  readonly codes: Uint8Array;
}

/** StreamCursor reads one stream's entries in the query's direction. */
export interface StreamCursor {
  readonly labels: Labels;
  /**
   * next resolves to the next non-empty batch, or undefined once the stream is exhausted.
   * Batches follow each other in the query's direction, strictly within [mint, maxt].
   */
  next(signal?: AbortSignal): Promise<EntryBatch | undefined>;
}

/** CursorQuery asks for per-stream cursors; the fields mean what they mean in SelectQuery. */
export interface CursorQuery {
  readonly matchers: readonly Matcher[];
  readonly mint: number;
  readonly maxt: number;
  readonly direction: Direction;
  /** Whether lines are needed; false reads timestamps only (much cheaper). */
  readonly lines: boolean;
  /** Whether line byte sizes are needed when `lines` is false (they cost reading the text). */
  readonly bytes?: boolean;
  readonly filter?: LineFilter;
  /** Literal substrings every wanted line contains. */
  readonly needles?: readonly string[];
  /** Literal ASCII substrings every wanted line contains when ASCII letter case is ignored. */
  readonly foldedNeedles?: readonly string[];
  /**
   * Optional hints a store may use to skip lines early: a line of a stream that has none of the
   * labels `exceptStreamsWith`, in a block without structured fields, is wanted only if for
   * every group it contains at least one of the group's strings. The caller re-checks what it
   * needs, so a store may ignore hints.
   */
  readonly hints?: LineHints;
  /**
   * Fields of `| json` the caller needs. A store with a JSON field index may answer a block from
   * it (EntryBatch.columns, no lines) when every line of the block is a JSON object, the block
   * has no structured fields and the stream has no label of these names; other blocks come as
   * lines. Only used without filters and needles. Batches answered from indexes of blocks that
   * overlap in time (entries that arrived late) are each in order but may overlap each other.
   */
  readonly jsonFields?: readonly string[];
  /** Receives non-fatal problems met while reading (a corrupt chunk skipped). */
  readonly onWarning?: (w: string) => void;
}

/** LineHints: see CursorQuery.hints. */
export interface LineHints {
  readonly anyOf: readonly (readonly string[])[];
  readonly exceptStreamsWith: readonly string[];
}

/** IndexStats summarizes what the index holds for a selector and time range (Loki's index/stats). */
export interface IndexStats {
  readonly streams: number;
  readonly chunks: number;
  readonly entries: number;
  readonly bytes: number;
}

/** AppendListener is told about every appended batch after it is durable (live tail). */
export type AppendListener = (stream: Labels, entries: readonly LogEntry[]) => void;

/**
 * QueryableLogStore is a LogStore that LogQL and the Loki API can query efficiently: per-stream
 * cursors with pushdown, index statistics, flushing and live-tail notifications.
 */
export interface QueryableLogStore extends LogStore {
  /** cursors returns one cursor per stream matching `q.matchers` that may have entries in range. */
  cursors(q: CursorQuery, signal?: AbortSignal): Promise<readonly StreamCursor[]>;
  /** indexStats counts streams, chunks, entries and line bytes for matchers in [mint, maxt]. */
  indexStats(matchers: readonly Matcher[], mint: number, maxt: number): Promise<IndexStats>;
  /** flush persists everything held in memory; afterwards the WAL holds nothing chunks do not. */
  flush(): Promise<void>;
  /** subscribe registers a listener for appended entries; the returned function unregisters it. */
  subscribe(listener: AppendListener): () => void;
}

/** compareEntryTime orders two entries by (t, ns). */
export function compareEntryTime(a: LogEntry, b: LogEntry): number {
  return a.t - b.t || a.ns - b.ns;
}
