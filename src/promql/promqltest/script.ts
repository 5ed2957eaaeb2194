/**
 * Parsing of promqltest scripts (`load`, `clear`, `eval` blocks with `expect` lines), as the
 * conformance suite's FORMAT.md describes them.
 * @module
 */
import { parseDurationMs } from '../parser/index.js';
import { type SeqValue, type SeriesLine, parseSeriesLine } from './series-line.js';
import type { Labels } from '../../model/index.js';

/** LoadCommand stores series. */
export interface LoadCommand {
  readonly kind: 'load';
  readonly line: number;
  readonly intervalMs: number;
  readonly withNhcb: boolean;
  /** Last line per label set wins. */
  readonly series: readonly SeriesLine[];
  /** The block carries start timestamps (`…@st` lines). */
  readonly startTimestamps: boolean;
}

/** ClearCommand empties the store. */
export interface ClearCommand {
  readonly kind: 'clear';
  readonly line: number;
}

/** Expectation is one `expect` line. */
export interface Expectation {
  readonly type: 'ordered' | 'fail' | 'warn' | 'no_warn' | 'info' | 'no_info';
  readonly mode?: 'msg' | 'regex';
  readonly text?: string;
}

/** ExpectedSeries is one expected series line. */
export interface ExpectedSeries {
  readonly labels: Labels;
  readonly values: readonly SeqValue[];
  /** 1-based position among the series lines (for `ordered`). */
  readonly position: number;
}

/** EvalCommand runs one query and checks the result. */
export interface EvalCommand {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  readonly instant: boolean;
  /** Instant time, or range start/end/step (ms). */
  readonly at: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly expects: readonly Expectation[];
  readonly series: readonly ExpectedSeries[];
  readonly scalar?: number;
  readonly string?: string;
  /** `expect range vector from a to b step s`. */
  readonly rangeVector?: { readonly start: number; readonly end: number; readonly step: number };
  /** Old `eval_fail` / `eval_warn` / `eval_info` / `eval_ordered` forms. */
  readonly legacy?: 'fail' | 'warn' | 'ordered' | 'info';
}

/** Command is one script command. */
export type Command = LoadCommand | ClearCommand | EvalCommand;

/** ScriptError reports a script line that does not parse. */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const RANGE_VECTOR = /^expect\s+range\s+vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const STRING_EXPECT = /^expect\s+string\s+(".*"|`.*`)$/;

function duration(s: string, line: number): number {
  try {
    return parseDurationMs(s.trim());
  } catch (e) {
    throw new ScriptError(line, (e as Error).message);
  }
}

/** parseGoNumber parses a scalar expectation like the Go runner (integers with base prefixes, then floats). */
function parseScalar(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.test(t)) {
    const neg = t.startsWith('-');
    const u = t.replace(/^[+-]/, '').replace(/_/g, '');
    let v: number;
    if (/^0[xX]/.test(u)) v = parseInt(u.slice(2), 16);
    else if (/^0[oO]/.test(u)) v = parseInt(u.slice(2), 8);
    else if (/^0[bB]/.test(u)) v = parseInt(u.slice(2), 2);
    else if (u.length > 1 && u[0] === '0') v = parseInt(u.slice(1), 8);
    else v = Number(u);
    return neg ? -v : v;
  }
  const l = t.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(l)) return l.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(l)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return undefined;
}

/** parseScript splits a script into commands. Throws ScriptError. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    const lineNo = i + 1;
    if (l === '') {
      i++;
      continue;
    }
    const word = l.split(/\s+/)[0]!.toLowerCase();
    if (word === 'clear') {
      cmds.push({ kind: 'clear', line: lineNo });
      i++;
    } else if (word.startsWith('load')) {
      const m = /^(load|load_with_nhcb)\s+(\S+)$/.exec(l);
      if (m === null) throw new ScriptError(lineNo, `invalid load command: ${l}`);
      const intervalMs = duration(m[2]!, lineNo);
      const byKey = new Map<string, SeriesLine>();
      let st = false;
      i++;
      while (i < lines.length && lines[i] !== '') {
        let s: SeriesLine;
        try {
          s = parseSeriesLine(lines[i]!);
        } catch (e) {
          throw new ScriptError(i + 1, (e as Error).message);
        }
        if (s.startTimestamps) st = true;
        else {
          const k = s.labels.key();
          byKey.delete(k);
          byKey.set(k, s);
        }
        i++;
      }
      cmds.push({ kind: 'load', line: lineNo, intervalMs, withNhcb: m[1] === 'load_with_nhcb', series: [...byKey.values()], startTimestamps: st });
    } else if (word.startsWith('eval')) {
      const r = parseEval(lines, i);
      cmds.push(r.cmd);
      i = r.next;
    } else {
      throw new ScriptError(lineNo, `invalid command: ${l}`);
    }
  }
  return cmds;
}

function parseEval(lines: readonly string[], start: number): { cmd: EvalCommand; next: number } {
  const l = lines[start]!;
  const lineNo = start + 1;
  let instant = true;
  let legacy: EvalCommand['legacy'];
  let at = 0;
  let rs = 0;
  let re = 0;
  let step = 0;
  let expr: string;
  const mi = EVAL_INSTANT.exec(l);
  if (mi !== null) {
    legacy = mi[1] as EvalCommand['legacy'];
    if (mi[2] === undefined) throw new ScriptError(lineNo, 'missing evaluation time');
    at = duration(mi[2], lineNo);
    expr = mi[3]!;
  } else {
    const mr = EVAL_RANGE.exec(l);
    if (mr === null) throw new ScriptError(lineNo, `invalid eval command: ${l}`);
    instant = false;
    legacy = mr[1] as EvalCommand['legacy'];
    rs = duration(mr[2]!, lineNo);
    re = duration(mr[3]!, lineNo);
    step = duration(mr[4]!, lineNo);
    if (re < rs) throw new ScriptError(lineNo, 'end timestamp must not be before start time');
    expr = mr[5]!;
  }
  const expects: Expectation[] = [];
  const series = new Map<string, ExpectedSeries>();
  let scalar: number | undefined;
  let str: string | undefined;
  let rangeVector: EvalCommand['rangeVector'];
  let i = start + 1;
  let pos = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const b = lines[i]!;
    const bl = i + 1;
    if (legacy === 'fail' && /^expected_fail_(message|regexp)\s/.test(b)) {
      const m = /^expected_fail_(message|regexp)\s+(.*)$/.exec(b)!;
      expects.push({ type: 'fail', mode: m[1] === 'message' ? 'msg' : 'regex', text: m[2]!.trim() });
      i++;
      break;
    }
    const rv = RANGE_VECTOR.exec(b);
    if (rv !== null) {
      rangeVector = { start: duration(rv[1]!, bl), end: duration(rv[2]!, bl), step: duration(rv[3]!, bl) };
      continue;
    }
    const sm = STRING_EXPECT.exec(b);
    if (sm !== null) {
      const q = sm[1]!;
      str = q.startsWith('`') ? q.slice(1, -1) : (JSON.parse(q) as string);
      continue;
    }
    if (b.split(/\s+/)[0] === 'expect') {
      const em = EXPECT.exec(b);
      if (em === null) throw new ScriptError(bl, `invalid expect statement: ${b}`);
      const e: Expectation = { type: em[1] as Expectation['type'], ...(em[2] !== undefined ? { mode: em[2] as 'msg' | 'regex', text: em[3]!.trim() } : {}) };
      expects.push(e);
      continue;
    }
    const sc = parseScalar(b);
    if (sc !== undefined) {
      scalar = sc;
      i++;
      break;
    }
    let sl: SeriesLine;
    try {
      sl = parseSeriesLine(b);
    } catch (e) {
      throw new ScriptError(bl, (e as Error).message);
    }
    if (instant && rangeVector === undefined && sl.values.length > 1) {
      throw new ScriptError(bl, 'expecting multiple values in instant evaluation not allowed');
    }
    pos++;
    const k = sl.labels.key();
    series.delete(k);
    series.set(k, { labels: sl.labels, values: sl.values, position: pos });
  }
  const has = (t: Expectation['type']): boolean => expects.some((e) => e.type === t);
  if ((has('warn') && has('no_warn')) || (has('info') && has('no_info'))) {
    throw new ScriptError(lineNo, 'conflicting annotation expectations');
  }
  if (rangeVector !== undefined) at = rangeVector.end;
  const cmd: EvalCommand = {
    kind: 'eval',
    line: lineNo,
    expr,
    instant,
    at,
    start: rs,
    end: re,
    step,
    expects,
    series: [...series.values()],
    ...(scalar !== undefined ? { scalar } : {}),
    ...(str !== undefined ? { string: str } : {}),
    ...(rangeVector !== undefined ? { rangeVector } : {}),
    ...(legacy !== undefined ? { legacy } : {}),
  };
  return { cmd, next: i };
}

