/**
 * Line filters (`|=`, `!=`, `|~`, `!~`, `|>`, `!>`, `ip(…)`) compiled to predicates, and the
 * pushdown that lets the store skip chunks and search blocks: literal needles every matching
 * line contains, taken from `|=` strings and from the literal runs of `|~` regexes.
 * @module
 */
import { RE2JS } from 're2js';
import type { LineFilterStage } from './parser/index.js';
import { compilePattern, matchPattern } from './extractors.js';
import { ipMatcher } from './ip-match.js';

/** LinePredicate keeps a line when it returns true. */
export type LinePredicate = (line: string) => boolean;

/** compileLineFilter turns a line filter stage into a predicate. */
export function compileLineFilter(st: LineFilterStage): LinePredicate {
  const alts = st.values.map((v): LinePredicate => {
    if (v.kind === 'ip') return ipMatcher(v.value).inLine;
    switch (st.op) {
      case '|=':
      case '!=':
        return containsPredicate(v.value);
      case '|~':
      case '!~':
        return regexPredicate(v.value);
      case '|>':
      case '!>':
        return patternPredicate(v.value);
    }
  });
  const any: LinePredicate = alts.length === 1 ? alts[0]! : (l) => alts.some((f) => f(l));
  const negate = st.op === '!=' || st.op === '!~' || st.op === '!>';
  return negate ? (l) => !any(l) : any;
}

function containsPredicate(s: string): LinePredicate {
  if (s === '') return () => true;
  return (l) => l.includes(s);
}

/** regexPredicate compiles an RE2 regex matching anywhere in the line, with literal shortcuts. */
export function regexPredicate(pattern: string): LinePredicate {
  const lit = literalOf(pattern);
  if (lit !== undefined) return lit.fold ? (l) => foldAscii(l).includes(lit.text) : (l) => l.includes(lit.text);
  const re = RE2JS.compile(pattern);
  const need = requiredLiterals(pattern);
  const longest = need.literals.reduce((a, b) => (b.length > a.length ? b : a), '');
  const test = (l: string): boolean => re.matcher(l).find();
  if (longest.length >= 2) {
    return need.fold ? (l) => foldAscii(l).includes(longest) && test(l) : (l) => l.includes(longest) && test(l);
  }
  return test;
}

function patternPredicate(p: string): LinePredicate {
  const parts = compilePattern(p);
  const noop = (): void => {};
  return (l) => matchPattern(parts, l, noop) && patternFullyMatches(parts, l);
}

// A pattern filter also needs its trailing literal: matchPattern alone stops early.
function patternFullyMatches(parts: ReturnType<typeof compilePattern>, line: string): boolean {
  let pos = 0;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if (p.kind !== 'literal') continue;
    const i = k === 0 ? (line.startsWith(p.text) ? 0 : -1) : line.indexOf(p.text, pos);
    if (i < 0) return false;
    pos = i + p.text.length;
  }
  return true;
}

/** foldAscii lowercases ASCII letters only (what the store's folded needles assume). */
export function foldAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

const META = /[\\.+*?()|[\]{}^$]/;

// literalOf recognizes a regex that is a plain literal, optionally case-insensitive (ASCII,
// without k/s whose case orbits include non-ASCII letters).
function literalOf(pattern: string): { text: string; fold: boolean } | undefined {
  let p = pattern;
  let fold = false;
  if (p.startsWith('(?i)')) {
    fold = true;
    p = p.slice(4);
  }
  if (p === '' || META.test(p)) return undefined;
  if (fold && (/[^\x00-\x7f]/.test(p) || /[ksKS]/.test(p))) return undefined;
  return { text: fold ? foldAscii(p) : p, fold };
}

/**
 * requiredLiterals returns literal substrings every match of `pattern` contains, from its
 * top-level concatenation (an alternation at top level gives none). With `(?i)`, the literals
 * are ASCII-folded and `fold` is set; runs with non-ASCII or k/s letters are split there.
 */
export function requiredLiterals(pattern: string): { literals: string[]; fold: boolean } {
  let p = pattern;
  let fold = false;
  const flags = /^\(\?([a-zA-Z]+)\)/.exec(p);
  if (flags !== null) {
    if (flags[1] !== 'i') return { literals: [], fold: false };
    fold = true;
    p = p.slice(flags[0].length);
  }
  const runs: string[] = [];
  let cur = '';
  const end = (): void => {
    if (cur !== '') runs.push(cur);
    cur = '';
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '|') return { literals: [], fold };
    if (c === '(') {
      end();
      let depth = 1;
      let j = i + 1;
      for (; j < p.length && depth > 0; j++) {
        if (p[j] === '\\') j++;
        else if (p[j] === '[') {
          j++;
          if (p[j] === '^') j++;
          if (p[j] === ']') j++;
          while (j < p.length && p[j] !== ']') {
            if (p[j] === '\\') j++;
            j++;
          }
        } else if (p[j] === '(') depth++;
        else if (p[j] === ')') depth--;
      }
      i = j - 1;
      i = skipQuantifier(p, i + 1) - 1;
      continue;
    }
    if (c === '[') {
      end();
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') {
        if (p[j] === '\\') j++;
        j++;
      }
      i = skipQuantifier(p, j + 1) - 1;
      continue;
    }
    let lit: string | undefined;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) return { literals: [], fold };
      if (/[.+*?()|[\]{}^$\\\/"'#&,:;<=>@`~!%_-]/.test(n) || n === ' ') lit = n;
      else if (n === 'n') lit = '\n';
      else if (n === 't') lit = '\t';
      else if (n === 'r') lit = '\r';
      else if (n === 'Q') return { literals: runs.concat(cur === '' ? [] : [cur]), fold };
      i++;
    } else if (!/[.+*?{}^$)]/.test(c)) {
      lit = c;
    }
    if (lit === undefined) {
      end();
      continue;
    }
    const q = p[i + 1];
    if (q === '*' || q === '?' || (q === '{' && /^\{0[,}]/.test(p.slice(i + 1)))) {
      end();
      i = skipQuantifier(p, i + 1) - 1;
      continue;
    }
    if (fold && (/[^\x00-\x7f]/.test(lit) || /[ksKS]/.test(lit))) {
      end();
    } else {
      cur += fold ? foldAscii(lit) : lit;
    }
    if (q === '+' || q === '{') {
      end();
      i = skipQuantifier(p, i + 1) - 1;
    }
  }
  end();
  return { literals: runs, fold };
}

function skipQuantifier(p: string, i: number): number {
  let j = i;
  if (p[j] === '*' || p[j] === '+' || p[j] === '?') j++;
  else if (p[j] === '{') {
    const close = p.indexOf('}', j);
    if (close > 0 && /^\{[0-9]*(,[0-9]*)?\}$/.test(p.slice(j, close + 1))) j = close + 1;
  }
  if (p[j] === '?' && j > i) j++;
  return j;
}

/** Pushdown is what a pipeline's leading line filters let the store do. */
export interface Pushdown {
  readonly needles: readonly string[];
  readonly foldedNeedles: readonly string[];
  readonly filter: LinePredicate | undefined;
  /** Indices of the pipeline stages the pushdown applies fully (the pipeline skips them). */
  readonly applied: ReadonlySet<number>;
}

/**
 * pushdownOf takes the line filters at the head of a pipeline (before any stage that rewrites
 * the line) and derives needles and one combined predicate for the store.
 */
export function pushdownOf(stages: readonly { kind: string }[]): Pushdown {
  const needles: string[] = [];
  const folded: string[] = [];
  const preds: LinePredicate[] = [];
  const applied = new Set<number>();
  // Parsers and label filters leave the line as it is, so every line filter before the first
  // stage that rewrites the line tests the original line and may run first, in the store.
  for (let i = 0; i < stages.length; i++) {
    const st = stages[i]!;
    if (st.kind === 'lineFormat' || st.kind === 'decolorize' || st.kind === 'unpack') break;
    if (st.kind !== 'lineFilter') continue;
    const lf = st as LineFilterStage;
    preds.push(compileLineFilter(lf));
    applied.add(i);
    if (lf.values.length !== 1 || lf.values[0]!.kind !== 'text') continue;
    const v = lf.values[0]!.value;
    if (lf.op === '|=' && v !== '') needles.push(v);
    if (lf.op === '|~') {
      const lit = literalOf(v);
      if (lit !== undefined) (lit.fold ? folded : needles).push(lit.text);
      else {
        const r = requiredLiterals(v);
        for (const l of r.literals) if (l.length >= 3) (r.fold ? folded : needles).push(l);
      }
    }
    if (lf.op === '|>') {
      for (const p of compilePattern(v)) if (p.kind === 'literal' && p.text.length >= 3) needles.push(p.text);
    }
  }
  const filter = preds.length === 0 ? undefined : preds.length === 1 ? preds[0] : (l: string) => preds.every((f) => f(l));
  return { needles, foldedNeedles: folded, filter, applied };
}
