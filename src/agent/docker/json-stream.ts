/**
 * Splits a byte stream of JSON objects (the engine's `/events` answer) into one text per
 * object. Docker separates objects with newlines; older engines and the API reference's
 * examples just concatenate them, pretty-printed or not, so the splitter counts braces
 * outside strings instead of looking for newlines.
 * @module
 */
import { DockerStreamError } from './errors.js';

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;

/**
 * JsonObjectSplitter is fed chunks and returns the complete top-level objects they finish.
 * Multi-byte UTF-8 sequences never contain the bytes it looks at, so chunks may split them.
 */
export class JsonObjectSplitter {
  readonly #path: string;
  readonly #maxObjectBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  /** Bytes already scanned in #buf (the scan state below describes #buf[0, #scanned)). */
  #scanned = 0;
  #start = -1;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Stream offset of #buf[0]. */
  #base = 0;

  constructor(opts: { path: string; maxObjectBytes?: number }) {
    this.#path = opts.path;
    this.#maxObjectBytes = opts.maxObjectBytes ?? 16 << 20;
  }

  /** push adds a chunk and returns the texts of the objects completed by it, in order. */
  push(chunk: Buffer): string[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: string[] = [];
    const b = this.#buf;
    let i = this.#scanned;
    for (; i < b.length; i++) {
      const c = b[i]!;
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === BACKSLASH) this.#escape = true;
        else if (c === QUOTE) this.#inString = false;
        continue;
      }
      if (this.#depth === 0) {
        if (c === OPEN) {
          this.#start = i;
          this.#depth = 1;
        } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          throw new DockerStreamError(this.#path, this.#base + i, `unexpected byte 0x${c.toString(16)} between objects`);
        }
        continue;
      }
      if (c === QUOTE) this.#inString = true;
      else if (c === OPEN) this.#depth++;
      else if (c === CLOSE && --this.#depth === 0) {
        out.push(b.toString('utf8', this.#start, i + 1));
        this.#start = -1;
      }
    }
    // Keep only the unfinished object.
    const keepFrom = this.#depth > 0 ? this.#start : b.length;
    if (this.#depth > 0 && b.length - keepFrom > this.#maxObjectBytes) {
      throw new DockerStreamError(this.#path, this.#base + keepFrom, `object longer than ${this.#maxObjectBytes} bytes`);
    }
    this.#base += keepFrom;
    this.#buf = keepFrom >= b.length ? Buffer.alloc(0) : b.subarray(keepFrom);
    this.#scanned = i - keepFrom;
    if (this.#start >= 0) this.#start -= keepFrom;
    return out;
  }

  /** end checks that the stream did not stop inside an object. */
  end(): void {
    if (this.#depth > 0) throw new DockerStreamError(this.#path, this.#base + this.#buf.length, 'stream ended inside an object');
  }
}
