/**
 * JournalFile: reads one systemd journal file (signature `LPKSHHRH`) through positioned reads
 * into a reused window, never the whole (mostly sparse) file. It follows the entry array chain
 * from the header, decodes ENTRY objects (64-bit items, or 32-bit in COMPACT files) and DATA
 * objects (plain, zstd, LZ4; XZ is reported as unsupported per field), and keeps recently used
 * DATA objects by offset. For a file being written (state ONLINE) refresh() re-reads the header,
 * and nothing past the header's n_entries is read.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { decompress as zstdDecompress } from 'fzstd';
import { JournalFileError } from './errors.js';
import { Data, validName, type JournalData } from './journal-data.js';
import { decodeLz4Block } from './lz4-block.js';

/** JournalState values of the header's state byte. */
export const JournalState = { Offline: 0, Online: 1, Archived: 2 } as const;

/** IncompatibleFlag bits of the header (a reader must know every one set). */
export const IncompatibleFlag = { CompressedXz: 1, CompressedLz4: 2, KeyedHash: 4, CompressedZstd: 8, Compact: 16 } as const;
const KNOWN_INCOMPATIBLE = 31;
const OBJ_XZ = 1;
const OBJ_LZ4 = 2;
const OBJ_ZSTD = 4;
const TYPE_DATA = 1;
const TYPE_ENTRY = 3;
const TYPE_ENTRY_ARRAY = 6;
const HEADER_MIN = 208;
const WINDOW = 32 * 1024;
const ITEMS_AHEAD = 512;
const EMPTY = Buffer.alloc(0);
const SIGNATURE = Buffer.from('LPKSHHRH', 'latin1');

/** JournalHeader is the part of a journal file's header the reader uses. */
export interface JournalHeader {
  readonly state: number;
  readonly compatibleFlags: number;
  readonly incompatibleFlags: number;
  /** 128-bit ids as 32 lower-case hex digits. */
  readonly fileId: string;
  readonly machineId: string;
  readonly seqnumId: string;
  readonly headerSize: number;
  readonly arenaSize: number;
  readonly tailObjectOffset: number;
  readonly nEntries: number;
  readonly headEntrySeqnum: number;
  readonly tailEntrySeqnum: number;
  readonly entryArrayOffset: number;
  readonly headEntryRealtime: number;
  readonly tailEntryRealtime: number;
}

export type { JournalData } from './journal-data.js';

/** JournalEntry is a decoded ENTRY object; readEntry fills a caller's object (reused, no allocation per entry). */
export interface JournalEntry {
  offset: number;
  seqnum: number;
  /** µs since the epoch. */
  realtime: number;
  /** µs since boot. */
  monotonic: number;
  /** 32 hex digits (the same string while it repeats). */
  bootId: string;
  /** xor_hash as two unsigned 32-bit halves. */
  xorHi: number;
  xorLo: number;
  nItems: number;
  /** DATA object offsets of the items (the first nItems are valid; a plain array, so offsets stay small integers). */
  items: number[];
  /** The boot id's 16 bytes (the same buffer while it repeats). */
  bootBytes: Buffer;
}

/** newJournalEntry returns an empty entry record for readEntry. */
export function newJournalEntry(): JournalEntry {
  return { offset: 0, seqnum: 0, realtime: 0, monotonic: 0, bootId: '', xorHi: 0, xorLo: 0, nItems: 0, items: new Array<number>(64).fill(0), bootBytes: Buffer.alloc(16) };
}

/** JournalFileOptions configure a JournalFile. */
export interface JournalFileOptions {
  readonly path: string;
  /** DATA objects kept by offset, in a direct-mapped table of this many slots (a power of two; default 4096). */
  readonly cacheEntries?: number;
  /** Larger decoded payloads are not kept (default 16 KiB). */
  readonly cacheMaxPayload?: number;
}

/** JournalFile is one open journal file. */
export class JournalFile {
  readonly path: string;
  readonly #fd: number;
  readonly #cacheMask: number;
  readonly #cacheMaxPayload: number;
  // Direct-mapped: slot (offset / 8) mod size; an offset of 0 marks an empty slot.
  // Allocated on first use and dropped by trim(): an archived file read to its end holds little.
  #cacheKeys: Float64Array | undefined;
  #cacheVals: (JournalData | undefined)[] = [];
  #header!: JournalHeader;
  #compact = false;
  #limit = 0;
  #win = EMPTY;
  #winStart = 0;
  #winLen = 0;
  /** The buffer #at last returned a position in. */
  #b: Buffer = this.#win;
  // The entry array chain as far as read: offset, index of its first item, capacity.
  readonly #arrays: number[] = [];
  readonly #bases: number[] = [];
  readonly #caps: number[] = [];
  #hint = 0;
  #itemsBuf = EMPTY;
  #items: number[] = [];
  #itemsArray = -1;
  #itemsFrom = 0;
  #itemsCount = 0;
  #lastBoot = Buffer.alloc(16);
  #lastBootHex = '00000000000000000000000000000000';
  #closed = false;

  constructor({ path, cacheEntries = 4096, cacheMaxPayload = 16 * 1024 }: JournalFileOptions) {
    this.path = path;
    if (!(cacheEntries > 0) || (cacheEntries & (cacheEntries - 1)) !== 0) throw new RangeError(`cacheEntries must be a power of two, got ${cacheEntries}`);
    this.#cacheMask = cacheEntries - 1;
    this.#cacheMaxPayload = cacheMaxPayload;
    try {
      this.#fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      throw new JournalFileError(path, -1, `cannot open: ${(e as Error).message}`, code === 'EACCES' || code === 'EPERM');
    }
    try {
      this.refresh();
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
  }

  /** header is the header as last read. */
  get header(): JournalHeader {
    return this.#header;
  }

  /** refresh re-reads the header; true when it changed (new entries or a new state). The read window is dropped then. */
  refresh(): boolean {
    const h = Buffer.allocUnsafe(HEADER_MIN);
    const n = this.#read(h, 0, HEADER_MIN);
    if (n < HEADER_MIN) throw new JournalFileError(this.path, -1, `file too short for a header (${n} bytes)`);
    if (!h.subarray(0, 8).equals(SIGNATURE)) throw new JournalFileError(this.path, 0, 'not a journal file (signature is not LPKSHHRH)');
    const incompatible = h.readUInt32LE(12);
    if ((incompatible & ~KNOWN_INCOMPATIBLE) !== 0) {
      throw new JournalFileError(this.path, 12, `unknown incompatible flags 0x${(incompatible & ~KNOWN_INCOMPATIBLE).toString(16)}`, true);
    }
    const next: JournalHeader = {
      state: h[16]!,
      compatibleFlags: h.readUInt32LE(8),
      incompatibleFlags: incompatible,
      fileId: h.toString('hex', 24, 40),
      machineId: h.toString('hex', 40, 56),
      seqnumId: h.toString('hex', 72, 88),
      headerSize: u64(h, 88),
      arenaSize: u64(h, 96),
      tailObjectOffset: u64(h, 136),
      nEntries: u64(h, 152),
      tailEntrySeqnum: u64(h, 160),
      headEntrySeqnum: u64(h, 168),
      entryArrayOffset: u64(h, 176),
      headEntryRealtime: u64(h, 184),
      tailEntryRealtime: u64(h, 192),
    };
    if (next.headerSize < HEADER_MIN || next.headerSize % 8 !== 0) throw new JournalFileError(this.path, 88, `bad header size ${next.headerSize}`);
    const prev = this.#header as JournalHeader | undefined;
    this.#header = next;
    this.#compact = (incompatible & IncompatibleFlag.Compact) !== 0;
    this.#limit = next.headerSize + next.arenaSize;
    const changed = prev === undefined || prev.nEntries !== next.nEntries || prev.state !== next.state || prev.tailObjectOffset !== next.tailObjectOffset;
    if (changed) {
      this.#winLen = 0;
      this.#itemsCount = 0;
    }
    if (prev !== undefined && prev.entryArrayOffset !== next.entryArrayOffset) {
      // Not a file that only grows (never done by journald): forget the chain.
      this.#arrays.length = this.#bases.length = this.#caps.length = 0;
      this.#hint = 0;
      this.#itemsArray = -1;
    }
    return changed;
  }

  /** entryOffset returns the offset of entry `i` (0 ≤ i < nEntries) through the entry array chain; -1 when not linked yet. */
  entryOffset(i: number): number {
    if (i < 0 || i >= this.#header.nEntries) return -1;
    let k = this.#hint;
    if (!(k < this.#arrays.length && this.#bases[k]! <= i && i < this.#bases[k]! + this.#caps[k]!)) {
      k = this.#findArray(i);
      if (k < 0) return -1;
      this.#hint = k;
    }
    // Items are read ahead into their own buffer (the window stays on the entries and data).
    if (!(this.#itemsArray === k && i >= this.#itemsFrom && i < this.#itemsFrom + this.#itemsCount)) {
      const size = this.#compact ? 4 : 8;
      const count = Math.min(ITEMS_AHEAD, this.#bases[k]! + this.#caps[k]! - i, this.#header.nEntries - i);
      const at = this.#arrays[k]! + 24 + (i - this.#bases[k]!) * size;
      if (at + count * size > this.#limit) throw new JournalFileError(this.path, at, 'entry array runs past the arena');
      if (this.#itemsBuf.length === 0) {
        this.#itemsBuf = Buffer.allocUnsafe(ITEMS_AHEAD * 8);
        this.#items = new Array<number>(ITEMS_AHEAD).fill(0);
      }
      const got = this.#read(this.#itemsBuf, at, count * size);
      if (got < count * size) throw new JournalFileError(this.path, at, 'file ends inside an entry array');
      for (let j = 0; j < count; j++) this.#items[j] = this.#compact ? this.#itemsBuf.readUInt32LE(j * 4) : u64(this.#itemsBuf, j * 8);
      this.#itemsArray = k;
      this.#itemsFrom = i;
      this.#itemsCount = count;
    }
    const off = this.#items[i - this.#itemsFrom]!;
    return off === 0 ? -1 : off;
  }

  /** readEntry decodes the ENTRY object at `offset` into `e`. */
  readEntry(offset: number, e: JournalEntry): void {
    const size = this.#object(offset, TYPE_ENTRY, 64);
    const pos = this.#at(offset, size);
    const b = this.#b;
    e.offset = offset;
    e.seqnum = u64(b, pos + 16);
    e.realtime = u64(b, pos + 24);
    e.monotonic = u64(b, pos + 32);
    const last = this.#lastBoot;
    let same = true;
    for (let k = 0; k < 16; k++) if (last[k] !== b[pos + 40 + k]) same = false;
    if (!same) {
      // A new buffer (entries read before keep theirs).
      this.#lastBoot = Buffer.from(b.subarray(pos + 40, pos + 56));
      this.#lastBootHex = this.#lastBoot.toString('hex');
    }
    e.bootId = this.#lastBootHex;
    e.bootBytes = this.#lastBoot;
    e.xorLo = b.readUInt32LE(pos + 56);
    e.xorHi = b.readUInt32LE(pos + 60);
    const itemSize = this.#compact ? 4 : 16;
    const n = Math.floor((size - 64) / itemSize);
    const items = e.items;
    while (items.length < n) items.push(0);
    if (this.#compact) for (let k = 0, q = pos + 64; k < n; k++, q += 4) items[k] = u32(b, q);
    else for (let k = 0, q = pos + 64; k < n; k++, q += 16) items[k] = u32(b, q) + u32(b, q + 4) * 0x1_0000_0000;
    e.nItems = n;
  }

  /** data returns the DATA object at `offset` (kept in a small cache); a payload that cannot be decoded gives `error`, a misplaced object throws. */
  data(offset: number): JournalData {
    const slot = (offset / 8) & this.#cacheMask;
    if (this.#cacheKeys !== undefined && this.#cacheKeys[slot] === offset) return this.#cacheVals[slot]!;
    const headerSize = this.#compact ? 72 : 64;
    const size = this.#object(offset, TYPE_DATA, headerSize);
    const flags = this.#objFlags;
    const pos = this.#at(offset, size);
    const b = this.#b;
    const a = pos + headerSize;
    const z = pos + size;
    let payload: Buffer;
    let error = '';
    try {
      if ((flags & OBJ_ZSTD) !== 0) {
        const u = zstdDecompress(b.subarray(a, z));
        payload = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      } else if ((flags & OBJ_LZ4) !== 0) {
        if (z - a < 8) throw new Error('lz4 payload shorter than its size field');
        const n = u64(b, a);
        // LZ4 expands at most 255 times (plus the last literals): a larger size is a broken field.
        if (n > (z - a - 8) * 255 + 64) throw new Error(`lz4 size ${n} impossible for ${z - a - 8} compressed bytes`);
        payload = decodeLz4Block(b, a + 8, z, n);
      } else if ((flags & OBJ_XZ) !== 0) {
        payload = Buffer.alloc(0);
        error = 'xz-compressed field (not supported by the file reader)';
      } else {
        // Copied out of the read buffer (one Buffer, no view made first).
        payload = Buffer.allocUnsafe(z - a);
        b.copy(payload, 0, a, z);
      }
    } catch (e) {
      payload = Buffer.alloc(0);
      error = `cannot decompress: ${e instanceof Error ? e.message : String(e)}`;
    }
    let eq = error === '' ? nameEnd(payload) : -1;
    if (error === '' && eq <= 0) {
      error = 'payload is not FIELD=value';
      eq = -1;
    }
    const valid = eq > 0 && validName(payload, eq);
    const d = new Data(offset, payload, eq, error, valid, !valid || (eq === 8 && payload.toString('latin1', 0, 9) === '_BOOT_ID='));
    // Kept when other entries use it too (its n_entries; a new entry's own MESSAGE has 1, or 0
    // while the entry is being linked): one-off objects stay young garbage.
    const shared = u32(b, pos + 56) + u32(b, pos + 60) > 1;
    if (shared && payload.length <= this.#cacheMaxPayload) {
      if (this.#cacheKeys === undefined) {
        this.#cacheKeys = new Float64Array(this.#cacheMask + 1);
        this.#cacheVals = new Array<JournalData | undefined>(this.#cacheMask + 1).fill(undefined);
      }
      this.#cacheKeys[slot] = offset;
      this.#cacheVals[slot] = d;
    }
    return d;
  }

  /** trim drops the cached DATA objects and the read buffers (a file read to its end that no longer grows); they come back when used. */
  trim(): void {
    this.#cacheKeys = undefined;
    this.#cacheVals = [];
    this.#win = this.#itemsBuf = this.#b = EMPTY;
    this.#winLen = this.#itemsCount = 0;
    this.#items = [];
  }

  /** close releases the file descriptor. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #objFlags = 0;

  /** Checks the object header at `offset`: its type and a size in the file; returns the size. */
  #object(offset: number, type: number, minSize: number): number {
    if (offset < this.#header.headerSize || offset % 8 !== 0 || offset + 16 > this.#limit) throw new JournalFileError(this.path, offset, 'object offset outside the arena or unaligned');
    const pos = this.#at(offset, 16);
    const b = this.#b;
    const t = b[pos]!;
    if (t !== type) throw new JournalFileError(this.path, offset, `object type ${t}, want ${type}`);
    this.#objFlags = b[pos + 1]!;
    const size = u64(b, pos + 8);
    if (size < minSize || offset + size > this.#limit) throw new JournalFileError(this.path, offset, `object size ${size} out of range`);
    return size;
  }

  /** The array holding entry i, reading further along the chain as needed; -1 when the chain ends before it. */
  #findArray(i: number): number {
    const arrays = this.#arrays;
    for (let k = 0; k < arrays.length; k++) if (this.#bases[k]! <= i && i < this.#bases[k]! + this.#caps[k]!) return k;
    const itemSize = this.#compact ? 4 : 8;
    for (;;) {
      let next: number;
      let base: number;
      if (arrays.length === 0) {
        next = this.#header.entryArrayOffset;
        base = 0;
      } else {
        const last = arrays[arrays.length - 1]!;
        const pos = this.#at(last + 16, 8);
        next = u64(this.#b, pos);
        base = this.#bases[arrays.length - 1]! + this.#caps[arrays.length - 1]!;
        if (next !== 0 && next <= last) throw new JournalFileError(this.path, last, `entry array points back to ${next}`);
      }
      if (next === 0) return -1;
      const size = this.#object(next, TYPE_ENTRY_ARRAY, 24);
      const cap = Math.floor((size - 24) / itemSize);
      if (cap === 0) throw new JournalFileError(this.path, next, 'empty entry array');
      arrays.push(next);
      this.#bases.push(base);
      this.#caps.push(cap);
      if (i < base + cap) return arrays.length - 1;
    }
  }

  /** Makes [off, off+len) readable in this.#b; returns its position there. */
  #at(off: number, len: number): number {
    if (off >= this.#winStart && off + len <= this.#winStart + this.#winLen) {
      this.#b = this.#win;
      return off - this.#winStart;
    }
    if (off + len > this.#limit) throw new JournalFileError(this.path, off, `read of ${len} bytes past the arena end ${this.#limit}`);
    if (len > WINDOW) {
      const big = Buffer.allocUnsafe(len);
      if (this.#read(big, off, len) < len) throw new JournalFileError(this.path, off, 'file ends inside an object');
      this.#b = big;
      return 0;
    }
    if (this.#win.length < WINDOW) this.#win = Buffer.allocUnsafe(WINDOW);
    // Going forward, the window starts a page early: an entry's new DATA objects (its MESSAGE)
    // lie just before it, and are read right after it.
    const back = off >= this.#winStart + this.#winLen && off >= 4096 && len + 8192 <= WINDOW ? 4096 : 0;
    const start = off - (off % 4096) - back;
    const want = Math.min(WINDOW, this.#limit - start);
    const n = this.#read(this.#win, start, want);
    this.#winStart = start;
    this.#winLen = n;
    if (off + len > start + n) {
      this.#winLen = 0;
      throw new JournalFileError(this.path, off, 'file ends inside an object');
    }
    this.#b = this.#win;
    return off - start;
  }

  #read(buf: Buffer, pos: number, len: number): number {
    let got = 0;
    while (got < len) {
      const n = readSync(this.#fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }
}

/** The position of the first '=' (names are short: looked for here before a native search). */
function nameEnd(p: Buffer): number {
  const n = Math.min(p.length, 66);
  for (let i = 0; i < n; i++) if (p[i] === 61) return i;
  return p.length > 66 ? p.indexOf(61, 66) : -1;
}

/** An unsigned 64-bit little-endian number (exact below 2^53). */
function u64(b: Buffer, pos: number): number {
  return u32(b, pos) + u32(b, pos + 4) * 0x1_0000_0000;
}

/** An unsigned 32-bit little-endian number (no bounds check: callers stay inside what #at made readable). */
function u32(b: Buffer, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x100_0000;
}
