/**
 * Matcher → postings evaluation with Prometheus's semantics (tsdb/querier.go): a matcher that
 * accepts the empty value also selects series without the label, `!=`/`!~` are evaluated as
 * subtractions, and a selector made only of such matchers starts from every series. Equality,
 * literal sets (`a|b|c`) and literal prefixes (`foo.*`) avoid scanning every value.
 * @module
 */
import { Matcher, MatchType, compareStrings } from '../../model/index.js';
import { ALL_POSTINGS_KEY, EMPTY_POSTINGS, intersectPostings, subtractPostings, type Postings } from './postings.js';

/** PostingsSource is what matcher evaluation needs from an index (a block's or the head's). */
export interface PostingsSource {
  /** sortedLabelValues returns every value of the label name, sorted (empty when absent). */
  sortedLabelValues(name: string): readonly string[];
  /** postings returns the union of the postings of name=value over `values` (unknown values add nothing). */
  postings(name: string, values: readonly string[]): Postings;
}

/**
 * postingsForMatchers returns the refs of the series that satisfy every matcher. No matchers
 * select nothing.
 */
export function postingsForMatchers(ix: PostingsSource, matchers: readonly Matcher[]): Postings {
  if (matchers.length === 0) return EMPTY_POSTINGS;
  const mustBeSet = new Set<string>();
  for (const m of matchers) if (!m.matchesEmpty()) mustBeSet.add(m.name);
  const its: Postings[] = [];
  const notIts: Postings[] = [];
  for (const m of matchers) {
    if (mustBeSet.has(m.name)) {
      const matchesEmpty = m.matchesEmpty();
      if (m.isNegative() && matchesEmpty) {
        // l!="foo" where l must be set anyway: subtract the series with l="foo".
        notIts.push(ix.postings(m.name, valuesWhere(ix, m, false)));
      } else {
        // l="a", l=~"a.+", or a negation that rejects "" (l!=""): the values it accepts.
        const p = ix.postings(m.name, valuesWhere(ix, m, true));
        if (p.length === 0) return EMPTY_POSTINGS;
        its.push(p);
      }
    } else {
      // The matcher accepts "": every series without the label matches, so subtract the series
      // whose value it rejects.
      notIts.push(ix.postings(m.name, valuesWhere(ix, m, false)));
    }
  }
  if (its.length === 0) its.push(ix.postings(ALL_POSTINGS_KEY.name, [ALL_POSTINGS_KEY.value]));
  let p = intersectPostings(its);
  for (const n of notIts) {
    if (p.length === 0) break;
    p = subtractPostings(p, n);
  }
  return p;
}

/**
 * valuesWhere returns the existing values v of m's label with m.matches(v) === want, using the
 * matcher's literal set or prefix when it has one.
 */
export function valuesWhere(ix: PostingsSource, m: Matcher, want: boolean): readonly string[] {
  // The positive matcher whose accepted set we are after, when there is one.
  let pos: Matcher | undefined;
  if (want && !m.isNegative()) pos = m;
  else if (!want && m.isNegative()) pos = new Matcher(m.type === MatchType.NotEqual ? MatchType.Equal : MatchType.Regexp, m.name, m.value);
  if (pos !== undefined) {
    const set = pos.setMatches();
    if (set !== undefined) return set;
  }
  const all = ix.sortedLabelValues(m.name);
  let lo = 0;
  let hi = all.length;
  const prefix = pos?.prefix() ?? '';
  if (prefix !== '') {
    // Values are in UTF-8 byte order: those starting with the prefix are contiguous.
    lo = lowerBound(all, prefix);
    hi = lo;
    while (hi < all.length && all[hi]!.startsWith(prefix)) hi++;
  }
  const out: string[] = [];
  for (let i = lo; i < hi; i++) {
    const v = all[i]!;
    if (prefix !== '' && !v.startsWith(prefix)) continue;
    if (m.matches(v) === want) out.push(v);
  }
  return out;
}

// lowerBound finds the first value >= s in UTF-8 byte order (the index's order).
function lowerBound(a: readonly string[], s: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStrings(a[mid]!, s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
