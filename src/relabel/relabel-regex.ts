/**
 * The anchored regex of a relabel_config, with capture groups for replacements.
 * @module
 */
import { RE2JS } from 're2js';
import { compileAnchored, RegexSyntaxError } from '../model/index.js';
import type { Regex } from '../model/index.js';

/**
 * RelabelRegex is a Regex (model's interface, so it can stand wherever one is expected) that
 * also yields capture groups. Like Prometheus 2.42 it compiles `^(?:<source>)$` without the `s`
 * flag, so `.` does not match a newline.
 */
export interface RelabelRegex extends Regex {
  /** match returns the groups of a whole-string match (index 0 is the whole), or undefined. */
  match(s: string): readonly (string | null)[] | undefined;
  /** groupNames maps named groups to their indexes. */
  readonly groupNames: Readonly<Record<string, number>>;
}

const cache = new Map<string, RelabelRegex>();

/** compileRelabelRegex compiles a relabel regex; throws RegexSyntaxError when it does not compile. */
export function compileRelabelRegex(source: string): RelabelRegex {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?:${source})$`);
  } catch (e) {
    throw new RegexSyntaxError(source, e instanceof Error ? e.message : String(e), { cause: e });
  }
  // model's matcher brings literal/alternation/prefix fast paths; it compiles with (?s), which
  // only differs from Prometheus 2.42 on input containing a newline, so those go to `re`.
  const fast = compileAnchored(source);
  const groupCount = re.groupCount();
  const groupNames = re.namedGroups();
  const shape = fastShape(source);
  const engineMatch = (s: string): (string | null)[] | undefined => {
    const m = re.matcher(s);
    if (!m.matches()) return undefined;
    const groups: (string | null)[] = new Array(groupCount + 1);
    for (let i = 0; i <= groupCount; i++) groups[i] = m.group(i);
    return groups;
  };
  let test = (s: string): boolean => (s.includes('\n') ? re.matches(s) : fast.test(s));
  let match = engineMatch;
  if (shape !== undefined) {
    const { prefixes, capture } = shape;
    if (capture !== undefined) {
      // LIT(.*) or LIT(.+): the group is everything after the literal.
      const lit = prefixes[0]!;
      const min = capture === '.+' ? 1 : 0;
      match = (s) => {
        if (s.includes('\n')) return engineMatch(s);
        return s.length - lit.length >= min && s.startsWith(lit) ? [s, s.slice(lit.length)] : undefined;
      };
      test = (s) => (s.includes('\n') ? re.matches(s) : s.length - lit.length >= min && s.startsWith(lit));
    } else {
      // LIT1.*|LIT2.*|…: a prefix test.
      test = (s) => {
        if (s.includes('\n')) return re.matches(s);
        for (const p of prefixes) if (s.startsWith(p)) return true;
        return false;
      };
    }
  }
  const rx: RelabelRegex = {
    source,
    setMatches: fast.setMatches,
    prefix: fast.prefix,
    groupNames,
    test,
    match,
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(source, rx);
  return rx;
}

const LITERAL = /^[A-Za-z0-9_:\-/=@ ,;'"<>!%&~`]*$/;

// fastShape recognises `LIT(.*)`, `LIT(.+)` (one capture after a literal, LIT possibly empty) and
// `LIT1.*|LIT2.*|…` (prefix alternations), the shapes most relabel configs use.
function fastShape(source: string): { prefixes: string[]; capture?: '.*' | '.+' } | undefined {
  const m = /^(.*)\((\.\*|\.\+)\)$/.exec(source);
  if (m !== null && LITERAL.test(m[1]!)) return { prefixes: [m[1]!], capture: m[2] as '.*' | '.+' };
  const branches = source.split('|');
  const prefixes: string[] = [];
  for (const b of branches) {
    if (!b.endsWith('.*')) return undefined;
    const lit = b.slice(0, -2);
    if (!LITERAL.test(lit)) return undefined;
    prefixes.push(lit);
  }
  return { prefixes };
}
