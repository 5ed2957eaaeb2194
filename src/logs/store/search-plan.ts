/**
 * The pushdown plan of a query: needles as escaped bytes for block-wide search, and the token
 * filter items that let whole chunks be skipped.
 * @module
 */
import { escapeNeedle } from './block-codec.js';
import type { CursorQuery } from './interface.js';
import type { Search } from './stream-cursor.js';
import { needleItems } from './token-filter.js';

/** SearchPlan is a Search plus the filter items every matching line must hold. */
export interface SearchPlan extends Search {
  readonly items: readonly number[];
}

/** hintGroups compiles line hints into escaped byte groups. */
export function hintGroups(q: CursorQuery): Buffer[][] {
  return (q.hints?.anyOf ?? []).filter((g) => g.length > 0 && !g.includes('')).map((g) => g.map((s) => escapeNeedle(Buffer.from(s, 'utf8'))));
}

/** planSearch compiles a query's needles. Empty needles are ignored (every line holds them). */
export function planSearch(q: CursorQuery): SearchPlan {
  const needles: Buffer[] = [];
  const folded: Buffer[] = [];
  const items = new Set<number>();
  for (const n of q.needles ?? []) {
    if (n === '') continue;
    const b = Buffer.from(n, 'utf8');
    for (const it of needleItems(b)) items.add(it);
    needles.push(escapeNeedle(b));
  }
  for (const n of q.foldedNeedles ?? []) {
    if (n === '') continue;
    const b = Buffer.from(n.replace(/[A-Z]/g, (c) => c.toLowerCase()), 'utf8');
    for (const it of needleItems(b)) items.add(it);
    folded.push(escapeNeedle(b));
  }
  // The longest needle first: it matches the fewest places, so block search starts narrow.
  needles.sort((a, b) => b.length - a.length);
  folded.sort((a, b) => b.length - a.length);
  return { needles, folded, filter: q.filter, items: [...items], hints: [] };
}
