/**
 * Path globs for the file tailer, matched without regular expressions: `*` and `?` within a
 * path segment, character classes `[abc]`, `[a-z]`, `[!x]`, `**` for any number of
 * directories, and `{a,b}` alternatives (expanded up front, at most 256 patterns).
 * Matching a segment is the classic two-pointer wildcard walk: linear in practice and never
 * exponential, whatever the pattern.
 * @module
 */
import { readdirSync, type Dirent } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { GlobError } from './errors.js';

const MAX_EXPANSION = 256;
const MAX_DEPTH = 32;

/** expandBraces expands `{a,b}` alternatives (nested allowed) into plain patterns. */
export function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let depth = 0;
    let open = -1;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '{') {
        if (depth === 0) open = i;
        depth++;
      } else if (c === '}' && depth > 0) {
        depth--;
        if (depth === 0) {
          const alts = splitTop(p.slice(open + 1, i));
          if (alts.length < 2) continue;
          for (const a of alts) {
            walk(p.slice(0, open) + a + p.slice(i + 1));
            if (out.length > MAX_EXPANSION) throw new GlobError(pattern, `expands to more than ${MAX_EXPANSION} patterns`);
          }
          return;
        }
      }
    }
    if (depth !== 0) throw new GlobError(pattern, 'unclosed {');
    out.push(p);
  };
  walk(pattern);
  return out;
}

function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** hasMagic tells whether a path segment holds glob characters. */
export function hasMagic(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** matchSegment tells whether a file name matches a one-segment pattern (no `/`). */
export function matchSegment(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pattern.length) {
      const c = pattern[p]!;
      if (c === '*') {
        starP = ++p;
        starN = n;
        continue;
      }
      if (c === '?') {
        p++;
        n++;
        continue;
      }
      if (c === '[') {
        const end = classEnd(pattern, p);
        if (end > 0) {
          if (matchClass(pattern, p + 1, end, name[n]!)) {
            p = end + 1;
            n++;
            continue;
          }
        } else if (name[n] === '[') {
          p++;
          n++;
          continue;
        }
      } else {
        const lit = c === '\\' && p + 1 < pattern.length ? pattern[p + 1]! : c;
        if (lit === name[n]) {
          p += c === '\\' && p + 1 < pattern.length ? 2 : 1;
          n++;
          continue;
        }
      }
    }
    if (starP < 0) return false;
    // Let the last `*` swallow one more character and retry from there.
    p = starP;
    n = ++starN;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

// Index of the `]` closing the class opened at p, or -1 when it is not a class.
function classEnd(pattern: string, p: number): number {
  let i = p + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) if (pattern[i] === ']') return i;
  return -1;
}

function matchClass(pattern: string, start: number, end: number, ch: string): boolean {
  let i = start;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let hit = false;
  let first = true;
  while (i < end) {
    let lo = pattern[i]!;
    if (lo === '\\' && i + 1 < end) lo = pattern[++i]!;
    else if (lo === ']' && !first) break;
    first = false;
    if (pattern[i + 1] === '-' && i + 2 < end) {
      let hi = pattern[i + 2]!;
      if (hi === '\\' && i + 3 < end) {
        hi = pattern[i + 3]!;
        i++;
      }
      if (ch >= lo && ch <= hi) hit = true;
      i += 3;
    } else {
      if (ch === lo) hit = true;
      i++;
    }
  }
  return hit !== negate;
}

/** Glob is one absolute path pattern (braces expanded into several). */
export class Glob {
  readonly pattern: string;
  readonly #alts: readonly (readonly string[])[];

  constructor(pattern: string) {
    if (!isAbsolute(pattern)) throw new GlobError(pattern, 'must be an absolute path');
    this.pattern = pattern;
    this.#alts = expandBraces(pattern).map((p) => p.split('/').filter((s, i) => s !== '' || i === 0));
  }

  /** matches tells whether an absolute path matches. */
  matches(path: string): boolean {
    const parts = path.split('/');
    return this.#alts.some((segs) => matchParts(segs, 1, parts, 1));
  }

  /** files lists the existing paths that match (files and symlinks to files; no directory loops). */
  files(): string[] {
    const out = new Set<string>();
    for (const segs of this.#alts) walkDir(segs, 1, '/', out, 0);
    return [...out].sort();
  }
}

function matchParts(segs: readonly string[], si: number, parts: readonly string[], pi: number): boolean {
  if (si === segs.length) return pi === parts.length;
  const s = segs[si]!;
  if (s === '**') {
    for (let k = pi; k <= parts.length; k++) if (matchParts(segs, si + 1, parts, k)) return true;
    return false;
  }
  if (pi >= parts.length) return false;
  return matchSegment(s, parts[pi]!) && matchParts(segs, si + 1, parts, pi + 1);
}

function walkDir(segs: readonly string[], si: number, dir: string, out: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  // Literal segments are joined without listing directories.
  let d = dir;
  let i = si;
  while (i < segs.length - 1 && segs[i] !== '**' && !hasMagic(segs[i]!)) d = join(d, unescape(segs[i++]!));
  const s = segs[i];
  if (s === undefined) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(d, { withFileTypes: true });
  } catch {
    return;
  }
  const last = i === segs.length - 1;
  if (s === '**') {
    // Zero directories, then one more level for every subdirectory.
    walkDir(segs, i + 1, d, out, depth + 1);
    for (const e of entries) if (e.isDirectory()) walkDir(segs, i, join(d, e.name), out, depth + 1);
    return;
  }
  const magic = hasMagic(s);
  for (const e of entries) {
    if (magic ? !matchSegment(s, e.name) : e.name !== unescape(s)) continue;
    if (magic && e.name.startsWith('.') && !s.startsWith('.')) continue;
    const p = join(d, e.name);
    if (last) {
      if (e.isFile() || e.isSymbolicLink()) out.add(p);
    } else if (e.isDirectory() || e.isSymbolicLink()) {
      walkDir(segs, i + 1, p, out, depth + 1);
    }
  }
}

function unescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\(.)/g, '$1') : s;
}
