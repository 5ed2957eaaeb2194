/**
 * LogSink: the contract between log sources (journald, files, container output) and the
 * shipper: entries go in with the position they reach, and a source learns where to resume.
 * @module
 */
import type { Labels } from '../../model/index.js';
import type { ShipStream } from './batch-encoder.js';

/** LogSink is what a log source hands its entries and positions to. */
export interface LogSink {
  /** stream returns the handle of a label set (the shipper's base labels added where missing), made once per set. */
  stream(labels: Labels): ShipStream;
  /**
   * add queues one entry. Call `mark` in the same synchronous run after the entries a position
   * covers, so a batch never holds entries without the position after them.
   */
  add(stream: ShipStream, t: number, ns: number, line: string, fields?: Readonly<Record<string, string>>): void;
  /** addEncoded is add with the fields already encoded as the UTF-8 bytes of a JSON object of strings (copied at once). */
  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void;
  /**
   * mark records that `source` has handed over everything up to `position` (JSON-serializable;
   * null forgets the source). The value is copied when the batch is sealed, so a source may
   * mark the same object again after changing it.
   */
  mark(source: string, position: unknown): void;
  /**
   * position returns where `source` resumes: the last position it marked in this process, else
   * the one from before a restart (acknowledged, or in a queued batch), else undefined.
   */
  position(source: string): unknown;
  /** sources lists the ids of every source with a resume position. */
  sources(): readonly string[];
  /** writable is false while sealed batches wait for the disk: sources should pause reading. */
  readonly writable: boolean;
  /** whenWritable resolves once writable again (or the signal aborts). */
  whenWritable(signal: AbortSignal): Promise<void>;
}
