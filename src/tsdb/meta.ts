/**
 * Block identity and `meta.json`: ULIDs (time-ordered, Crockford base32) and the block meta
 * with Prometheus's fields, written as Go's `json.MarshalIndent(meta, "", "\t")` does.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockCorruptionError } from './block-errors.js';

/** META_FILENAME is the block meta file. */
export const META_FILENAME = 'meta.json';
/** META_VERSION is the only meta.json version. */
export const META_VERSION = 1;

/** BlockStats counts what a block holds. */
export interface BlockStats {
  readonly numSamples?: number;
  readonly numSeries?: number;
  readonly numChunks?: number;
  readonly numTombstones?: number;
}

/** BlockDesc names a parent block of a compaction. */
export interface BlockDesc {
  readonly ulid: string;
  readonly minTime: number;
  readonly maxTime: number;
}

/** BlockCompaction records how a block was made. */
export interface BlockCompaction {
  /** 1 for blocks cut from the head; one more than the highest parent for compacted blocks. */
  readonly level: number;
  /** ULIDs of the level-1 blocks whose data this block holds. */
  readonly sources?: readonly string[];
  /** The compaction produced no samples; the block is to be deleted. */
  readonly deletable?: boolean;
  /** The blocks this one was compacted from. */
  readonly parents?: readonly BlockDesc[];
  /** A compaction of this block failed; the planner leaves it alone. */
  readonly failed?: boolean;
  /** Free-form notes, e.g. `from-out-of-order`. */
  readonly hints?: readonly string[];
}

/** BlockMeta is the content of meta.json. Times are ms; maxTime is exclusive. */
export interface BlockMeta {
  readonly ulid: string;
  readonly minTime: number;
  readonly maxTime: number;
  readonly stats: BlockStats;
  readonly compaction: BlockCompaction;
  readonly version: number;
  /** Fields vigil does not know (Thanos adds `thanos`), kept on rewrite. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < CROCKFORD.length; i++) {
  DECODE[CROCKFORD.charCodeAt(i)] = i;
  DECODE[CROCKFORD.toLowerCase().charCodeAt(i)] = i;
}

let lastUlidTime = -1;
const lastEntropy = new Uint8Array(10);

/**
 * newULID returns a ULID for time `t` (ms, default now): 48-bit time then 80 random bits,
 * monotonic within one millisecond (the random part is incremented), so ULIDs made in order sort
 * in order.
 */
export function newULID(t: number = Date.now()): string {
  if (!Number.isSafeInteger(t) || t < 0 || t >= 2 ** 48) throw new RangeError(`ULID time ${t} out of range`);
  if (t === lastUlidTime) {
    // Increment the 80-bit entropy as a big-endian number.
    let i = 9;
    while (i >= 0 && lastEntropy[i] === 0xff) lastEntropy[i--] = 0;
    if (i < 0) throw new RangeError('ULID entropy exhausted within one millisecond');
    lastEntropy[i]!++;
  } else {
    lastUlidTime = t;
    lastEntropy.set(randomBytes(10));
  }
  let s = '';
  let tt = t;
  const tc: string[] = new Array(10);
  for (let i = 9; i >= 0; i--) {
    tc[i] = CROCKFORD[tt % 32]!;
    tt = Math.floor(tt / 32);
  }
  s = tc.join('');
  // 80 bits → 16 characters of 5 bits.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | lastEntropy[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += CROCKFORD[(acc >>> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return s;
}

/** isULID tells whether s is a well-formed ULID (26 Crockford base32 characters, ≤ 7ZZZ…). */
export function isULID(s: string): boolean {
  if (s.length !== 26) return false;
  for (let i = 0; i < 26; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || DECODE[c]! < 0) return false;
  }
  return DECODE[s.charCodeAt(0)]! <= 7;
}

/** ulidTime returns the millisecond timestamp of a ULID. */
export function ulidTime(s: string): number {
  if (!isULID(s)) throw new RangeError(`not a ULID: "${s}"`);
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + DECODE[s.charCodeAt(i)]!;
  return t;
}

/** formatMeta renders meta.json exactly as Prometheus does (tabs, omitted empty fields, no newline). */
export function formatMeta(m: BlockMeta): string {
  const stats: Record<string, number> = {};
  for (const k of ['numSamples', 'numSeries', 'numChunks', 'numTombstones'] as const) {
    const v = m.stats[k];
    if (v !== undefined && v !== 0) stats[k] = v;
  }
  const c = m.compaction;
  const compaction: Record<string, unknown> = { level: c.level };
  if (c.sources !== undefined && c.sources.length > 0) compaction.sources = c.sources;
  if (c.deletable === true) compaction.deletable = true;
  if (c.parents !== undefined && c.parents.length > 0) {
    compaction.parents = c.parents.map((p) => ({ ulid: p.ulid, minTime: p.minTime, maxTime: p.maxTime }));
  }
  if (c.failed === true) compaction.failed = true;
  if (c.hints !== undefined && c.hints.length > 0) compaction.hints = c.hints;
  const o: Record<string, unknown> = { ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime };
  if (Object.keys(stats).length > 0) o.stats = stats;
  o.compaction = compaction;
  o.version = m.version;
  if (m.extra !== undefined) for (const [k, v] of Object.entries(m.extra)) if (!(k in o)) o[k] = v;
  return JSON.stringify(o, null, '\t');
}

/** parseMeta parses meta.json text, checking the fields Prometheus relies on. */
export function parseMeta(text: string, dir = '?'): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BlockCorruptionError(dir, META_FILENAME, `invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  const bad = (what: string): never => {
    throw new BlockCorruptionError(dir, META_FILENAME, what);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.ulid !== 'string' || !isULID(o.ulid)) bad(`bad ulid ${JSON.stringify(o.ulid)}`);
  if (o.version !== META_VERSION) bad(`unexpected meta file version ${JSON.stringify(o.version)}`);
  const int = (v: unknown, what: string): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : bad(`bad ${what} ${JSON.stringify(v)}`));
  const minTime = int(o.minTime, 'minTime');
  const maxTime = int(o.maxTime, 'maxTime');
  const st = (o.stats ?? {}) as Record<string, unknown>;
  const stats: Record<string, number> = {};
  for (const k of ['numSamples', 'numSeries', 'numChunks', 'numTombstones'] as const) {
    if (st[k] !== undefined) stats[k] = int(st[k], `stats.${k}`);
  }
  const c = (o.compaction ?? {}) as Record<string, unknown>;
  const strs = (v: unknown, what: string): string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : bad(`bad ${what}`);
  const compaction: Record<string, unknown> = { level: c.level === undefined ? 0 : int(c.level, 'compaction.level') };
  if (c.sources !== undefined && c.sources !== null) compaction.sources = strs(c.sources, 'compaction.sources');
  if (c.deletable === true) compaction.deletable = true;
  if (c.parents !== undefined && c.parents !== null) {
    if (!Array.isArray(c.parents)) bad('bad compaction.parents');
    compaction.parents = (c.parents as unknown[]).map((x) => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : bad('bad compaction.parents entry'))).map((p) => ({
      ulid: typeof p.ulid === 'string' ? p.ulid : bad('bad compaction.parents ulid'),
      minTime: int(p.minTime, 'parent minTime'),
      maxTime: int(p.maxTime, 'parent maxTime'),
    }));
  }
  if (c.failed === true) compaction.failed = true;
  if (c.hints !== undefined && c.hints !== null) compaction.hints = strs(c.hints, 'compaction.hints');
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!['ulid', 'minTime', 'maxTime', 'stats', 'compaction', 'version'].includes(k)) extra[k] = v;
  }
  return {
    ulid: o.ulid as string,
    minTime,
    maxTime,
    stats: stats as BlockStats,
    compaction: compaction as unknown as BlockCompaction,
    version: META_VERSION,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** readMeta reads `<dir>/meta.json`. Throws BlockCorruptionError. */
export async function readMeta(dir: string): Promise<BlockMeta> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILENAME), 'utf8');
  } catch (e) {
    throw new BlockCorruptionError(dir, META_FILENAME, (e as Error).message, { cause: e });
  }
  return parseMeta(text, dir);
}

/** writeMeta writes `<dir>/meta.json` atomically (temp file, fsync, rename) and returns its size. */
export async function writeMeta(dir: string, m: BlockMeta): Promise<number> {
  const path = join(dir, META_FILENAME);
  const tmp = path + '.tmp';
  const text = formatMeta(m);
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(text);
    await f.sync();
  } catch (e) {
    await f.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await f.close();
  await rename(tmp, path);
  return Buffer.byteLength(text);
}
