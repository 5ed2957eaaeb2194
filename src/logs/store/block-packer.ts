/**
 * BlockPacker compresses sealed blocks and computes their token filter items off the main
 * thread: a small pool of worker threads runs the tokenizer kernel (token-filter.ts) and brotli,
 * so ingest on the main thread only encodes the WAL and copies bytes.
 * @module
 */
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { brotliCompress, constants as Z } from 'node:zlib';
import { StoreClosedError } from './errors.js';
import { JSON_KERNEL } from './json-flatten.js';
import { JSON_INDEX_KERNEL } from './json-index.js';
import { buildBloom, TOKEN_KERNEL, tokenItems } from './token-filter.js';

// The JSON index builder, instantiated in this thread for packing without workers.
const buildJsonIndexHere = new Function(`${JSON_KERNEL}\n${JSON_INDEX_KERNEL}\nreturn buildJsonIndex;`)() as (text: Buffer, count: number, ascii: boolean) => Uint8Array | null;

const compress = promisify(brotliCompress);

/** PackInput is a block to pack: escaped joined text and an optional encoded fields column. */
export interface PackInput {
  readonly text: Uint8Array;
  readonly fields: Uint8Array | undefined;
  /** Lines in the block, and whether the text holds escapes (then no JSON index is built). */
  readonly count: number;
  readonly escaped: boolean;
  /** Whether the text is pure ASCII (decoded faster). */
  readonly ascii: boolean;
  /** Whether to build the JSON field index. */
  readonly jsonIndex: boolean;
}

/** PackOutput is the compressed columns, the JSON field index and the distinct token items. */
export interface PackOutput {
  readonly text: Uint8Array;
  readonly fields: Uint8Array | undefined;
  readonly json: Uint8Array | undefined;
  readonly items: Uint32Array;
}

const WORKER_SOURCE = `${TOKEN_KERNEL}
${JSON_KERNEL}
${JSON_INDEX_KERNEL}
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
const Z = zlib.constants;
function own(b) { const o = new Uint8Array(b.length); o.set(b); return o; }
function ownBuffer(b) {
  // A Buffer may sit in a shared pool slab: transfer only memory it owns alone.
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length && !(b.buffer instanceof SharedArrayBuffer)) return b;
  return own(b);
}
parentPort.on('message', (m) => {
  if (m.kind === 'unpack') {
    try {
      const buf = Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.length);
      const text = ownBuffer(zlib.brotliDecompressSync(buf.subarray(0, m.textLen), { chunkSize: Math.max(16384, m.rawTextLen) }));
      let lineOff = null;
      if (text.length === m.rawTextLen) {
        lineOff = new Int32Array(m.count + 1);
        let pos = 0, ok = true;
        for (let i = 0; i < m.count; i++) {
          lineOff[i] = pos;
          const nl = text.indexOf(10, pos);
          if (nl < 0) { ok = false; break; }
          pos = nl + 1;
        }
        lineOff[m.count] = pos;
        if (!ok || pos !== text.length) lineOff = null;
      }
      const fields = m.withFields && m.fieldsLen > 0 ? ownBuffer(zlib.brotliDecompressSync(buf.subarray(m.textLen))) : undefined;
      const transfer = [text.buffer];
      if (lineOff !== null) transfer.push(lineOff.buffer);
      if (fields !== undefined) transfer.push(fields.buffer);
      parentPort.postMessage({ id: m.id, unpacked: { text, lineOff, fields } }, transfer);
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
    }
    return;
  }
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
    const index = !m.jsonIndex || m.escaped || m.fields !== undefined ? null : buildJsonIndex(Buffer.from(m.text.buffer, m.text.byteOffset, m.text.length), m.count, m.ascii);
    const json = index === null ? undefined : own(zlib.brotliCompressSync(index, { params: { [Z.BROTLI_PARAM_QUALITY]: m.quality } }));
    const transfer = [items.buffer, text.buffer];
    if (fields !== undefined) transfer.push(fields.buffer);
    if (json !== undefined) transfer.push(json.buffer);
    parentPort.postMessage({ id: m.id, text, fields, json, items }, transfer);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.stack || e) });
  }
});
`;

/** Unpacked is a decompressed block: text, its line starts (undefined if they do not fit) and fields. */
export interface Unpacked {
  readonly text: Buffer;
  readonly lineOff: Int32Array | undefined;
  readonly fields: Buffer | undefined;
}

interface Reply extends Partial<PackOutput> {
  readonly filter?: Uint8Array;
  readonly unpacked?: { text: Uint8Array; lineOff: Int32Array | null; fields: Uint8Array | undefined };
}

interface Pending {
  readonly resolve: (o: Reply) => void;
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
    w.on('message', (m: { id: number; error?: string } & Reply) => {
      const p = slot.pending.get(m.id);
      if (p === undefined) return;
      slot.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m);
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
      slot.pending.set(id, { resolve: (o) => resolve({ text: o.text!, fields: o.fields, json: o.json, items: o.items! }), reject });
      slot.worker.postMessage({ id, text: input.text, fields: input.fields, count: input.count, escaped: input.escaped, ascii: input.ascii, jsonIndex: input.jsonIndex, quality: this.#quality });
    });
  }

  /** hasWorkers tells whether unpack runs off this thread. */
  get hasWorkers(): boolean {
    return this.#slots.length > 0;
  }

  /**
   * unpack decompresses a block's text (and fields) on a worker and finds its line starts.
   * `buf` (text column then fields column) must own its memory: it is transferred.
   */
  unpack(buf: Uint8Array, textLen: number, fieldsLen: number, rawTextLen: number, count: number, withFields: boolean): Promise<Unpacked> {
    const slot = this.#slot();
    const id = this.#nextId++;
    return new Promise<Unpacked>((resolve, reject) => {
      slot.pending.set(id, {
        resolve: (o) => {
          const u = o.unpacked!;
          resolve({
            text: Buffer.from(u.text.buffer, u.text.byteOffset, u.text.length),
            lineOff: u.lineOff ?? undefined,
            fields: u.fields === undefined ? undefined : Buffer.from(u.fields.buffer, u.fields.byteOffset, u.fields.length),
          });
        },
        reject,
      });
      slot.worker.postMessage({ kind: 'unpack', id, buf, textLen, fieldsLen, rawTextLen, count, withFields }, [buf.buffer as ArrayBuffer]);
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
    const index = !input.jsonIndex || input.escaped || input.fields !== undefined ? null : buildJsonIndexHere(Buffer.from(input.text.buffer, input.text.byteOffset, input.text.length), input.count, input.ascii);
    const json = index === null ? undefined : await compress(index, { params: { [Z.BROTLI_PARAM_QUALITY]: this.#quality } });
    return { text, fields, json, items };
  }

  /** close stops the workers; pending packs reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const s of this.#slots) {
      for (const p of s.pending.values()) p.reject(new StoreClosedError());
      s.pending.clear();
    }
  }
}
