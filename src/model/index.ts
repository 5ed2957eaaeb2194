/**
 * Labels, matchers, time and the values shared by every engine. Imports nothing of vigil.
 * @module
 */
export { Labels, LabelsBuilder, METRIC_NAME, compareStrings, quoteGo } from './labels.js';
export { Matcher, MatchType, matchesAll } from './matcher.js';
export { compileAnchored, compileUnanchored, memoized, RegexSyntaxError } from './regex.js';
export type { Regex } from './regex.js';
export { STALE_NAN, STALE_NAN_HI, STALE_NAN_LO, isStaleNaN } from './stale.js';
export { parseDuration, formatDuration, DurationError } from './time.js';
export { lineCol, assertNever } from './errors.js';
export type { PositionRange, Warning } from './errors.js';
export { formatFloatF, formatFloatG } from './go-float.js';
