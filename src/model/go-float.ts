/**
 * Float formatting exactly as Go's strconv.FormatFloat with precision -1 (shortest
 * round-trip digits), which is how Prometheus prints values: 'g' in the exposition format and
 * PromQL strings, 'f' in the HTTP API's JSON. JS already finds the shortest digits; only the
 * layout differs.
 * @module
 */

// shortestDigits returns the significant digits and decimal exponent of |v| (finite, non-zero):
// v = 0.d1d2d3… × 10^dp.
function shortestDigits(v: number): { digits: string; dp: number } {
  const s = Math.abs(v).toExponential(); // "d.ddde±x", shortest round-trip digits
  const e = s.indexOf('e');
  const digits = s.slice(0, e).replace('.', '');
  return { digits, dp: Number(s.slice(e + 1)) + 1 };
}

/** formatFloatG formats like Go's strconv.FormatFloat(v, 'g', -1, 64), with +Inf/-Inf/NaN. */
export function formatFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, dp } = shortestDigits(v);
  const sign = v < 0 ? '-' : '';
  const exp = dp - 1;
  // Go: with the shortest precision, %e is chosen when exp < -4 || exp >= 6 (eprec = 6).
  if (exp < -4 || exp >= 6) return sign + expForm(digits, exp);
  return sign + fixedForm(digits, dp);
}

function expForm(digits: string, exp: number): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = exp < 0 ? '-' : '+';
  const ea = Math.abs(exp);
  return `${mant}e${es}${ea < 10 ? '0' : ''}${ea}`;
}

function fixedForm(digits: string, dp: number): string {
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= digits.length) return digits + '0'.repeat(dp - digits.length);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}

/** formatFloatF formats like Go's strconv.FormatFloat(v, 'f', -1, 64), with +Inf/-Inf/NaN. */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, dp } = shortestDigits(v);
  return (v < 0 ? '-' : '') + fixedForm(digits, dp);
}
