/**
 * The tombstones file (tombstones.md): deleted time ranges per series of a block.
 *
 * ```
 * ┌────────────────────────┬─────────────────────┬───────────────────────────────────────────────────────────┬──────────┐
 * │ magic(0x0130BA30) <4b> │ version(1) <1 byte> │ (series ref <uvarint64>, mint <varint64>, maxt <varint64>)… │ CRC <4b> │
 * └────────────────────────┴─────────────────────┴───────────────────────────────────────────────────────────┴──────────┘
 * ```
 * The CRC32C covers the tombstone entries only (not magic and version), as Prometheus writes it.
 * @module
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DecBuf, DecodeError, EncBuf, crc32c, readBE32 } from '../encoding/index.js';
import { BlockCorruptionError } from './block-errors.js';

/** TOMBSTONES_FILENAME is the tombstones file of a block. */
export const TOMBSTONES_FILENAME = 'tombstones';
/** MAGIC_TOMBSTONES opens the tombstones file. */
export const MAGIC_TOMBSTONES = 0x0130ba30;
const FORMAT_V1 = 1;

/** Interval is a closed time range [mint, maxt] in ms. */
export interface Interval {
  readonly mint: number;
  readonly maxt: number;
}

/** Tombstones maps series refs to sorted, non-overlapping deleted intervals. */
export class Tombstones {
  readonly #m = new Map<number, Interval[]>();

  /** get returns the deleted intervals of a series, if any. */
  get(ref: number): readonly Interval[] | undefined {
    return this.#m.get(ref);
  }

  /** add records a deleted interval, merging it with overlapping or adjacent ones. */
  add(ref: number, iv: Interval): void {
    const cur = this.#m.get(ref) ?? [];
    const all = [...cur, iv].sort((a, b) => a.mint - b.mint);
    const out: Interval[] = [];
    for (const x of all) {
      const last = out[out.length - 1];
      if (last !== undefined && x.mint <= last.maxt + 1) {
        out[out.length - 1] = { mint: last.mint, maxt: Math.max(last.maxt, x.maxt) };
      } else out.push(x);
    }
    this.#m.set(ref, out);
  }

  /** size returns the number of series with tombstones. */
  get size(): number {
    return this.#m.size;
  }

  /** total returns the number of intervals. */
  total(): number {
    let n = 0;
    for (const v of this.#m.values()) n += v.length;
    return n;
  }

  /** entries lists (ref, intervals) sorted by ref. */
  entries(): [number, readonly Interval[]][] {
    return [...this.#m.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** isDeleted tells whether t falls in one of the sorted intervals. */
export function isDeleted(t: number, ivs: readonly Interval[]): boolean {
  for (const iv of ivs) {
    if (t < iv.mint) return false;
    if (t <= iv.maxt) return true;
  }
  return false;
}

/** encodeTombstones renders the tombstones file. */
export function encodeTombstones(t: Tombstones): Uint8Array {
  const b = new EncBuf(64);
  b.putBE32(MAGIC_TOMBSTONES);
  b.putByte(FORMAT_V1);
  for (const [ref, ivs] of t.entries()) {
    for (const iv of ivs) {
      b.putUvarint(ref);
      b.putVarint(iv.mint);
      b.putVarint(iv.maxt);
    }
  }
  b.putCRC32C(5);
  return b.get().slice();
}

/** decodeTombstones parses a tombstones file; `dir` names the block in errors. */
export function decodeTombstones(buf: Uint8Array, dir = '?'): Tombstones {
  const bad = (detail: string, cause?: unknown): never => {
    throw new BlockCorruptionError(dir, TOMBSTONES_FILENAME, detail, cause === undefined ? undefined : { cause });
  };
  if (buf.length < 9) bad(`${buf.length} bytes, too short`);
  const magic = readBE32(buf, 0);
  if (magic !== MAGIC_TOMBSTONES) bad(`invalid magic number ${magic.toString(16)}`);
  const want = readBE32(buf, buf.length - 4);
  if (crc32c(buf, 5, buf.length - 4) !== want) bad('checksum did not match');
  if (buf[4] !== FORMAT_V1) bad(`unknown format version ${buf[4]}`);
  const t = new Tombstones();
  const d = new DecBuf(buf, 5, buf.length - 4);
  try {
    while (d.remaining() > 0) {
      const ref = d.uvarint();
      const mint = d.varint();
      const maxt = d.varint();
      t.add(ref, { mint, maxt });
    }
  } catch (e) {
    if (e instanceof DecodeError) bad(e.message, e);
    throw e;
  }
  return t;
}

/** readTombstones reads `<dir>/tombstones`; a missing file means no tombstones. Returns the size too. */
export async function readTombstones(dir: string): Promise<{ readonly tombstones: Tombstones; readonly size: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, TOMBSTONES_FILENAME));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tombstones: new Tombstones(), size: 0 };
    throw new BlockCorruptionError(dir, TOMBSTONES_FILENAME, (e as Error).message, { cause: e });
  }
  return { tombstones: decodeTombstones(buf, dir), size: buf.length };
}

/** writeTombstones writes `<dir>/tombstones` atomically and returns its size. */
export async function writeTombstones(dir: string, t: Tombstones): Promise<number> {
  const path = join(dir, TOMBSTONES_FILENAME);
  const tmp = path + '.tmp';
  const bytes = encodeTombstones(t);
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(bytes);
    await f.sync();
  } catch (e) {
    await f.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await f.close();
  await rename(tmp, path);
  return bytes.length;
}
