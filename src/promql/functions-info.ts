/**
 * info(v, {data selector}): enriches each series with the data labels of the info series
 * (target_info by default) that share its identifying labels `instance` and `job`. The info
 * series are selected during evaluation, restricted to the identifying values actually present.
 * @module
 */
import { LabelsBuilder, METRIC_NAME, Matcher, MatchType } from '../model/index.js';
import type { Steps } from './eval-context.js';
import { QueryError } from './errors.js';
import type { Evaluator } from './evaluator.js';
import { collectorFor } from './functions-instant.js';
import type { PlanCall, PlanSelector } from './plan.js';
import { StepVector } from './step-vector.js';

const TARGET_INFO = 'target_info';
const IDENTIFYING = ['instance', 'job'];

/** effectiveNameMatchers returns the matchers that decide which metrics are info metrics. */
function effectiveNameMatchers(ms: readonly Matcher[]): Matcher[] {
  if (ms.some((m) => m.type === MatchType.Equal || m.type === MatchType.Regexp)) return [...ms];
  if (ms.length > 0) return [new Matcher(MatchType.Regexp, METRIC_NAME, '.+_info'), ...ms];
  return [new Matcher(MatchType.Equal, METRIC_NAME, TARGET_INFO)];
}

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** evalInfo evaluates info(). */
export async function evalInfo(ev: Evaluator, n: PlanCall, s: Steps): Promise<StepVector> {
  const timing = n.info ?? { atMs: undefined, offsetMs: 0 };
  const base = await ev.evalVector(n.args[0]!, s);
  const data = new Map<string, Matcher[]>();
  let nameMatchers: Matcher[] = [];
  const sel = n.argExprs[1];
  if (sel !== undefined && sel.kind === 'vectorSelector') {
    for (const m of sel.matchers) {
      data.set(m.name, [...(data.get(m.name) ?? []), m]);
      if (m.name === METRIC_NAME) nameMatchers.push(m);
    }
  } else {
    nameMatchers = [new Matcher(MatchType.Equal, METRIC_NAME, TARGET_INFO)];
  }
  const effective = effectiveNameMatchers(nameMatchers);
  const ignore = new Uint8Array(base.n);
  for (let r = 0; r < base.n; r++) {
    const name = base.labels[r]!.metricName();
    if (effective.every((m) => m.matches(name))) ignore[r] = 1;
  }
  const idValues = new Map<string, Set<string>>();
  for (let r = 0; r < base.n; r++) {
    if (ignore[r] === 1) continue;
    for (const l of IDENTIFYING) {
      const v = base.labels[r]!.get(l);
      if (v === '') continue;
      let set = idValues.get(l);
      if (set === undefined) idValues.set(l, (set = new Set()));
      set.add(v);
    }
  }
  // Data-label matchers on the metric name only choose info metrics, they are not data labels.
  const dataNameMatchers = data.get(METRIC_NAME) ?? [];
  data.delete(METRIC_NAME);
  let info = new StepVector(s.n, 0);
  if (idValues.size > 0) {
    const matchers: Matcher[] = [];
    for (const [name, vals] of idValues) matchers.push(new Matcher(MatchType.Regexp, name, [...vals].map(quoteMeta).join('|')));
    for (const ms of data.values()) matchers.push(...ms);
    matchers.push(...effectiveNameMatchers(dataNameMatchers));
    if (ev.ctx.select === undefined) throw new QueryError('info() needs a querier');
    const start = (timing.atMs ?? s.start) - ev.ctx.lookbackMs + 1 - timing.offsetMs;
    const end = (timing.atMs ?? s.end) - timing.offsetMs;
    const series = await ev.ctx.select(matchers, { start, end, step: s.interval, func: 'info' });
    const sel2: PlanSelector = {
      k: 'selector',
      type: 'vector',
      matchers,
      offsetMs: timing.offsetMs,
      atMs: timing.atMs,
      anchored: false,
      smoothed: false,
      pos: n.pos,
      minT: start,
      maxT: end,
      hints: {},
      series,
    };
    // Values are the timestamps of the info samples: the newest wins when two match.
    info = await ev.selectorVector(sel2, s, true);
  }
  const infoNames = new Set<string>();
  for (let r = 0; r < info.n; r++) infoNames.add(info.labels[r]!.metricName());
  const sig = (name: string, r: { get(n: string): string }): string => {
    let k = name;
    for (const l of IDENTIFYING) k += '\u0000' + r.get(l);
    return k;
  };
  const infoSig = info.labels.map((l) => sig(l.metricName(), l));
  const baseSigs = base.labels.map((l) => [...infoNames].map((name) => [name, sig(name, l)] as const));
  const allMatchEmpty = [...data.values()].every((ms) => ms.every((m) => m.matches('')));
  const out = collectorFor(ev, s, base.n);
  // The output keeps the rows of a range evaluation (duplicates are errors even for one step).
  const rowKey = new Map<string, number>();
  const bld = new LabelsBuilder();
  const best = new Map<string, number>();
  for (let k = 0; k < s.n; k++) {
    best.clear();
    for (let r = 0; r < info.n; r++) {
      if (!info.has(r, k)) continue;
      const origT = Math.round(info.get(r, k) * 1000);
      const g = infoSig[r]!;
      const prev = best.get(g);
      if (prev === undefined) {
        best.set(g, r);
        continue;
      }
      const prevT = Math.round(info.get(prev, k) * 1000);
      if (prevT < origT) best.set(g, r);
      else if (prevT === origT) {
        throw new QueryError(
          `found duplicate series for info metric: existing ${info.labels[prev]!.toString()} @ ${prevT}, new ${info.labels[r]!.toString()} @ ${origT}`,
        );
      }
    }
    for (let r = 0; r < base.n; r++) {
      if (!base.has(r, k)) continue;
      const bl = base.labels[r]!;
      let labels = bl;
      if (ignore[r] === 0) {
        const add = new Map<string, string>();
        let matched = 0;
        for (const [, g] of baseSigs[r]!) {
          const ir = best.get(g);
          if (ir === undefined) continue;
          matched++;
          let conflict: string | undefined;
          info.labels[ir]!.forEach((name, value) => {
            if (conflict !== undefined || name === METRIC_NAME) return;
            if (data.size > 0 && !data.has(name)) return;
            const have = add.get(name);
            if (have !== undefined && have !== value) conflict = name;
            else if (!bl.has(name)) add.set(name, value);
          });
          if (conflict !== undefined) throw new QueryError(`conflicting label: ${conflict}`);
        }
        if (matched === 0 && !allMatchEmpty) continue;
        if (add.size > 0) {
          bld.reset(bl);
          for (const [name, value] of add) bld.set(name, value);
          labels = bld.labels();
        }
      }
      const key = labels.key();
      let row = rowKey.get(key);
      if (row === undefined) {
        row = out.row(labels, base.drop[r] === 1);
        rowKey.set(key, row);
      }
      out.put(row, k, base.get(r, k));
    }
  }
  return out.finish();
}
