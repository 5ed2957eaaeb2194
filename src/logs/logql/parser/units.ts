/**
 * Units LogQL reads in queries and label values: Go durations (`1.5s`, `250ms`, `1h30m`),
 * Prometheus durations with days, weeks and years (`[7d]`), and byte sizes as go-humanize
 * parses them (`10KB` = 10 000, `10KiB` = 10 240).
 * @module
 */

const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  '\u00b5s': 1e-6,
  '\u03bcs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const PROM_UNITS: Readonly<Record<string, number>> = { ...GO_UNITS, d: 86400, w: 604800, y: 31536000 };

/**
 * parseGoDuration parses Go's time.ParseDuration syntax and returns seconds, or undefined.
 * With `prometheusUnits`, `d`, `w` and `y` are accepted too.
 */
export function parseGoDuration(s: string, prometheusUnits = false): number | undefined {
  const units = prometheusUnits ? PROM_UNITS : GO_UNITS;
  let i = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    const m = /^([0-9]*)(\.[0-9]*)?/.exec(s.slice(i))!;
    if (m[0] === '' || m[0] === '.') return undefined;
    const num = Number(m[0].endsWith('.') ? m[0].slice(0, -1) : m[0]);
    i += m[0].length;
    const u = /^[^0-9.]+/.exec(s.slice(i));
    if (u === null) return undefined;
    // Longest known unit prefix of the letters.
    let unit = '';
    for (const k of Object.keys(units)) if (u[0].startsWith(k) && k.length > unit.length) unit = k;
    if (unit === '') return undefined;
    total += num * units[unit]!;
    i += unit.length;
  }
  return sign * total;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1e15,
  pb: 1e15,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
  e: 1e18,
  eb: 1e18,
  ei: 1024 ** 6,
  eib: 1024 ** 6,
};

/** parseBytes parses a byte size as go-humanize's ParseBytes does; undefined when invalid. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*$/.exec(s);
  if (m === null) return undefined;
  const num = Number(m[1]!.replace(/,/g, ''));
  const mul = BYTE_UNITS[m[2]!.toLowerCase()];
  if (mul === undefined || Number.isNaN(num)) return undefined;
  return Math.floor(num * mul);
}
