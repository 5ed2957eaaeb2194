/**
 * Time zones for timestamps written without one (`journalctl -o short`, klog, syslog RFC 3164,
 * most plain-text logs): a fixed offset or an IANA zone resolved through Intl.
 * @module
 */
import { InvalidTimeZoneError } from './errors.js';

const QUARTER_HOUR_MS = 900_000;

/**
 * TimeZone turns local wall-clock times into instants. Offsets of IANA zones are looked up
 * once per quarter hour of UTC time and cached (every zone in use changes offset on a quarter
 * hour), so resolving a timestamp costs a Map lookup.
 */
export class TimeZone {
  /** UTC, the default zone for zone-less timestamps. */
  static readonly UTC: TimeZone = new TimeZone('UTC', 0, undefined);

  readonly #fixedMs: number;
  readonly #fmt: Intl.DateTimeFormat | undefined;
  readonly #cache = new Map<number, number>();

  private constructor(
    /** The name the zone was created from. */
    readonly name: string,
    fixedMs: number,
    fmt: Intl.DateTimeFormat | undefined,
  ) {
    this.#fixedMs = fixedMs;
    this.#fmt = fmt;
  }

  /**
   * of returns the zone named by `spec`: `UTC`/`Z`, a fixed offset (`+05:30`, `-0400`, `+01`),
   * `local` (this process's zone) or an IANA name (`Europe/Berlin`). Throws
   * InvalidTimeZoneError for anything else.
   */
  static of(spec: string): TimeZone {
    if (spec === 'UTC' || spec === 'Z' || spec === 'utc' || spec === 'Etc/UTC' || spec === 'GMT') return TimeZone.UTC;
    const m = /^([+-])(\d\d):?(\d\d)?$/.exec(spec);
    if (m !== null) {
      const h = Number(m[2]);
      const min = Number(m[3] ?? '0');
      if (h > 23 || min > 59) throw new InvalidTimeZoneError(spec);
      const sign = m[1] === '-' ? -1 : 1;
      return new TimeZone(spec, sign * (h * 3_600_000 + min * 60_000), undefined);
    }
    const iana = spec === 'local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : spec;
    let fmt: Intl.DateTimeFormat;
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: iana,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (e) {
      throw new InvalidTimeZoneError(spec, { cause: e });
    }
    return new TimeZone(spec, 0, fmt);
  }

  /** isUtc tells whether the zone is UTC (wall time equals UTC). */
  get isUtc(): boolean {
    return this.#fmt === undefined && this.#fixedMs === 0;
  }

  /** offsetAt returns the zone's offset from UTC in ms (local = UTC + offset) at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const fmt = this.#fmt;
    if (fmt === undefined) return this.#fixedMs;
    const q = Math.floor(utcMs / QUARTER_HOUR_MS);
    let off = this.#cache.get(q);
    if (off === undefined) {
      const probe = q * QUARTER_HOUR_MS;
      let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0;
      for (const p of fmt.formatToParts(new Date(probe))) {
        switch (p.type) {
          case 'year': y = Number(p.value); break;
          case 'month': mo = Number(p.value); break;
          case 'day': d = Number(p.value); break;
          case 'hour': h = Number(p.value); break;
          case 'minute': mi = Number(p.value); break;
          case 'second': s = Number(p.value); break;
          default: break;
        }
      }
      off = Date.UTC(y, mo - 1, d, h, mi, s) - probe;
      if (this.#cache.size > 4096) this.#cache.clear();
      this.#cache.set(q, off);
    }
    return off;
  }

  /**
   * toUtc returns the instant of a local wall-clock time given as ms since the epoch as if it
   * were UTC. In a DST gap or overlap it picks the offset in force just before the change.
   */
  toUtc(wallMs: number): number {
    if (this.#fmt === undefined) return wallMs - this.#fixedMs;
    const guess = wallMs - this.offsetAt(wallMs);
    return wallMs - this.offsetAt(guess);
  }
}
