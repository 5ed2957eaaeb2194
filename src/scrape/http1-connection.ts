/**
 * A lean HTTP/1.1 client for plain-http scrapes: one GET at a time on a kept-alive TCP
 * connection, the response read with `net.Socket`'s `onread` into one buffer shared by every
 * connection of a job and copied straight into the pooled body buffer. Node's `http` module
 * allocates a Buffer per socket read and builds streams, events and header objects per
 * request; for a page of 100 k samples that costs about as much CPU as parsing it.
 *
 * It speaks what scrape targets send: a status line, headers, then a body delimited by
 * Content-Length, chunked transfer coding, or the end of the connection; interim 1xx responses
 * are skipped; `Content-Encoding: gzip` is inflated with the body size limit applied to the
 * inflated bytes. TLS and proxies stay with Node's `http`/`https` (see http-scraper.ts).
 * @module
 */
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { BodySizeLimitError } from './errors.js';
import type { BufferPool } from './buffer-pool.js';

/** MAX_HEADER_BYTES bounds a response's status line and headers (as Go's 1 MiB default is far more than targets send). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Http1Response is a complete response; `body[0, len)` is the (inflated) body. */
export interface Http1Response {
  readonly status: number;
  /** The reason phrase of the status line. */
  readonly statusText: string;
  readonly contentType: string | undefined;
  readonly location: string | undefined;
  /** A pooled buffer: give it back with `pool.put(body)` when done. */
  readonly body: Buffer;
  readonly len: number;
}

/** Http1RequestOptions describe one GET. */
export interface Http1RequestOptions {
  /** The request head (request line and headers, ending with an empty line), in Latin-1. */
  readonly head: Buffer;
  /** Bodies of this many bytes or more fail with BodySizeLimitError (after inflating). */
  readonly limit: number;
  /** Expected body size, to size the first buffer. */
  readonly sizeHint: number;
  readonly pool: BufferPool;
  readonly signal: AbortSignal;
}

/** Http1Error is a transport or protocol failure; `retriable` when a reused connection failed before any response byte. */
export class Http1Error extends Error {
  override readonly name = 'Http1Error';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const Phase = { Idle: 0, Head: 1, Length: 2, ChunkSize: 3, ChunkData: 4, ChunkCrlf: 5, Trailer: 6, Eof: 7 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

const CR = 0x0d;
const LF = 0x0a;

/** Http1Connection is one TCP connection to a target, reused for one request after another. */
export class Http1Connection {
  readonly key: string;
  readonly #socket: net.Socket;
  #connected: Promise<void>;
  #phase: Phase = Phase.Idle;
  #used = false; // a response was read on this connection before
  #got = 0; // bytes received for the request in progress
  #closed = false;
  // Response head being read.
  #head: Buffer = Buffer.allocUnsafe(1024);
  #headLen = 0;
  #lineStart = 0;
  #status = 0;
  #statusText = '';
  #keepAlive = true;
  #contentType: string | undefined;
  #location: string | undefined;
  #gzip = false;
  #remaining = 0; // bytes left in a Content-Length body or chunk
  #line = ''; // a chunk-size or trailer line being read
  // Body.
  #body: Buffer = Buffer.alloc(0);
  #len = 0;
  #inflate: zlib.Gunzip | undefined;
  #req: Http1RequestOptions | undefined;
  #resolve: ((r: Http1Response) => void) | undefined;
  #reject: ((e: Error) => void) | undefined;
  #onIdleClose: (() => void) | undefined;

  /** connect opens a connection; `scratch` receives every socket read and must be shared only by connections of one thread. */
  constructor(options: { readonly host: string; readonly port: number; readonly scratch: Buffer; readonly onIdleClose?: () => void }) {
    const { host, port, scratch, onIdleClose } = options;
    this.key = `${host}:${port}`;
    this.#onIdleClose = onIdleClose;
    this.#socket = net.connect({
      host,
      port,
      onread: {
        buffer: scratch,
        callback: (n: number, buf: Uint8Array) => {
          this.#onData(buf, n);
          return true;
        },
      },
    });
    this.#socket.setNoDelay(true);
    this.#socket.setKeepAlive(true, 1000);
    this.#connected = new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve);
      this.#socket.once('error', reject);
    });
    this.#connected.catch(() => undefined);
    this.#socket.on('error', (e: NodeJS.ErrnoException) => this.#fail(e));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('close', () => this.#onEnd());
  }

  /** reusable tells whether the connection can take another request. */
  get reusable(): boolean {
    return !this.#closed && this.#phase === Phase.Idle && this.#keepAlive;
  }

  /** used tells whether a response was read on this connection before. */
  get used(): boolean {
    return this.#used;
  }

  /** request sends one GET and resolves with the whole response. One request at a time. */
  request(req: Http1RequestOptions): Promise<Http1Response> {
    if (this.#phase !== Phase.Idle || this.#closed) return Promise.reject(new Http1Error('connection is busy or closed', undefined, this.#used));
    return new Promise<Http1Response>((resolve, reject) => {
      this.#req = req;
      this.#resolve = resolve;
      this.#reject = reject;
      this.#startResponse();
      this.#got = 0;
      this.#body = req.pool.get(Math.min(req.limit, Math.max(req.sizeHint + 1, 16 * 1024)));
      this.#len = 0;
      if (req.signal.aborted) {
        this.#fail(new Error('aborted'));
        return;
      }
      req.signal.addEventListener('abort', this.#onAbort, { once: true });
      this.#connected.then(
        () => {
          if (this.#req === req) this.#socket.write(req.head);
        },
        (e: unknown) => this.#fail(e as Error),
      );
    });
  }

  /** close ends the connection. */
  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  readonly #onAbort = (): void => this.#fail(new Error('aborted'));

  #startResponse(): void {
    this.#phase = Phase.Head;
    this.#headLen = 0;
    this.#lineStart = 0;
    this.#status = 0;
    this.#statusText = '';
    this.#keepAlive = true;
    this.#contentType = undefined;
    this.#location = undefined;
    this.#gzip = false;
    this.#remaining = -1; // while reading the head: -1 no length yet, -2 chunked
  }

  #onData(buf: Uint8Array, n: number): void {
    if (this.#phase === Phase.Idle) {
      // Bytes nobody asked for: the connection is out of step.
      this.close();
      return;
    }
    this.#got += n;
    try {
      let i = 0;
      while (i < n && this.#req !== undefined) i = this.#consume(buf, i, n);
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  // #consume processes bytes from i on and returns how far it got.
  #consume(buf: Uint8Array, i: number, n: number): number {
    switch (this.#phase) {
      case Phase.Head:
        return this.#readHead(buf, i, n);
      case Phase.Length: {
        const k = Math.min(n - i, this.#remaining);
        this.#sink(buf, i, i + k);
        this.#remaining -= k;
        if (this.#remaining === 0) this.#bodyDone();
        return i + k;
      }
      case Phase.Eof:
        this.#sink(buf, i, n);
        return n;
      case Phase.ChunkData: {
        const k = Math.min(n - i, this.#remaining);
        this.#sink(buf, i, i + k);
        this.#remaining -= k;
        if (this.#remaining === 0) {
          this.#phase = Phase.ChunkCrlf;
          this.#line = '';
        }
        return i + k;
      }
      case Phase.ChunkSize:
      case Phase.ChunkCrlf:
      case Phase.Trailer:
        return this.#readChunkLine(buf, i, n);
      default:
        return n;
    }
  }

  // #readHead collects the status line and headers up to the empty line.
  #readHead(buf: Uint8Array, i: number, n: number): number {
    let j = i;
    while (j < n) {
      const c = buf[j++]!;
      if (this.#headLen === this.#head.length) {
        if (this.#head.length >= MAX_HEADER_BYTES) throw new Http1Error(`response header exceeds ${MAX_HEADER_BYTES} bytes`, undefined, false);
        const grown = Buffer.allocUnsafe(this.#head.length * 2);
        this.#head.copy(grown, 0, 0, this.#headLen);
        this.#head = grown;
      }
      this.#head[this.#headLen++] = c;
      if (c !== LF) continue;
      // A line ends; an empty one (LF or CR LF) ends the head.
      let end = this.#headLen - 1;
      if (end > this.#lineStart && this.#head[end - 1] === CR) end--;
      const empty = end === this.#lineStart;
      if (!empty) this.#headerLine(this.#head.toString('latin1', this.#lineStart, end));
      this.#lineStart = this.#headLen;
      if (empty) {
        if (this.#status === 0) throw new Http1Error('malformed HTTP response: missing status line', undefined, false);
        this.#headDone();
        return j;
      }
    }
    return j;
  }

  #headerLine(line: string): void {
    if (this.#status === 0) {
      const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(line);
      if (m === null) throw new Http1Error(`malformed HTTP response: ${JSON.stringify(line.slice(0, 60))}`, undefined, false);
      this.#status = Number(m[2]);
      this.#statusText = m[3] ?? '';
      this.#keepAlive = m[1] === '1';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Http1Error(`malformed HTTP header: ${JSON.stringify(line.slice(0, 60))}`, undefined, false);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'content-length': {
        if (!/^\d+$/.test(value)) throw new Http1Error(`malformed Content-Length ${JSON.stringify(value)}`, undefined, false);
        const len = Number(value);
        if (this.#remaining !== -1 && this.#remaining !== len && this.#remaining !== -2) throw new Http1Error('conflicting Content-Length headers', undefined, false);
        if (this.#remaining !== -2) this.#remaining = len; // chunked wins
        break;
      }
      case 'transfer-encoding':
        if (value.toLowerCase().split(',').pop()!.trim() === 'chunked') this.#remaining = -2;
        else throw new Http1Error(`unsupported Transfer-Encoding ${JSON.stringify(value)}`, undefined, false);
        break;
      case 'connection': {
        const tokens = value.toLowerCase().split(',').map((t) => t.trim());
        if (tokens.includes('close')) this.#keepAlive = false;
        else if (tokens.includes('keep-alive')) this.#keepAlive = true;
        break;
      }
      case 'content-type':
        this.#contentType ??= value;
        break;
      case 'content-encoding':
        this.#gzip = value === 'gzip';
        break;
      case 'location':
        this.#location ??= value;
        break;
      default:
    }
  }

  #headDone(): void {
    const status = this.#status;
    if (status >= 100 && status < 200 && status !== 101) {
      // An interim response: the real one follows.
      this.#startResponse();
      this.#remaining = -1;
      return;
    }
    if (status === 101) throw new Http1Error('unexpected protocol switch (HTTP 101)', undefined, false);
    if (this.#gzip) this.#startInflate();
    const mode = this.#remaining;
    this.#remaining = 0;
    if (status === 204 || status === 304) {
      this.#bodyDone();
    } else if (mode === -2) {
      this.#phase = Phase.ChunkSize;
      this.#line = '';
    } else if (mode >= 0) {
      this.#remaining = mode;
      this.#phase = Phase.Length;
      if (mode === 0) this.#bodyDone();
    } else {
      this.#phase = Phase.Eof;
      this.#keepAlive = false;
    }
  }

  // #readChunkLine reads a chunk-size line, the CRLF after chunk data, or a trailer line.
  #readChunkLine(buf: Uint8Array, i: number, n: number): number {
    let j = i;
    while (j < n && buf[j] !== LF) j++;
    if (this.#line.length + (j - i) > 4096) throw new Http1Error('malformed chunked encoding: line too long', undefined, false);
    this.#line += Buffer.from(buf.buffer, buf.byteOffset + i, j - i).toString('latin1');
    if (j === n) return n;
    let line = this.#line;
    this.#line = '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    switch (this.#phase) {
      case Phase.ChunkCrlf:
        if (line !== '') throw new Http1Error('malformed chunked encoding: data longer than its size', undefined, false);
        this.#phase = Phase.ChunkSize;
        break;
      case Phase.ChunkSize: {
        const size = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new Http1Error(`malformed chunk size ${JSON.stringify(size.slice(0, 20))}`, undefined, false);
        const len = Number.parseInt(size, 16);
        if (len === 0) {
          this.#phase = Phase.Trailer;
        } else {
          this.#remaining = len;
          this.#phase = Phase.ChunkData;
        }
        break;
      }
      default:
        // Trailer fields are ignored; the empty line ends the body.
        if (line === '') this.#bodyDone();
    }
    return j + 1;
  }

  #startInflate(): void {
    const z = zlib.createGunzip();
    this.#inflate = z;
    z.on('data', (chunk: Buffer) => {
      if (this.#inflate !== z) return;
      try {
        this.#store(chunk, 0, chunk.length);
      } catch (e) {
        this.#fail(e as Error);
      }
    });
    z.on('error', (e: Error) => {
      if (this.#inflate === z) this.#fail(e);
    });
    z.on('end', () => {
      if (this.#inflate === z) this.#finish();
    });
  }

  // #sink takes body bytes off the wire.
  #sink(buf: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    if (this.#inflate !== undefined) this.#inflate.write(Buffer.from(buf.subarray(from, to)));
    else this.#store(buf, from, to);
  }

  // #store appends (inflated) body bytes, failing at the body size limit.
  #store(buf: Uint8Array, from: number, to: number): void {
    const req = this.#req!;
    const n = to - from;
    if (this.#len + n >= req.limit) throw new BodySizeLimitError(req.limit);
    if (this.#len + n > this.#body.length) {
      const grown = req.pool.get(this.#len + n);
      this.#body.copy(grown, 0, 0, this.#len);
      req.pool.put(this.#body);
      this.#body = grown;
    }
    this.#body.set(buf.subarray(from, to), this.#len);
    this.#len += n;
  }

  #bodyDone(): void {
    this.#phase = Phase.Idle;
    if (this.#inflate !== undefined) {
      this.#inflate.end(); // #finish follows the inflater's 'end'
      return;
    }
    this.#finish();
  }

  #finish(): void {
    const req = this.#req;
    const resolve = this.#resolve;
    if (req === undefined || resolve === undefined) return;
    this.#clear();
    this.#used = true;
    this.#phase = Phase.Idle;
    resolve({ status: this.#status, statusText: this.#statusText, contentType: this.#contentType, location: this.#location, body: this.#body, len: this.#len });
    if (!this.#keepAlive) this.close();
  }

  #onEnd(): void {
    const wasClosed = this.#closed;
    this.#closed = true;
    if (this.#req !== undefined) {
      if (this.#phase === Phase.Idle) return; // the body is complete; the inflater finishes it
      if (this.#phase === Phase.Eof) {
        this.#bodyDone();
        return;
      }
      const retriable = this.#used && this.#got === 0;
      this.#fail(new Http1Error(retriable ? 'read: connection reset by peer' : 'connection closed before the response was complete', 'ECONNRESET', retriable));
      return;
    }
    if (!wasClosed) this.#onIdleClose?.();
    this.#socket.destroy();
  }

  #fail(e: Error): void {
    const req = this.#req;
    const reject = this.#reject;
    this.#closed = true;
    this.#socket.destroy();
    if (req === undefined || reject === undefined) {
      this.#onIdleClose?.();
      return;
    }
    this.#clear();
    req.pool.put(this.#body);
    this.#body = Buffer.alloc(0);
    const code = (e as NodeJS.ErrnoException).code;
    if (!(e instanceof Http1Error) && !(e instanceof BodySizeLimitError) && this.#used && this.#got === 0 && (code === 'ECONNRESET' || code === 'EPIPE')) {
      reject(new Http1Error(e.message, code, true, { cause: e }));
      return;
    }
    reject(e);
  }

  #clear(): void {
    this.#req?.signal.removeEventListener('abort', this.#onAbort);
    this.#req = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    const z = this.#inflate;
    this.#inflate = undefined;
    z?.destroy();
  }
}
