/**
 * Batch encoders: entries are written into the body of the batch being filled as they arrive
 * (no object per entry), in one of two wire formats:
 *
 * - vigil NDJSON for `POST /api/vigil/logs`: one `{"ts":"<unix ns>","labels":{…},"line":…,"fields":{…}}`
 *   per line (the gateway's envelope form);
 * - Loki push JSON for `POST /loki/api/v1/push`: `{"streams":[{"stream":{…},"values":[["<unix ns>",line,{…}],…]}]}`,
 *   fields as structured metadata (accepted by vigil and by Loki 3).
 * @module
 */
import type { Labels } from '../../model/index.js';
import { BatchFormat } from './disk-queue.js';

/** ShipStream is a stream (label set) entries are added to; made once per label set by the shipper. */
export class ShipStream {
  /** Dense id within the shipper, for per-stream slots of encoders. */
  readonly id: number;
  readonly labels: Labels;
  /** The labels as a JSON object text. */
  readonly json: string;

  constructor(id: number, labels: Labels) {
    this.id = id;
    this.labels = labels;
    this.json = JSON.stringify(labels.toObject());
  }
}

/** BatchEncoder fills the body of one batch at a time. */
export interface BatchEncoder {
  readonly format: BatchFormat;
  /** The Content-Type of the bodies. */
  readonly contentType: string;
  /** Entries added since the last finish. */
  readonly entries: number;
  /** Uncompressed body bytes so far (an estimate within a few bytes per stream). */
  readonly bytes: number;
  /** add writes one entry: time as Unix ms `t` plus `ns` (0–999 999), the line and optional fields. */
  add(stream: ShipStream, t: number, ns: number, line: string, fields: Readonly<Record<string, string>> | undefined): void;
  /** finish returns the body and starts an empty one. */
  finish(): Buffer;
}

/** unixNanos formats a time as the decimal Unix nanoseconds string the push APIs take (no BigInt). */
export function unixNanos(t: number, ns: number): string {
  if (!(t > 0)) return ns > 0 ? String(ns) : '0';
  const ms = Math.floor(t);
  return String(ms) + String(ns | 0).padStart(6, '0');
}

/** rfc3339Nanos formats a time as RFC 3339 UTC with nine fractional digits. */
export function rfc3339Nanos(t: number, ns: number): string {
  const iso = new Date(Math.floor(t)).toISOString(); // …:SS.mmmZ
  return iso.slice(0, -1) + String(ns | 0).padStart(6, '0') + 'Z';
}

/** Growable byte buffer written with strings. */
class ByteSink {
  #buf: Buffer;
  #len = 0;

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.#len;
  }

  write(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const need = this.#len + s.length * 3;
    if (need > this.#buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
      this.#buf.copy(nb, 0, 0, this.#len);
      this.#buf = nb;
    }
    this.#len += this.#buf.write(s, this.#len, 'utf8');
  }

  take(): Buffer {
    const out = Buffer.from(this.#buf.subarray(0, this.#len));
    this.#len = 0;
    return out;
  }
}

/** VigilNdjsonEncoder writes vigil's NDJSON envelopes. */
export class VigilNdjsonEncoder implements BatchEncoder {
  readonly format = BatchFormat.VigilNdjson;
  readonly contentType = 'application/x-ndjson';
  readonly #out = new ByteSink(64 * 1024);
  #entries = 0;

  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#out.length;
  }

  add(stream: ShipStream, t: number, ns: number, line: string, fields: Readonly<Record<string, string>> | undefined): void {
    // The gateway reads 19 digits as Unix ns; older times go as RFC 3339.
    const ts = t >= 1e12 && t < 1e13 ? unixNanos(t, ns) : rfc3339Nanos(t, ns);
    let s = '{"ts":"' + ts + '","labels":' + stream.json + ',"line":' + JSON.stringify(line);
    if (fields !== undefined) s += ',"fields":' + JSON.stringify(fields);
    this.#out.write(s + '}\n');
    this.#entries++;
  }

  finish(): Buffer {
    this.#entries = 0;
    return this.#out.take();
  }
}

/** LokiJsonEncoder writes a Loki push JSON body, entries grouped per stream. */
export class LokiJsonEncoder implements BatchEncoder {
  readonly format = BatchFormat.LokiJson;
  readonly contentType = 'application/json';
  // Per stream id: the values written so far ('' = none this batch).
  #values: string[] = [];
  #streams: ShipStream[] = [];
  #used: number[] = [];
  #entries = 0;
  #bytes = 0;

  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(stream: ShipStream, t: number, ns: number, line: string, fields: Readonly<Record<string, string>> | undefined): void {
    let v = '["' + unixNanos(t, ns) + '",' + JSON.stringify(line);
    if (fields !== undefined) v += ',' + JSON.stringify(fields);
    v += ']';
    const id = stream.id;
    const prev = this.#values[id];
    if (prev === undefined || prev === '') {
      this.#values[id] = v;
      this.#streams[id] = stream;
      this.#used.push(id);
      this.#bytes += stream.json.length + 24;
    } else {
      this.#values[id] = prev + ',' + v;
    }
    this.#bytes += v.length + 1;
    this.#entries++;
  }

  finish(): Buffer {
    const out = new ByteSink(this.#bytes + 64);
    out.write('{"streams":[');
    this.#used.forEach((id, i) => {
      out.write((i > 0 ? ',{"stream":' : '{"stream":') + this.#streams[id]!.json + ',"values":[');
      out.write(this.#values[id]!);
      out.write(']}');
      this.#values[id] = '';
    });
    out.write(']}');
    this.#used = [];
    this.#entries = 0;
    this.#bytes = 0;
    return out.take();
  }
}
