/**
 * Byte classes of the exposition formats' names, as lookup tables for the scanners.
 * @module
 */

/** Bit set in CHAR_CLASS for `[a-zA-Z_:]`, a metric name's first byte. */
export const METRIC_START = 1;
/** Bit set for `[a-zA-Z0-9_:]`, a metric name's later bytes. */
export const METRIC_CHAR = 2;
/** Bit set for `[a-zA-Z_]`, a label name's first byte. */
export const LABEL_START = 4;
/** Bit set for `[a-zA-Z0-9_]`, a label name's later bytes. */
export const LABEL_CHAR = 8;

/** CHAR_CLASS maps a byte to its class bits. */
export const CHAR_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    const digit = c >= 0x30 && c <= 0x39;
    if (alpha || c === 0x5f || c === 0x3a) t[c]! |= METRIC_START | METRIC_CHAR;
    if (digit) t[c]! |= METRIC_CHAR | LABEL_CHAR;
    if (alpha || c === 0x5f) t[c]! |= LABEL_START | LABEL_CHAR;
  }
  return t;
})();

/** isLegacyMetricName tells whether s matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isLegacyMetricName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (CHAR_CLASS[c]! & (i === 0 ? METRIC_START : METRIC_CHAR)) === 0) return false;
  }
  return true;
}

/** isLegacyLabelName tells whether s matches `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isLegacyLabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (CHAR_CLASS[c]! & (i === 0 ? LABEL_START : LABEL_CHAR)) === 0) return false;
  }
  return true;
}
