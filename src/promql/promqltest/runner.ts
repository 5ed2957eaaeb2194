/**
 * The promqltest runner: executes a script against a fresh MemoryStorage and vigil's engine with
 * the exact semantics of the conformance suite's FORMAT.md — loads, clears, instant and range
 * evaluations, the `@ T` step-invariance variants and the range-mode check of every instant case,
 * and the value, ordering, error and annotation checks. Cases that need what vigil does not
 * support yet (native histograms, some experimental features) are reported as skipped with a
 * reason, never silently.
 * @module
 */
import { Labels, isStaleNaN } from '../../model/index.js';
import { MemoryStorage } from '../../storage/index.js';
import { compareLabelsBytes, Engine, type QueryResult } from '../engine.js';
import { QueryError, UnsupportedError } from '../errors.js';
import { type Expr, ParseError, inspect, parseExpr } from '../parser/index.js';
import type { Value } from '../value.js';
import { type Command, type EvalCommand, type ExpectedSeries, ScriptError, parseScript } from './script.js';
import { withAt } from './at-variant.js';
import { RE2JS } from 're2js';

/** CaseStatus is the outcome of one eval case. */
export type CaseStatus = 'pass' | 'fail' | 'skip';

/** CaseResult reports one eval case (or a whole file that could not run). */
export interface CaseResult {
  readonly file: string;
  readonly line: number;
  readonly expr: string;
  readonly status: CaseStatus;
  /** Why the case failed or was skipped. */
  readonly reason?: string;
  /** Feature tags of the case (FORMAT.md §10). */
  readonly tags: readonly string[];
}

const PARSE_OPTIONS = { experimentalFunctions: true, durationExpressions: true, extendedRangeSelectors: true, binopFillModifiers: true };

// Functions whose presence disables the `@ T` variants (FORMAT.md §8).
const TIME_FUNCTIONS = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'time', 'timestamp',
  'predict_linear', 'start', 'end', 'range', 'step',
]);

const EXPERIMENTAL_FUNCTIONS = new Set([
  'info', 'limitk', 'limit_ratio', 'histogram_quantiles', 'start', 'end', 'range', 'step', 'min_of', 'max_of',
  'sort_by_label', 'sort_by_label_desc', 'mad_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time',
  'ts_of_max_over_time', 'ts_of_min_over_time', 'double_exponential_smoothing', 'start_timestamp',
]);

/** Features vigil's engine does not implement yet; cases using them are skipped with this reason. */
const UNSUPPORTED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['start_timestamp', 'start timestamps (experimental use-start-timestamps, not implemented)'],
]);

/** RunOptions change how scripts run. */
export interface RunOptions {
  /**
   * Evaluate with delayed `__name__` removal, as the suite assumes (default true). With false,
   * the engine runs in Prometheus's default mode and name-dependent expectations differ.
   */
  readonly delayedNameRemoval?: boolean;
}

interface State {
  readonly delayedNameRemoval: boolean;
  storage: MemoryStorage;
  /** Label sets of series holding native-histogram samples. */
  histograms: Labels[];
  startTimestamps: boolean;
  loadFailed: string | undefined;
}

/** runScript runs one script; `file` names it in the results. */
export async function runScript(file: string, text: string, options: RunOptions = {}): Promise<CaseResult[]> {
  let cmds: Command[];
  try {
    cmds = parseScript(text);
  } catch (e) {
    const line = e instanceof ScriptError ? e.line : 0;
    return [{ file, line, expr: '', status: 'fail', reason: `script does not parse: ${(e as Error).message}`, tags: [] }];
  }
  const parsed = new Map<EvalCommand, Expr>();
  for (const c of cmds) {
    if (c.kind !== 'eval') continue;
    try {
      parsed.set(c, parseExpr(c.expr, PARSE_OPTIONS));
    } catch (e) {
      return [{ file, line: c.line, expr: c.expr, status: 'fail', reason: `expression does not parse: ${(e as Error).message}`, tags: [] }];
    }
  }
  const results: CaseResult[] = [];
  const state: State = {
    delayedNameRemoval: options.delayedNameRemoval ?? true,
    storage: new MemoryStorage(),
    histograms: [],
    startTimestamps: false,
    loadFailed: undefined,
  };
  for (const c of cmds) {
    switch (c.kind) {
      case 'clear':
        state.storage = new MemoryStorage();
        state.histograms = [];
        state.loadFailed = undefined;
        break;
      case 'load':
        await load(state, c);
        break;
      case 'eval':
        results.push(await runEval(file, state, c, parsed.get(c)!));
        break;
    }
  }
  return results;
}

async function load(state: State, c: Extract<Command, { kind: 'load' }>): Promise<void> {
  if (c.startTimestamps) state.startTimestamps = true;
  const app = state.storage.appender();
  try {
    for (const s of c.series) {
      if (s.labels.isEmpty()) throw new Error('series with empty label set');
      let hasHistogram = false;
      s.values.forEach((v, i) => {
        const t = i * c.intervalMs;
        if (v.kind === 'float') app.append(0, s.labels, t, v.v);
        else if (v.kind === 'histogram') hasHistogram = true;
      });
      if (hasHistogram) state.histograms.push(s.labels);
    }
    if (c.withNhcb) {
      // Classic histograms also become native histograms with custom buckets under the base name.
      for (const s of c.series) {
        const name = s.labels.metricName();
        const m = /^(.*)_(bucket|count|sum)$/.exec(name);
        if (m === null) continue;
        const o = s.labels.without('le').toObject();
        o['__name__'] = m[1]!;
        state.histograms.push(Labels.fromObject(o));
      }
    }
    await app.commit();
  } catch (e) {
    await app.rollback();
    state.loadFailed = `load at line ${c.line} failed: ${(e as Error).message}`;
  }
}

function tagsOf(expr: Expr, state: State, selectsHistograms: boolean, expectsHistograms: boolean): string[] {
  const tags = new Set<string>();
  if (selectsHistograms || expectsHistograms) tags.add('native-histograms');
  inspect(expr, (n) => {
    if (n.kind === 'call' && EXPERIMENTAL_FUNCTIONS.has(n.func.name)) tags.add('experimental-functions');
    if (n.kind === 'aggregate' && (n.op === 'limitk' || n.op === 'limit_ratio')) tags.add('experimental-functions');
    if (n.kind === 'vectorSelector' && (n.anchored || n.smoothed)) tags.add('extended-range-selectors');
    if (n.kind === 'binary' && n.matching !== undefined && (n.matching.fillLeft !== undefined || n.matching.fillRight !== undefined)) {
      tags.add('fill-modifiers');
    }
    if (n.kind === 'matrixSelector' && n.rangeExpr !== undefined) tags.add('duration-expressions');
    if (n.kind === 'subquery' && (n.rangeExpr !== undefined || n.stepExpr !== undefined || n.offset?.kind === 'expr')) tags.add('duration-expressions');
    if (n.kind === 'vectorSelector' && n.offset?.kind === 'expr') tags.add('duration-expressions');
  });
  if (state.startTimestamps) tags.add('start-timestamps');
  return [...tags];
}

function skipReason(expr: Expr, state: State, selectsHistograms: boolean, expectsHistograms: boolean): string | undefined {
  if (state.startTimestamps) return 'start timestamps (experimental use-start-timestamps, not implemented)';
  if (expectsHistograms) return 'native histograms (expected result holds native histograms)';
  if (selectsHistograms) return 'native histograms (the query selects series with native-histogram samples)';
  let reason: string | undefined;
  inspect(expr, (n) => {
    if (reason !== undefined) return false;
    if (n.kind === 'call') reason = UNSUPPORTED_FUNCTIONS.get(n.func.name);
    return undefined;
  });
  return reason;
}

function selectsHistogramSeries(expr: Expr, state: State): boolean {
  if (state.histograms.length === 0) return false;
  let hit = false;
  inspect(expr, (n) => {
    if (hit) return false;
    if (n.kind === 'vectorSelector') {
      for (const l of state.histograms) {
        if (n.matchers.every((m) => m.matches(l.get(m.name)))) {
          hit = true;
          break;
        }
      }
    }
    if (n.kind === 'call' && n.func.name === 'info') hit = state.histograms.length > 0 && hit;
    return undefined;
  });
  return hit;
}

function newEngine(state: State): Engine {
  return new Engine({
    queryable: state.storage,
    lookbackDeltaMs: 5 * 60_000,
    timeoutMs: 100_000,
    defaultSubqueryStepMs: 60_000,
    delayedNameRemoval: state.delayedNameRemoval,
    parseOptions: PARSE_OPTIONS,
  });
}

async function runEval(file: string, state: State, c: EvalCommand, expr: Expr): Promise<CaseResult> {
  const expectsHistograms = c.series.some((s) => s.values.some((v) => v.kind === 'histogram'));
  const selects = selectsHistogramSeries(expr, state);
  const tags = tagsOf(expr, state, selects, expectsHistograms);
  const base = { file, line: c.line, expr: c.expr, tags };
  const skip = skipReason(expr, state, selects, expectsHistograms);
  if (skip !== undefined) return { ...base, status: 'skip', reason: skip };
  if (state.loadFailed !== undefined) return { ...base, status: 'fail', reason: state.loadFailed };
  const engine = newEngine(state);
  try {
    if (!c.instant) {
      const problem = await checkQuery(engine, c, expr, c.start, c.end, c.step, true);
      return problem === undefined ? { ...base, status: 'pass' } : { ...base, status: 'fail', reason: problem };
    }
    const t = c.at;
    let problem = await checkQuery(engine, c, expr, t, t, 0, true);
    if (problem !== undefined) return { ...base, status: 'fail', reason: problem };
    const rangeMode = !expectsFail(c) && c.rangeVector === undefined && c.string === undefined && !/\b(start|end|range|step)\(\)/.test(c.expr);
    if (rangeMode) {
      problem = await checkRangeMode(engine, c, expr, t);
      if (problem !== undefined) return { ...base, status: 'fail', reason: `range-mode check at ${t}: ${problem}` };
    }
    if (!usesTimeFunction(expr)) {
      const variant = withAt(expr, t);
      const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, Math.trunc(t / 5), t, 10 * t];
      for (const at of times) {
        problem = await checkQuery(engine, c, variant, at, at, 0, true);
        if (problem !== undefined) return { ...base, status: 'fail', reason: `@ ${t} variant evaluated at ${at}: ${problem}` };
        if (rangeMode) {
          problem = await checkRangeMode(engine, c, variant, at);
          if (problem !== undefined) return { ...base, status: 'fail', reason: `@ ${t} variant, range-mode check at ${at}: ${problem}` };
        }
      }
    }
    return { ...base, status: 'pass' };
  } catch (e) {
    if (e instanceof UnsupportedError) return { ...base, status: 'skip', reason: e.message };
    return { ...base, status: 'fail', reason: `runner error: ${(e as Error).stack ?? String(e)}` };
  }
}

function usesTimeFunction(expr: Expr): boolean {
  let found = false;
  inspect(expr, (n) => {
    if (n.kind === 'call' && TIME_FUNCTIONS.has(n.func.name)) found = true;
    return !found;
  });
  return found;
}

function expectsFail(c: EvalCommand): boolean {
  return c.legacy === 'fail' || c.expects.some((e) => e.type === 'fail');
}

async function execute(
  engine: Engine,
  c: EvalCommand,
  expr: Expr,
  start: number,
  end: number,
  step: number,
): Promise<{ ok: QueryResult } | { err: Error }> {
  try {
    const input = { expr, text: c.expr };
    const r = step === 0 ? await engine.instantQuery(input, start) : await engine.rangeQuery(input, start, end, step);
    return { ok: r };
  } catch (e) {
    if (e instanceof UnsupportedError) throw e;
    if (e instanceof QueryError || e instanceof ParseError) return { err: e };
    throw e;
  }
}

/** checkQuery runs one query and checks error, annotations and value; returns a problem or undefined. */
async function checkQuery(engine: Engine, c: EvalCommand, expr: Expr, start: number, end: number, step: number, annotations: boolean): Promise<string | undefined> {
  const r = await execute(engine, c, expr, start, end, step);
  const fail = c.expects.find((e) => e.type === 'fail');
  if (expectsFail(c)) {
    if ('ok' in r) return `expected an error, got result ${describe(r.ok.value)}`;
    if (fail?.mode === 'msg' && r.err.message !== fail.text) return `expected error ${JSON.stringify(fail.text)}, got ${JSON.stringify(r.err.message)}`;
    if (fail?.mode === 'regex' && !matchesRegex(fail.text!, r.err.message)) return `expected error matching ${JSON.stringify(fail.text)}, got ${JSON.stringify(r.err.message)}`;
    return undefined;
  }
  if ('err' in r) return `unexpected error: ${r.err.message}`;
  if (annotations) {
    const p = checkAnnotations(c, r.ok);
    if (p !== undefined) return p;
  }
  return checkValue(c, r.ok.value, step !== 0);
}

function matchesRegex(pattern: string, s: string): boolean {
  try {
    return RE2JS.compile(pattern).matcher(s).find();
  } catch {
    return false;
  }
}

function checkAnnotations(c: EvalCommand, r: QueryResult): string | undefined {
  const warn = c.expects.filter((e) => e.type === 'warn');
  const info = c.expects.filter((e) => e.type === 'info');
  const noWarn = c.expects.some((e) => e.type === 'no_warn');
  const noInfo = c.expects.some((e) => e.type === 'no_info');
  const check = (kind: string, lines: typeof warn, none: boolean, legacy: boolean, got: readonly string[]): string | undefined => {
    if (none && got.length > 0) return `expected no ${kind}, got ${JSON.stringify(got)}`;
    if ((lines.length > 0 || legacy) && got.length === 0) return `expected ${kind}, got none`;
    if (lines.length === 0) return undefined;
    const matches = (e: (typeof warn)[number], a: string): boolean =>
      e.mode === undefined ? true : e.mode === 'msg' ? a === e.text : matchesRegex(e.text!, a);
    for (const e of lines) if (!got.some((a) => matches(e, a))) return `expected ${kind} ${JSON.stringify(e.text)} not found in ${JSON.stringify(got)}`;
    for (const a of got) if (!lines.some((e) => matches(e, a))) return `unexpected ${kind} ${JSON.stringify(a)}`;
    return undefined;
  };
  return (
    check('warning', warn, noWarn, c.legacy === 'warn', r.warnings) ?? check('info', info, noInfo, c.legacy === 'info', r.infos)
  );
}

/** floatEqual compares like the Go runner (FORMAT.md §7.4). */
export function floatEqual(a: number, b: number): boolean {
  if (isStaleNaN(a) || isStaleNaN(b)) return isStaleNaN(a) && isStaleNaN(b);
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < 1e-6 * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

function describe(v: Value): string {
  switch (v.kind) {
    case 'scalar':
      return `scalar ${v.v}`;
    case 'string':
      return `string ${JSON.stringify(v.v)}`;
    case 'vector':
      return `vector [${v.samples.map((s) => `${s.labels.toString()} ${s.f}`).join(', ')}]`;
    case 'matrix':
      return `matrix [${v.series.map((s) => `${s.labels.toString()} ${Array.from(s.ts, (t, i) => `${s.vs[i]}@${t}`).join(' ')}`).join(', ')}]`;
  }
}

function expectedFloat(e: ExpectedSeries, i: number): number | undefined {
  const v = e.values[i];
  if (v === undefined || v.kind !== 'float') return undefined;
  return v.v;
}

function checkValue(c: EvalCommand, v: Value, range: boolean): string | undefined {
  if (c.string !== undefined) {
    if (v.kind !== 'string') return `expected string, got ${describe(v)}`;
    return v.v === c.string ? undefined : `expected string ${JSON.stringify(c.string)}, got ${JSON.stringify(v.v)}`;
  }
  if (c.scalar !== undefined) {
    if (v.kind !== 'scalar') return `expected scalar ${c.scalar}, got ${describe(v)}`;
    return floatEqual(c.scalar, v.v) ? undefined : `expected scalar ${c.scalar}, got ${v.v}`;
  }
  if (v.kind === 'scalar') return `expected ${c.series.length === 0 ? 'an empty result' : 'series'}, got ${describe(v)}`;
  if (v.kind === 'string') return `expected series, got ${describe(v)}`;
  if (v.kind === 'vector') {
    if (range || c.rangeVector !== undefined) return `expected a range vector, got ${describe(v)}`;
    const want = new Map(c.series.map((s) => [s.labels.key(), s]));
    const seen = new Set<string>();
    for (let i = 0; i < v.samples.length; i++) {
      const s = v.samples[i]!;
      const k = s.labels.key();
      const e = want.get(k);
      if (e === undefined) return `unexpected series ${s.labels.toString()} ${s.f} in ${describe(v)}`;
      if (seen.has(k)) return `duplicate series ${s.labels.toString()}`;
      seen.add(k);
      const ev = expectedFloat(e, 0);
      if (ev === undefined) return `expected ${s.labels.toString()} to be a histogram or absent`;
      if (!floatEqual(ev, s.f)) return `${s.labels.toString()}: expected ${ev}, got ${s.f}`;
      if (isOrdered(c) && e.position !== i + 1) return `${s.labels.toString()}: expected at position ${e.position}, got ${i + 1} in ${describe(v)}`;
    }
    for (const [k, e] of want) if (!seen.has(k)) return `missing series ${e.labels.toString()} in ${describe(v)}`;
    return undefined;
  }
  // Matrix.
  const m = v;
  for (let i = 1; i < m.series.length; i++) {
    if (compareLabelsBytes(m.series[i - 1]!.labels, m.series[i]!.labels) >= 0) return `matrix not sorted by labels: ${describe(v)}`;
  }
  const grid = c.rangeVector ?? (range ? { start: c.start, end: c.end, step: c.step } : undefined);
  if (grid === undefined) return `unexpected range vector ${describe(v)}`;
  const nSteps = Math.floor((grid.end - grid.start) / grid.step) + 1;
  const want = new Map(c.series.map((s) => [s.labels.key(), s]));
  const seen = new Set<string>();
  for (const s of m.series) {
    const k = s.labels.key();
    const e = want.get(k);
    if (e === undefined) return `unexpected series ${s.labels.toString()} in ${describe(v)}`;
    seen.add(k);
    if (e.values.length > nSteps) return `expected ${e.values.length} values for ${s.labels.toString()}, but the query has only ${nSteps} steps`;
    const expTs: number[] = [];
    const expVs: number[] = [];
    for (let i = 0; i < e.values.length; i++) {
      const x = e.values[i]!;
      if (x.kind === 'omit') continue;
      if (x.kind === 'histogram') return `expected a histogram for ${s.labels.toString()}`;
      expTs.push(grid.start + i * grid.step);
      expVs.push(x.v);
    }
    if (expTs.length !== s.ts.length) {
      return `${s.labels.toString()}: expected ${expTs.length} points [${expTs.map((t, i) => `${expVs[i]}@${t}`).join(' ')}], got ${s.ts.length} [${Array.from(s.ts, (t, i) => `${s.vs[i]}@${t}`).join(' ')}]`;
    }
    for (let i = 0; i < expTs.length; i++) {
      if (expTs[i] !== s.ts[i]) return `${s.labels.toString()}: expected a point at ${expTs[i]}, got one at ${s.ts[i]}`;
      if (!floatEqual(expVs[i]!, s.vs[i]!)) return `${s.labels.toString()} at ${expTs[i]}: expected ${expVs[i]}, got ${s.vs[i]}`;
    }
  }
  for (const [k, e] of want) if (!seen.has(k)) return `missing series ${e.labels.toString()} in ${describe(v)}`;
  return undefined;
}

function isOrdered(c: EvalCommand): boolean {
  return c.legacy === 'ordered' || c.expects.some((e) => e.type === 'ordered');
}

/** checkRangeMode runs the instant case as a range query around t and checks the point at t. */
async function checkRangeMode(engine: Engine, c: EvalCommand, expr: Expr, t: number): Promise<string | undefined> {
  const r = await execute(engine, c, expr, t - 60_000, t + 60_000, 60_000);
  if ('err' in r) return `unexpected error: ${r.err.message}`;
  const v = r.ok.value;
  if (v.kind !== 'matrix') return `range query returned ${v.kind}`;
  for (let i = 1; i < v.series.length; i++) {
    if (compareLabelsBytes(v.series[i - 1]!.labels, v.series[i]!.labels) >= 0) return `matrix not sorted by labels: ${describe(v)}`;
  }
  if (c.scalar !== undefined) {
    const s = v.series[0];
    const i = s === undefined ? -1 : Array.prototype.indexOf.call(s.ts, t);
    if (s === undefined || i < 0) return `expected scalar ${c.scalar}, got no point at ${t}`;
    return floatEqual(c.scalar, s.vs[i]!) ? undefined : `expected scalar ${c.scalar}, got ${s.vs[i]}`;
  }
  const samples = [];
  for (const s of v.series) {
    const i = Array.prototype.indexOf.call(s.ts, t) as number;
    if (i >= 0) samples.push({ labels: s.labels, t, f: s.vs[i]! });
  }
  return checkValue({ ...c, expects: c.expects.filter((e) => e.type !== 'ordered'), legacy: c.legacy === 'ordered' ? undefined : c.legacy } as EvalCommand, { kind: 'vector', samples }, false);
}

