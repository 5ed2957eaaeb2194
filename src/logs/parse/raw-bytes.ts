/**
 * Byte-faithful storage of input that is not valid UTF-8.
 *
 * Entries hold text. When the bytes a line came from are not valid UTF-8, `line` holds them
 * decoded with U+FFFD for each invalid sequence (what people read and LogQL matches), and the
 * field `raw_base64` holds the exact bytes, base64-encoded: the received record for text
 * formats (for a multi-line group, its input lines joined with LF), the MESSAGE bytes for
 * journald records. `rawBytes(entry)` gives the exact bytes back in every case, so nothing is
 * lost. NUL bytes are valid UTF-8 and stay in `line` as U+0000.
 * @module
 */
import { isUtf8 } from 'node:buffer';

/** RAW_FIELD holds the base64 of the original bytes when they are not valid UTF-8. */
export const RAW_FIELD = 'raw_base64';

/** rawBytes returns the exact bytes an entry's line stands for. */
export function rawBytes(entry: { readonly line: string; readonly fields?: Readonly<Record<string, string>> }): Buffer {
  const raw = entry.fields?.[RAW_FIELD];
  return raw === undefined ? Buffer.from(entry.line, 'utf8') : Buffer.from(raw, 'base64');
}

/** isValidUtf8 tells whether buf[start, end) is valid UTF-8. */
export function isValidUtf8(buf: Buffer, start = 0, end = buf.length): boolean {
  return isUtf8(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
}
