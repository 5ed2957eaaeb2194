/**
 * Executing `line_format`/`label_format` templates: Go text/template evaluation over the
 * entry's labels (missing labels read as ''), with Loki's function set.
 * @module
 */
import { RE2JS } from 're2js';
import { assertNever } from '../../model/index.js';
import type { TemplateArg, TemplateNode, TemplatePipe } from './parser/index.js';
import { parseBytes, parseGoDuration } from './parser/index.js';
import { formatGoTime, formatValue, GoTime, isTruthy, parseGoTime, sprintf } from './go-format.js';

/** TemplateContext is what a template sees: labels, and the line and time for __line__/__timestamp__. */
export interface TemplateContext {
  readonly labels: Readonly<Record<string, string>>;
  readonly line: string;
  readonly t: number;
  readonly ns: number;
}

/** TemplateExecError is an error raised while executing a template (Loki's TemplateFormatErr). */
export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

type Fn = (ctx: TemplateContext, args: unknown[]) => unknown;

const reCache = new Map<string, RE2JS>();
function re(pattern: unknown): RE2JS {
  const p = str(pattern);
  let r = reCache.get(p);
  if (r === undefined) {
    try {
      r = RE2JS.compile(p);
    } catch (e) {
      throw new TemplateExecError(`error parsing regexp: ${(e as Error).message}`);
    }
    if (reCache.size > 1000) reCache.clear();
    reCache.set(p, r);
  }
  return r;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : formatValue(v);
}

function toInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isNaN(n) ? 0 : Math.trunc(n);
  }
  return 0;
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

function toTime(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  throw new TemplateExecError(`wrong type for value; expected time.Time; got ${typeof v}`);
}

function cutset(s: string, set: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a]!)) a++;
  if (right) while (b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : 1;
  throw new TemplateExecError('incompatible types for comparison');
}

function expandGo(template: string, groups: (string | null)[], names: Record<string, number>): string {
  // Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$.
  return template.replace(/\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))/g, (_m, all: string, braced: string | undefined, bare: string | undefined) => {
    if (all === '$') return '$';
    const name = braced ?? bare ?? '';
    const idx = /^[0-9]+$/.test(name) ? Number(name) : names[name];
    return idx === undefined ? '' : (groups[idx] ?? '');
  });
}

function replaceAll(pattern: unknown, s: unknown, repl: unknown, literal: boolean): string {
  const r = re(pattern);
  const src = str(s);
  const rep = str(repl);
  // Go's ReplaceAllString: successive non-overlapping matches, empty matches next to a
  // previous match skipped; re2js's RE2 gives exactly those (UTF-16 offsets).
  const all = r.re2().findAllSubmatchIndex(src, -1) as number[][] | null;
  if (all === null) return src;
  const names = r.namedGroups();
  let out = '';
  let last = 0;
  for (const m of all) {
    out += src.slice(last, m[0]);
    if (literal) out += rep;
    else {
      const groups: (string | null)[] = [];
      for (let g = 0; g < m.length; g += 2) groups.push(m[g]! < 0 ? null : src.slice(m[g], m[g + 1]));
      out += expandGo(rep, groups, names);
    }
    last = m[1]!;
  }
  return out + src.slice(last);
}

const FUNCS: Readonly<Record<string, Fn>> = {
  // Go builtins.
  and: (_c, a) => {
    for (const x of a) if (!isTruthy(x)) return x;
    return a[a.length - 1];
  },
  or: (_c, a) => {
    for (const x of a) if (isTruthy(x)) return x;
    return a[a.length - 1];
  },
  not: (_c, a) => !isTruthy(a[0]),
  len: (_c, a) => {
    const v = a[0];
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (v !== null && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateExecError(`len of type ${typeof v}`);
  },
  index: (_c, a) => {
    let v = a[0];
    for (const k of a.slice(1)) {
      if (Array.isArray(v)) v = v[toInt(k)];
      else if (v !== null && typeof v === 'object') v = (v as Record<string, unknown>)[str(k)];
      else throw new TemplateExecError(`can't index item of type ${typeof v}`);
    }
    return v ?? '';
  },
  slice: (_c, a) => {
    const v = str(a[0]);
    return v.slice(a.length > 1 ? toInt(a[1]) : 0, a.length > 2 ? toInt(a[2]) : undefined);
  },
  print: (_c, a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + formatValue(x)).join(''),
  println: (_c, a) => a.map(formatValue).join(' ') + '\n',
  printf: (_c, a) => sprintf(str(a[0]), a.slice(1)),
  html: (_c, a) => a.map(str).join('').replace(/[&'<>"\u0000]/g, (ch) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\u0000': '\uFFFD' })[ch]!),
  js: (_c, a) => a.map(str).join('').replace(/[\\'"<>&=\n\r\t]/g, (ch) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch]!),
  urlquery: (_c, a) => queryEscape(a.map(str).join('')),
  eq: (_c, a) => a.slice(1).some((b) => compare(a[0], b) === 0),
  ne: (_c, a) => compare(a[0], a[1]) !== 0,
  lt: (_c, a) => compare(a[0], a[1]) < 0,
  le: (_c, a) => compare(a[0], a[1]) <= 0,
  gt: (_c, a) => compare(a[0], a[1]) > 0,
  ge: (_c, a) => compare(a[0], a[1]) >= 0,
  call: () => {
    throw new TemplateExecError('call is not supported');
  },
  // Loki's own functions.
  ToLower: (_c, a) => str(a[0]).toLowerCase(),
  ToUpper: (_c, a) => str(a[0]).toUpperCase(),
  Replace: (_c, a) => {
    const s = str(a[0]);
    const n = toInt(a[3]);
    if (n < 0) return s.split(str(a[1])).join(str(a[2]));
    let out = s;
    let from = 0;
    for (let k = 0; k < n; k++) {
      const i = out.indexOf(str(a[1]), from);
      if (i < 0) break;
      out = out.slice(0, i) + str(a[2]) + out.slice(i + str(a[1]).length);
      from = i + str(a[2]).length;
    }
    return out;
  },
  Trim: (_c, a) => cutset(str(a[0]), str(a[1]), true, true),
  TrimLeft: (_c, a) => cutset(str(a[0]), str(a[1]), true, false),
  TrimRight: (_c, a) => cutset(str(a[0]), str(a[1]), false, true),
  TrimPrefix: (_c, a) => (str(a[0]).startsWith(str(a[1])) ? str(a[0]).slice(str(a[1]).length) : str(a[0])),
  TrimSuffix: (_c, a) => (str(a[1]) !== '' && str(a[0]).endsWith(str(a[1])) ? str(a[0]).slice(0, -str(a[1]).length) : str(a[0])),
  TrimSpace: (_c, a) => str(a[0]).trim(),
  regexReplaceAll: (_c, a) => replaceAll(a[0], a[1], a[2], false),
  regexReplaceAllLiteral: (_c, a) => replaceAll(a[0], a[1], a[2], true),
  count: (_c, a) => (re(a[0]).re2().findAllIndex(str(a[1]), -1) as unknown[] | null)?.length ?? 0,
  urldecode: (_c, a) => {
    try {
      return decodeURIComponent(str(a[0]).replace(/\+/g, ' '));
    } catch (e) {
      throw new TemplateExecError((e as Error).message);
    }
  },
  urlencode: (_c, a) => queryEscape(str(a[0])),
  bytes: (_c, a) => {
    const b = parseBytes(str(a[0]));
    if (b === undefined) throw new TemplateExecError(`invalid byte size "${str(a[0])}"`);
    return b;
  },
  duration: (_c, a) => durationOf(a[0]),
  duration_seconds: (_c, a) => durationOf(a[0]),
  unixEpochMillis: (_c, a) => String(toTime(a[0]).ms),
  unixEpochNanos: (_c, a) => toTime(a[0]).unixNanos(),
  unixEpoch: (_c, a) => String(Math.floor(toTime(a[0]).ms / 1000)),
  unixToTime: (_c, a) => {
    const s = str(a[0]).trim();
    if (!/^[0-9]+$/.test(s)) throw new TemplateExecError(`unable to parse ${s} as a unix timestamp`);
    // Seconds (≤10 digits), milliseconds (13), microseconds (16) or nanoseconds (19).
    if (s.length <= 10) return new GoTime(Number(s) * 1000, 0);
    if (s.length <= 13) return new GoTime(Number(s), 0);
    if (s.length <= 16) return new GoTime(Math.floor(Number(s) / 1000), (Number(s) % 1000) * 1000);
    return new GoTime(Number(s.slice(0, -6)), Number(s.slice(-6)));
  },
  toDateInZone: (_c, a) => parseGoTime(str(a[0]), str(a[2]), zoneOffset(str(a[1]))) ?? new GoTime(-62135596800000, 0),
  toDate: (_c, a) => parseGoTime(str(a[0]), str(a[1])) ?? new GoTime(-62135596800000, 0),
  date: (_c, a) => formatGoTime(a[1] instanceof GoTime ? a[1] : new GoTime(toInt(a[1]) * 1000, 0), str(a[0])),
  now: () => new GoTime(Date.now(), 0),
  __line__: (c) => c.line,
  __timestamp__: (c) => new GoTime(c.t, c.ns),
  alignLeft: (_c, a) => {
    const n = toInt(a[0]);
    const s = [...str(a[1])];
    return s.length >= n ? s.slice(0, n).join('') : s.join('').padEnd(n);
  },
  alignRight: (_c, a) => {
    const n = toInt(a[0]);
    const s = [...str(a[1])];
    return s.length >= n ? s.slice(s.length - n).join('') : s.join('').padStart(n);
  },
  // The sprig subset.
  b64enc: (_c, a) => Buffer.from(str(a[0]), 'utf8').toString('base64'),
  b64dec: (_c, a) => Buffer.from(str(a[0]), 'base64').toString('utf8'),
  lower: (_c, a) => str(a[0]).toLowerCase(),
  upper: (_c, a) => str(a[0]).toUpperCase(),
  title: (_c, a) => str(a[0]).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, l: string) => p + l.toUpperCase()),
  trunc: (_c, a) => {
    const c = toInt(a[0]);
    const s = [...str(a[1])];
    if (c < 0 && s.length + c > 0) return s.slice(s.length + c).join('');
    if (c >= 0 && s.length > c) return s.slice(0, c).join('');
    return s.join('');
  },
  substr: (_c, a) => {
    const s = [...str(a[2])];
    let start = toInt(a[0]);
    let end = toInt(a[1]);
    if (end > s.length) end = s.length;
    if (start > s.length) start = s.length;
    if (start < 0) return end < 0 ? '' : s.slice(0, end).join('');
    if (end < 0) return s.slice(start).join('');
    if (start > end) return '';
    return s.slice(start, end).join('');
  },
  contains: (_c, a) => str(a[1]).includes(str(a[0])),
  hasPrefix: (_c, a) => str(a[1]).startsWith(str(a[0])),
  hasSuffix: (_c, a) => str(a[1]).endsWith(str(a[0])),
  indent: (_c, a) => {
    const p = ' '.repeat(Math.max(0, toInt(a[0])));
    return p + str(a[1]).replace(/\n/g, '\n' + p);
  },
  nindent: (_c, a) => {
    const p = ' '.repeat(Math.max(0, toInt(a[0])));
    return '\n' + p + str(a[1]).replace(/\n/g, '\n' + p);
  },
  replace: (_c, a) => str(a[2]).split(str(a[0])).join(str(a[1])),
  repeat: (_c, a) => str(a[1]).repeat(Math.max(0, Math.min(toInt(a[0]), 1 << 20))),
  trim: (_c, a) => str(a[0]).trim(),
  trimAll: (_c, a) => cutset(str(a[1]), str(a[0]), true, true),
  trimSuffix: (_c, a) => (str(a[0]) !== '' && str(a[1]).endsWith(str(a[0])) ? str(a[1]).slice(0, -str(a[0]).length) : str(a[1])),
  trimPrefix: (_c, a) => (str(a[1]).startsWith(str(a[0])) ? str(a[1]).slice(str(a[0]).length) : str(a[1])),
  int: (_c, a) => toInt(a[0]),
  float64: (_c, a) => toFloat(a[0]),
  add: (_c, a) => a.reduce<number>((s, x) => s + toInt(x), 0),
  sub: (_c, a) => toInt(a[0]) - toInt(a[1]),
  mul: (_c, a) => a.reduce<number>((s, x) => s * toInt(x), 1),
  div: (_c, a) => {
    const d = toInt(a[1]);
    if (d === 0) throw new TemplateExecError('integer divide by zero');
    return Math.trunc(toInt(a[0]) / d);
  },
  mod: (_c, a) => {
    const d = toInt(a[1]);
    if (d === 0) throw new TemplateExecError('integer divide by zero');
    return toInt(a[0]) % d;
  },
  addf: (_c, a) => a.reduce<number>((s, x) => s + toFloat(x), 0),
  subf: (_c, a) => a.slice(1).reduce<number>((s, x) => s - toFloat(x), toFloat(a[0])),
  mulf: (_c, a) => a.reduce<number>((s, x) => s * toFloat(x), 1),
  divf: (_c, a) => a.slice(1).reduce<number>((s, x) => s / toFloat(x), toFloat(a[0])),
  max: (_c, a) => Math.max(...a.map(toInt)),
  min: (_c, a) => Math.min(...a.map(toInt)),
  maxf: (_c, a) => Math.max(...a.map(toFloat)),
  minf: (_c, a) => Math.min(...a.map(toFloat)),
  ceil: (_c, a) => Math.ceil(toFloat(a[0])),
  floor: (_c, a) => Math.floor(toFloat(a[0])),
  round: (_c, a) => {
    const p = a.length > 1 ? toInt(a[1]) : 0;
    const m = 10 ** p;
    const v = toFloat(a[0]) * m;
    return (v < 0 ? -Math.round(-v) : Math.round(v)) / m;
  },
  fromJson: (_c, a) => {
    try {
      return JSON.parse(str(a[0])) as unknown;
    } catch {
      return {};
    }
  },
  default: (_c, a) => (a.length < 2 || !isTruthy(a[1]) ? a[0] : a[1]),
};

function durationOf(v: unknown): number {
  const d = parseGoDuration(str(v));
  if (d === undefined) throw new TemplateExecError(`time: invalid duration "${str(v)}"`);
  return d;
}

function zoneOffset(zone: string): number {
  if (zone === 'UTC' || zone === '' || zone === 'Local') return 0;
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date());
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  } catch {
    return 0;
  }
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** executeTemplate renders a parsed template; throws TemplateExecError. */
export function executeTemplate(tree: TemplateNode, ctx: TemplateContext): string {
  const vars: Map<string, unknown>[] = [new Map([['$', ctx.labels]])];
  let out = '';
  let steps = 0;
  const walk = (n: TemplateNode, dot: unknown): void => {
    if (++steps > 100_000) throw new TemplateExecError('template too complex');
    switch (n.kind) {
      case 'list':
        for (const c of n.nodes) walk(c, dot);
        return;
      case 'text':
        out += n.text;
        return;
      case 'action': {
        const v = evalPipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) out += formatValue(v);
        return;
      }
      case 'if':
      case 'with': {
        for (const b of n.branches) {
          vars.push(new Map());
          const v = evalPipe(b.cond, dot);
          if (isTruthy(v)) {
            walk(b.body, n.kind === 'with' ? v : dot);
            vars.pop();
            return;
          }
          vars.pop();
        }
        if (n.otherwise !== undefined) walk(n.otherwise, dot);
        return;
      }
      case 'range': {
        vars.push(new Map());
        const coll = evalPipe({ ...n.pipe, decl: [] }, dot);
        const items: [unknown, unknown][] = Array.isArray(coll)
          ? coll.map((v, i) => [i, v])
          : coll !== null && typeof coll === 'object' && !(coll instanceof GoTime)
            ? Object.keys(coll).sort().map((k) => [k, (coll as Record<string, unknown>)[k]])
            : typeof coll === 'number'
              ? Array.from({ length: Math.max(0, coll) }, (_, i) => [i, i])
              : [];
        if (items.length === 0) {
          vars.pop();
          if (n.otherwise !== undefined) walk(n.otherwise, dot);
          return;
        }
        for (const [k, v] of items) {
          const scope = vars[vars.length - 1]!;
          if (n.pipe.decl.length === 1) scope.set(n.pipe.decl[0]!, v);
          if (n.pipe.decl.length === 2) {
            scope.set(n.pipe.decl[0]!, k);
            scope.set(n.pipe.decl[1]!, v);
          }
          walk(n.body, v);
        }
        vars.pop();
        return;
      }
      default:
        assertNever(n, 'template node');
    }
  };
  const lookup = (name: string): unknown => {
    for (let i = vars.length - 1; i >= 0; i--) if (vars[i]!.has(name)) return vars[i]!.get(name);
    throw new TemplateExecError(`undefined variable: ${name}`);
  };
  const field = (v: unknown, path: readonly string[]): unknown => {
    let cur = v;
    for (const p of path) {
      if (cur === null || cur === undefined) return '';
      if (typeof cur !== 'object' || cur instanceof GoTime) throw new TemplateExecError(`can't evaluate field ${p} in type ${typeof cur}`);
      cur = (cur as Record<string, unknown>)[p];
    }
    // missingkey=zero: a missing label reads as ''.
    return cur === undefined ? '' : cur;
  };
  const evalArg = (a: TemplateArg, dot: unknown): unknown => {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'field':
        return field(dot, a.path);
      case 'variable':
        return field(lookup(a.name), a.path);
      case 'string':
        return a.value;
      case 'number':
        return a.value;
      case 'bool':
        return a.value;
      case 'nil':
        return null;
      case 'ident':
        return call(a.name, []);
      case 'pipe':
        return field(evalPipe(a.pipe, dot), a.path);
      default:
        return assertNever(a, 'template argument');
    }
  };
  const call = (name: string, args: unknown[]): unknown => {
    const f = FUNCS[name];
    if (f === undefined) throw new TemplateExecError(`function "${name}" not defined`);
    return f(ctx, args);
  };
  const evalPipe = (p: TemplatePipe, dot: unknown): unknown => {
    let prev: unknown;
    let first = true;
    for (const cmd of p.cmds) {
      const [head, ...rest] = cmd.args;
      let v: unknown;
      if (head!.kind === 'ident') {
        const args = rest.map((x) => evalArg(x, dot));
        if (!first) args.push(prev);
        v = call(head!.name, args);
      } else {
        if (rest.length > 0 || !first) {
          if (!first && rest.length === 0) throw new TemplateExecError(`can't give argument to non-function ${describeArg(head!)}`);
          throw new TemplateExecError(`can't give argument to non-function ${describeArg(head!)}`);
        }
        v = evalArg(head!, dot);
      }
      prev = v;
      first = false;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        for (let i = vars.length - 1; i >= 0; i--) {
          if (vars[i]!.has(p.decl[0]!)) {
            vars[i]!.set(p.decl[0]!, prev);
            return prev;
          }
        }
      }
      vars[vars.length - 1]!.set(p.decl[0]!, prev);
    }
    return prev;
  };
  walk(tree, ctx.labels);
  return out;
}

function describeArg(a: TemplateArg): string {
  switch (a.kind) {
    case 'field':
      return '.' + a.path.join('.');
    case 'string':
      return JSON.stringify(a.value);
    case 'number':
      return a.text;
    default:
      return a.kind;
  }
}
