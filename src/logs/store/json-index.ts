/**
 * The JSON field index of a block: for blocks whose every line is a JSON object, the fields
 * `| json` would extract, per key either "not indexed" (too many distinct values) or a small
 * dictionary and one value index per line. A metric query like
 * `sum by (level) (count_over_time({app="x"} | json | level="error" [5m]))` is then answered
 * from the index without decompressing or parsing any line.
 *
 * Encoding (compressed with the chunk's codec):
 *
 *   keys <uvarint> | per key: name <str> | indexed <1 byte> | if indexed: values <uvarint>,
 *   value <str> × values, then one byte per line (0: key absent, i: values[i − 1])
 * @module
 */
import { DecBuf } from '../../encoding/index.js';

/** Most distinct values a key may have in a block to be indexed (fits a byte, keeps it small). */
export const JSON_INDEX_MAX_VALUES = 32;

/**
 * JSON_INDEX_KERNEL defines `buildJsonIndex(text, count)` for the workers (it needs
 * JSON_KERNEL's flattenJson): the encoded index of a block's newline-terminated lines, or null
 * when a line is not a JSON object or the block has too many keys.
 */
export const JSON_INDEX_KERNEL = `
function buildJsonIndex(text, count, ascii) {
  const enc = ascii ? 'latin1' : 'utf8';
  const MAX_VALUES = ${JSON_INDEX_MAX_VALUES}, MAX_KEYS = 256;
  const cols = new Map();
  let pos = 0;
  let li = 0;
  const set = (name, value) => {
    let c = cols.get(name);
    if (c === undefined) {
      if (cols.size >= MAX_KEYS) { cols.set('\\u0000overflow', null); return; }
      c = { dict: new Map(), idx: new Uint8Array(count), live: true };
      cols.set(name, c);
    }
    if (c === null || !c.live) return;
    let v = c.dict.get(value);
    if (v === undefined) {
      if (c.dict.size >= MAX_VALUES) { c.live = false; c.idx = null; c.dict = null; return; }
      v = c.dict.size + 1;
      c.dict.set(value, v);
    }
    c.idx[li] = v;
  };
  for (; li < count; li++) {
    const nl = text.indexOf(10, pos);
    if (nl < 0 || text[pos] !== 123) return null;
    const line = text.toString(enc, pos, nl);
    pos = nl + 1;
    if (!flattenJson(line, set)) return null;
  }
  if (cols.has('\\u0000overflow')) return null;
  const out = [];
  const uvarint = (v) => { while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); } out.push(v); };
  const str = (s) => { const b = Buffer.from(s, 'utf8'); uvarint(b.length); for (const x of b) out.push(x); };
  uvarint(cols.size);
  for (const [name, c] of cols) {
    str(name);
    if (!c.live) { out.push(0); continue; }
    out.push(1);
    uvarint(c.dict.size);
    for (const value of c.dict.keys()) str(value);
    for (let i = 0; i < count; i++) out.push(c.idx[i]);
  }
  return Uint8Array.from(out);
}
`;

/** JsonColumn is one indexed key: its values and, per line, 0 (absent) or 1 + the value's index. */
export interface JsonColumn {
  readonly values: readonly string[];
  readonly idx: Uint8Array;
}

/** JsonIndex maps every key of the block to its column, or null when the key is not indexed. */
export interface JsonIndex {
  readonly count: number;
  readonly keys: ReadonlyMap<string, JsonColumn | null>;
}

/** decodeJsonIndex reads an (uncompressed) index of `count` lines; throws DecodeError. */
export function decodeJsonIndex(b: Uint8Array, count: number): JsonIndex {
  const d = new DecBuf(b);
  const n = d.uvarint();
  const keys = new Map<string, JsonColumn | null>();
  for (let k = 0; k < n; k++) {
    const name = d.uvarintStr();
    if (d.byte() === 0) {
      keys.set(name, null);
      continue;
    }
    const nv = d.uvarint();
    const values: string[] = [];
    for (let i = 0; i < nv; i++) values.push(d.uvarintStr());
    const idx = d.bytes(count);
    keys.set(name, { values, idx });
  }
  return { count, keys };
}

/**
 * columnsFor returns, per requested name, the column (or undefined when no line of the block
 * has that key), or undefined when some name is not indexed: then the index cannot answer.
 */
export function columnsFor(index: JsonIndex, names: readonly string[]): (JsonColumn | undefined)[] | undefined {
  const out: (JsonColumn | undefined)[] = [];
  for (const n of names) {
    const c = index.keys.get(n);
    if (c === null) return undefined;
    out.push(c);
  }
  return out;
}
