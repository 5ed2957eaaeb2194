/**
 * Anchored regular expressions with Prometheus's semantics and fast paths.
 *
 * User-supplied regexes are never run on JavaScript's backtracking RegExp: they are compiled
 * with re2js (a linear-time RE2 port), so `(?i)` groups work and no pattern can backtrack
 * exponentially. Like Prometheus's FastRegexMatcher, common shapes skip the engine entirely:
 * literals, alternations of literals (`a|b|c`), `.*`, `.+`, and literal prefixes (`foo.*`).
 * @module
 */
import { RE2JS } from 're2js';

/** RegexSyntaxError reports a pattern that does not compile. */
export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
  constructor(
    readonly pattern: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Regex is a compiled, fully anchored pattern. */
export interface Regex {
  /** The pattern as written by the user, without anchors. */
  readonly source: string;
  /** test tells whether the whole of s matches. */
  test(s: string): boolean;
  /** setMatches lists the only strings that can match, when the pattern is a finite set of literals. */
  readonly setMatches: readonly string[] | undefined;
  /** prefix is a literal every match starts with ('' when none is known). */
  readonly prefix: string;
}

const META = /[\\.+*?()|[\]{}^$]/;

/**
 * compileAnchored compiles a Prometheus label-matcher regex: anchored at both ends, with `.`
 * matching newlines (Prometheus 3 compiles `^(?s:<re>)$`).
 */
export function compileAnchored(source: string): Regex {
  return compile(source, true);
}

/** compileUnanchored compiles a regex that may match anywhere in the string (LogQL `|~`). */
export function compileUnanchored(source: string): Regex {
  return compile(source, false);
}

function compile(source: string, anchored: boolean): Regex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(anchored ? `^(?s:${source})$` : `(?s:${source})`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new RegexSyntaxError(source, msg, { cause: e });
  }
  if (!anchored) {
    if (!META.test(source)) {
      return { source, test: (s) => s.includes(source), setMatches: undefined, prefix: '' };
    }
    return { source, test: (s) => re.matcher(s).find(), setMatches: undefined, prefix: '' };
  }
  if (source === '.*') return { source, test: () => true, setMatches: undefined, prefix: '' };
  if (source === '.+') return { source, test: (s) => s.length > 0, setMatches: undefined, prefix: '' };
  const set = literalAlternatives(source);
  if (set !== undefined) {
    if (set.length === 1) {
      const lit = set[0]!;
      return { source, test: (s) => s === lit, setMatches: set, prefix: lit };
    }
    const lookup = new Set(set);
    return { source, test: (s) => lookup.has(s), setMatches: set, prefix: commonPrefix(set) };
  }
  const m = /^((?:[^\\.+*?()|[\]{}^$]|\\[.+*?()|[\]{}^$\\/-])*)\.\*$/.exec(source);
  if (m !== null) {
    const prefix = unescapeLiteral(m[1]!);
    return { source, test: (s) => s.startsWith(prefix), setMatches: undefined, prefix };
  }
  const lit = leadingLiteral(source);
  return {
    source,
    test: lit === '' ? (s) => re.matches(s) : (s) => s.startsWith(lit) && re.matches(s),
    setMatches: undefined,
    prefix: lit,
  };
}

/**
 * memoized wraps a regex for inputs that repeat (a host's device names, mount points and vmstat
 * keys, matched again every collection cycle): each distinct string is matched once and the
 * answer kept, for at most `max` strings (then the kept answers are dropped and gathered again).
 */
export function memoized(r: Regex, max = 4096): Regex {
  const seen = new Map<string, boolean>();
  return {
    source: r.source,
    setMatches: r.setMatches,
    prefix: r.prefix,
    test: (s) => {
      let v = seen.get(s);
      if (v === undefined) {
        if (seen.size >= max) seen.clear();
        v = r.test(s);
        seen.set(s, v);
      }
      return v;
    },
  };
}

// literalAlternatives returns the strings of `a|b|c` (optionally wrapped in one group) when
// every branch is a plain literal, else undefined.
function literalAlternatives(source: string): string[] | undefined {
  let s = source;
  if (s.startsWith('(?:') && s.endsWith(')')) s = s.slice(3, -1);
  else if (s.startsWith('(') && s.endsWith(')') && !s.startsWith('(?')) s = s.slice(1, -1);
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined || !/[.+*?()|[\]{}^$\\/-]/.test(n)) return undefined;
      cur += n;
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (/[.+*?()[\]{}^$]/.test(c)) {
      return undefined;
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function leadingLiteral(source: string): string {
  // Only safe when the top level has no alternation.
  if (hasTopLevelAlternation(source)) return '';
  let lit = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined || !/[.+*?()|[\]{}^$\\/-]/.test(n)) break;
      // A quantifier after this char would make it optional.
      if (/[*?{]/.test(source[i + 2] ?? '')) break;
      lit += n;
      i++;
    } else if (/[.+*?()|[\]{}^$]/.test(c)) {
      break;
    } else {
      if (/[*?{]/.test(source[i + 1] ?? '')) break;
      lit += c;
    }
  }
  return lit;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

function unescapeLiteral(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function commonPrefix(set: readonly string[]): string {
  if (set.length === 0) return '';
  let p = set[0]!;
  for (const s of set) {
    let i = 0;
    while (i < p.length && i < s.length && p[i] === s[i]) i++;
    p = p.slice(0, i);
    if (p === '') break;
  }
  return p;
}
