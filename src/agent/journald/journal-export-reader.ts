/**
 * JournalExportReader: the agent's lean reader of `journalctl -o export` output. It gives
 * each entry the meaning logs/parse's JournalRecord gives it (MESSAGE is the line; the time
 * is `_SOURCE_REALTIME_TIMESTAMP`, else `__REALTIME_TIMESTAMP`; `_SYSTEMD_UNIT`, `_HOSTNAME`,
 * `SYSLOG_IDENTIFIER`, `CONTAINER_NAME` become the labels unit, host, identifier, container;
 * PRIORITY the level; a field given several times is a JSON array text; a value that is not
 * UTF-8 keeps its bytes as `<NAME>_raw_base64`), but writes the remaining fields straight
 * into the bytes of a JSON object instead of building an object per entry and a string per
 * field: the shipper copies those bytes into the batch. Journald entries carry twenty-odd
 * fields, so this is most of the cost of forwarding the journal (see bench/agent-logs-stages).
 *
 * Record layout (systemd's journal export format): lines `NAME=value\n`; a binary-safe field
 * is `NAME\n`, a 64-bit little-endian length, the bytes and `\n`; a blank line ends an entry.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { RAW_FIELD, levelFromSeverity, type Level } from '../../logs/parse/index.js';

/** JournalExportEntry is one decoded entry; the reader reuses the object, so it is valid during the callback only. */
export interface JournalExportEntry {
  /** Unix ms and ns past it; the arrival time when the entry has no timestamp (timed false). */
  t: number;
  ns: number;
  timed: boolean;
  /** `__CURSOR` ('' when absent). */
  cursor: string;
  line: string;
  level: Level | '';
  unit: string;
  host: string;
  identifier: string;
  container: string;
  /** The other fields as the UTF-8 bytes of a JSON object, or undefined when there are none (valid during the callback). */
  fieldsJson: Buffer | undefined;
}

/** JournalExportReaderOptions configure a reader. */
export interface JournalExportReaderOptions {
  /** Keep the address fields (`__CURSOR`, `__REALTIME_TIMESTAMP`, `__MONOTONIC_TIMESTAMP`, `__SEQNUM`…) among the fields (default false). */
  readonly keepAddressFields?: boolean;
  /** A longer value is cut to this many bytes, with `<NAME>_cut_bytes` telling how many were dropped (default 256 KiB). */
  readonly maxFieldBytes?: number;
  /** A longer record (unfinished) is dropped and counted as malformed (default 16 MiB). */
  readonly maxRecordBytes?: number;
}

// What a field name means to the reader.
const Kind = { Field: 0, Message: 1, Cursor: 2, Realtime: 3, SourceRealtime: 4, Priority: 5, Unit: 6, Host: 7, Identifier: 8, Container: 9, Address: 10 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Name {
  readonly name: string;
  readonly kind: Kind;
  /** `"NAME":"` as bytes. */
  readonly key: Buffer;
  /** The name's bytes. */
  readonly bytes: Buffer;
  /** Record stamp of its last occurrence (duplicate detection). */
  seen: number;
  /** For the label fields: the last value's bytes and text, reused while the value repeats. */
  lastBytes: Buffer | undefined;
  lastText: string;
}

const SPECIAL: Readonly<Record<string, Kind>> = {
  MESSAGE: Kind.Message,
  __CURSOR: Kind.Cursor,
  __REALTIME_TIMESTAMP: Kind.Realtime,
  _SOURCE_REALTIME_TIMESTAMP: Kind.SourceRealtime,
  PRIORITY: Kind.Priority,
  _SYSTEMD_UNIT: Kind.Unit,
  _HOSTNAME: Kind.Host,
  SYSLOG_IDENTIFIER: Kind.Identifier,
  CONTAINER_NAME: Kind.Container,
};

/** JSON_ESCAPES maps a byte to its JSON escape: bytes below 0x20, '"' and '\\' (0 = copy as is). */
export const JSON_ESCAPES: readonly (string | 0)[] = Array.from({ length: 256 }, (_, b) => {
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  if (b === 0x0a) return '\\n';
  if (b === 0x0d) return '\\r';
  if (b === 0x09) return '\\t';
  if (b === 0x08) return '\\b';
  if (b === 0x0c) return '\\f';
  if (b < 0x20) return '\\u00' + b.toString(16).padStart(2, '0');
  return 0;
});
// Per byte: 0 copy as is, 1 escape, 2 part of a multi-byte UTF-8 sequence (validated once per value).
const ESC = JSON_ESCAPES;
const CLASS = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x80 ? 2 : ESC[b] === 0 ? 0 : 1));
const MAX_NAMES = 4096;

/** JournalExportReader decodes a stream of export records; feed it with write(). */
export class JournalExportReader {
  readonly #keepAddress: boolean;
  readonly #maxField: number;
  readonly #maxRecord: number;
  readonly #names = new Map<string, Name>();
  readonly #byHash = new Map<number, Name>();
  readonly #e: JournalExportEntry = { t: 0, ns: 0, timed: false, cursor: '', line: '', level: '', unit: '', host: '', identifier: '', container: '', fieldsJson: undefined };
  #out = Buffer.allocUnsafe(16 * 1024);
  #len = 0;
  #nFields = 0;
  #stamp = 0;
  #dup = false;
  #pending: Buffer | undefined;
  #malformed = 0;

  constructor({ keepAddressFields = false, maxFieldBytes = 256 * 1024, maxRecordBytes = 16 << 20 }: JournalExportReaderOptions = {}) {
    this.#keepAddress = keepAddressFields;
    this.#maxField = maxFieldBytes;
    this.#maxRecord = maxRecordBytes;
  }

  /** malformed counts lines that were not fields and records dropped for their size. */
  get malformed(): number {
    return this.#malformed;
  }

  /** pendingBytes is the size of the unfinished record held. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }

  /** write decodes the next bytes; each complete entry goes to `onEntry` (received at `arrivalMs`). */
  write(chunk: Buffer, arrivalMs: number, onEntry: (e: JournalExportEntry) => void): void {
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let pos = 0;
    while (pos < buf.length) {
      const end = this.#record(buf, pos, arrivalMs, onEntry);
      if (end < 0) break;
      pos = end;
    }
    if (pos < buf.length) {
      if (buf.length - pos > this.#maxRecord) {
        this.#malformed++;
        return;
      }
      this.#pending = Buffer.from(buf.subarray(pos));
    }
  }

  /** reset drops an unfinished record (the stream ended or restarts). */
  reset(): void {
    this.#pending = undefined;
  }

  /** Decodes the record at pos; returns the position after it, or -1 when it is incomplete. */
  #record(buf: Buffer, start: number, arrivalMs: number, onEntry: (e: JournalExportEntry) => void): number {
    const n = buf.length;
    const e = this.#e;
    e.t = arrivalMs;
    e.ns = 0;
    e.timed = false;
    e.cursor = e.line = e.unit = e.host = e.identifier = e.container = '';
    e.level = '';
    let hasMessage = false;
    // As logs/parse: the first non-empty PRIORITY and timestamps count, valid or not.
    let srcTime = -2;
    let realTime = -2;
    let priorityTaken = false;
    let fields = 0;
    this.#len = 0;
    this.#nFields = 0;
    this.#dup = false;
    const stamp = ++this.#stamp;
    this.#put('{');
    let p = start;
    for (;;) {
      if (p >= n) return -1;
      if (buf[p] === 10) {
        p++;
        if (fields === 0) {
          start = p; // blank lines between records
          continue;
        }
        break;
      }
      // The name: upper-case letters, digits and underscores up to '=' (text) or '\n' (binary).
      // Hashed (FNV-1a) on the way, for #name.
      let q = p;
      let h = 0x811c9dc5;
      while (q < n) {
        const c = buf[q]!;
        if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95) {
          h = Math.imul(h ^ c, 0x01000193);
          q++;
        } else break;
      }
      if (q >= n) return -1;
      const sep = buf[q]!;
      let va: number;
      let vb: number;
      let next: number;
      if (sep === 61 && q > p) {
        const nl = buf.indexOf(10, q + 1);
        if (nl < 0) return -1;
        va = q + 1;
        vb = nl;
        next = nl + 1;
      } else if (sep === 10 && q > p) {
        if (q + 9 > n) return -1;
        const lo = buf.readUInt32LE(q + 1);
        const hi = buf.readUInt32LE(q + 5);
        if (hi !== 0 || lo > this.#maxRecord) {
          // An impossible length: the stream is not export format from here; skip the line.
          this.#malformed++;
          p = q + 1;
          continue;
        }
        va = q + 9;
        vb = va + lo;
        if (vb + 1 > n) return -1;
        next = buf[vb] === 10 ? vb + 1 : vb;
      } else {
        // Not a field: skip the line.
        const nl = buf.indexOf(10, p);
        if (nl < 0) return -1;
        this.#malformed++;
        p = nl + 1;
        continue;
      }
      fields++;
      const nm = this.#name(buf, p, q, h);
      const dup = nm.seen === stamp;
      nm.seen = stamp;
      switch (nm.kind) {
        case Kind.Message:
          if (!hasMessage) {
            hasMessage = true;
            e.line = buf.toString('utf8', va, vb);
            if (!asciiOrUtf8(buf, va, vb)) this.#field(RAW_FIELD, keyOf(RAW_FIELD), Buffer.from(buf.toString('base64', va, vb)), 0, -1);
          }
          break;
        case Kind.Cursor:
          e.cursor = buf.toString('latin1', va, vb);
          if (this.#keepAddress) this.#value(nm, buf, va, vb, dup);
          break;
        case Kind.Realtime:
          if (realTime === -2 && vb > va) realTime = micros(buf, va, vb);
          if (this.#keepAddress) this.#value(nm, buf, va, vb, dup);
          break;
        case Kind.Address:
          if (this.#keepAddress) this.#value(nm, buf, va, vb, dup);
          break;
        case Kind.SourceRealtime:
          if (srcTime === -2 && vb > va) srcTime = micros(buf, va, vb);
          this.#value(nm, buf, va, vb, dup);
          break;
        case Kind.Priority:
          if (!priorityTaken && vb > va) {
            priorityTaken = true;
            const d = buf[va]! - 48;
            const v = vb - va === 1 && d >= 0 && d <= 9 ? d : Number(buf.toString('latin1', va, vb));
            e.level = Number.isInteger(v) ? levelFromSeverity(v) : '';
          }
          this.#value(nm, buf, va, vb, dup);
          break;
        case Kind.Unit:
          if (!dup) e.unit = textOf(nm, buf, va, vb);
          break;
        case Kind.Host:
          if (!dup) e.host = textOf(nm, buf, va, vb);
          break;
        case Kind.Identifier:
          if (!dup) e.identifier = textOf(nm, buf, va, vb);
          break;
        case Kind.Container:
          if (!dup) e.container = textOf(nm, buf, va, vb);
          break;
        default:
          this.#value(nm, buf, va, vb, dup);
      }
      p = next;
    }
    const t = srcTime >= 0 ? srcTime : realTime;
    if (t >= 0) {
      e.t = Math.floor(t / 1000);
      e.ns = (t - e.t * 1000) * 1000;
      e.timed = true;
    }
    if (this.#dup) this.#rebuild(buf, start, p);
    this.#put('}');
    e.fieldsJson = this.#nFields > 0 ? this.#out.subarray(0, this.#len) : undefined;
    onEntry(e);
    return p;
  }

  /** The name buf[a, b), whose FNV-1a hash is h: interned by the hash, checked byte by byte (no string per field). */
  #name(buf: Buffer, a: number, b: number, h: number): Name {
    let nm = this.#byHash.get(h);
    if (nm !== undefined && sameBytes(nm.bytes, buf, a, b)) return nm;
    const s = buf.toString('latin1', a, b);
    nm = this.#names.get(s);
    if (nm === undefined) {
      const kind = SPECIAL[s] ?? (s.startsWith('__') ? Kind.Address : Kind.Field);
      nm = { name: s, kind, key: keyOf(s), bytes: Buffer.from(s, 'latin1'), seen: 0, lastBytes: undefined, lastText: '' };
      if (this.#names.size >= MAX_NAMES) {
        this.#names.clear();
        this.#byHash.clear();
      }
      this.#names.set(s, nm);
    }
    this.#byHash.set(h, nm);
    return nm;
  }

  /** A field value; a second one of the same name switches the record to the slow path. */
  #value(nm: Name, buf: Buffer, va: number, vb: number, dup: boolean): void {
    if (dup) {
      this.#dup = true;
      return;
    }
    let end = vb;
    if (end - va > this.#maxField) end = va + cutAt(buf, va, va + this.#maxField);
    this.#field(nm.name, nm.key, buf, va, end);
    if (end < vb) this.#field(`${nm.name}_cut_bytes`, keyOf(`${nm.name}_cut_bytes`), Buffer.from(String(vb - end)), 0, -1);
  }

  /** Writes `"NAME":"value"`; `vb` -1 means the whole of `v` is plain ASCII text to copy. */
  #field(name: string, key: Buffer, v: Buffer, va: number, vb: number): void {
    if (this.#nFields > 0) this.#put(',');
    this.#nFields++;
    this.#bytes(key, 0, key.length);
    if (vb < 0) {
      this.#bytes(v, 0, v.length);
      this.#put('"');
      return;
    }
    const text = this.#escape(v, va, vb);
    this.#put('"');
    if (!text) {
      // Not UTF-8: keep the bytes beside the text (with replacement characters), as logs/parse does.
      const rawName = `${name}_${RAW_FIELD}`;
      this.#field(rawName, keyOf(rawName), Buffer.from(v.toString('base64', va, vb)), 0, -1);
    }
  }

  /** JSON-escapes v[va, vb) into the output; false when the bytes are not valid UTF-8 (then they were written decoded, with replacements). */
  #escape(v: Buffer, va: number, vb: number): boolean {
    // Most values need no escape and are ASCII: copy while checking, in one pass.
    this.#reserve(vb - va);
    let out = this.#out;
    let o = this.#len;
    const start = o;
    let i = va;
    for (; i < vb; i++) {
      const c = v[i]!;
      if (CLASS[c] !== 0) break;
      out[o++] = c;
    }
    if (i === vb) {
      this.#len = o;
      return true;
    }
    this.#len = o;
    this.#reserve((vb - i) * 6);
    out = this.#out;
    let high = false;
    for (; i < vb; i++) {
      const c = v[i]!;
      const k = CLASS[c]!;
      if (k === 0) out[o++] = c;
      else if (k === 2) {
        high = true;
        out[o++] = c;
      } else o += out.write(ESC[c] as string, o, 'latin1');
    }
    if (high && !isUtf8(v.subarray(va, vb))) {
      // Rewrite the value from its decoded text.
      const s = JSON.stringify(v.toString('utf8', va, vb));
      this.#len = start;
      this.#reserve(s.length * 3);
      this.#len += this.#out.write(s.slice(1, -1), this.#len, 'utf8');
      return false;
    }
    this.#len = o;
    return true;
  }

  /** A record with repeated fields: the fields again, from an object, with repeats as JSON array texts. */
  #rebuild(buf: Buffer, start: number, end: number): void {
    const vals = new Map<string, string[]>();
    const obj: Record<string, string> = {};
    let message = true;
    let p = start;
    while (p < end && buf[p] !== 10) {
      let q = p;
      while (q < end && buf[q] !== 61 && buf[q] !== 10) q++;
      const name = buf.toString('latin1', p, q);
      let va: number;
      let vb: number;
      if (buf[q] === 61) {
        va = q + 1;
        vb = buf.indexOf(10, va);
        p = vb + 1;
      } else {
        va = q + 9;
        vb = va + buf.readUInt32LE(q + 1);
        p = buf[vb] === 10 ? vb + 1 : vb;
      }
      const kind = SPECIAL[name] ?? (name.startsWith('__') ? Kind.Address : Kind.Field);
      if (kind === Kind.Message) {
        if (message && !asciiOrUtf8(buf, va, vb)) obj[RAW_FIELD] = buf.toString('base64', va, vb);
        message = false;
        continue;
      }
      if (kind === Kind.Unit || kind === Kind.Host || kind === Kind.Identifier || kind === Kind.Container) continue;
      if ((kind === Kind.Cursor || kind === Kind.Realtime || kind === Kind.Address) && !this.#keepAddress) continue;
      let list = vals.get(name);
      if (list === undefined) vals.set(name, (list = []));
      list.push(buf.toString('utf8', va, vb));
      if (!asciiOrUtf8(buf, va, vb)) obj[`${name}_${RAW_FIELD}`] = buf.toString('base64', va, vb);
    }
    for (const [k, list] of vals) obj[k] = list.length === 1 ? list[0]! : JSON.stringify(list);
    const json = JSON.stringify(obj);
    this.#nFields = Object.keys(obj).length;
    this.#len = 0;
    // Without the closing brace: the caller writes it.
    this.#reserve(json.length * 3);
    this.#len = this.#out.write(json.slice(0, -1), 0, 'utf8');
  }

  #put(s: string): void {
    this.#reserve(s.length);
    for (let i = 0; i < s.length; i++) this.#out[this.#len++] = s.charCodeAt(i);
  }

  #bytes(b: Buffer, a: number, z: number): void {
    this.#reserve(z - a);
    const out = this.#out;
    if (z - a > 64) {
      b.copy(out, this.#len, a, z);
      this.#len += z - a;
      return;
    }
    // Short runs: a loop beats Buffer#copy's per-call cost.
    let o = this.#len;
    for (let i = a; i < z; i++) out[o++] = b[i]!;
    this.#len = o;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#out.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#len + n));
    this.#out.copy(nb, 0, 0, this.#len);
    this.#out = nb;
  }
}

/** The text of a label field's value: the previous one's string when the bytes repeat (as they do along a stream). */
function textOf(nm: Name, buf: Buffer, va: number, vb: number): string {
  const last = nm.lastBytes;
  if (last !== undefined && sameBytes(last, buf, va, vb)) return nm.lastText;
  nm.lastText = buf.toString('utf8', va, vb);
  nm.lastBytes = vb - va <= 1024 ? Buffer.from(buf.subarray(va, vb)) : undefined;
  return nm.lastText;
}

function sameBytes(x: Buffer, buf: Buffer, a: number, b: number): boolean {
  if (x.length !== b - a) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== buf[a + i]) return false;
  return true;
}

function keyOf(name: string): Buffer {
  return Buffer.from(`${JSON.stringify(name)}:"`, 'utf8');
}

function asciiOrUtf8(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (buf[i]! >= 0x80) return isUtf8(buf.subarray(a, b));
  return true;
}

/** micros reads decimal digits as a number (µs since the epoch fit a double exactly); -1 when empty, longer than 17 digits or not digits. */
export function micros(buf: Buffer, a: number, b: number): number {
  if (b <= a || b - a > 17) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The length of buf[a, limit) cut back to a UTF-8 character boundary. */
function cutAt(buf: Buffer, a: number, limit: number): number {
  let i = limit;
  while (i > a && (buf[i]! & 0xc0) === 0x80) i--;
  return i - a;
}
