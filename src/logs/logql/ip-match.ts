/**
 * IP matching for `|= ip("…")` line filters and `| addr = ip("…")` label filters: a single
 * address, a range `a-b` or a CIDR, IPv4 or IPv6 (IPv4 compared as IPv4-mapped IPv6).
 * @module
 */

/** IpMatcher tests addresses against an IP pattern. */
export interface IpMatcher {
  /** test tells whether a string that is exactly an address matches. */
  test(addr: string): boolean;
  /** inLine tells whether any address inside a line matches. */
  inLine(line: string): boolean;
}

/** parseIp returns an address as 16 bytes (IPv4 mapped into ::ffff:0:0/96), or undefined. */
export function parseIp(s: string): Uint8Array | undefined {
  if (s.includes(':')) return parseV6(s);
  const v4 = parseV4(s);
  if (v4 === undefined) return undefined;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function parseV4(s: string): Uint8Array | undefined {
  const p = s.split('.');
  if (p.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(p[i]!) || Number(p[i]) > 255) return undefined;
    out[i] = Number(p[i]);
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  let str = s;
  const out = new Uint8Array(16);
  let tail: Uint8Array | undefined;
  const lastColon = str.lastIndexOf(':');
  if (str.slice(lastColon + 1).includes('.')) {
    tail = parseV4(str.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const halves = str.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (head.length + rest.length > (halves.length === 2 ? 7 : 8)) return undefined;
  const groups = [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** ipMatcher compiles a pattern (address, `a-b` range or CIDR); throws on a bad pattern. */
export function ipMatcher(pattern: string): IpMatcher {
  let lo: Uint8Array;
  let hi: Uint8Array;
  const p = pattern.trim();
  if (p.includes('/')) {
    const [addr, bitsText] = p.split('/') as [string, string];
    const base = parseIp(addr);
    if (base === undefined) throw new Error(`invalid CIDR "${pattern}"`);
    const v4 = !addr.includes(':');
    const bits = Number(bitsText) + (v4 ? 96 : 0);
    lo = base.slice();
    hi = base.slice();
    for (let b = bits; b < 128; b++) {
      const byte = b >> 3;
      const mask = 0x80 >> (b & 7);
      lo[byte]! &= ~mask;
      hi[byte]! |= mask;
    }
  } else if (p.includes('-')) {
    const [a, b] = p.split('-').map((x) => parseIp(x.trim()));
    if (a === undefined || b === undefined) throw new Error(`invalid IP range "${pattern}"`);
    lo = a;
    hi = b;
  } else {
    const a = parseIp(p);
    if (a === undefined) throw new Error(`invalid IP "${pattern}"`);
    lo = hi = a;
  }
  const test = (addr: string): boolean => {
    const ip = parseIp(addr);
    return ip !== undefined && cmp(ip, lo) >= 0 && cmp(ip, hi) <= 0;
  };
  const V4 = /(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9])/g;
  const V6 = /(?<![0-9a-fA-F:])[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}(?![0-9a-fA-F:])/g;
  return {
    test,
    inLine(line: string): boolean {
      for (const m of line.matchAll(V4)) if (test(m[0])) return true;
      if (line.includes(':')) for (const m of line.matchAll(V6)) if (test(m[0])) return true;
      return false;
    },
  };
}
