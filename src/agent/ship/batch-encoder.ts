/**
 * Batch encoders: entries are written into the body of the batch being filled as they arrive
 * (no object per entry), in one of two wire formats:
 *
 * - vigil NDJSON for `POST /api/vigil/logs`: one `{"ts":"<unix ns>","labels":{…},"line":…,"fields":{…}}`
 *   per line (the gateway's envelope form); to a server that announced `defaults`, a
 *   `{"defaults":{"labels":{…},"fields":{…}}}` line opens each run of entries sharing stream and
 *   fields, and the entries carry only `{"ts":…,"line":…}` (a journal's entries repeat some
 *   400 bytes of fields, a file's lines their labels);
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
  /** What follows the timestamp in a vigil NDJSON envelope, up to the line, as UTF-8. */
  readonly ndjsonMid: Buffer;
  /** The start of a vigil NDJSON `defaults` line naming these labels, as UTF-8. */
  readonly ndjsonDefaults: Buffer;

  constructor(id: number, labels: Labels) {
    this.id = id;
    this.labels = labels;
    this.json = JSON.stringify(labels.toObject());
    this.ndjsonMid = Buffer.from(`","labels":${this.json},"line":`);
    this.ndjsonDefaults = Buffer.from(`{"defaults":{"labels":${this.json}`);
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
  /** addEncoded is add with the fields already encoded: the UTF-8 bytes of a JSON object of strings (copied). */
  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void;
  /** finish returns the body and starts an empty one; the body may be a view the next add overwrites (copy it to keep it). */
  finish(): Buffer;
  /** serverFeatures takes the `Vigil-Logs-Features` the server last answered with; bodies started after it may use them. */
  serverFeatures(features: string): void;
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

// A string JSON.stringify leaves as it is: printable ASCII without `"` and `\\` (a fixed pattern of ours, not user input).
const PLAIN_JSON_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Growable byte buffer written with strings and bytes. */
class ByteSink {
  #buf: Buffer;
  #len = 0;

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.#len;
  }

  /** write appends s as UTF-8. */
  write(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.#reserve(s.length * 3);
    this.#len += this.#buf.write(s, this.#len, 'utf8');
  }

  /** ascii appends a string known to be ASCII. */
  ascii(s: string): void {
    this.#reserve(s.length);
    const b = this.#buf;
    let o = this.#len;
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
    this.#len = o;
  }

  /**
   * jsonString appends s as a JSON string. Printable ASCII without `"` or `\\` (most log
   * lines) is checked by one native regular-expression test and copied by one native write;
   * anything else goes through JSON.stringify.
   */
  jsonString(s: string): void {
    if (!PLAIN_JSON_ASCII.test(s)) {
      this.write(JSON.stringify(s));
      return;
    }
    this.#reserve(s.length + 2);
    const b = this.#buf;
    let o = this.#len;
    b[o++] = 0x22;
    o += b.write(s, o, 'latin1');
    b[o++] = 0x22;
    this.#len = o;
  }

  bytes(src: Uint8Array): void {
    const n = src.length;
    this.#reserve(n);
    if (n > 64) {
      this.#buf.set(src, this.#len);
      this.#len += n;
      return;
    }
    // Short runs: a loop beats the per-call cost of a native copy.
    const b = this.#buf;
    let o = this.#len;
    for (let i = 0; i < n; i++) b[o++] = src[i]!;
    this.#len = o;
  }

  /** unixNanos appends t (ms, 10¹²–10¹³) and ns (0–999 999) as 19 decimal digits. */
  unixNanos(t: number, ns: number): void {
    this.#reserve(19);
    const b = this.#buf;
    const o = this.#len;
    let v = t;
    for (let i = 12; i >= 0; i--) {
      const q = Math.floor(v / 10);
      b[o + i] = 48 + v - q * 10;
      v = q;
    }
    v = ns;
    for (let i = 18; i >= 13; i--) {
      const q = Math.floor(v / 10);
      b[o + i] = 48 + v - q * 10;
      v = q;
    }
    this.#len = o + 19;
  }

  /** take returns what was written, as a view of the buffer valid until the next write, and empties the sink. */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#len);
    this.#len = 0;
    return out;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    const nb = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
    this.#buf.copy(nb, 0, 0, this.#len);
    this.#buf = nb;
  }
}

/** VigilNdjsonEncoder writes vigil's NDJSON envelopes. */
export class VigilNdjsonEncoder implements BatchEncoder {
  readonly format = BatchFormat.VigilNdjson;
  readonly contentType = 'application/x-ndjson';
  readonly #out = new ByteSink(64 * 1024);
  #entries = 0;
  // Whether the server takes `defaults` lines: as last announced, and for the body being filled.
  #announced = false;
  #defaults = false;
  // The run the last `defaults` line opened in this body (no stream: none yet).
  #runStream: ShipStream | undefined;
  #runFields: Buffer | undefined;

  get entries(): number {
    return this.#entries;
  }

  get bytes(): number {
    return this.#out.length;
  }

  /** usesDefaults tells whether the body being filled writes `defaults` lines. */
  get usesDefaults(): boolean {
    return this.#defaults;
  }

  serverFeatures(features: string): void {
    this.#announced = features.split(',').some((f) => f.trim() === 'defaults');
    if (this.#entries === 0) this.#defaults = this.#announced;
  }

  add(stream: ShipStream, t: number, ns: number, line: string, fields: Readonly<Record<string, string>> | undefined): void {
    if (this.#defaults) {
      this.addEncoded(stream, t, ns, line, fields === undefined ? undefined : Buffer.from(JSON.stringify(fields)));
      return;
    }
    this.#head(stream, t, ns, line);
    if (fields !== undefined) {
      this.#out.ascii(',"fields":');
      this.#out.write(JSON.stringify(fields));
    }
    this.#out.ascii('}\n');
    this.#entries++;
  }

  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void {
    const out = this.#out;
    if (this.#defaults) {
      if (stream !== this.#runStream || !sameBytes(fieldsJson, this.#runFields)) this.#openRun(stream, fieldsJson);
      out.ascii('{"ts":"');
      this.#ts(t, ns);
      out.ascii('","line":');
      out.jsonString(line);
    } else {
      this.#head(stream, t, ns, line);
      if (fieldsJson !== undefined) {
        out.ascii(',"fields":');
        out.bytes(fieldsJson);
      }
    }
    out.ascii('}\n');
    this.#entries++;
  }

  // A `defaults` line: the entries after it have this stream and these fields.
  #openRun(stream: ShipStream, fieldsJson: Uint8Array | undefined): void {
    const out = this.#out;
    out.bytes(stream.ndjsonDefaults);
    if (fieldsJson !== undefined) {
      out.ascii(',"fields":');
      out.bytes(fieldsJson);
    }
    out.ascii('}}\n');
    this.#runStream = stream;
    this.#runFields = fieldsJson === undefined ? undefined : Buffer.from(fieldsJson);
  }

  #head(stream: ShipStream, t: number, ns: number, line: string): void {
    const out = this.#out;
    out.ascii('{"ts":"');
    this.#ts(t, ns);
    out.bytes(stream.ndjsonMid);
    out.jsonString(line);
  }

  #ts(t: number, ns: number): void {
    // The gateway reads 19 digits as Unix ns; older times go as RFC 3339.
    if (t >= 1e12 && t < 1e13 && Number.isInteger(t) && ns >= 0 && ns < 1e6) this.#out.unixNanos(t, ns | 0);
    else this.#out.ascii(rfc3339Nanos(t, ns));
  }

  finish(): Buffer {
    this.#entries = 0;
    this.#defaults = this.#announced;
    this.#runStream = undefined;
    this.#runFields = undefined;
    return this.#out.take();
  }
}

// sameBytes compares an entry's fields with the open run's (both absent counts as the same).
function sameBytes(a: Uint8Array | undefined, b: Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && b.compare(a) === 0;
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
    this.#value(stream, '["' + unixNanos(t, ns) + '",' + JSON.stringify(line) + (fields === undefined ? ']' : ',' + JSON.stringify(fields) + ']'));
  }

  addEncoded(stream: ShipStream, t: number, ns: number, line: string, fieldsJson: Uint8Array | undefined): void {
    const f = fieldsJson === undefined ? '' : ',' + Buffer.from(fieldsJson.buffer, fieldsJson.byteOffset, fieldsJson.length).toString('utf8');
    this.#value(stream, '["' + unixNanos(t, ns) + '",' + JSON.stringify(line) + f + ']');
  }

  #value(stream: ShipStream, v: string): void {
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

  serverFeatures(): void {
    // Loki's push format has no optional forms to switch on.
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
