/**
 * Time and durations as Prometheus writes them. Timestamps are Unix milliseconds in a number.
 * @module
 */

/** DurationError reports a duration string that does not parse. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/**
 * parseDuration parses Prometheus's duration syntax (`1h30m`, `5m`, `10s`, `1y`, `0`) into
 * milliseconds. Units must appear at most once and from largest to smallest, as in Prometheus.
 */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new DurationError('empty duration string');
  const re = /([0-9]+)(ms|[ywdhms])/y;
  let total = 0;
  let pos = 0;
  let lastUnit = -1;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) throw new DurationError(`not a valid duration string: "${s}"`);
    const unitIdx = ORDER.indexOf(m[2]!);
    if (unitIdx <= lastUnit) throw new DurationError(`not a valid duration string: "${s}"`);
    lastUnit = unitIdx;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (!Number.isSafeInteger(total)) throw new DurationError(`duration out of range: "${s}"`);
  return total;
}

/** formatDuration prints milliseconds the way Prometheus's model.Duration.String does (`1h30m`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  if (rest < 0) {
    out = '-';
    rest = -rest;
  }
  for (const u of ORDER) {
    const size = UNITS[u]!;
    if (rest >= size) {
      const n = Math.floor(rest / size);
      // Like Prometheus, years and weeks only when they divide the rest exactly (90d, not 12w6d).
      if ((u === 'y' || u === 'w') && rest % size !== 0) continue;
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}
