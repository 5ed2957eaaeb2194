/**
 * Go formatting as templates print values: fmt's %v and printf verbs, and time.Time layouts
 * (`2006-01-02T15:04:05Z07:00`) for formatting and parsing, in UTC or a fixed offset.
 * @module
 */
import { formatFloatG } from '../../model/index.js';

/** GoTime is a time.Time: Unix nanoseconds split into ms and the ns past them, plus a zone. */
export class GoTime {
  constructor(
    readonly ms: number,
    readonly ns: number,
    /** Zone offset east of UTC in minutes. */
    readonly offsetMin = 0,
    readonly zone = 'UTC',
  ) {}

  /** unixNanos returns the time as a decimal string of Unix nanoseconds. */
  unixNanos(): string {
    const sec = Math.floor(this.ms / 1000);
    const nsInSec = (this.ms - sec * 1000) * 1_000_000 + this.ns;
    if (sec === 0) return String(nsInSec);
    return sec < 0 ? String(BigInt(sec) * 1_000_000_000n + BigInt(nsInSec)) : `${sec}${String(nsInSec).padStart(9, '0')}`;
  }

  /** toString formats as Go's Time.String: `2006-01-02 15:04:05.999999999 -0700 MST`. */
  toString(): string {
    return formatGoTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
}

/** isTruthy applies Go template truth: false, 0, nil, '' and empty collections are false. */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof GoTime)) return Object.keys(v as object).length > 0;
  return true;
}

/** formatValue prints a value as fmt's %v does. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? String(v) : formatFloatG(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoTime) return v.toString();
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(' ') + ']';
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return 'map[' + keys.map((k) => `${k}:${formatValue((v as Record<string, unknown>)[k])}`).join(' ') + ']';
  }
  return String(v);
}

/** sprintf implements the printf verbs templates use: %s %v %d %f %e %g %q %x %X %o %b %c %t %%. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let a = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (m === null) {
      out += '%!(NOVERB)';
      break;
    }
    i += m[0].length;
    const flags = m[1]!;
    let width = m[2] === '*' ? Number(args[a++]) : m[2] === undefined ? undefined : Number(m[2]);
    const prec = m[3] === '*' ? Number(args[a++]) : m[3] === undefined ? undefined : Number(m[3]);
    const verb = m[4]!;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (a >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = args[a++];
    let s: string;
    switch (verb) {
      case 'v':
      case 's':
        s = formatValue(v);
        if (prec !== undefined && typeof v === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = JSON.stringify(formatValue(v));
        break;
      case 'd':
        s = typeof v === 'number' ? String(Math.trunc(v)) : `%!d(${typeName(v)}=${formatValue(v)})`;
        if (flags.includes('+') && typeof v === 'number' && v >= 0) s = '+' + s;
        break;
      case 'f':
      case 'F':
        s = typeof v === 'number' ? v.toFixed(prec ?? 6) : `%!f(${typeName(v)}=${formatValue(v)})`;
        if (flags.includes('+') && typeof v === 'number' && v >= 0) s = '+' + s;
        break;
      case 'e':
      case 'E': {
        s = typeof v === 'number' ? goExp(v, prec ?? 6) : `%!e(${typeName(v)}=${formatValue(v)})`;
        if (verb === 'E') s = s.toUpperCase();
        break;
      }
      case 'g':
      case 'G':
        s = typeof v === 'number' ? (prec === undefined ? formatFloatG(v) : goG(v, prec)) : `%!g(${typeName(v)}=${formatValue(v)})`;
        break;
      case 'x':
      case 'X': {
        if (typeof v === 'number') s = Math.trunc(v).toString(16);
        else s = Buffer.from(formatValue(v), 'utf8').toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'o':
        s = typeof v === 'number' ? Math.trunc(v).toString(8) : `%!o(${typeName(v)}=${formatValue(v)})`;
        break;
      case 'b':
        s = typeof v === 'number' ? Math.trunc(v).toString(2) : `%!b(${typeName(v)}=${formatValue(v)})`;
        break;
      case 'c':
        s = typeof v === 'number' ? String.fromCodePoint(v) : `%!c(${typeName(v)}=${formatValue(v)})`;
        break;
      case 't':
        s = typeof v === 'boolean' ? String(v) : `%!t(${typeName(v)}=${formatValue(v)})`;
        break;
      default:
        s = `%!${verb}(${typeName(v)}=${formatValue(v)})`;
    }
    if (width !== undefined && s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && /[dfeEgGxXob]/.test(verb)) {
        const neg = s.startsWith('-') || s.startsWith('+');
        s = neg ? s[0] + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0');
      } else s = s.padStart(width);
    }
    width = undefined;
    out += s;
  }
  if (a < args.length) out += '%!(EXTRA ' + args.slice(a).map((x) => `${typeName(x)}=${formatValue(x)}`).join(', ') + ')';
  return out;
}

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoTime) return 'time.Time';
  return v === null || v === undefined ? '<nil>' : 'map[string]interface {}';
}

function goExp(v: number, prec: number): string {
  const s = v.toExponential(prec);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function goG(v: number, prec: number): string {
  const p = prec === 0 ? 1 : prec;
  const e = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= p) return goExp(v, p - 1).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(p)));
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const LAYOUT_TOKENS = [
  'January', 'Monday', '2006', '-07:00:00', '-0700', '-07:00', 'Z07:00:00', 'Z0700', 'Z07:00', '-07', 'Z07', 'Jan', 'Mon', 'MST',
  '.000000000', '.999999999', '.000000', '.999999', '.000', '.999', ',000', ',999',
  '002', '01', '02', '03', '04', '05', '06', '15', '_2', 'PM', 'pm', '1', '2', '3', '4', '5',
];

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** formatGoTime formats a time with a Go reference layout. */
export function formatGoTime(t: GoTime, layout: string): string {
  const d = new Date(t.ms + t.offsetMin * 60_000);
  const nsFrac = (((t.ms % 1000) + 1000) % 1000) * 1_000_000 + t.ns;
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const tok = LAYOUT_TOKENS.find((k) => layout.startsWith(k, i));
    if (tok === undefined) {
      out += layout[i];
      i++;
      continue;
    }
    i += tok.length;
    const off = t.offsetMin;
    const sign = off < 0 ? '-' : '+';
    const oh = pad(Math.floor(Math.abs(off) / 60), 2);
    const om = pad(Math.abs(off) % 60, 2);
    switch (tok) {
      case 'January': out += MONTHS[d.getUTCMonth()]; break;
      case 'Jan': out += MONTHS[d.getUTCMonth()]!.slice(0, 3); break;
      case 'Monday': out += DAYS[d.getUTCDay()]; break;
      case 'Mon': out += DAYS[d.getUTCDay()]!.slice(0, 3); break;
      case '2006': out += pad(d.getUTCFullYear(), 4); break;
      case '06': out += pad(d.getUTCFullYear() % 100, 2); break;
      case '01': out += pad(d.getUTCMonth() + 1, 2); break;
      case '1': out += String(d.getUTCMonth() + 1); break;
      case '02': out += pad(d.getUTCDate(), 2); break;
      case '2': out += String(d.getUTCDate()); break;
      case '_2': out += String(d.getUTCDate()).padStart(2, ' '); break;
      case '002': {
        const start = Date.UTC(d.getUTCFullYear(), 0, 1);
        out += pad(Math.floor((d.getTime() - start) / 86_400_000) + 1, 3);
        break;
      }
      case '15': out += pad(d.getUTCHours(), 2); break;
      case '03': out += pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12, 2); break;
      case '3': out += String(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12); break;
      case '04': out += pad(d.getUTCMinutes(), 2); break;
      case '4': out += String(d.getUTCMinutes()); break;
      case '05': out += pad(d.getUTCSeconds(), 2); break;
      case '5': out += String(d.getUTCSeconds()); break;
      case 'PM': out += d.getUTCHours() >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += d.getUTCHours() >= 12 ? 'pm' : 'am'; break;
      case 'MST': out += off === 0 ? t.zone : t.zone === 'UTC' ? `${sign}${oh}${om}` : t.zone; break;
      case '-0700': out += `${sign}${oh}${om}`; break;
      case '-07:00': out += `${sign}${oh}:${om}`; break;
      case '-07': out += `${sign}${oh}`; break;
      case '-07:00:00': out += `${sign}${oh}:${om}:00`; break;
      case 'Z0700': out += off === 0 ? 'Z' : `${sign}${oh}${om}`; break;
      case 'Z07:00': out += off === 0 ? 'Z' : `${sign}${oh}:${om}`; break;
      case 'Z07': out += off === 0 ? 'Z' : `${sign}${oh}`; break;
      case 'Z07:00:00': out += off === 0 ? 'Z' : `${sign}${oh}:${om}:00`; break;
      default: {
        // Fractional seconds: .000 (fixed) or .999 (trailing zeros trimmed).
        const digits = tok.length - 1;
        const frac = pad(nsFrac, 9).slice(0, digits);
        if (tok[1] === '0') out += tok[0] + frac;
        else {
          const trimmed = frac.replace(/0+$/, '');
          if (trimmed !== '') out += tok[0] + trimmed;
        }
      }
    }
  }
  return out;
}

/**
 * parseGoTime parses `value` with a Go reference layout (the common tokens: years, months,
 * days, hours, minutes, seconds, fractions, AM/PM, numeric zones, Z). Returns undefined when
 * the value does not fit the layout.
 */
export function parseGoTime(layout: string, value: string, defaultOffsetMin = 0): GoTime | undefined {
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let i = 0;
  let j = 0;
  const num = (w: number | [number, number]): number | undefined => {
    const [lo, hi] = typeof w === 'number' ? [w, w] : w;
    const m = new RegExp(`^[0-9]{${lo},${hi}}`).exec(value.slice(j));
    if (m === null) return undefined;
    j += m[0].length;
    return Number(m[0]);
  };
  while (i < layout.length) {
    const tok = LAYOUT_TOKENS.find((k) => layout.startsWith(k, i));
    if (tok === undefined) {
      if (value[j] !== layout[i]) return undefined;
      i++;
      j++;
      continue;
    }
    i += tok.length;
    let v: number | undefined = 0;
    switch (tok) {
      case '2006': v = year = num(4) ?? NaN; break;
      case '06': v = num(2); if (v !== undefined) year = v + (v >= 69 ? 1900 : 2000); break;
      case '01': case '1': v = month = num(tok === '01' ? 2 : [1, 2]) ?? NaN; break;
      case '02': case '2': v = day = num(tok === '02' ? 2 : [1, 2]) ?? NaN; break;
      case '_2': if (value[j] === ' ') j++; v = day = num([1, 2]) ?? NaN; break;
      case '15': v = hour = num([1, 2]) ?? NaN; break;
      case '03': case '3': v = hour = num(tok === '03' ? 2 : [1, 2]) ?? NaN; break;
      case '04': case '4': v = min = num(tok === '04' ? 2 : [1, 2]) ?? NaN; break;
      case '05': case '5': {
        v = sec = num(tok === '05' ? 2 : [1, 2]) ?? NaN;
        // Go accepts a fraction after seconds even when the layout has none.
        if (!/^[.,][09]/.test(layout.slice(i)) && (value[j] === '.' || value[j] === ',') && /[0-9]/.test(value[j + 1] ?? '')) {
          j++;
          const f = /^[0-9]+/.exec(value.slice(j))![0];
          j += f.length;
          nsec = Number(f.slice(0, 9).padEnd(9, '0'));
        }
        break;
      }
      case 'Jan': case 'January': {
        const names = tok === 'Jan' ? MONTHS.map((x) => x.slice(0, 3)) : MONTHS;
        const k = names.findIndex((x) => value.startsWith(x, j));
        if (k < 0) return undefined;
        month = k + 1;
        j += names[k]!.length;
        break;
      }
      case 'Mon': case 'Monday': {
        const names = tok === 'Mon' ? DAYS.map((x) => x.slice(0, 3)) : DAYS;
        const k = names.findIndex((x) => value.startsWith(x, j));
        if (k < 0) return undefined;
        j += names[k]!.length;
        break;
      }
      case 'PM': case 'pm': {
        const s = value.slice(j, j + 2).toUpperCase();
        if (s !== 'AM' && s !== 'PM') return undefined;
        pm = s === 'PM';
        j += 2;
        break;
      }
      case 'MST': {
        const m = /^[A-Z]{3,5}|^[+-][0-9]{2,4}/.exec(value.slice(j));
        if (m === null) return undefined;
        if (m[0] === 'UTC' || m[0] === 'GMT') offset = 0;
        j += m[0].length;
        break;
      }
      case '002':
        v = num(3);
        break;
      default: {
        if (tok.startsWith('Z') && value[j] === 'Z') {
          offset = 0;
          j++;
          break;
        }
        if (tok.startsWith('-') || tok.startsWith('Z')) {
          const m = /^([+-])([0-9]{2}):?([0-9]{2})?(?::?[0-9]{2})?/.exec(value.slice(j));
          if (m === null) return undefined;
          offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
          j += m[0].length;
          break;
        }
        // Fractional seconds.
        if (value[j] !== '.' && value[j] !== ',') {
          if (tok[1] === '9') break;
          return undefined;
        }
        j++;
        const f = /^[0-9]*/.exec(value.slice(j))![0];
        j += f.length;
        nsec = Number(f.slice(0, 9).padEnd(9, '0'));
      }
    }
    if (v === undefined || Number.isNaN(v)) return undefined;
  }
  if (j !== value.length) return undefined;
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
  const off = offset ?? defaultOffsetMin;
  const ms = Date.UTC(year, month - 1, day, hour, min, sec) - off * 60_000 + Math.floor(nsec / 1e6);
  if (Number.isNaN(ms)) return undefined;
  return new GoTime(ms, nsec % 1_000_000, off, off === 0 ? 'UTC' : '');
}
