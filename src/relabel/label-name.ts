/**
 * Label name and value validity as Prometheus 2.42 checks them.
 * @module
 */

/** isValidLabelName tells whether s matches `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus's legacy label names). */
export function isValidLabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

/** isValidLabelValue tells whether s is valid Unicode (no lone surrogates), like Go's utf8.ValidString. */
export function isValidLabelValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}
