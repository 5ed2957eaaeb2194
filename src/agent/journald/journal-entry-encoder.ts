/**
 * JournalEntryEncoder: turns an entry of the file reader straight into a JournalExportEntry,
 * with the meaning JournalExportReader gives the same entry's export record, without writing and
 * parsing that record. Each DATA object's part is worked out once and kept on the object (the
 * JSON bytes of a field, the text of a label, the level of a PRIORITY), so an entry costs about
 * a copy of its fields' bytes. Entries outside the common case (a field given twice, a value
 * that is not UTF-8 or longer than the field limit, a `__` field) are refused: the caller then
 * takes the export record path, which handles them.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { levelFromSeverity, type Level } from '../../logs/parse/index.js';
import { JSON_ESCAPES, micros as readMicros, type JournalExportEntry } from './journal-export-reader.js';
import type { JournalData, JournalEntry } from './journal-file.js';

const Kind = { Field: 0, Message: 1, SourceRealtime: 2, Priority: 3, Unit: 4, Host: 5, Identifier: 6, Container: 7, Refuse: 8 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const SPECIAL: Readonly<Record<string, Kind>> = {
  MESSAGE: Kind.Message,
  _SOURCE_REALTIME_TIMESTAMP: Kind.SourceRealtime,
  PRIORITY: Kind.Priority,
  _SYSTEMD_UNIT: Kind.Unit,
  _HOSTNAME: Kind.Host,
  SYSLOG_IDENTIFIER: Kind.Identifier,
  CONTAINER_NAME: Kind.Container,
};

interface NameSlot {
  seen: number;
}

/** What a DATA object means to the encoder (kept on the object). */
interface Encoded {
  readonly kind: Kind;
  readonly name: NameSlot;
  /** `"NAME":"value"` for the fields that go into the JSON object. */
  readonly json: Buffer | undefined;
  /** The value's text (MESSAGE and the label fields). */
  readonly text: string;
  /** Whether the value is empty. */
  readonly empty: boolean;
  readonly level: Level | '';
  /** _SOURCE_REALTIME_TIMESTAMP in µs, -1 when not digits. */
  readonly micros: number;
}

// The export reader's JSON escapes, as bytes.
const ESC: readonly (Buffer | undefined)[] = JSON_ESCAPES.map((e) => (e === 0 ? undefined : Buffer.from(e)));
const MAX_NAMES = 4096;
const MESSAGE_NAME = Buffer.from('MESSAGE', 'latin1');

/** JournalEntryEncoderOptions configure an encoder (as the JournalExportReader it stands in for). */
export interface JournalEntryEncoderOptions {
  /** A longer value makes the entry take the export path (which cuts it; default 256 KiB). */
  readonly maxFieldBytes?: number;
}

/** JournalEntryEncoder fills JournalExportEntry objects from file reader entries. */
export class JournalEntryEncoder {
  readonly #maxField: number;
  readonly #names = new Map<string, NameSlot>();
  #stamp = 0;
  #out = Buffer.allocUnsafe(16 * 1024);
  #bootBytes: Buffer | undefined;
  #bootJson = Buffer.alloc(0);
  // The previous entry, for the common run of entries that differ only in MESSAGE: its DATA
  // objects, the slot of its one MESSAGE (-1: no run to continue), its source time, and what
  // it gave but its time and line (#result). Its boot is #bootBytes.
  #prev: JournalData[] = [];
  #prevN = 0;
  #prevMsg = -1;
  #prevTime = -2;
  readonly #result: JournalExportEntry = { t: 0, ns: 0, timed: true, cursor: '', line: '', level: '', unit: '', host: '', identifier: '', container: '', fieldsJson: undefined };

  constructor({ maxFieldBytes = 256 * 1024 }: JournalEntryEncoderOptions = {}) {
    this.#maxField = maxFieldBytes;
  }

  /**
   * encode fills `out` (cursor left '') from entry `e` and its DATA objects `data[0, n)`, the
   * address fields left out; false when the entry needs the export path. `fieldsJson` is valid
   * until the next call.
   */
  encode(e: JournalEntry, data: readonly JournalData[], n: number, out: JournalExportEntry): boolean {
    // A limit under the boot id's 32 digits would cut _BOOT_ID too: the export path does that.
    if (this.#maxField < 32) return false;
    if (this.#prevMsg >= 0 && n === this.#prevN && e.bootBytes === this.#bootBytes && this.#again(e, data, n, out)) return true;
    this.#prevMsg = -1;
    const stamp = ++this.#stamp;
    let line = '';
    let unit = '';
    let host = '';
    let identifier = '';
    let container = '';
    let level: Level | '' = '';
    let hasMessage = false;
    let priorityTaken = false;
    let srcTime = -2;
    let msgSlot = -1;
    let messages = 0;
    if (e.bootBytes !== this.#bootBytes) {
      this.#bootBytes = e.bootBytes;
      this.#bootJson = Buffer.from(`{"_BOOT_ID":"${e.bootId}"`, 'latin1');
    }
    let size = this.#bootJson.length + 1;
    for (let k = 0; k < n; k++) {
      const d = data[k]!;
      if (d.skipExport) continue;
      const x = (d.encoded ??= this.#encodeData(d)) as Encoded;
      if (x.kind === Kind.Refuse) return false;
      const dup = x.name.seen === stamp;
      x.name.seen = stamp;
      switch (x.kind) {
        case Kind.Message:
          messages++;
          if (!hasMessage) {
            hasMessage = true;
            line = x.text;
            msgSlot = k;
          }
          continue;
        case Kind.Unit:
          if (!dup) unit = x.text;
          continue;
        case Kind.Host:
          if (!dup) host = x.text;
          continue;
        case Kind.Identifier:
          if (!dup) identifier = x.text;
          continue;
        case Kind.Container:
          if (!dup) container = x.text;
          continue;
        case Kind.Priority:
          if (dup) return false;
          if (!priorityTaken && !x.empty) {
            priorityTaken = true;
            level = x.level;
          }
          break;
        case Kind.SourceRealtime:
          if (dup) return false;
          if (srcTime === -2 && !x.empty) srcTime = x.micros;
          break;
        default:
          if (dup) return false;
      }
      size += x.json!.length + 1;
    }
    if (this.#out.length < size) this.#out = Buffer.allocUnsafe(Math.max(size, this.#out.length * 2));
    const o = this.#out;
    let p = 0;
    o.set(this.#bootJson, 0);
    p = this.#bootJson.length;
    for (let k = 0; k < n; k++) {
      const d = data[k]!;
      if (d.skipExport) continue;
      const j = (d.encoded as Encoded).json;
      if (j === undefined) continue;
      o[p++] = 44; // ,
      o.set(j, p);
      p += j.length;
    }
    o[p++] = 125; // }
    const r = this.#result;
    r.level = level;
    r.unit = unit;
    r.host = host;
    r.identifier = identifier;
    r.container = container;
    r.fieldsJson = o.subarray(0, p);
    this.#fill(out, srcTime >= 0 ? srcTime : e.realtime, line);
    if (messages === 1) this.#remember(data, n, msgSlot, srcTime);
    return true;
  }

  /** Fills `out` with the entry's time (µs) and line and the kept result's labels, level and fields. */
  #fill(out: JournalExportEntry, t: number, line: string): void {
    const r = this.#result;
    out.t = Math.floor(t / 1000);
    out.ns = (t - out.t * 1000) * 1000;
    out.timed = true;
    out.cursor = '';
    out.line = line;
    out.level = r.level;
    out.unit = r.unit;
    out.host = r.host;
    out.identifier = r.identifier;
    out.container = r.container;
    out.fieldsJson = r.fieldsJson;
  }

  /** Keeps which DATA objects gave the result, so the next entry with the same ones but its MESSAGE is answered at once. */
  #remember(data: readonly JournalData[], n: number, msgSlot: number, srcTime: number): void {
    const prev = this.#prev;
    for (let k = 0; k < n; k++) prev[k] = data[k]!;
    this.#prevN = n;
    this.#prevMsg = msgSlot;
    this.#prevTime = srcTime;
  }

  /**
   * The previous entry's result with this entry's MESSAGE and time, when every other DATA
   * object is the previous entry's own (same object, so same field) and the MESSAGE is one the
   * encoder takes; false sends the entry through the full encoding.
   */
  #again(e: JournalEntry, data: readonly JournalData[], n: number, out: JournalExportEntry): boolean {
    const prev = this.#prev;
    const m = this.#prevMsg;
    for (let k = 0; k < n; k++) if (k !== m && data[k] !== prev[k]) return false;
    const d = data[m]!;
    if (d.skipExport) return false;
    const x = (d.encoded ??= this.#encodeData(d)) as Encoded;
    if (x.kind !== Kind.Message) return false;
    this.#fill(out, this.#prevTime >= 0 ? this.#prevTime : e.realtime, x.text);
    return true;
  }

  #encodeData(d: JournalData): Encoded {
    const p = d.payload;
    const eq = d.nameLength;
    // MESSAGE, new in nearly every entry, is known without making its name.
    const name = isMessage(p, eq) ? 'MESSAGE' : p.toString('latin1', 0, eq);
    let slot = this.#names.get(name);
    if (slot === undefined) {
      if (this.#names.size >= MAX_NAMES) this.#names.clear();
      this.#names.set(name, (slot = { seen: 0 }));
    }
    const va = eq + 1;
    const vb = p.length;
    const kind = SPECIAL[name] ?? Kind.Field;
    const empty = vb === va;
    if (kind === Kind.Message || kind === Kind.Unit || kind === Kind.Host || kind === Kind.Identifier || kind === Kind.Container) {
      if (vb - va > this.#maxField) return refused(slot);
      // Decoded first: bytes that are not UTF-8 show as U+FFFD, and only then is the value checked.
      const text = p.toString('utf8', va, vb);
      if (text.indexOf('\uFFFD') >= 0 && !isUtf8(p.subarray(va, vb))) return refused(slot);
      return { kind, name: slot, json: undefined, text, empty, level: '', micros: -1 };
    }
    if (name.startsWith('__') || vb - va > this.#maxField || !isUtf8(p.subarray(va, vb))) return refused(slot);
    let level: Level | '' = '';
    let micros = -1;
    if (kind === Kind.Priority && !empty) {
      const c = p[va]! - 48;
      const v = vb - va === 1 && c >= 0 && c <= 9 ? c : Number(p.toString('latin1', va, vb));
      level = Number.isInteger(v) ? levelFromSeverity(v) : '';
    }
    if (kind === Kind.SourceRealtime) micros = readMicros(p, va, vb);
    return { kind, name: slot, json: jsonField(p, eq), text: '', empty, level, micros };
  }
}

function refused(name: NameSlot): Encoded {
  return { kind: Kind.Refuse, name, json: undefined, text: '', empty: true, level: '', micros: -1 };
}

/** Whether payload p with its '=' at eq names MESSAGE (compared here: shorter than a native call). */
function isMessage(p: Buffer, eq: number): boolean {
  if (eq !== 7) return false;
  for (let i = 0; i < 7; i++) if (p[i] !== MESSAGE_NAME[i]) return false;
  return true;
}

/** `"NAME":"value"` with the value JSON-escaped (valid UTF-8 is copied as is). */
function jsonField(p: Buffer, eq: number): Buffer {
  let extra = 0;
  for (let i = eq + 1; i < p.length; i++) {
    const x = ESC[p[i]!];
    if (x !== undefined) extra += x.length - 1;
  }
  const out = Buffer.allocUnsafe(p.length + extra + 4);
  let o = 0;
  out[o++] = 34;
  o += p.copy(out, o, 0, eq);
  out[o++] = 34;
  out[o++] = 58;
  out[o++] = 34;
  for (let i = eq + 1; i < p.length; i++) {
    const x = ESC[p[i]!];
    if (x === undefined) out[o++] = p[i]!;
    else o += x.copy(out, o);
  }
  out[o++] = 34;
  return out;
}
