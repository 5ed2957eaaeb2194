/**
 * Export records: an entry of a journal file in journal export format, byte for byte as
 * `journalctl -o export` writes it: `__CURSOR`, `__REALTIME_TIMESTAMP`, `__MONOTONIC_TIMESTAMP`,
 * `_BOOT_ID` from the entry, then its fields in item order (a `_BOOT_ID` field and invalid
 * names left out), then a blank line.
 * @module
 */
import { writeDecimal, writeJournalCursor } from './journal-cursor.js';
import type { JournalData } from './journal-data.js';
import type { JournalEntry } from './journal-file.js';

const CURSOR = Buffer.from('__CURSOR=', 'latin1');
const REALTIME = Buffer.from('\n__REALTIME_TIMESTAMP=', 'latin1');
const MONOTONIC = Buffer.from('\n__MONOTONIC_TIMESTAMP=', 'latin1');
const BOOT = Buffer.from('\n_BOOT_ID=', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');

function put(out: Buffer, p: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) out[p + i] = b[i]!;
  return p + b.length;
}

function writeHex(out: Buffer, p: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    out[p++] = HEX[b[i]! >>> 4]!;
    out[p++] = HEX[b[i]! & 15]!;
  }
  return p;
}

/** exportRecordSize is an upper bound of the record's size in bytes. */
export function exportRecordSize(data: readonly JournalData[], n: number): number {
  let size = 200;
  for (let k = 0; k < n; k++) size += data[k]!.exported.length;
  return size;
}

/** writeExportRecord writes the record of `e` (in a file whose seqnum id is the hex bytes `seqnumId`) with DATA objects `data[0, n)` at `p`; returns the end. */
export function writeExportRecord(out: Buffer, p: number, seqnumId: Buffer, e: JournalEntry, data: readonly JournalData[], n: number): number {
  p = put(out, p, CURSOR);
  p = writeJournalCursor(out, p, seqnumId, e);
  p = put(out, p, REALTIME);
  p = writeDecimal(out, p, e.realtime);
  p = put(out, p, MONOTONIC);
  p = writeDecimal(out, p, e.monotonic);
  p = put(out, p, BOOT);
  p = writeHex(out, p, e.bootBytes);
  out[p++] = 10;
  for (let k = 0; k < n; k++) {
    const d = data[k]!;
    if (d.skipExport) continue; // _BOOT_ID: written above, as journalctl does
    const x = d.exported;
    out.set(x, p);
    p += x.length;
  }
  out[p++] = 10;
  return p;
}
