/**
 * TailedFile: one open file being followed. It reads what was appended, feeds the stream
 * decoder of logs/parse one line at a time (so multi-line grouping, CRI partial lines, long
 * line limits and byte-faithful invalid UTF-8 all apply), hands entries to the shipper and
 * marks the position after the last line that is fully handed over. A line still being
 * written (no newline yet) and a multi-line group that may still grow are not covered by the
 * mark, so a restart reads them again whole.
 * @module
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { LogStreamDecoder, type LineParser, type ParsedLine } from '../../logs/parse/index.js';
import type { LogSink, ParsedStreams } from '../ship/index.js';
import { FINGERPRINT_BYTES, fingerprint, type FilePosition } from './file-fingerprint.js';

/** TailedFileOptions describe a file to follow. */
export interface TailedFileOptions {
  /** The shipper source id (`file:<dev>:<ino>`). */
  readonly id: string;
  readonly path: string;
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
  /** Where reading starts (a line boundary). */
  readonly offset: number;
  readonly sink: LogSink;
  readonly streams: ParsedStreams;
  readonly parser: LineParser;
  readonly maxLineBytes: number;
  readonly multiline: boolean;
}

/** TailedFile follows one file descriptor. */
export class TailedFile {
  readonly id: string;
  readonly dev: number;
  readonly ino: number;
  path: string;
  /** Set when the path no longer leads to this file: read to the end, then close. */
  rotatedAt = -1;
  /** Last time bytes were read (ms). */
  lastReadAt: number;
  readonly #fd: number;
  readonly #sink: LogSink;
  readonly #streams: ParsedStreams;
  readonly #parser: LineParser;
  readonly #maxLine: number;
  readonly #multiline: boolean;
  #dec: LogStreamDecoder;
  #readOff: number;
  #lineStart: number;
  #heldStart = -1;
  #marked = -1;
  #fp = '';
  #fpLen = 0;
  #emitted = false;
  #closed = false;
  readonly #emit: (p: ParsedLine) => void;

  constructor(o: TailedFileOptions) {
    this.id = o.id;
    this.path = o.path;
    this.dev = o.dev;
    this.ino = o.ino;
    this.#fd = o.fd;
    this.#sink = o.sink;
    this.#streams = o.streams;
    this.#parser = o.parser;
    this.#maxLine = o.maxLineBytes;
    this.#multiline = o.multiline;
    this.#dec = this.#decoder();
    this.#readOff = o.offset;
    this.#lineStart = o.offset;
    this.lastReadAt = Date.now();
    this.#emit = (p) => {
      this.#emitted = true;
      this.#streams.add(p);
    };
    this.#refreshFingerprint(fstatSync(o.fd).size);
  }

  /** offset is how far the file has been read. */
  get offset(): number {
    return this.#readOff;
  }

  /** position is the checkpoint as it stands now. */
  get position(): FilePosition {
    return { path: this.path, dev: this.dev, ino: this.ino, off: this.#markOffset(), fp: this.#fp, fpLen: this.#fpLen };
  }

  /** holding tells whether an entry is held for possible continuation lines. */
  get holding(): boolean {
    return this.#dec.holding;
  }

  /** size returns the file's current size. */
  size(): number {
    return fstatSync(this.#fd).size;
  }

  /**
   * read reads up to `maxBytes` appended bytes into `buf` and processes them; returns how many
   * were read (0 at the end of the file).
   */
  read(buf: Buffer, maxBytes: number, now: number): number {
    const want = Math.min(buf.length, maxBytes);
    const n = readSync(this.#fd, buf, 0, want, this.#readOff);
    if (n === 0) return 0;
    this.lastReadAt = now;
    const base = this.#readOff;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= n) break;
      this.#line(buf, pos, nl, base, now);
      pos = nl + 1;
    }
    if (pos < n) {
      // The start of a line still being written: the decoder keeps it (a copy, buf is reused).
      this.#dec.write(Buffer.from(buf.subarray(pos, n)), now, this.#emit);
    }
    this.#readOff = base + n;
    if (this.#fpLen < FINGERPRINT_BYTES) this.#refreshFingerprint(this.#readOff);
    this.#mark();
    return n;
  }

  /** quiet emits entries held for possible continuation lines (the file has been idle). */
  quiet(): void {
    if (!this.#dec.holding) return;
    this.#dec.flushHeld(this.#emit);
    this.#heldStart = -1;
    this.#mark();
  }

  /**
   * finish emits everything held, an unfinished last line included, and marks the end of
   * what was read (the file is done: rotated away and drained, or truncated).
   */
  finish(now: number): void {
    this.#dec.end(now, this.#emit);
    this.#heldStart = -1;
    this.#lineStart = this.#readOff;
    this.#mark();
  }

  /** restart starts over at offset 0 after the file was truncated in place (copytruncate). */
  restart(now: number): void {
    this.finish(now);
    this.#dec = this.#decoder();
    this.#readOff = 0;
    this.#lineStart = 0;
    this.#fp = '';
    this.#fpLen = 0;
    this.#refreshFingerprint(this.size());
    this.#mark();
  }

  /** close closes the descriptor. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #decoder(): LogStreamDecoder {
    return new LogStreamDecoder({ parser: this.#parser, maxLineBytes: this.#maxLine, multiline: this.#multiline });
  }

  // One line buf[a, nl] including its newline, buf[0] at file offset base.
  #line(buf: Buffer, a: number, nl: number, base: number, now: number): void {
    const dec = this.#dec;
    const s = base + a;
    const e = base + nl + 1;
    // A line whose head was fed earlier started where the decoder's partial line began.
    const start = dec.partialSince >= 0 ? this.#lineStart : s;
    const was = dec.holding;
    this.#emitted = false;
    dec.writeLine(buf, a, nl, now, this.#emit);
    if (!dec.holding) this.#heldStart = -1;
    else if (!was || this.#emitted) this.#heldStart = start;
    this.#lineStart = e;
  }

  #markOffset(): number {
    return this.#heldStart >= 0 ? this.#heldStart : this.#lineStart;
  }

  #mark(): void {
    const off = this.#markOffset();
    if (off === this.#marked) return;
    this.#marked = off;
    this.#sink.mark(this.id, this.position);
  }

  #refreshFingerprint(size: number): void {
    const len = Math.min(size, FINGERPRINT_BYTES);
    if (len <= this.#fpLen && this.#fpLen > 0) return;
    const fp = fingerprint(this.#fd, len);
    if (fp === undefined) return;
    this.#fp = fp;
    this.#fpLen = len;
  }
}
