/**
 * Scoping queries to the caller's apps: every stream selector of a query gets an extra
 * `app=~"a|b"` matcher, so no query can read another app's streams.
 * @module
 */
import { assertNever, Matcher, MatchType } from '../../model/index.js';
import type { Expr, LogQuery, MetricExpr, StreamMatcher } from './parser/index.js';

/** APP_LABEL is the label that names a stream's app (tenant). */
export const APP_LABEL = 'app';

// An empty allow-list denies everything: `a^` is a regex no value matches.
const NOTHING = 'a^';

function quoteRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** appMatcherValue returns the anchored regex accepting exactly the given apps. */
export function appMatcherValue(apps: readonly string[]): string {
  return apps.length === 0 ? '' : apps.map(quoteRegex).join('|');
}

/** appMatcher returns the matcher restricting streams to `apps` (none: matches no stream). */
export function appMatcher(apps: readonly string[]): Matcher {
  if (apps.length === 0) return new Matcher(MatchType.Regexp, APP_LABEL, NOTHING);
  return new Matcher(MatchType.Regexp, APP_LABEL, appMatcherValue(apps));
}

function scopeLog(q: LogQuery, apps: readonly string[]): LogQuery {
  const m: StreamMatcher = {
    name: APP_LABEL,
    type: MatchType.Regexp,
    value: apps.length === 0 ? NOTHING : appMatcherValue(apps),
    range: q.range,
  };
  return { ...q, matchers: [...q.matchers, m] };
}

/** scopeToApps returns the expression with every selector restricted to `apps`. */
export function scopeToApps(e: Expr, apps: readonly string[]): Expr {
  if (e.kind === 'logQuery') return scopeLog(e, apps);
  return scopeMetric(e, apps);
}

function scopeMetric(e: MetricExpr, apps: readonly string[]): MetricExpr {
  switch (e.kind) {
    case 'rangeAgg':
      return { ...e, arg: { ...e.arg, query: scopeLog(e.arg.query, apps) } };
    case 'vectorAgg':
      return { ...e, arg: scopeMetric(e.arg, apps) };
    case 'binary':
      return { ...e, lhs: scopeMetric(e.lhs, apps), rhs: scopeMetric(e.rhs, apps) };
    case 'labelReplace':
      return { ...e, arg: scopeMetric(e.arg, apps) };
    case 'number':
    case 'vector':
      return e;
    default:
      return assertNever(e, 'expression');
  }
}

