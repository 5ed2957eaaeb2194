/**
 * Decodes the body of `GET /containers/{id}/logs` into lines.
 *
 * Without a TTY the engine multiplexes stdout and stderr into frames:
 *
 * ```
 * ┌──────────┬─────────────┬──────────────────────┬─────────────────┐
 * │ stream 1B│ 0 0 0 (3B)  │ size uint32 BE (4B)  │ payload (size B)│
 * └──────────┴─────────────┴──────────────────────┴─────────────────┘
 * stream: 0 stdin, 1 stdout, 2 stderr
 * ```
 *
 * With a TTY the body is the raw terminal output. With `timestamps=1` each log message starts
 * with its RFC 3339 time and a space. Docker writes a message longer than 16 KiB as several
 * partial messages, each with its own timestamp and only the last ending in a newline; the
 * decoder joins them into one line that keeps the first timestamp.
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import { DockerStreamError } from './errors.js';

/** ContainerLogLine is one line of a container's output, without its newline. */
export interface ContainerLogLine {
  readonly stream: 'stdout' | 'stderr';
  /** Unix milliseconds of the engine's timestamp (0 when the stream has none). */
  readonly t: number;
  /** Nanoseconds past `t` (0–999 999). */
  readonly ns: number;
  /** The engine's timestamp text as sent ('' without timestamps); resume with it as `since`. */
  readonly timestamp: string;
  readonly line: string;
}

/** LogDecoderOptions configure a decoder. */
export interface LogDecoderOptions {
  /** Multiplexed frames (a container without a TTY) or a raw stream. */
  readonly multiplexed: boolean;
  /** Whether the request asked for `timestamps=1`. */
  readonly timestamps: boolean;
  /** A line longer than this many bytes is cut and emitted in pieces (default 1 MiB). */
  readonly maxLineBytes?: number;
  /** Request path, for errors. */
  readonly path?: string;
}

interface Pending {
  parts: string[];
  bytes: number;
  t: number;
  ns: number;
  timestamp: string;
}

/** LogDecoder turns body chunks into lines; feed it with push, then call end. */
export class LogDecoder {
  readonly #multiplexed: boolean;
  readonly #timestamps: boolean;
  readonly #maxLineBytes: number;
  readonly #path: string;
  #frame: Buffer = Buffer.alloc(0);
  #offset = 0;
  readonly #pending: [Pending | undefined, Pending | undefined] = [undefined, undefined];
  /** Undecoded tail of a raw (TTY) stream or of a frame that ended mid-line without timestamps. */
  readonly #rest: [string, string] = ['', ''];
  /** Raw streams may split a UTF-8 sequence between chunks. */
  readonly #raw = new StringDecoder('utf8');

  constructor(opts: LogDecoderOptions) {
    this.#multiplexed = opts.multiplexed;
    this.#timestamps = opts.timestamps;
    this.#maxLineBytes = opts.maxLineBytes ?? 1 << 20;
    this.#path = opts.path ?? '/containers/logs';
  }

  /** push decodes a chunk and returns the lines it completes. */
  push(chunk: Buffer): ContainerLogLine[] {
    const out: ContainerLogLine[] = [];
    if (!this.#multiplexed) {
      this.#payload(0, this.#raw.write(chunk), out);
      return out;
    }
    let b = this.#frame.length === 0 ? chunk : Buffer.concat([this.#frame, chunk]);
    let i = 0;
    while (b.length - i >= 8) {
      const kind = b[i]!;
      if (kind > 2 || b[i + 1] !== 0 || b[i + 2] !== 0 || b[i + 3] !== 0) {
        throw new DockerStreamError(this.#path, this.#offset + i, `bad frame header ${b.subarray(i, i + 8).toString('hex')}`);
      }
      const size = b.readUInt32BE(i + 4);
      if (b.length - i - 8 < size) break;
      const payload = b.toString('utf8', i + 8, i + 8 + size);
      this.#payload(kind === 2 ? 1 : 0, payload, out);
      i += 8 + size;
    }
    this.#offset += i;
    b = b.subarray(i);
    this.#frame = b.length === 0 ? Buffer.alloc(0) : Buffer.from(b);
    return out;
  }

  /** end flushes a last line that had no newline and checks the stream did not stop mid-frame. */
  end(): ContainerLogLine[] {
    const out: ContainerLogLine[] = [];
    if (!this.#multiplexed) this.#rest[0] += this.#raw.end();
    for (const s of [0, 1] as const) {
      if (this.#rest[s] !== '') {
        this.#line(s, this.#rest[s], out);
        this.#rest[s] = '';
      }
      this.#flush(s, out);
    }
    if (this.#frame.length > 0) throw new DockerStreamError(this.#path, this.#offset, `stream ended inside a frame (${this.#frame.length} bytes left)`);
    return out;
  }

  #payload(s: 0 | 1, text: string, out: ContainerLogLine[]): void {
    let data = this.#rest[s] + text;
    this.#rest[s] = '';
    for (;;) {
      const nl = data.indexOf('\n');
      if (nl < 0) break;
      this.#line(s, data.slice(0, nl), out, true);
      data = data.slice(nl + 1);
    }
    if (data === '') return;
    if (this.#timestamps && this.#multiplexed) {
      // A frame is one message: without a newline it is a partial message, joined with the next.
      this.#line(s, data, out, false);
    } else if (Buffer.byteLength(data) > this.#maxLineBytes) {
      this.#line(s, data, out, true);
    } else {
      this.#rest[s] = data;
    }
  }

  #line(s: 0 | 1, raw: string, out: ContainerLogLine[], complete = true): void {
    let text = raw.endsWith('\r') && complete ? raw.slice(0, -1) : raw;
    let t = 0;
    let ns = 0;
    let timestamp = '';
    if (this.#timestamps) {
      const sp = text.indexOf(' ');
      const candidate = sp < 0 ? text : text.slice(0, sp);
      const parsed = parseRfc3339Nano(candidate);
      if (parsed !== undefined) {
        timestamp = candidate;
        t = parsed.t;
        ns = parsed.ns;
        text = sp < 0 ? '' : text.slice(sp + 1);
      }
    }
    const p = this.#pending[s];
    if (p !== undefined) {
      p.parts.push(text);
      p.bytes += Buffer.byteLength(text);
      if (complete || p.bytes >= this.#maxLineBytes) this.#flush(s, out);
      return;
    }
    if (complete) {
      out.push({ stream: s === 0 ? 'stdout' : 'stderr', t, ns, timestamp, line: text });
      return;
    }
    this.#pending[s] = { parts: [text], bytes: Buffer.byteLength(text), t, ns, timestamp };
    if (this.#pending[s]!.bytes >= this.#maxLineBytes) this.#flush(s, out);
  }

  #flush(s: 0 | 1, out: ContainerLogLine[]): void {
    const p = this.#pending[s];
    if (p === undefined) return;
    this.#pending[s] = undefined;
    out.push({ stream: s === 0 ? 'stdout' : 'stderr', t: p.t, ns: p.ns, timestamp: p.timestamp, line: p.parts.join('') });
  }
}

const RFC3339_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** parseRfc3339Nano reads `2024-05-01T10:00:00.123456789Z` (or with an offset) as Unix ms plus nanoseconds past it. */
export function parseRfc3339Nano(s: string): { t: number; ns: number } | undefined {
  const m = RFC3339_RE.exec(s);
  if (m === null) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(base)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return { t: base + Number(frac.slice(0, 3)), ns: Number(frac.slice(3)) };
}
