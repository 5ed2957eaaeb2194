/**
 * BlockPacker compresses sealed blocks and computes their token filter items off the main
 * thread: a small pool of worker threads runs the tokenizer kernel (token-filter.ts) and brotli,
 * so ingest on the main thread only encodes the WAL and copies bytes.
 * @module
 */
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { brotliCompress, constants as Z } from 'node:zlib';
import { buildBloom, TOKEN_KERNEL, tokenItems } from './token-filter.js';

const compress = promisify(brotliCompress);

/** PackInput is a block to pack: escaped joined text and an optional encoded fields column. */
export interface PackInput {
  readonly text: Uint8Array;
  readonly fields: Uint8Array | undefined;
}

/** PackOutput is the compressed columns and the distinct token items of the text. */
export interface PackOutput {
  readonly text: Uint8Array;
  readonly fields: Uint8Array | undefined;
  readonly items: Uint32Array;
}

const WORKER_SOURCE = `${TOKEN_KERNEL}
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const Z = zlib.constants;
function own(b) { const o = new Uint8Array(b.length); o.set(b); return o; }
parentPort.on('message', (m) => {
  if (m.kind === 'bloom') {
    try {
      const filter = buildBloom(m.arrays, m.bitsPerItem);
      parentPort.postMessage({ id: m.id, filter }, [filter.buffer]);
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String(e && e.stack || e) });
    }
    return;
  }
  try {
    const params = { [Z.BROTLI_PARAM_QUALITY]: m.quality, [Z.BROTLI_PARAM_LGWIN]: 22, [Z.BROTLI_PARAM_MODE]: Z.BROTLI_MODE_TEXT, [Z.BROTLI_PARAM_SIZE_HINT]: m.text.length };
    const items = tokenItems(m.text, 0, m.text.length);
    const text = own(zlib.brotliCompressSync(m.text, { params, chunkSize: Math.max(16384, m.text.length >> 1) }));
    const fields = m.fields === undefined ? undefined : own(zlib.brotliCompressSync(m.fields, { params: { [Z.BROTLI_PARAM_QUALITY]: m.quality } }));
    const transfer = [items.buffer, text.buffer];
    if (fields !== undefined) transfer.push(fields.buffer);
    parentPort.postMessage({ id: m.id, text, fields, items }, transfer);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.stack || e) });
  }
});
`;

interface Pending {
  readonly resolve: (o: PackOutput & { filter?: Uint8Array }) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** BlockPackerOptions configures a BlockPacker. */
export interface BlockPackerOptions {
  /** Worker threads (default 1); 0 packs on this thread (zlib's pool compresses). */
  readonly workers?: number;
  /** Brotli quality 0–11. */
  readonly quality: number;
}

/** BlockPacker packs blocks on worker threads. */
export class BlockPacker {
  readonly #quality: number;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: BlockPackerOptions) {
    const { workers = 1, quality } = opts;
    if (!(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new RangeError(`BlockPacker: workers must be an integer 0–64, got ${workers}`);
    this.#quality = quality;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn({ worker: undefined as unknown as Worker, pending: new Map() }));
  }

  #spawn(slot: Slot): Slot {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: { id: number; error?: string; filter?: Uint8Array } & Partial<PackOutput>) => {
      const p = slot.pending.get(m.id);
      if (p === undefined) return;
      slot.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`block packer: ${m.error}`));
      else p.resolve({ text: m.text!, fields: m.fields, items: m.items!, filter: m.filter });
    });
    const fail = (e: Error): void => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
      if (!this.#closed) this.#spawn(slot);
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`block packer worker exited with code ${code}`));
    });
    slot.worker = w;
    return slot;
  }

  #slot(): Slot {
    let slot = this.#slots[0]!;
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
    return slot;
  }

  /**
   * pack compresses a block and computes its items. Text in shared memory (a
   * SharedArrayBuffer, as head blocks use) reaches the worker without a copy.
   */
  pack(input: PackInput): Promise<PackOutput> {
    if (this.#slots.length === 0) return this.#packHere(input);
    const slot = this.#slot();
    const id = this.#nextId++;
    return new Promise<PackOutput>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, text: input.text, fields: input.fields, quality: this.#quality });
    });
  }

  /** bloom builds a chunk's encoded token filter from its blocks' items (arrays are transferred). */
  bloom(arrays: Uint32Array[], bitsPerItem: number): Promise<Uint8Array> {
    if (this.#slots.length === 0) return Promise.resolve(buildBloom(arrays, bitsPerItem));
    const slot = this.#slot();
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.pending.set(id, { resolve: (o) => resolve(o.filter!), reject });
      slot.worker.postMessage({ kind: 'bloom', id, arrays, bitsPerItem }, arrays.map((a) => a.buffer as ArrayBuffer));
    });
  }

  async #packHere(input: PackInput): Promise<PackOutput> {
    const params = {
      [Z.BROTLI_PARAM_QUALITY]: this.#quality,
      [Z.BROTLI_PARAM_LGWIN]: 22,
      [Z.BROTLI_PARAM_MODE]: Z.BROTLI_MODE_TEXT,
      [Z.BROTLI_PARAM_SIZE_HINT]: input.text.length,
    };
    const items = tokenItems(input.text, 0, input.text.length);
    const text = await compress(input.text, { params, chunkSize: Math.max(16384, input.text.length >> 1) });
    const fields = input.fields === undefined ? undefined : await compress(input.fields, { params: { [Z.BROTLI_PARAM_QUALITY]: this.#quality } });
    return { text, fields, items };
  }

  /** close stops the workers; pending packs reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const s of this.#slots) {
      for (const p of s.pending.values()) p.reject(new Error('block packer closed'));
      s.pending.clear();
    }
  }
}
