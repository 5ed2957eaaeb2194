/**
 * ParsedStreams: the stream of a parsed entry, as the gateway forms it for text it parses
 * itself: the source's labels plus the low-cardinality labels the parser found (`level`,
 * `host`, `unit`, `identifier`, `container`, `stream`), made once per combination.
 * @module
 */
import type { ParsedLine } from '../../logs/parse/index.js';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import type { ShipStream } from './batch-encoder.js';
import type { LogSink } from './log-sink.js';

/** ParsedStreamsOptions configure ParsedStreams. */
export interface ParsedStreamsOptions {
  readonly sink: LogSink;
  /** The source's labels; they win over parsed labels of the same name. */
  readonly labels: Labels;
  /** Put the detected level in a `level` label (default true). */
  readonly levelLabel?: boolean;
}

const MAX_CACHED = 4096;

/** ParsedStreams maps parsed entries to ship streams and hands them to the sink. */
export class ParsedStreams {
  readonly #sink: LogSink;
  readonly #labels: Labels;
  readonly #levelLabel: boolean;
  readonly #cache = new Map<string, ShipStream>();
  #lastKey: string | undefined;
  #last: ShipStream | undefined;
  // The arguments of the last streamOf call: a run of entries of one stream builds no key.
  #lLevel = '';
  #lHost = '';
  #lUnit = '';
  #lIdent = '';
  #lContainer = '';
  #lStream = '';

  constructor({ sink, labels, levelLabel = true }: ParsedStreamsOptions) {
    this.#sink = sink;
    this.#labels = labels;
    this.#levelLabel = levelLabel;
  }

  /** streamFor returns the stream of a parsed entry. */
  streamFor(p: ParsedLine): ShipStream {
    return this.streamOf(p.level, p.host, p.unit, p.identifier, p.container, p.stream);
  }

  /** streamOf returns the stream of an entry with these parsed labels ('' when absent). */
  streamOf(levelFound: string, host: string, unit: string, identifier: string, container: string, stream: string): ShipStream {
    const level = this.#levelLabel ? levelFound : '';
    if (
      this.#last !== undefined && level === this.#lLevel && host === this.#lHost && unit === this.#lUnit && identifier === this.#lIdent && container === this.#lContainer && stream === this.#lStream
    ) {
      return this.#last;
    }
    const key = host !== '' || unit !== '' || identifier !== '' || container !== '' || stream !== '' ? `${level}\u0000${host}\u0000${unit}\u0000${identifier}\u0000${container}\u0000${stream}` : level;
    if (key === this.#lastKey) return this.#last!;
    let s = this.#cache.get(key);
    if (s === undefined) {
      const b = new LabelsBuilder();
      if (level !== '') b.set('level', level);
      if (host !== '') b.set('host', host);
      if (unit !== '') b.set('unit', unit);
      if (identifier !== '') b.set('identifier', identifier);
      if (container !== '') b.set('container', container);
      if (stream !== '') b.set('stream', stream);
      this.#labels.forEach((n, v) => b.set(n, v));
      s = this.#sink.stream(b.labels());
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(key, s);
    }
    this.#lastKey = key;
    this.#last = s;
    this.#lLevel = level;
    this.#lHost = host;
    this.#lUnit = unit;
    this.#lIdent = identifier;
    this.#lContainer = container;
    this.#lStream = stream;
    return s;
  }

  /** add hands one parsed entry to the sink. */
  add(p: ParsedLine): void {
    this.#sink.add(this.streamFor(p), p.t, p.ns, p.line, p.fields);
  }
}
