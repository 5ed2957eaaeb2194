/**
 * Journal cursors in journalctl's text form,
 * `s=<seqnum_id>;i=<seqnum>;b=<boot_id>;m=<monotonic>;t=<realtime>;x=<xor_hash>` (numbers in
 * lower-case hex), so a position saved by the journalctl follower resumes the file reader and back.
 * @module
 */
import type { JournalEntry } from './journal-file.js';

/** JournalCursor is a parsed cursor; a part the text lacks is undefined. */
export interface JournalCursor {
  readonly seqnumId: string | undefined;
  readonly seqnum: number | undefined;
  readonly bootId: string | undefined;
  readonly monotonic: number | undefined;
  readonly realtime: number | undefined;
  /** xor_hash as 16 hex digits (compared as text). */
  readonly xorHash: string | undefined;
}

const ID = /^[0-9a-f]{32}$/;
const HEX = /^[0-9a-f]{1,16}$/;

/** parseJournalCursor parses a cursor; undefined when it is not one journalctl could seek to. */
export function parseJournalCursor(text: string): JournalCursor | undefined {
  let seqnumId: string | undefined;
  let seqnum: number | undefined;
  let bootId: string | undefined;
  let monotonic: number | undefined;
  let realtime: number | undefined;
  let xorHash: string | undefined;
  for (const part of text.split(';')) {
    if (part.length < 3 || part[1] !== '=') return undefined;
    const v = part.slice(2);
    switch (part[0]) {
      case 's':
        if (!ID.test(v)) return undefined;
        seqnumId = v;
        break;
      case 'b':
        if (!ID.test(v)) return undefined;
        bootId = v;
        break;
      case 'i':
      case 'm':
      case 't':
      case 'x': {
        if (!HEX.test(v)) return undefined;
        if (part[0] === 'x') xorHash = v.padStart(16, '0');
        else {
          const n = parseInt(v, 16);
          if (part[0] === 'i') seqnum = n;
          else if (part[0] === 'm') monotonic = n;
          else realtime = n;
        }
        break;
      }
      default:
        // journalctl ignores parts it does not know.
        break;
    }
  }
  const bySeqnum = seqnumId !== undefined && seqnum !== undefined;
  const byMonotonic = bootId !== undefined && monotonic !== undefined;
  if (!bySeqnum && !byMonotonic && realtime === undefined) return undefined;
  return { seqnumId, seqnum, bootId, monotonic, realtime, xorHash };
}

const HEXDIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** writeJournalCursor writes the cursor of `e` (in a file whose seqnum id is the 32 hex bytes `seqnumId`) into `out` at `pos`; returns the end. Needs ≤ 160 bytes. */
export function writeJournalCursor(out: Buffer, pos: number, seqnumId: Buffer, e: JournalEntry): number {
  let p = pos;
  out[p++] = 115; // s
  out[p++] = 61;
  for (let i = 0; i < 32; i++) out[p++] = seqnumId[i]!;
  p = tag(out, p, 105);
  p = hex(out, p, e.seqnum);
  p = tag(out, p, 98);
  const boot = e.bootBytes;
  for (let i = 0; i < 16; i++) {
    out[p++] = HEXDIGITS[boot[i]! >>> 4]!;
    out[p++] = HEXDIGITS[boot[i]! & 15]!;
  }
  p = tag(out, p, 109);
  p = hex(out, p, e.monotonic);
  p = tag(out, p, 116);
  p = hex(out, p, e.realtime);
  p = tag(out, p, 120);
  if (e.xorHi !== 0) {
    p = hex(out, p, e.xorHi);
    for (let s = 28; s >= 0; s -= 4) out[p++] = HEXDIGITS[(e.xorLo >>> s) & 15]!;
  } else p = hex(out, p, e.xorLo);
  return p;
}

/** formatJournalCursor is the cursor of `e` as text. */
export function formatJournalCursor(seqnumId: string, e: JournalEntry): string {
  const b = Buffer.allocUnsafe(160);
  return b.toString('latin1', 0, writeJournalCursor(b, 0, Buffer.from(seqnumId, 'latin1'), e));
}

function tag(out: Buffer, p: number, c: number): number {
  out[p] = 59; // ;
  out[p + 1] = c;
  out[p + 2] = 61;
  return p + 3;
}

/** Lower-case hex of a whole number below 2^53, without leading zeros. */
function hex(out: Buffer, p: number, v: number): number {
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v >>> 0;
  let started = false;
  if (hi !== 0) {
    for (let s = 28; s >= 0; s -= 4) {
      const d = (hi >>> s) & 15;
      if (d !== 0 || started) {
        out[p++] = HEXDIGITS[d]!;
        started = true;
      }
    }
  }
  for (let s = 28; s >= 0; s -= 4) {
    const d = (lo >>> s) & 15;
    if (d !== 0 || started || s === 0) {
      out[p++] = HEXDIGITS[d]!;
      started = true;
    }
  }
  return p;
}

/** writeDecimal writes a whole number below 2^53 in decimal; returns the end. */
export function writeDecimal(out: Buffer, p: number, v: number): number {
  if (v < 10) {
    out[p] = 48 + v;
    return p + 1;
  }
  let n = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) n++;
  let q = p + n - 1;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) out[q--] = 48 + (x % 10);
  return p + n;
}
