/**
 * Number scanning over bytes, with the syntax Prometheus's parsers accept: Go's
 * strconv.ParseFloat restricted to decimal notation (Prometheus rejects hexadecimal floats and
 * digit separators), `inf`/`infinity` with an optional sign and `nan`, all case-insensitive.
 * Results are written into a caller's Float64Array so the hot loop allocates nothing.
 * @module
 */

// Exact powers of ten: a mantissa below 2^53 times or divided by one of these is correctly
// rounded in one IEEE operation (Clinger's fast path).
const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

const MAX_FAST_DIGITS = 15;

/**
 * scanFloat parses `b[start, end)` as a float with Go's ParseFloat syntax (decimal only) and
 * writes it to `out[0]`. Returns false for bad syntax or a finite literal out of float64 range,
 * as Go does; `out` is then unspecified.
 */
export function scanFloat(b: Uint8Array, start: number, end: number, out: Float64Array): boolean {
  let i = start;
  if (i >= end) return false;
  let c = b[i]!;
  let neg = false;
  if (c === 0x2b || c === 0x2d) {
    neg = c === 0x2d;
    if (++i >= end) return false;
    c = b[i]!;
    if ((c | 0x20) === 0x69) return scanInf(b, i, end, neg, out);
  } else if ((c | 0x20) === 0x69) {
    return scanInf(b, i, end, false, out);
  } else if ((c | 0x20) === 0x6e) {
    if (end - i === 3 && (b[i + 1]! | 0x20) === 0x61 && (b[i + 2]! | 0x20) === 0x6e) {
      out[0] = NaN;
      return true;
    }
    return false;
  }
  let mant = 0;
  let nd = 0; // significant digits folded into mant
  let exact = true; // false once a non-zero digit did not fit into mant
  let dp = 0; // decimal exponent adjustment from digits after the point or dropped digits
  let sawDigits = false;
  let sawDot = false;
  for (; i < end; i++) {
    c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      sawDigits = true;
      if (nd < MAX_FAST_DIGITS) {
        if (c === 0x30 && nd === 0) {
          if (sawDot) dp--; // leading zero after the point
          continue;
        }
        mant = mant * 10 + (c - 0x30);
        nd++;
        if (sawDot) dp--;
      } else {
        if (c !== 0x30) exact = false;
        if (!sawDot) dp++;
      }
    } else if (c === 0x2e) {
      if (sawDot) return false;
      sawDot = true;
    } else {
      break;
    }
  }
  if (!sawDigits) return false;
  let exp = 0;
  if (i < end) {
    if ((c | 0x20) !== 0x65) return false;
    if (++i >= end) return false;
    let eneg = false;
    c = b[i]!;
    if (c === 0x2b || c === 0x2d) {
      eneg = c === 0x2d;
      if (++i >= end) return false;
    }
    const digitsStart = i;
    for (; i < end; i++) {
      c = b[i]!;
      if (c < 0x30 || c > 0x39) return false;
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
    }
    if (i === digitsStart) return false;
    if (eneg) exp = -exp;
  }
  const e = exp + dp;
  if (exact && mant === 0) {
    out[0] = neg ? -0 : 0;
    return true;
  }
  if (exact && e >= -22 && e <= 22) {
    const v = e >= 0 ? mant * POW10[e]! : mant / POW10[-e]!;
    out[0] = neg ? -v : v;
    return true;
  }
  // Slow path: the syntax is valid decimal, which JS converts with correct rounding.
  const v = Number(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1'));
  if (v === Infinity || v === -Infinity) return false; // Go reports ErrRange
  out[0] = v;
  return true;
}

function scanInf(b: Uint8Array, i: number, end: number, neg: boolean, out: Float64Array): boolean {
  const n = end - i;
  if (n !== 3 && n !== 8) return false;
  const word = 'infinity';
  for (let k = 0; k < n; k++) if ((b[i + k]! | 0x20) !== word.charCodeAt(k)) return false;
  out[0] = neg ? -Infinity : Infinity;
  return true;
}

const INT64_MAX_DIGITS = '9223372036854775807';

/**
 * scanInt64 parses `b[start, end)` as a signed decimal int64 (Go's ParseInt base 10: optional
 * sign, digits only) into `out[0]`. Returns false on bad syntax or overflow. Values beyond
 * 2^53 lose precision, which millisecond timestamps never reach.
 */
export function scanInt64(b: Uint8Array, start: number, end: number, out: Float64Array): boolean {
  let i = start;
  if (i >= end) return false;
  let neg = false;
  const c0 = b[i]!;
  if (c0 === 0x2b || c0 === 0x2d) {
    neg = c0 === 0x2d;
    i++;
  }
  if (i >= end) return false;
  while (i < end - 1 && b[i] === 0x30) i++; // leading zeros do not count towards overflow
  const digits = end - i;
  let v = 0;
  for (let k = i; k < end; k++) {
    const c = b[k]!;
    if (c < 0x30 || c > 0x39) return false;
    v = v * 10 + (c - 0x30);
  }
  if (digits > 19) return false;
  if (digits === 19) {
    for (let k = 0; k < 19; k++) {
      const d = b[i + k]!;
      const m = INT64_MAX_DIGITS.charCodeAt(k);
      if (d !== m) {
        // -9223372036854775808 is the one value whose magnitude exceeds the maximum.
        if (d > m && !(neg && k === 18 && d === m + 1)) return false;
        break;
      }
    }
  }
  // Beyond 15 digits the running product rounds more than once; let JS round the literal.
  if (digits > 15) v = Number(Buffer.from(b.buffer, b.byteOffset + i, digits).toString('latin1'));
  out[0] = neg ? -v : v;
  return true;
}
