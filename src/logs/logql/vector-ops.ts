/**
 * Step-wise vector operations with Prometheus's semantics: aggregations (sum … topk, sort),
 * binary operators between vectors (one-to-one, group_left/right, set operators) and with
 * scalars, and label_replace.
 * @module
 */
import { RE2JS } from 're2js';
import { Labels, LabelsBuilder } from '../../model/index.js';
import { QueryError } from './errors.js';
import type { BinaryExpr, Grouping, LabelReplace, VectorOp } from './parser/index.js';
import type { StepSeries, StepValue } from './query-result.js';

function groupLabels(l: Labels, g: Grouping | undefined): Labels {
  if (g === undefined) return Labels.EMPTY;
  return g.without ? l.without(...g.labels) : l.only(...g.labels);
}

/** aggregate applies a vector aggregation at every step. */
export function aggregate(op: VectorOp, param: number | undefined, grouping: Grouping | undefined, input: StepSeries[], n: number): StepSeries[] {
  if (op === 'sort' || op === 'sort_desc') return input;
  if (op === 'topk' || op === 'bottomk') return topk(op === 'topk', param ?? 1, grouping, input, n);
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of input) {
    const gl = groupLabels(s.labels, grouping);
    const k = gl.key();
    let g = groups.get(k);
    if (g === undefined) {
      g = { labels: gl, members: [] };
      groups.set(k, g);
    }
    g.members.push(s);
  }
  const out: StepSeries[] = [];
  for (const g of groups.values()) {
    const v = new Float64Array(n);
    const ok = new Uint8Array(n);
    let any = false;
    for (let k = 0; k < n; k++) {
      let count = 0;
      let acc = 0;
      let mean = 0;
      let m2 = 0;
      for (const s of g.members) {
        if (s.ok[k] !== 1) continue;
        const x = s.v[k]!;
        count++;
        switch (op) {
          case 'sum':
            acc += x;
            break;
          case 'min':
            acc = count === 1 || x < acc || Number.isNaN(acc) ? x : acc;
            break;
          case 'max':
            acc = count === 1 || x > acc || Number.isNaN(acc) ? x : acc;
            break;
          case 'count':
            acc = count;
            break;
          case 'avg':
          case 'stddev':
          case 'stdvar': {
            const d = x - mean;
            mean += d / count;
            m2 += d * (x - mean);
            break;
          }
        }
      }
      if (count === 0) continue;
      if (op === 'avg') acc = mean;
      else if (op === 'stdvar') acc = m2 / count;
      else if (op === 'stddev') acc = Math.sqrt(m2 / count);
      v[k] = acc;
      ok[k] = 1;
      any = true;
    }
    if (any) out.push({ labels: g.labels, v, ok });
  }
  return out;
}

function topk(top: boolean, k: number, grouping: Grouping | undefined, input: StepSeries[], n: number): StepSeries[] {
  const groups = new Map<string, StepSeries[]>();
  for (const s of input) {
    const key = groupLabels(s.labels, grouping).key();
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(s);
  }
  const keep = input.map(() => new Uint8Array(n));
  const index = new Map(input.map((s, i) => [s, i]));
  for (const members of groups.values()) {
    for (let step = 0; step < n; step++) {
      const present = members.filter((s) => s.ok[step] === 1);
      present.sort((a, b) => {
        const x = a.v[step]!;
        const y = b.v[step]!;
        // NaN sorts last either way, as Prometheus does.
        if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
        if (Number.isNaN(y)) return -1;
        return top ? y - x : x - y;
      });
      for (const s of present.slice(0, k)) keep[index.get(s)!]![step] = 1;
    }
  }
  const out: StepSeries[] = [];
  input.forEach((s, i) => {
    const ok = keep[i]!;
    if (ok.some((x) => x === 1)) out.push({ labels: s.labels, v: s.v, ok });
  });
  return out;
}

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    default:
      throw new QueryError(`operator "${op}" not allowed here`);
  }
}

const CMP = new Set(['==', '!=', '>', '>=', '<', '<=']);

/** binary evaluates a binary expression on evaluated operands. */
export function binary(e: BinaryExpr, l: StepValue, r: StepValue, n: number): StepValue {
  const isCmp = CMP.has(e.op);
  if (l.kind === 'scalar' && r.kind === 'scalar') {
    const v = new Float64Array(n);
    for (let k = 0; k < n; k++) v[k] = arith(e.op, l.v[k]!, r.v[k]!);
    return { kind: 'scalar', v };
  }
  if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', series: vectorScalar(e, l.series, r.v, false, isCmp, n) };
  if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', series: vectorScalar(e, r.series, l.v, true, isCmp, n) };
  const ls = (l as { series: StepSeries[] }).series;
  const rs = (r as { series: StepSeries[] }).series;
  if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return { kind: 'vector', series: setOp(e, ls, rs, n) };
  return { kind: 'vector', series: vectorVector(e, ls, rs, isCmp, n) };
}

function vectorScalar(e: BinaryExpr, vs: StepSeries[], sv: Float64Array, swap: boolean, isCmp: boolean, n: number): StepSeries[] {
  const out: StepSeries[] = [];
  for (const s of vs) {
    const v = new Float64Array(n);
    const ok = new Uint8Array(n);
    let any = false;
    for (let k = 0; k < n; k++) {
      if (s.ok[k] !== 1) continue;
      const a = swap ? sv[k]! : s.v[k]!;
      const b = swap ? s.v[k]! : sv[k]!;
      const res = arith(e.op, a, b);
      if (isCmp && !e.bool) {
        if (res !== 1) continue;
        v[k] = s.v[k]!;
      } else {
        v[k] = res;
      }
      ok[k] = 1;
      any = true;
    }
    if (any) out.push({ labels: s.labels, v, ok });
  }
  return out;
}

function signature(l: Labels, e: BinaryExpr): string {
  const m = e.matching;
  if (m === undefined) return l.key();
  return (m.on ? l.only(...m.labels) : l.without(...m.labels)).key();
}

function vectorVector(e: BinaryExpr, ls: StepSeries[], rs: StepSeries[], isCmp: boolean, n: number): StepSeries[] {
  const card = e.matching?.card ?? 'one-to-one';
  // The "one" side is indexed by signature; the other side is iterated.
  const oneSide = card === 'one-to-many' ? ls : rs;
  const manySide = card === 'one-to-many' ? rs : ls;
  const index = new Map<string, StepSeries[]>();
  for (const s of oneSide) {
    const sig = signature(s.labels, e);
    const list = index.get(sig);
    if (list === undefined) index.set(sig, [s]);
    else list.push(s);
  }
  const out = new Map<string, StepSeries>();
  const seenMany = new Map<string, Uint8Array>();
  for (const m of manySide) {
    const sig = signature(m.labels, e);
    const ones = index.get(sig);
    if (ones === undefined) continue;
    for (let k = 0; k < n; k++) {
      if (m.ok[k] !== 1) continue;
      let match: StepSeries | undefined;
      for (const o of ones) {
        if (o.ok[k] !== 1) continue;
        if (match !== undefined) {
          throw new QueryError(`found duplicate series for the match group ${sig === '' ? '{}' : labelsOfSig(o.labels, e)} on the ${card === 'one-to-many' ? 'left' : 'right'} hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side`);
        }
        match = o;
      }
      if (match === undefined) continue;
      const lv = card === 'one-to-many' ? match.v[k]! : m.v[k]!;
      const rv = card === 'one-to-many' ? m.v[k]! : match.v[k]!;
      const res = arith(e.op, lv, rv);
      if (isCmp && !e.bool && res !== 1) continue;
      const value = isCmp && !e.bool ? lv : res;
      const labels = resultLabels(m.labels, match.labels, e, isCmp);
      const key = labels.key();
      if (card === 'one-to-one') {
        let seen = seenMany.get(key);
        if (seen === undefined) seenMany.set(key, (seen = new Uint8Array(n)));
        if (seen[k] === 1) throw new QueryError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        seen[k] = 1;
      }
      let s = out.get(key);
      if (s === undefined) {
        s = { labels, v: new Float64Array(n), ok: new Uint8Array(n) };
        out.set(key, s);
      } else if (s.ok[k] === 1 && card !== 'one-to-one') {
        throw new QueryError(`multiple matches for labels: grouping labels must ensure unique matches`);
      }
      s.v[k] = value;
      s.ok[k] = 1;
    }
  }
  return [...out.values()];
}

function labelsOfSig(l: Labels, e: BinaryExpr): string {
  const m = e.matching!;
  return (m.on ? l.only(...m.labels) : l.without(...m.labels)).toString();
}

function resultLabels(many: Labels, one: Labels, e: BinaryExpr, isCmp: boolean): Labels {
  const m = e.matching;
  if (m === undefined) return many;
  if (m.card === 'one-to-one') {
    if (isCmp && !e.bool) return many;
    return m.on ? many.only(...m.labels) : many.without(...m.labels);
  }
  if (m.include.length === 0) return many;
  const b = new LabelsBuilder(many);
  for (const name of m.include) {
    const v = one.get(name);
    if (v === '') b.del(name);
    else b.set(name, v);
  }
  return b.labels();
}

function setOp(e: BinaryExpr, ls: StepSeries[], rs: StepSeries[], n: number): StepSeries[] {
  const sigs = new Map<string, Uint8Array>();
  for (const s of rs) {
    const sig = signature(s.labels, e);
    let present = sigs.get(sig);
    if (present === undefined) sigs.set(sig, (present = new Uint8Array(n)));
    for (let k = 0; k < n; k++) if (s.ok[k] === 1) present[k] = 1;
  }
  if (e.op === 'or') {
    const lsigs = new Map<string, Uint8Array>();
    for (const s of ls) {
      const sig = signature(s.labels, e);
      let present = lsigs.get(sig);
      if (present === undefined) lsigs.set(sig, (present = new Uint8Array(n)));
      for (let k = 0; k < n; k++) if (s.ok[k] === 1) present[k] = 1;
    }
    const out: StepSeries[] = [...ls];
    for (const s of rs) {
      const lp = lsigs.get(signature(s.labels, e));
      const ok = new Uint8Array(n);
      let any = false;
      for (let k = 0; k < n; k++) {
        if (s.ok[k] === 1 && lp?.[k] !== 1) {
          ok[k] = 1;
          any = true;
        }
      }
      if (any) out.push({ labels: s.labels, v: s.v, ok });
    }
    return out;
  }
  const out: StepSeries[] = [];
  for (const s of ls) {
    const present = sigs.get(signature(s.labels, e));
    const ok = new Uint8Array(n);
    let any = false;
    for (let k = 0; k < n; k++) {
      if (s.ok[k] !== 1) continue;
      const has = present?.[k] === 1;
      if ((e.op === 'and' && has) || (e.op === 'unless' && !has)) {
        ok[k] = 1;
        any = true;
      }
    }
    if (any) out.push({ labels: s.labels, v: s.v, ok });
  }
  return out;
}

/** labelReplace applies label_replace to every series, as Prometheus does. */
export function labelReplace(e: LabelReplace, input: StepSeries[], n: number): StepSeries[] {
  const re = RE2JS.compile(`^(?:${e.regex})$`);
  const names = re.namedGroups();
  const out = new Map<string, StepSeries>();
  for (const s of input) {
    const src = s.labels.get(e.src);
    const m = re.matcher(src);
    let labels = s.labels;
    if (m.matches()) {
      const groups: (string | null)[] = [];
      for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g));
      const value = e.replacement.replace(/\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))/g, (_x, all: string, braced: string | undefined, bare: string | undefined) => {
        if (all === '$') return '$';
        const name = braced ?? bare ?? '';
        const idx = /^[0-9]+$/.test(name) ? Number(name) : names[name];
        return idx === undefined ? '' : (groups[idx] ?? '');
      });
      const b = new LabelsBuilder(s.labels);
      if (value === '') b.del(e.dst);
      else b.set(e.dst, value);
      labels = b.labels();
    }
    const key = labels.key();
    const prev = out.get(key);
    if (prev !== undefined) {
      for (let k = 0; k < n; k++) {
        if (s.ok[k] === 1 && prev.ok[k] === 1) throw new QueryError('vector cannot contain metrics with the same labelset');
        if (s.ok[k] === 1) {
          prev.v[k] = s.v[k]!;
          prev.ok[k] = 1;
        }
      }
      continue;
    }
    out.set(key, { labels, v: s.v.slice(), ok: s.ok.slice() });
  }
  return [...out.values()];
}
