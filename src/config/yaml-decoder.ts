/**
 * Strict, position-keeping decoding of YAML into typed values, with the coercions of Go's
 * yaml.v2 (which Prometheus uses): any scalar becomes a string by its source text, unknown keys
 * and duplicate keys are errors, `null` gives a field its zero value, and merge keys (`<<`) work.
 * Alias expansion and node counts are bounded so a YAML bomb fails fast with a clear error.
 * @module
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YNode, Pair, Scalar } from 'yaml';
import { DurationError, parseDuration } from '../model/index.js';
import { ConfigError } from './errors.js';

/** The bounds a decoder enforces. */
export interface DecodeLimits {
  /** Largest accepted source, in UTF-16 code units. */
  readonly maxBytes: number;
  /** Most alias dereferences in one document. */
  readonly maxAliases: number;
  /** Most nodes visited while decoding, counting each alias expansion again. */
  readonly maxNodes: number;
}

/** DEFAULT_DECODE_LIMITS are generous for real configs and stop billion-laughs documents early. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 64 << 20, maxAliases: 10_000, maxNodes: 2_000_000 };

/** YNodeLike is any node of the parsed document, or undefined for a missing one. */
export type YNodeLike = YNode | null | undefined;

/** Fields are the keys of one YAML mapping decoded as a Go struct. */
export interface Fields {
  /** The mapping node itself (for positions). */
  readonly node: YNodeLike;
  /** has tells whether the key is present (even with a null value). */
  has(key: string): boolean;
  /** get returns the value node of a key, undefined when absent. */
  get(key: string): YNodeLike;
  /** keyNode returns the key node (for error positions). */
  keyNode(key: string): YNodeLike;
}

/** Decoder walks one parsed YAML document. */
export class Decoder {
  readonly file: string;
  readonly #doc: Document;
  readonly #lc: LineCounter;
  readonly #limits: DecodeLimits;
  #aliases = 0;
  #nodes = 0;

  private constructor(file: string, doc: Document, lc: LineCounter, limits: DecodeLimits) {
    this.file = file;
    this.#doc = doc;
    this.#lc = lc;
    this.#limits = limits;
  }

  /** parse parses text as YAML 1.1 (as yaml.v2 reads it); throws ConfigError on syntax errors. */
  static parse(text: string, file: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): { decoder: Decoder; root: YNodeLike } {
    if (text.length > limits.maxBytes) {
      throw new ConfigError(file, 1, 1, '', `file is ${text.length} bytes, more than the limit of ${limits.maxBytes}`);
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { version: '1.1', merge: true, uniqueKeys: true, lineCounter: lc, prettyErrors: false });
    const err = doc.errors[0];
    if (err !== undefined) {
      const { line, col } = lc.linePos(err.pos[0]);
      throw new ConfigError(file, line, col, '', `yaml: ${err.message.split('\n')[0]!}`);
    }
    const d = new Decoder(file, doc, lc, limits);
    return { decoder: d, root: doc.contents };
  }

  /** fail throws a ConfigError at the node's position. */
  fail(node: YNodeLike, key: string, detail: string, cause?: unknown): never {
    const off = node?.range?.[0] ?? 0;
    const { line, col } = this.#lc.linePos(off);
    throw new ConfigError(this.file, Math.max(line, 1), Math.max(col, 1), key, detail, cause === undefined ? undefined : { cause });
  }

  /** resolve follows aliases, counting them against the limits. */
  resolve(node: YNodeLike): YNodeLike {
    let n = node;
    for (let hops = 0; isAlias(n); hops++) {
      if (++this.#aliases > this.#limits.maxAliases) {
        this.fail(node, '', `too many alias expansions (more than ${this.#limits.maxAliases}): refusing a possible YAML bomb`);
      }
      const target = n.resolve(this.#doc);
      if (target === undefined) this.fail(n, '', `unknown anchor ${JSON.stringify(n.source)}`);
      n = target as YNode;
      if (hops > 100) this.fail(node, '', 'alias loop');
    }
    if (++this.#nodes > this.#limits.maxNodes) {
      this.fail(node, '', `document expands to more than ${this.#limits.maxNodes} nodes: refusing a possible YAML bomb`);
    }
    return n;
  }

  /** isNull tells whether a node is missing or a YAML null. */
  isNull(node: YNodeLike): boolean {
    const n = this.resolve(node);
    return n === null || n === undefined || (isScalar(n) && n.value === null);
  }

  /** tag names a node's YAML type as yaml.v2 prints it in errors. */
  tag(node: YNodeLike): string {
    const n = this.resolve(node);
    if (isMap(n)) return '!!map';
    if (isSeq(n)) return '!!seq';
    if (isScalar(n)) {
      const v = n.value;
      if (v === null) return '!!null';
      if (typeof v === 'boolean') return '!!bool';
      if (typeof v === 'number') return Number.isInteger(v) && !/[.eE]/.test(n.source ?? '') ? '!!int' : '!!float';
      return '!!str';
    }
    return '!!null';
  }

  #mismatch(node: YNodeLike, key: string, into: string): never {
    const n = this.resolve(node);
    const shown = isScalar(n) ? ` \`${scalarText(n)}\`` : '';
    this.fail(node, key, `cannot unmarshal ${this.tag(n)}${shown} into ${into}`);
  }

  /** fields decodes a mapping as a struct with the given keys; other keys are errors. Null gives no fields. */
  fields(node: YNodeLike, typeName: string, known: readonly string[], key = ''): Fields {
    const n = this.resolve(node);
    const map = new Map<string, { k: YNodeLike; v: YNodeLike }>();
    if (!(n === null || n === undefined || (isScalar(n) && n.value === null))) {
      if (!isMap(n)) this.#mismatch(n, key, typeName);
      this.#collect(n.items as Pair[], typeName, known, map, new Set([n]));
    }
    return {
      node: n,
      has: (k) => map.has(k),
      get: (k) => map.get(k)?.v,
      keyNode: (k) => map.get(k)?.k ?? n,
    };
  }

  // `ancestors` holds the mappings being collected, so a mapping that merges itself (directly or
  // through others) is an error instead of endless recursion.
  #collect(items: readonly Pair[], typeName: string, known: readonly string[], out: Map<string, { k: YNodeLike; v: YNodeLike }>, ancestors: Set<unknown>): void {
    const merges: YNodeLike[] = [];
    for (const p of items) {
      const k = this.resolve(p.key as YNodeLike);
      if (isScalar(k) && typeof k.value === 'symbol') {
        merges.push(p.value as YNodeLike);
        continue;
      }
      const name = isScalar(k) ? scalarText(k) : undefined;
      if (name === undefined) this.fail(k, '', `cannot use a ${this.tag(k)} as a key of ${typeName}`);
      if (!known.includes(name)) this.fail(k, name, `field ${name} not found in type ${typeName}`);
      out.set(name, { k, v: p.value as YNodeLike });
    }
    // Merged mappings fill only keys the mapping does not set itself; the earlier source wins.
    for (const m of merges) {
      const mv = this.resolve(m);
      const sources = isSeq(mv) ? (mv.items as YNodeLike[]) : [mv];
      for (const s of sources) {
        const sm = this.resolve(s);
        if (!isMap(sm)) this.fail(sm, '<<', 'map merge requires map or sequence of maps as the value');
        if (ancestors.has(sm)) this.fail(m, '<<', 'a mapping cannot merge itself');
        const sub = new Map<string, { k: YNodeLike; v: YNodeLike }>();
        ancestors.add(sm);
        this.#collect(sm.items as Pair[], typeName, known, sub, ancestors);
        ancestors.delete(sm);
        for (const [name, e] of sub) if (!out.has(name)) out.set(name, e);
      }
    }
  }

  /** seq returns the items of a sequence; null gives an empty list. */
  seq(node: YNodeLike, key: string, into = '[]'): YNodeLike[] {
    const n = this.resolve(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return [];
    if (!isSeq(n)) this.#mismatch(n, key, into);
    return n.items as YNodeLike[];
  }

  /** entries returns the pairs of a mapping as [keyText, keyNode, valueNode]; null gives none. */
  entries(node: YNodeLike, key: string, into: string): [string, YNodeLike, YNodeLike][] {
    return this.#entries(node, key, into, new Set());
  }

  #entries(node: YNodeLike, key: string, into: string, ancestors: Set<unknown>): [string, YNodeLike, YNodeLike][] {
    const n = this.resolve(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return [];
    if (!isMap(n)) this.#mismatch(n, key, into);
    if (ancestors.has(n)) this.fail(node, '<<', 'a mapping cannot merge itself');
    ancestors.add(n);
    const out: [string, YNodeLike, YNodeLike][] = [];
    const seen = new Set<string>();
    const merges: YNodeLike[] = [];
    for (const p of n.items as Pair[]) {
      const k = this.resolve(p.key as YNodeLike);
      if (isScalar(k) && typeof k.value === 'symbol') {
        merges.push(p.value as YNodeLike);
        continue;
      }
      if (!isScalar(k)) this.fail(k, key, `cannot use a ${this.tag(k)} as a key of ${into}`);
      const name = scalarText(k);
      seen.add(name);
      out.push([name, k, p.value as YNodeLike]);
    }
    for (const m of merges) {
      const mv = this.resolve(m);
      for (const s of isSeq(mv) ? (mv.items as YNodeLike[]) : [mv]) {
        for (const e of this.#entries(s, '<<', into, ancestors)) if (!seen.has(e[0])) (seen.add(e[0]), out.push(e));
      }
    }
    ancestors.delete(n);
    return out;
  }

  /** str decodes any scalar as its text (yaml.v2 semantics); null gives ''. */
  str(node: YNodeLike, key: string): string {
    const n = this.resolve(node);
    if (n === null || n === undefined) return '';
    if (!isScalar(n)) this.#mismatch(n, key, 'string');
    if (n.value === null) return '';
    return scalarText(n);
  }

  /** optStr is str, but undefined when the node is missing. */
  optStr(node: YNodeLike, key: string): string | undefined {
    return node === undefined ? undefined : this.str(node, key);
  }

  /** bool decodes a YAML 1.1 boolean; null gives false. */
  bool(node: YNodeLike, key: string): boolean {
    const n = this.resolve(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return false;
    if (!isScalar(n) || typeof n.value !== 'boolean') this.#mismatch(n, key, 'bool');
    return n.value;
  }

  /**
   * int decodes an integer (decimal, 0x, 0o, 0b, underscores). Like yaml.v2, a float is
   * truncated toward zero; unsigned types reject negatives.
   */
  int(node: YNodeLike, key: string, into: 'int' | 'uint' | 'uint64' | 'int64'): number {
    const n = this.resolve(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return 0;
    if (!isScalar(n)) this.#mismatch(n, key, into);
    const v = n.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || (into.startsWith('u') && v < 0)) this.#mismatch(n, key, into);
    const t = Math.trunc(v);
    if (!Number.isSafeInteger(t)) this.fail(n, key, `integer ${scalarText(n)} is out of the range vigil supports`);
    return t;
  }

  /** float decodes a number. */
  float(node: YNodeLike, key: string): number {
    const n = this.resolve(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return 0;
    if (!isScalar(n) || typeof n.value !== 'number') this.#mismatch(n, key, 'float64');
    return n.value;
  }

  /** duration decodes a Prometheus duration (`30s`, `1h30m`) into milliseconds; null gives 0. */
  duration(node: YNodeLike, key: string): number {
    if (this.isNull(node)) return 0;
    const s = this.str(node, key);
    try {
      return parseDuration(s);
    } catch (e) {
      if (e instanceof DurationError) this.fail(node, key, e.message, e);
      throw e;
    }
  }

  /** size decodes a byte size in the units Prometheus accepts (`10MB`, `1GiB`, `512B`); null gives 0. */
  size(node: YNodeLike, key: string): number {
    if (this.isNull(node)) return 0;
    const s = this.str(node, key);
    const v = parseBase2Bytes(s);
    if (typeof v === 'string') this.fail(node, key, v);
    return v;
  }

  /** strList decodes a sequence of strings. */
  strList(node: YNodeLike, key: string): string[] {
    return this.seq(node, key, '[]string').map((item) => this.str(item, key));
  }

  /** strMap decodes a mapping of strings to strings. */
  strMap(node: YNodeLike, key: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, , v] of this.entries(node, key, 'map[string]string')) out[k] = this.str(v, key);
    return out;
  }
}

function scalarText(n: Scalar): string {
  if (typeof n.value === 'string') return n.value;
  // yaml.v2 decodes a non-string scalar into a string field by its source text.
  if (n.source !== undefined && (n.type === 'PLAIN' || n.type === undefined)) return n.source;
  return String(n.value);
}

const SIZE_UNITS_IEC: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, PiB: 1024 ** 5, EiB: 1024 ** 6 };
const SIZE_UNITS_OLD: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, PB: 1024 ** 5, EB: 1024 ** 6 };

/**
 * parseBase2Bytes parses a size as Prometheus's units.Base2Bytes does (`1.5MB`, `10KiB`, `0`;
 * K, M, G… are all powers of 1024). Returns the byte count, or an error message.
 */
export function parseBase2Bytes(s: string): number | string {
  const a = parseUnits(s, SIZE_UNITS_IEC);
  if (typeof a === 'number') return a;
  return parseUnits(s, SIZE_UNITS_OLD);
}

function parseUnits(orig: string, units: Readonly<Record<string, number>>): number | string {
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return `units: invalid ${orig}`;
  let total = 0;
  const re = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;
  while (s !== '') {
    const m = re.exec(s)!;
    const [all, whole = '', frac, unit = ''] = m;
    if (whole === '' && (frac === undefined || frac === '')) return `units: invalid ${orig}`;
    const g = Number(whole === '' ? '0' : whole) + (frac ? Number('0.' + frac) : 0);
    const mult = Object.hasOwn(units, unit) ? units[unit] : undefined;
    if (mult === undefined) return `units: unknown unit ${unit} in ${orig}`;
    total += g * mult;
    s = s.slice(all.length);
  }
  if (total > 2 ** 63) return 'units: overflow parsing unit';
  return Math.trunc(neg ? -total : total);
}
