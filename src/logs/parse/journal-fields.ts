/**
 * journald entries (from `journalctl -o json` and `-o export`) into ParsedLine: MESSAGE is
 * the line; `_SYSTEMD_UNIT`, `_HOSTNAME`, `SYSLOG_IDENTIFIER`, `CONTAINER_NAME` become the
 * labels `unit`, `host`, `identifier`, `container`, PRIORITY the `level`; every other field
 * stays a field under its journald name. The time is `_SOURCE_REALTIME_TIMESTAMP` when
 * present (what journalctl prints), else `__REALTIME_TIMESTAMP`, else the arrival time.
 * @module
 */
import { levelFromSeverity } from './level.js';
import type { ParseContext } from './parse-context.js';
import { LogFormat, type ParsedLine } from './parsed-line.js';
import { RAW_FIELD, isValidUtf8 } from './raw-bytes.js';
import { parseEpoch } from './timestamp.js';

/** JOURNAL_LABEL_FIELDS maps the journald fields that become stream labels to their label names. */
export const JOURNAL_LABEL_FIELDS: Readonly<Record<string, 'unit' | 'host' | 'identifier' | 'container'>> = {
  _SYSTEMD_UNIT: 'unit',
  _HOSTNAME: 'host',
  SYSLOG_IDENTIFIER: 'identifier',
  CONTAINER_NAME: 'container',
};

/** labelSlot returns where a label field's value is kept (the order of JOURNAL_LABEL_FIELDS), or -1. */
function labelSlot(name: string): number {
  switch (name) {
    case '_SYSTEMD_UNIT':
      return 0;
    case '_HOSTNAME':
      return 1;
    case 'SYSLOG_IDENTIFIER':
      return 2;
    case 'CONTAINER_NAME':
      return 3;
    default:
      return -1;
  }
}

/**
 * JournalRecord collects the fields of one journald entry and writes the entry. Values are
 * text; a field given several times is kept as a JSON array of its values.
 */
export class JournalRecord {
  #fields: Record<string, string> = {};
  #fieldCount = 0;
  // Values of the label fields (by LABEL_SLOT), kept out of #fields: a label field never becomes a field.
  readonly #labels: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  #labelCount = 0;
  #multi: Map<string, string[]> | undefined;
  #message: string | undefined;
  #messageRaw: Buffer | undefined;
  #source = '';
  #realtime = '';
  #priority = '';

  /** reset starts a new record. */
  reset(): void {
    this.#fields = {};
    this.#fieldCount = 0;
    if (this.#labelCount > 0) {
      this.#labels.fill(undefined);
      this.#labelCount = 0;
    }
    this.#multi = undefined;
    this.#message = undefined;
    this.#messageRaw = undefined;
    this.#source = '';
    this.#realtime = '';
    this.#priority = '';
  }

  /** empty tells whether nothing was added since reset. */
  get empty(): boolean {
    return this.#message === undefined && !this.#hasFields() && this.#labelCount === 0;
  }

  /** add adds one field value; `raw` gives the value's bytes when they are not valid UTF-8. */
  add(name: string, value: string, raw?: Buffer): void {
    if (name === 'MESSAGE') {
      if (this.#message === undefined) {
        this.#message = value;
        this.#messageRaw = raw;
      }
      return;
    }
    const slot = labelSlot(name);
    if (slot >= 0) {
      // The first value is the label; a non-UTF-8 value's bytes stay a field (`<name>_raw`).
      if (raw !== undefined) this.#set(name + '_' + RAW_FIELD, raw.toString('base64'));
      if (this.#labels[slot] === undefined) {
        this.#labels[slot] = value;
        this.#labelCount++;
      }
      return;
    }
    if (name === '_SOURCE_REALTIME_TIMESTAMP' && this.#source === '') this.#source = value;
    else if (name === '__REALTIME_TIMESTAMP' && this.#realtime === '') this.#realtime = value;
    else if (name === 'PRIORITY' && this.#priority === '') this.#priority = value;
    if (raw !== undefined) this.#set(name + '_' + RAW_FIELD, raw.toString('base64'));
    const prev = this.#fields[name];
    if (prev === undefined) {
      this.#set(name, value);
      return;
    }
    this.#multi ??= new Map();
    let list = this.#multi.get(name);
    if (list === undefined) {
      list = [prev];
      this.#multi.set(name, list);
    }
    list.push(value);
    this.#fields[name] = JSON.stringify(list);
  }

  /** Whether the record has fields; counted, except after a repeated name (rare; then the object is asked). */
  #hasFields(): boolean {
    return this.#multi === undefined ? this.#fieldCount > 0 : Object.keys(this.#fields).length > 0;
  }

  #set(name: string, value: string): void {
    const f = this.#fields;
    const prev = f[name];
    f[name] = value;
    // Own values are strings; anything else was inherited (`toString`), and `__proto__` stays unset.
    if (prev === undefined || (typeof prev !== 'string' && Object.hasOwn(f, name))) this.#fieldCount++;
  }

  /** addList adds a multi-valued field at once (journalctl -o json writes them as arrays). */
  addList(name: string, values: readonly string[]): void {
    if (name === 'MESSAGE') {
      if (values.length > 0) this.add(name, values[0]!);
      return;
    }
    if (values.length === 1) this.add(name, values[0]!);
    else if (values.length > 1) {
      const slot = labelSlot(name);
      if (slot < 0) this.#set(name, JSON.stringify(values));
      else {
        // As a field it would be the JSON array, and a label takes the field's value.
        if (this.#labels[slot] === undefined) this.#labelCount++;
        this.#labels[slot] = JSON.stringify(values);
      }
    }
  }

  /** write fills `out` with the entry (format journal-json or journal-export). */
  write(ctx: ParseContext, out: ParsedLine, arrivalMs: number, format: LogFormat): void {
    out.reset(arrivalMs);
    out.format = format;
    const f = this.#fields;
    if (this.#labelCount > 0) {
      const l = this.#labels;
      if (l[0] !== undefined) out.unit = l[0];
      if (l[1] !== undefined) out.host = l[1];
      if (l[2] !== undefined) out.identifier = l[2];
      if (l[3] !== undefined) out.container = l[3];
    }
    if (this.#priority !== '') {
      const p = Number(this.#priority);
      if (Number.isInteger(p)) out.level = levelFromSeverity(p);
    }
    const tr = ctx.time;
    if ((this.#source !== '' && parseEpoch(this.#source, 0, this.#source.length, tr)) || (this.#realtime !== '' && parseEpoch(this.#realtime, 0, this.#realtime.length, tr))) {
      out.setTime(tr.t, tr.ns);
    }
    out.line = this.#message ?? '';
    if (this.#messageRaw !== undefined) this.#set(RAW_FIELD, this.#messageRaw.toString('base64'));
    out.fields = this.#hasFields() ? f : undefined;
  }
}

/** bytesToText decodes a journald byte-array value; `raw` is set when it is not valid UTF-8. */
export function bytesToText(bytes: readonly number[]): { text: string; raw: Buffer | undefined } {
  const b = Buffer.from(bytes);
  const text = b.toString('utf8');
  return { text, raw: isValidUtf8(b) ? undefined : b };
}

/**
 * parseJournalJson fills `out` from one `journalctl -o json` object. Values are strings,
 * byte arrays (non-UTF-8 or binary values), arrays of those (multi-valued fields) or null
 * (values over 4096 bytes, left out).
 */
export function parseJournalJson(ctx: ParseContext, obj: Readonly<Record<string, unknown>>, rec: JournalRecord, arrivalMs: number, out: ParsedLine): void {
  rec.reset();
  for (const name of Object.keys(obj)) addJournalJsonValue(rec, name, obj[name]);
  rec.write(ctx, out, arrivalMs, LogFormat.JournalJson);
}

/** Adds one member of a `journalctl -o json` object as JSON.parse gives it; other types are left out. */
function addJournalJsonValue(rec: JournalRecord, name: string, v: unknown): void {
  if (typeof v === 'string') rec.add(name, v);
  else if (typeof v === 'number') rec.add(name, String(v));
  else if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'number')) {
      const { text, raw } = bytesToText(v as number[]);
      rec.add(name, text, raw);
    } else {
      const values: string[] = [];
      for (const x of v) {
        if (typeof x === 'string') values.push(x);
        else if (Array.isArray(x) && x.every((y) => typeof y === 'number')) values.push(bytesToText(x as number[]).text);
      }
      rec.addList(name, values);
    }
  }
}
