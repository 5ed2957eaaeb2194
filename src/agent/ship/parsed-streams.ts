/**
 * ParsedStreams: the stream of a parsed entry, as the gateway forms it for text it parses
 * itself: the source's labels plus the low-cardinality labels the parser found (`level`,
 * `host`, `unit`, `identifier`, `container`, `stream`), made once per combination.
 * @module
 */
import type { ParsedLine } from '../../logs/parse/index.js';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import type { ShipStream } from './batch-encoder.js';
import type { LogSink } from './shipper.js';

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

  constructor({ sink, labels, levelLabel = true }: ParsedStreamsOptions) {
    this.#sink = sink;
    this.#labels = labels;
    this.#levelLabel = levelLabel;
  }

  /** streamFor returns the stream of a parsed entry. */
  streamFor(p: ParsedLine): ShipStream {
    const level = this.#levelLabel ? p.level : '';
    const key = p.hasLabels() ? `${level}\u0000${p.host}\u0000${p.unit}\u0000${p.identifier}\u0000${p.container}\u0000${p.stream}` : level;
    if (key === this.#lastKey) return this.#last!;
    let s = this.#cache.get(key);
    if (s === undefined) {
      const b = new LabelsBuilder();
      if (level !== '') b.set('level', level);
      if (p.host !== '') b.set('host', p.host);
      if (p.unit !== '') b.set('unit', p.unit);
      if (p.identifier !== '') b.set('identifier', p.identifier);
      if (p.container !== '') b.set('container', p.container);
      if (p.stream !== '') b.set('stream', p.stream);
      this.#labels.forEach((n, v) => b.set(n, v));
      s = this.#sink.stream(b.labels());
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(key, s);
    }
    this.#lastKey = key;
    this.#last = s;
    return s;
  }

  /** add hands one parsed entry to the sink. */
  add(p: ParsedLine): void {
    this.#sink.add(this.streamFor(p), p.t, p.ns, p.line, p.fields);
  }
}
