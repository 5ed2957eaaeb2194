/**
 * StreamBatcher: collects parsed entries by stream (base labels plus the labels the parser
 * found) and appends them to the LogStore in one call per stream.
 * @module
 */
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { LogFormat, PARSE_ERROR_FIELD, type ParsedLine } from '../parse/index.js';
import type { LogEntry, LogStore } from '../store/index.js';
import { IngestError } from './errors.js';
import type { ReceiveMetrics } from './receive-metrics.js';

/** StreamBatcherOptions configure a StreamBatcher. */
export interface StreamBatcherOptions {
  readonly store: LogStore;
  /** Labels of every stream (configured labels and `app`); they win over parsed labels of the same name. */
  readonly labels: Labels;
  /** Put the detected level in a `level` label (default true). */
  readonly levelLabel?: boolean;
  readonly metrics: ReceiveMetrics;
}

interface Group {
  labels: Labels;
  entries: LogEntry[];
}

/** The parsed labels of the last line's group, to skip building a key while lines stay in one stream. */
interface LastStream {
  level: string;
  host: string;
  unit: string;
  identifier: string;
  container: string;
  stream: string;
}

const MAX_CACHED_LABELS = 2_000;

/** StreamBatcher groups entries per stream until `flush`. Not shared between concurrent flushes' callers. */
export class StreamBatcher {
  readonly #store: LogStore;
  readonly #base: Labels;
  readonly #levelLabel: boolean;
  readonly #metrics: ReceiveMetrics;
  readonly #labelCache = new Map<string, Labels>();
  #groups = new Map<string, Group>();
  #size = 0;
  #lastKey: string | undefined;
  #lastGroup: Group | undefined;
  readonly #last: LastStream = { level: '', host: '', unit: '', identifier: '', container: '', stream: '' };

  constructor({ store, labels, levelLabel = true, metrics }: StreamBatcherOptions) {
    this.#store = store;
    this.#base = labels;
    this.#levelLabel = levelLabel;
    this.#metrics = metrics;
  }

  /** size is the number of entries waiting for `flush`. */
  get size(): number {
    return this.#size;
  }

  /** add takes one parsed entry (copied out of `p`) and counts it. */
  add(p: ParsedLine): void {
    const m = this.#metrics;
    m.line(p.format);
    if (p.format === LogFormat.Unknown || (p.fields !== undefined && p.fields[PARSE_ERROR_FIELD] !== undefined)) m.fallbacks.value++;
    const cut = p.fields?.cut;
    if (cut !== undefined) m.cut(cut);
    const level = this.#levelLabel ? p.level : '';
    const last = this.#last;
    let g = this.#lastGroup;
    if (
      g === undefined ||
      last.level !== level ||
      last.stream !== p.stream ||
      last.host !== p.host ||
      last.unit !== p.unit ||
      last.identifier !== p.identifier ||
      last.container !== p.container
    ) {
      const key = p.hasLabels() ? `${level}\u0000${p.host}\u0000${p.unit}\u0000${p.identifier}\u0000${p.container}\u0000${p.stream}` : level;
      g = key === this.#lastKey ? this.#lastGroup : this.#groups.get(key);
      if (g === undefined) {
        g = { labels: this.#labelsFor(key, p, level), entries: [] };
        this.#groups.set(key, g);
      }
      this.#lastKey = key;
      this.#lastGroup = g;
      last.level = level;
      last.host = p.host;
      last.unit = p.unit;
      last.identifier = p.identifier;
      last.container = p.container;
      last.stream = p.stream;
    }
    g!.entries.push(p.toEntry());
    this.#size++;
  }

  /** addEntries takes entries of one known stream at once (a Loki push stream); counted as `format`. */
  addEntries(labels: Labels, entries: readonly LogEntry[], format: string): void {
    if (entries.length === 0) return;
    this.#metrics.lines(format, entries.length);
    const key = '\u0001' + labels.key();
    const g = this.#groups.get(key);
    if (g === undefined) this.#groups.set(key, { labels, entries: entries.slice() });
    else for (const e of entries) g.entries.push(e);
    this.#size += entries.length;
  }

  /** addEntry takes an entry of a known stream (Loki push, Elasticsearch bulk); counted as `format`. */
  addEntry(labels: Labels, entry: LogEntry, format: string): void {
    this.#metrics.line(format);
    const key = '\u0001' + labels.key();
    let g = this.#groups.get(key);
    if (g === undefined) {
      g = { labels, entries: [] };
      this.#groups.set(key, g);
    }
    g.entries.push(entry);
    this.#size++;
  }

  /**
   * flush appends everything collected, one append per stream, and resolves when the store has
   * accepted all of it. On failure it rejects with an IngestError (`unavailable`) after every
   * append has settled; the failed entries are not kept.
   */
  async flush(signal?: AbortSignal): Promise<void> {
    if (this.#size === 0) return;
    const groups = this.#groups;
    this.#groups = new Map();
    this.#size = 0;
    this.#lastKey = undefined;
    this.#lastGroup = undefined;
    const list = [...groups.values()];
    const results = await Promise.allSettled(list.map((g) => this.#store.append(g.labels, g.entries, signal)));
    let firstErr: unknown;
    let lost = 0;
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        firstErr ??= r.reason;
        this.#metrics.appendErrors.value++;
        lost += list[i]!.entries.length;
      }
    });
    if (firstErr !== undefined) {
      throw new IngestError('unavailable', `log store refused ${lost} entries: ${firstErr instanceof Error ? firstErr.message : String(firstErr)}`, { cause: firstErr });
    }
  }

  #labelsFor(key: string, p: ParsedLine, level: string): Labels {
    let l = this.#labelCache.get(key);
    if (l === undefined) {
      const b = new LabelsBuilder();
      if (level !== '') b.set('level', level);
      if (p.host !== '') b.set('host', p.host);
      if (p.unit !== '') b.set('unit', p.unit);
      if (p.identifier !== '') b.set('identifier', p.identifier);
      if (p.container !== '') b.set('container', p.container);
      if (p.stream !== '') b.set('stream', p.stream);
      this.#base.forEach((n, v) => b.set(n, v));
      l = b.labels();
      if (this.#labelCache.size >= MAX_CACHED_LABELS) this.#labelCache.clear();
      this.#labelCache.set(key, l);
    }
    return l;
  }
}
