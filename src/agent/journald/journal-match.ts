/**
 * JournalMatch: journalctl's entry filter over the file reader. Field matches (`FIELD=value`)
 * on the same field are alternatives, on different fields all must hold, and `+` starts another
 * alternative term (sd_journal_add_match/add_disjunction); `--unit=U` adds journalctl's four
 * terms for a unit (its own messages, its coredumps, PID 1 about it, privileged daemons about
 * it; a slice also its members), units are alternatives, and the unit part and the field part
 * must both hold (add_conjunction). A unit name without a type gets `.service`; a glob unit
 * (`*`, `?`, `[…]`) matches the unit fields' values by fnmatch.
 * @module
 */
import { compileAnchored, type Regex } from '../../model/index.js';
import type { JournalData } from './journal-file.js';

const COREDUMP_MESSAGE_ID = 'MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1';
const UNIT_TYPES = ['.service', '.socket', '.target', '.device', '.mount', '.automount', '.swap', '.timer', '.path', '.slice', '.scope'];

/** A clause: the entry has field `field` with one of `keys` (whole `FIELD=value` payloads, latin1) or a value matching `glob`. */
interface Clause {
  readonly field: string;
  /** The field name's bytes. */
  readonly fieldBytes: Buffer;
  readonly keys: Set<string>;
  readonly glob: Regex | undefined;
}
/** A term holds when all its clauses do; a group when one of its terms does; the match when every group does. */
type Term = Clause[];
type Group = Term[];

/** JournalMatch tests entries against journalctl's unit and field filters. */
export class JournalMatch {
  readonly #groups: readonly Group[];

  private constructor(groups: readonly Group[]) {
    this.#groups = groups;
  }

  /** compile builds the filter of `--unit` values and field matches; undefined when there is nothing to filter on. */
  static compile(units: readonly string[], matches: readonly string[]): JournalMatch | undefined {
    const groups: Group[] = [];
    if (units.length > 0) {
      const g: Group = [];
      for (const u of units) g.push(...unitTerms(mangleUnit(u)));
      groups.push(g);
    }
    const terms: Group = [];
    let cur: Term = [];
    for (const m of matches) {
      if (m === '+') {
        if (cur.length > 0) terms.push(cur);
        cur = [];
        continue;
      }
      addClause(cur, m);
    }
    if (cur.length > 0) terms.push(cur);
    if (terms.length > 0) groups.push(terms);
    return groups.length === 0 ? undefined : new JournalMatch(groups);
  }

  /** test tells whether the entry with DATA objects `data[0, n)` passes. */
  test(data: readonly JournalData[], n: number): boolean {
    for (const g of this.#groups) {
      let any = false;
      for (const t of g) {
        if (termHolds(t, data, n)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }
}

function termHolds(t: Term, data: readonly JournalData[], n: number): boolean {
  for (const c of t) {
    let hit = false;
    for (let i = 0; i < n && !hit; i++) {
      const d = data[i]!;
      if (d.error !== '' || !sameName(d, c.fieldBytes)) continue;
      const key = (d.key ??= d.payload.toString('latin1'));
      if (c.keys.has(key)) hit = true;
      else if (c.glob !== undefined) hit = c.glob.test(d.payload.toString('utf8', d.nameLength + 1));
    }
    if (!hit) return false;
  }
  return true;
}

/** Whether the DATA object's field name is `name` (compared before any string is made). */
function sameName(d: JournalData, name: Buffer): boolean {
  if (d.nameLength !== name.length) return false;
  const p = d.payload;
  for (let i = 0; i < name.length; i++) if (p[i] !== name[i]) return false;
  return true;
}

/** Adds `FIELD=value` to a term: to the clause of that field if there is one (alternatives). */
function addClause(t: Term, m: string, glob?: Regex): void {
  const eq = m.indexOf('=');
  const field = m.slice(0, eq);
  let c = t.find((x) => x.field === field);
  if (c === undefined) {
    c = { field, fieldBytes: Buffer.from(field, 'latin1'), keys: new Set(), glob };
    t.push(c);
  }
  if (glob === undefined) c.keys.add(Buffer.from(m, 'utf8').toString('latin1'));
}

/** A unit name as journalctl mangles it: `.service` added when it has no unit type and is no glob. */
function mangleUnit(u: string): string {
  if (isGlob(u)) return u;
  return UNIT_TYPES.some((t) => u.endsWith(t) && u.length > t.length) ? u : `${u}.service`;
}

function isGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** journalctl's terms for one unit (add_matches_for_unit). */
function unitTerms(unit: string): Term[] {
  const glob = isGlob(unit) ? compileAnchored(globToRegex(unit)) : undefined;
  const term = (...ms: string[]): Term => {
    const t: Term = [];
    for (const m of ms) {
      const eq = m.indexOf('=');
      const isUnit = glob !== undefined && m.slice(eq + 1) === unit;
      addClause(t, m, isUnit ? glob : undefined);
    }
    return t;
  };
  const out = [
    term(`_SYSTEMD_UNIT=${unit}`),
    term(COREDUMP_MESSAGE_ID, '_UID=0', `COREDUMP_UNIT=${unit}`),
    term('_PID=1', `UNIT=${unit}`),
    term('_UID=0', `OBJECT_SYSTEMD_UNIT=${unit}`),
  ];
  if (unit.endsWith('.slice')) out.push(term(`_SYSTEMD_SLICE=${unit}`));
  return out;
}

/** fnmatch(3) pattern (`*`, `?`, `[…]`, `[!…]`, `\x`) as an RE2 pattern. */
function globToRegex(g: string): string {
  let out = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = bracketEnd(g, i);
      if (end < 0) out += '\\[';
      else {
        let j = i + 1;
        let body = '';
        if (g[j] === '!' || g[j] === '^') {
          body += '^';
          j++;
        }
        for (let first = true; j < end; j++, first = false) {
          const x = g[j]!;
          if (x === '[' && g[j + 1] === ':') {
            const close = g.indexOf(':]', j + 2);
            body += g.slice(j, close + 2);
            j = close + 1;
          } else if (x === ']' && first) body += '\\]';
          else if (x === '\\' || x === '[') body += '\\' + x;
          else body += x;
        }
        out += '[' + body + ']';
        i = end;
      }
    } else if (c === '\\' && i + 1 < g.length) out += escapeRe(g[++i]!);
    else out += escapeRe(c);
  }
  return out;
}

/** The index of the ']' closing the bracket expression opened at `i` (a ']' first in it is literal, `[:class:]` inside), -1 when none. */
function bracketEnd(g: string, i: number): number {
  let j = i + 1;
  if (g[j] === '!' || g[j] === '^') j++;
  if (g[j] === ']') j++;
  for (; j < g.length; j++) {
    if (g[j] === '[' && g[j + 1] === ':') {
      const close = g.indexOf(':]', j + 2);
      if (close < 0) return -1;
      j = close + 1;
    } else if (g[j] === ']') return j;
  }
  return -1;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\]/.test(c) ? '\\' + c : c;
}
