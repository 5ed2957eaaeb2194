/**
 * UTF-8 helpers tuned for label strings: short and mostly ASCII, so the ASCII case avoids the
 * TextEncoder/TextDecoder call overhead.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** utf8Length returns the number of bytes `s` takes in UTF-8 (lone surrogates count as U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 4 bytes for 2 code units
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/**
 * encodeUtf8Into writes `s` at buf[off] and returns the offset after it. The caller makes room
 * for `utf8Length(s)` bytes.
 */
export function encodeUtf8Into(buf: Uint8Array, off: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[off + i] = c;
  }
  if (i === n) return off + n;
  const r = encoder.encodeInto(s.slice(i), buf.subarray(off + i));
  return off + i + r.written;
}

/** decodeUtf8 decodes buf[start:end); invalid sequences become U+FFFD. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 24) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(start, end));
}
