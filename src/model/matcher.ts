/**
 * Label matchers: `=`, `!=`, `=~`, `!~` with Prometheus's semantics.
 * @module
 */
import { compileAnchored, type Regex } from './regex.js';
import { quoteGo } from './labels.js';

/** MatchType names the four matcher operators by their PromQL spelling. */
export const MatchType = {
  Equal: '=',
  NotEqual: '!=',
  Regexp: '=~',
  NotRegexp: '!~',
} as const;
/** One of the four matcher operators. */
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

/**
 * Matcher tests a label value. An absent label has the value '', so `{a=""}` selects series
 * without `a`, and `{a=~".*"}` matches every series. Regexes are anchored at both ends.
 */
export class Matcher {
  readonly #re: Regex | undefined;

  /** Throws RegexSyntaxError when a regex matcher's value does not compile. */
  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.#re = type === MatchType.Regexp || type === MatchType.NotRegexp ? compileAnchored(value) : undefined;
  }

  /** matches tells whether value v satisfies the matcher. */
  matches(v: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return v === this.value;
      case MatchType.NotEqual:
        return v !== this.value;
      case MatchType.Regexp:
        return this.#re!.test(v);
      case MatchType.NotRegexp:
        return !this.#re!.test(v);
    }
  }

  /** matchesEmpty tells whether the matcher accepts a series that lacks the label. */
  matchesEmpty(): boolean {
    return this.matches('');
  }

  /** setMatches lists the only values an `=` or `=~` matcher can accept, when finite. */
  setMatches(): readonly string[] | undefined {
    if (this.type === MatchType.Equal) return [this.value];
    if (this.type === MatchType.Regexp) return this.#re!.setMatches;
    return undefined;
  }

  /** prefix returns a literal every accepted value starts with ('' if unknown or negated). */
  prefix(): string {
    if (this.type === MatchType.Equal) return this.value;
    if (this.type === MatchType.Regexp) return this.#re!.prefix;
    return '';
  }

  /** isRegex tells whether the matcher is `=~` or `!~`. */
  isRegex(): boolean {
    return this.#re !== undefined;
  }

  /** isNegative tells whether the matcher is `!=` or `!~`. */
  isNegative(): boolean {
    return this.type === MatchType.NotEqual || this.type === MatchType.NotRegexp;
  }

  /** toString prints the matcher as PromQL does: `name="value"`. */
  toString(): string {
    return `${this.name}${this.type}${quoteGo(this.value)}`;
  }
}

/** matchesLabels tells whether a label getter satisfies every matcher. */
export function matchesAll(matchers: readonly Matcher[], get: (name: string) => string): boolean {
  for (const m of matchers) if (!m.matches(get(m.name))) return false;
  return true;
}
