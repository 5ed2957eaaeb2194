/**
 * JournalData: one DATA object of a journal file as the reader hands it out (its `FIELD=value`
 * payload, decoded), with its export-format form (`NAME=value\n`, or the binary-safe form when
 * the value is not printable text, as journalctl decides) made on first use.
 * @module
 */
import { isUtf8 } from 'node:buffer';

/** JournalData is one DATA object: its `NAME=value` payload, decoded, and its export-format encoding. */
export interface JournalData {
  readonly offset: number;
  /** The payload (decompressed); empty when `error` is set. */
  readonly payload: Buffer;
  /** Length of the field name (the position of '='). */
  readonly nameLength: number;
  /** The field as export format writes it (`NAME=value\n`, or binary-safe when the value is not printable text), made on first use. */
  readonly exported: Buffer;
  /** Why the payload could not be read ('' when it could). */
  readonly error: string;
  /** Whether the name is a valid journal field name (upper-case letters, digits, underscores, not a digit first, ≤ 64): export output skips others. */
  readonly validName: boolean;
  /** Whether export output leaves the field out of the field list: `_BOOT_ID` (written with the address fields) or an invalid name. */
  readonly skipExport: boolean;
  /** The payload as a latin1 string, made on first use by field matching. */
  key: string | undefined;
  /** A consumer's derived form of the object, kept with it (JournalEntryEncoder's). */
  encoded: object | undefined;
}

/** A DATA object as JournalData, its export form made on first use. */
export class Data implements JournalData {
  key: string | undefined = undefined;
  encoded: object | undefined = undefined;
  #exported: Buffer | undefined;
  constructor(
    readonly offset: number,
    readonly payload: Buffer,
    readonly nameLength: number,
    readonly error: string,
    readonly validName: boolean,
    readonly skipExport: boolean,
  ) {}

  get exported(): Buffer {
    return (this.#exported ??= this.error === '' ? exportField(this.payload, this.nameLength) : Buffer.alloc(0));
  }
}

/** journal_field_valid with protected (leading underscore) names allowed. */
export function validName(p: Buffer, n: number): boolean {
  if (n > 64 || (p[0]! >= 48 && p[0]! <= 57)) return false;
  for (let i = 0; i < n; i++) {
    const c = p[i]!;
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** Whether export format writes the value as text: valid UTF-8 without control characters (tab allowed; newline, DEL and C1 not). */
function printable(p: Buffer, a: number): boolean {
  let high = false;
  for (let i = a; i < p.length; i++) {
    const c = p[i]!;
    if (c < 32) {
      if (c !== 9) return false;
    } else if (c === 127) return false;
    else if (c >= 128) {
      high = true;
      if (c === 0xc2 && i + 1 < p.length && p[i + 1]! >= 0x80 && p[i + 1]! <= 0x9f) return false;
    }
  }
  return !high || isUtf8(p.subarray(a));
}

/** The export-format encoding of a `NAME=value` payload. */
function exportField(payload: Buffer, eq: number): Buffer {
  if (printable(payload, eq + 1)) {
    const out = Buffer.allocUnsafe(payload.length + 1);
    payload.copy(out, 0);
    out[payload.length] = 10;
    return out;
  }
  const n = payload.length - eq - 1;
  const out = Buffer.allocUnsafe(eq + 1 + 8 + n + 1);
  payload.copy(out, 0, 0, eq);
  out[eq] = 10;
  out.writeUInt32LE(n >>> 0, eq + 1);
  out.writeUInt32LE(Math.floor(n / 0x1_0000_0000), eq + 5);
  payload.copy(out, eq + 9, eq + 1);
  out[out.length - 1] = 10;
  return out;
}
