/**
 * Spill files for the head's older closed chunks. Prometheus keeps closed head chunks in
 * memory-mapped files (`chunks_head/`) so that only the open chunk costs resident memory; Node
 * has no mmap, so vigil writes closed chunks older than a threshold to plain files and reads
 * them back with one `pread` each when a query or a block write needs them.
 *
 * The files are a private cache, not a durable format: the WAL stays the source of truth, the
 * directory is emptied on start, and the chunks are rebuilt by WAL replay. A file is deleted
 * once every chunk in it has been freed (the head dropped it).
 * @module
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** DEFAULT_SPILL_FILE_SIZE caps one spill file (64 MiB). */
export const DEFAULT_SPILL_FILE_SIZE = 64 * 1024 * 1024;
const FILE = 2 ** 32; // refs are file * 2^32 + offset
// Reads go through a small cache of 64 KiB blocks: a query touches many chunks that were
// spilled together, and one pread per block is far cheaper than one per chunk.
const BLOCK = 64 * 1024;
const CACHE_BLOCKS = 128;

/** ChunkSpill appends immutable byte strings to files and reads them back. */
export class ChunkSpill {
  readonly dir: string;
  readonly #fileSize: number;
  readonly #fds: (number | undefined)[] = [];
  readonly #live: number[] = [];
  #cur = -1;
  #off = 0;
  #bytes = 0;
  #pending: Buffer = Buffer.allocUnsafe(1 << 16);
  #pendingLen = 0;
  #pendingStart = 0; // file offset of #pending[0] in the current file
  // file * 2^16 + block → block bytes (never modified once cached, so views stay valid).
  readonly #cache = new Map<number, Buffer>();

  /** Creates the directory, removing whatever a previous run left in it. */
  constructor(options: { readonly dir: string; readonly fileSize?: number }) {
    const { dir, fileSize = DEFAULT_SPILL_FILE_SIZE } = options;
    if (!Number.isInteger(fileSize) || fileSize < 4096 || fileSize > FILE) throw new RangeError(`ChunkSpill fileSize must be an integer in [4096, 2^32], got ${fileSize}`);
    this.dir = dir;
    this.#fileSize = fileSize;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /** write queues `data` for the current file and returns its ref; flush() writes the queue. */
  write(data: Uint8Array): number {
    if (this.#cur < 0 || this.#off + data.length > this.#fileSize) this.#nextFile();
    const ref = this.#cur * FILE + this.#off;
    if (this.#pendingLen + data.length > this.#pending.length) {
      const nb = Buffer.allocUnsafe(Math.max(this.#pending.length * 2, this.#pendingLen + data.length));
      this.#pending.copy(nb, 0, 0, this.#pendingLen);
      this.#pending = nb;
    }
    this.#pending.set(data, this.#pendingLen);
    this.#pendingLen += data.length;
    this.#off += data.length;
    this.#live[this.#cur]! += data.length;
    this.#bytes += data.length;
    return ref;
  }

  /** flush writes queued chunks to the current file. Throws the write error (ENOSPC…). */
  flush(): void {
    if (this.#pendingLen === 0) return;
    const fd = this.#fds[this.#cur]!;
    let done = 0;
    while (done < this.#pendingLen) done += writeSync(fd, this.#pending, done, this.#pendingLen - done, this.#pendingStart + done);
    // A cached block that ended where this write began is short now.
    this.#uncache(this.#cur, Math.floor(this.#pendingStart / BLOCK));
    this.#pendingStart += this.#pendingLen;
    this.#pendingLen = 0;
  }

  /** abortPending forgets the queued chunks (their refs become invalid), after a failed flush. */
  abortPending(): void {
    if (this.#pendingLen === 0) return;
    this.#live[this.#cur]! -= this.#pendingLen;
    this.#bytes -= this.#pendingLen;
    this.#off -= this.#pendingLen;
    this.#pendingLen = 0;
  }

  /** read returns a copy of `len` bytes at ref. */
  read(ref: number, len: number): Uint8Array {
    const file = Math.floor(ref / FILE);
    const off = ref - file * FILE;
    if (file === this.#cur && off >= this.#pendingStart) {
      // Still queued: copy from memory.
      const at = off - this.#pendingStart;
      return this.#pending.subarray(at, at + len).slice();
    }
    if (this.#fds[file] === undefined) throw new Error(`spilled chunk ${ref} of a deleted file`);
    let pos = off;
    let out: Buffer | undefined;
    let done = 0;
    while (done < len) {
      const bi = Math.floor(pos / BLOCK);
      const blk = this.#block(file, bi);
      const at = pos - bi * BLOCK;
      const n = Math.min(len - done, blk.length - at);
      if (n <= 0) throw new Error(`spilled chunk ${ref}: file ends early`);
      if (done === 0 && n === len) return blk.subarray(at, at + len);
      out ??= Buffer.allocUnsafe(len);
      blk.copy(out, done, at, at + n);
      done += n;
      pos += n;
    }
    return out!;
  }

  #block(file: number, bi: number): Buffer {
    const key = file * 65536 + bi;
    let b = this.#cache.get(key);
    if (b !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, b);
      return b;
    }
    const fd = this.#fds[file]!;
    const buf = Buffer.allocUnsafe(BLOCK);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, BLOCK - n, bi * BLOCK + n);
      if (r === 0) break;
      n += r;
      if (n === BLOCK) break;
    }
    b = buf.subarray(0, n);
    this.#cache.set(key, b);
    if (this.#cache.size > CACHE_BLOCKS) this.#cache.delete(this.#cache.keys().next().value!);
    return b;
  }

  // #uncache forgets cached blocks of `file` from block `from` on.
  #uncache(file: number, from: number): void {
    for (const key of this.#cache.keys()) if (Math.floor(key / 65536) === file && key % 65536 >= from) this.#cache.delete(key);
  }

  /** free releases `len` bytes at ref; a file with nothing left is deleted. */
  free(ref: number, len: number): void {
    const file = Math.floor(ref / FILE);
    this.#live[file]! -= len;
    this.#bytes -= len;
    if (this.#live[file] === 0 && file !== this.#cur) this.#drop(file);
  }

  /** bytes returns the bytes of chunks spilled and not freed. */
  bytes(): number {
    return this.#bytes;
  }

  /** close closes and deletes every file. */
  close(): void {
    for (let i = 0; i < this.#fds.length; i++) if (this.#fds[i] !== undefined) this.#drop(i);
    this.#cur = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }

  #nextFile(): void {
    this.flush();
    const old = this.#cur;
    let file = this.#fds.findIndex((fd, i) => fd === undefined && i !== old);
    if (file < 0) file = this.#fds.length;
    this.#fds[file] = openSync(join(this.dir, String(file).padStart(6, '0')), 'w+');
    this.#live[file] = 0;
    this.#cur = file;
    this.#off = 0;
    this.#pendingStart = 0;
    if (old >= 0 && this.#live[old] === 0) this.#drop(old);
  }

  #drop(file: number): void {
    const fd = this.#fds[file];
    if (fd === undefined) return;
    closeSync(fd);
    this.#fds[file] = undefined;
    this.#uncache(file, 0);
    unlinkSync(join(this.dir, String(file).padStart(6, '0')));
  }

  /** files lists the spill files present (for tests). */
  files(): string[] {
    return readdirSync(this.dir).sort();
  }
}
