/**
 * The open block of a stream's head: entries as they arrive, in typed arrays and one growing
 * byte buffer (no object per entry), sealed into a time-ordered RawBlock when full.
 * @module
 */
import { EncBuf } from '../../encoding/index.js';
import { isAscii } from 'node:buffer';
import { encodeFields, encodeTimes, joinLines, splitLines, type Fields } from './block-codec.js';

/**
 * RawBlock is a sealed block in time order with its text uncompressed: the unit that is
 * compressed, written into a chunk, and read by queries.
 */
export interface RawBlock {
  readonly count: number;
  readonly mint: number;
  readonly maxt: number;
  /** Timestamps in time order (ms and ns past the ms). */
  readonly t: Float64Array;
  readonly ns: Int32Array;
  /** Encoded timestamp column (see block-codec encodeTimes, base = mint). */
  readonly tsBytes: Uint8Array;
  /** Joined, escaped, newline-terminated lines. */
  readonly text: Buffer;
  /** Line starts in `text` (count + 1 entries). */
  readonly lineOff: Int32Array;
  /** Whether `text` holds escapes (any 0x00 byte). */
  readonly escaped: boolean;
  /** Whether `text` is pure ASCII. */
  readonly ascii: boolean;
  /** Sum of the lines' UTF-8 byte lengths. */
  readonly textBytes: number;
  /** Encoded fields column, or undefined when no entry has fields. */
  readonly fieldsBytes: Uint8Array | undefined;
  /** Fields per entry in time order, or undefined. */
  readonly fields: readonly Fields[] | undefined;
}

/**
 * HeadBlock accumulates entries of one stream until sealed. Lines are kept newline-terminated
 * in one buffer, so a block that arrived in order and needs no escaping is sealed without
 * copying its text.
 */
export class HeadBlock {
  #buf: Buffer;
  #used = 0;
  #offsets: Int32Array;
  #t: Float64Array;
  #ns: Int32Array;
  #fields: Fields[] | undefined;
  #count = 0;
  #sorted = true;
  #mint = Infinity;
  #maxt = -Infinity;
  #lastT = -Infinity;
  #lastNs = 0;

  constructor(initialBytes = 16 * 1024, initialEntries = 64) {
    this.#buf = sharedBuffer(initialBytes);
    this.#offsets = new Int32Array(initialEntries + 1);
    this.#t = new Float64Array(initialEntries);
    this.#ns = new Int32Array(initialEntries);
  }

  /** count is the number of entries. */
  get count(): number {
    return this.#count;
  }

  /** bytes is the summed UTF-8 length of the lines. */
  get bytes(): number {
    return this.#used - this.#count;
  }

  /** mint is the smallest entry time (ms), Infinity when empty. */
  get mint(): number {
    return this.#mint;
  }

  /** maxt is the largest entry time (ms), -Infinity when empty. */
  get maxt(): number {
    return this.#maxt;
  }

  /** append adds one entry whose line is src[start:end) (UTF-8). */
  append(t: number, ns: number, src: Uint8Array, start: number, end: number, fields: Fields): void {
    const n = this.#count;
    if (n === this.#t.length) this.#growEntries();
    const len = end - start;
    if (this.#used + len + 1 > this.#buf.length) this.#growBytes(len + 1);
    const off = this.#used;
    if (len > 0) this.#buf.set(src.subarray(start, end), off);
    this.#buf[off + len] = 0x0a;
    this.#used += len + 1;
    this.#offsets[n] = off;
    this.#offsets[n + 1] = this.#used;
    this.#t[n] = t;
    this.#ns[n] = ns;
    if (fields !== undefined) {
      if (this.#fields === undefined) this.#fields = new Array<Fields>(n).fill(undefined);
      this.#fields.push(fields);
    } else if (this.#fields !== undefined) {
      this.#fields.push(undefined);
    }
    if (t < this.#lastT || (t === this.#lastT && ns < this.#lastNs)) this.#sorted = false;
    this.#lastT = t;
    this.#lastNs = ns;
    if (t < this.#mint) this.#mint = t;
    if (t > this.#maxt) this.#maxt = t;
    this.#count = n + 1;
  }

  #growEntries(): void {
    const cap = this.#t.length * 2;
    const t = new Float64Array(cap);
    t.set(this.#t);
    this.#t = t;
    const ns = new Int32Array(cap);
    ns.set(this.#ns);
    this.#ns = ns;
    const off = new Int32Array(cap + 1);
    off.set(this.#offsets);
    this.#offsets = off;
  }

  #growBytes(need: number): void {
    let cap = this.#buf.length * 2;
    while (cap < this.#used + need) cap *= 2;
    const b = sharedBuffer(cap);
    this.#buf.copy(b, 0, 0, this.#used);
    this.#buf = b;
  }

  /**
   * seal returns the first `count` entries (all by default) as a RawBlock in time order,
   * stable for equal times (arrival order). The head block is left unchanged (it may keep
   * growing; the returned block shares its bytes, which are never overwritten).
   */
  seal(count = this.#count): RawBlock {
    const n = count;
    const tIn = this.#t;
    const nsIn = this.#ns;
    let order: Int32Array | undefined;
    if (!this.#sorted) {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => tIn[a]! - tIn[b]! || nsIn[a]! - nsIn[b]! || a - b);
    }
    let mint = this.#mint;
    let maxt = this.#maxt;
    if (n !== this.#count) {
      mint = Infinity;
      maxt = -Infinity;
      for (let i = 0; i < n; i++) {
        if (tIn[i]! < mint) mint = tIn[i]!;
        if (tIn[i]! > maxt) maxt = tIn[i]!;
      }
    }
    let t: Float64Array;
    let ns: Int32Array;
    if (order === undefined) {
      t = tIn.slice(0, n);
      ns = nsIn.slice(0, n);
    } else {
      t = new Float64Array(n);
      ns = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        t[k] = tIn[order[k]!]!;
        ns[k] = nsIn[order[k]!]!;
      }
    }
    if (n === 0) mint = maxt = 0;
    const tsBuf = new EncBuf(n * 5 + 16);
    encodeTimes(tsBuf, t, ns, undefined, n, mint);
    const used = this.#offsets[n]!;
    const all = this.#buf.subarray(0, used);
    // Escapes: bytes 0x00 anywhere, and newlines inside lines (one newline per line is ours).
    const zeros = countByte(all, 0x00);
    const newlines = countByte(all, 0x0a) - n;
    const escExtra = zeros + newlines;
    let text: Buffer;
    let lineOff: Int32Array;
    if (order === undefined && escExtra === 0) {
      text = all;
      lineOff = this.#offsets.slice(0, n + 1);
    } else {
      // In shared memory too: the packing worker reads it without a copy.
      text = joinLines(this.#buf, this.#offsets, order, n, used + escExtra, escExtra > 0, sharedBuffer(used + escExtra));
      lineOff = splitLines(text, n)!;
    }
    const fields = this.#fields === undefined ? undefined : reorder(this.#fields, order, n);
    return {
      count: n,
      mint,
      maxt,
      t,
      ns,
      tsBytes: tsBuf.get().slice(),
      text,
      lineOff,
      escaped: escExtra > 0,
      ascii: isAscii(all),
      textBytes: used - n,
      fieldsBytes: fields === undefined ? undefined : encodeFields(fields, undefined, n),
      fields,
    };
  }
}

// sharedBuffer allocates line storage: in shared memory once it is large, so a sealed block's
// text goes to the packing worker without a copy (small ones are cheaper to copy than to share).
function sharedBuffer(n: number): Buffer {
  return n >= 64 * 1024 ? Buffer.from(new SharedArrayBuffer(n)) : Buffer.allocUnsafe(n);
}

// countByte counts occurrences of byte c with native searches (0x00 and inner newlines are rare).
function countByte(b: Buffer, c: number): number {
  let n = 0;
  for (let i = b.indexOf(c, 0); i >= 0; i = b.indexOf(c, i + 1)) n++;
  return n;
}

function reorder(f: readonly Fields[], order: Int32Array | undefined, n: number): Fields[] {
  const out: Fields[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = f[order === undefined ? k : order[k]!];
  return out;
}
