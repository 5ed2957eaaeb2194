/**
 * MemorySink: a LogSink that keeps entries and positions in memory, for tests and dry runs.
 * Positions count as acknowledged at once, so a new source given the same sink resumes where
 * the previous one marked.
 * @module
 */
import type { Labels } from '../../model/index.js';
import { ShipStream } from './batch-encoder.js';
import type { LogSink } from './log-sink.js';

/** SunkEntry is an entry a MemorySink received. */
export interface SunkEntry {
  readonly labels: Labels;
  readonly t: number;
  readonly ns: number;
  readonly line: string;
  readonly fields: Readonly<Record<string, string>> | undefined;
}

/** MemorySink records what sources hand over. */
export class MemorySink implements LogSink {
  readonly entries: SunkEntry[] = [];
  readonly #positions = new Map<string, unknown>();
  readonly #streams = new Map<string, ShipStream>();
  /** Set false to make sources wait (writable), true again to release them. */
  #writable = true;
  #waiters: (() => void)[] = [];

  /** lines returns the lines received, in order. */
  lines(): string[] {
    return this.entries.map((e) => e.line);
  }

  stream(labels: Labels): ShipStream {
    const k = labels.key();
    let s = this.#streams.get(k);
    if (s === undefined) {
      s = new ShipStream(this.#streams.size, labels);
      this.#streams.set(k, s);
    }
    return s;
  }

  add(stream: ShipStream, t: number, ns: number, line: string, fields?: Readonly<Record<string, string>>): void {
    this.entries.push({ labels: stream.labels, t, ns, line, fields });
  }

  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void {
    const fields = fieldsJson === undefined ? undefined : (JSON.parse(Buffer.from(fieldsJson).toString('utf8')) as Record<string, string>);
    this.add(stream, t, ns, line, fields);
  }

  mark(source: string, position: unknown): void {
    if (position === null) this.#positions.delete(source);
    else this.#positions.set(source, JSON.parse(JSON.stringify(position)) as unknown);
  }

  position(source: string): unknown {
    return this.#positions.get(source);
  }

  sources(): readonly string[] {
    return [...this.#positions.keys()];
  }

  get writable(): boolean {
    return this.#writable;
  }

  set writable(v: boolean) {
    this.#writable = v;
    if (v) {
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    }
  }

  whenWritable(signal: AbortSignal): Promise<void> {
    if (this.#writable || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
