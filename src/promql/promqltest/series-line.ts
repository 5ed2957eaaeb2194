/**
 * Series descriptions of promqltest scripts: `metric{label="v"} 0+10x5 _ stale {{schema:0 …}}`.
 * @module
 */
import { Labels, METRIC_NAME, STALE_NAN } from '../../model/index.js';
import { lex, unquote } from '../parser/index.js';

/** SeqValue is one position of a value sequence. */
export type SeqValue =
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'omit' }
  | { readonly kind: 'histogram'; readonly text: string; readonly hintSet: boolean };

/** SeriesLine is a parsed series description. */
export interface SeriesLine {
  readonly labels: Labels;
  readonly values: readonly SeqValue[];
  /** True for a start-timestamp line (`metric@st …`). */
  readonly startTimestamps: boolean;
}

/** SeriesLineError reports a malformed series description. */
export class SeriesLineError extends Error {
  override readonly name = 'SeriesLineError';
}

/** splitMetric returns the metric part of a line and the rest. */
function splitMetric(line: string): { metric: string; rest: string } {
  let i = 0;
  if (line[0] !== '{') {
    while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  }
  if (line[i] === '{' && line[i + 1] !== '{') {
    let quote = '';
    for (i++; i < line.length; i++) {
      const c = line[i]!;
      if (quote !== '') {
        if (c === '\\' && quote !== '`') i++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '}') {
        i++;
        break;
      }
    }
  }
  if (line.startsWith('@st', i)) i += 3;
  return { metric: line.slice(0, i), rest: line.slice(i) };
}

/** parseMetric parses `name{a="b", "c.d"="e", "metric.name"}` into labels. */
export function parseMetric(text: string): Labels {
  let name = '';
  let body = text;
  const brace = text.indexOf('{');
  if (brace < 0) {
    name = text;
    body = '';
  } else {
    name = text.slice(0, brace);
    body = text.slice(brace);
  }
  const pairs: Record<string, string> = {};
  if (name !== '') pairs[METRIC_NAME] = name;
  if (body !== '') {
    const toks = lex(body).filter((t) => t.kind !== 'COMMENT');
    let i = 0;
    const next = (): (typeof toks)[number] => toks[Math.min(i++, toks.length - 1)]!;
    const expectKind = (k: string): (typeof toks)[number] => {
      const t = next();
      if (t.kind !== k) throw new SeriesLineError(`unexpected ${t.val} in label set, expected ${k}`);
      return t;
    };
    expectKind('LEFT_BRACE');
    for (;;) {
      let t = next();
      if (t.kind === 'RIGHT_BRACE') break;
      let lname: string;
      if (t.kind === 'IDENTIFIER') lname = t.val;
      else if (t.kind === 'STRING') lname = unquote(t.val);
      else throw new SeriesLineError(`unexpected ${t.val} in label set`);
      if (toks[i]?.kind === 'EQL') {
        i++;
        pairs[lname] = unquote(expectKind('STRING').val);
      } else if (t.kind === 'STRING') {
        pairs[METRIC_NAME] = lname;
      } else throw new SeriesLineError(`unexpected ${toks[i]?.val ?? 'end'} in label set, expected "="`);
      t = next();
      if (t.kind === 'RIGHT_BRACE') break;
      if (t.kind !== 'COMMA') throw new SeriesLineError(`unexpected ${t.val} in label set, expected "," or "}"`);
    }
  }
  return Labels.fromObject(pairs);
}

const NUM = String.raw`(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN])`;
const ITEM = new RegExp(`^([+-]?${NUM})(?:([+-])(${NUM}))?(?:x(\\d+))?$`);

function parseFloatItem(s: string): number {
  const t = s.toLowerCase();
  if (/^[+-]?inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return Number(s);
}

/** parseValues parses a value sequence. */
export function parseValues(text: string): SeqValue[] {
  const out: SeqValue[] = [];
  let i = 0;
  const s = text;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (s.startsWith('{{', i)) {
      const end = s.indexOf('}}', i);
      if (end < 0) throw new SeriesLineError('unterminated histogram');
      const first = s.slice(i, end + 2);
      i = end + 2;
      let times = 0;
      if (s[i] === '+' || s[i] === '-') {
        const end2 = s.indexOf('}}', i);
        if (end2 < 0) throw new SeriesLineError('unterminated histogram');
        i = end2 + 2;
      }
      if (s[i] === 'x') {
        const m = /^x(\d+)/.exec(s.slice(i));
        if (m === null) throw new SeriesLineError(`bad repetition in ${JSON.stringify(s.slice(i))}`);
        times = Number(m[1]);
        i += m[0].length;
      }
      const hintSet = /counter_reset_hint\s*:/i.test(first);
      for (let k = 0; k <= times; k++) out.push({ kind: 'histogram', text: first, hintSet });
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) j++;
    const item = s.slice(i, j);
    i = j;
    if (item === '_') {
      out.push({ kind: 'omit' });
      continue;
    }
    const om = /^_x(\d+)$/.exec(item);
    if (om !== null) {
      for (let k = 0; k < Number(om[1]); k++) out.push({ kind: 'omit' });
      continue;
    }
    if (item === 'stale') {
      out.push({ kind: 'float', v: STALE_NAN });
      continue;
    }
    const m = ITEM.exec(item);
    if (m === null) throw new SeriesLineError(`invalid value ${JSON.stringify(item)}`);
    let v = parseFloatItem(m[1]!);
    const times = m[4] !== undefined ? Number(m[4]) : 0;
    if (m[2] === undefined) {
      for (let k = 0; k <= times; k++) out.push({ kind: 'float', v });
    } else {
      if (m[4] === undefined) throw new SeriesLineError(`invalid value ${JSON.stringify(item)}`);
      const d = (m[2] === '-' ? -1 : 1) * parseFloatItem(m[3]!);
      out.push({ kind: 'float', v });
      for (let k = 1; k <= times; k++) {
        v += d;
        out.push({ kind: 'float', v });
      }
    }
  }
  return out;
}

/** parseSeriesLine parses `metric values…`. */
export function parseSeriesLine(line: string): SeriesLine {
  const { metric, rest } = splitMetric(line.trim());
  const st = metric.endsWith('@st');
  const m = st ? metric.slice(0, -3) : metric;
  const labels = parseMetric(m);
  if (st) return { labels, values: [], startTimestamps: true };
  return { labels, values: parseValues(rest), startTimestamps: false };
}
