/**
 * The log pipeline: stages compiled once per query into functions that take an entry's line
 * and labels and return the new line, or undefined to drop the entry. Errors are recorded in
 * `__error__` as Loki does, and a parser directly followed by `label="value"` skips lines that
 * cannot contain the value before parsing them.
 * @module
 */
import { RE2JS } from 're2js';
import { assertNever, Matcher, type Labels } from '../../model/index.js';
import type { EntryFields, LineHints } from '../store/index.js';
import { EntryLabels, PipelineError } from './entry-labels.js';
import {
  compilePattern,
  extractJson,
  extractLogfmt,
  jsonPathValues,
  matchPattern,
  parseJsonPath,
  sanitizeKey,
  unpackJson,
  type JsonPath,
} from './extractors.js';
import { ipMatcher } from './ip-match.js';
import { compileLineFilter } from './line-filter.js';
import type { CmpOp, LabelFilterExpr, Stage } from './parser/index.js';
import { parseBytes, parseGoDuration } from './parser/index.js';
import { executeTemplate, TemplateExecError } from './template-exec.js';

/** StageFn processes one entry; undefined drops it. */
type StageFn = (line: string, lbs: EntryLabels, t: number, ns: number) => string | undefined;

/** A parser stage also names the labels a following `name="value"` filter hints at. */
interface CompiledStage {
  readonly fn: StageFn;
  /** For parsers: values a line must contain (or hold a backslash) when the next stage is `label="value"` for those labels. */
  readonly hints?: readonly { readonly name: string; readonly value: string }[];
}

// ANSI escape sequences (our own fixed pattern, never user input).
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PRZcf-ntqry=><~]))/g;

/** Pipeline is a compiled list of stages, shared by all streams of a query. */
export class Pipeline {
  readonly #stages: CompiledStage[];

  /** `skip` holds indices of stages already applied by the store (pushed-down line filters). */
  constructor(stages: readonly Stage[], skip: ReadonlySet<number> = new Set()) {
    this.#stages = [];
    for (let i = 0; i < stages.length; i++) {
      if (skip.has(i)) continue;
      const st = stages[i]!;
      const next = stages[i + 1];
      this.#stages.push(compileStage(st, next));
    }
  }

  /** isNoop tells whether no stage is left to run. */
  get isNoop(): boolean {
    return this.#stages.length === 0;
  }

  /** forStream returns the pipeline state for one stream. */
  forStream(labels: Labels): StreamPipeline {
    return new StreamPipeline(labels, this.#stages);
  }
}

/** StreamPipeline runs the stages for the entries of one stream. */
export class StreamPipeline {
  /** The labels of the entry last processed. */
  readonly lbs = new EntryLabels();
  readonly #base: Labels;
  readonly #stages: readonly CompiledStage[];
  readonly #cache = new Map<string, Labels>();
  // Hints whose label the stream itself has are void (the filter would test the stream label).
  readonly #hintOk: boolean[];

  constructor(base: Labels, stages: readonly CompiledStage[]) {
    this.#base = base;
    this.#stages = stages;
    this.#hintOk = stages.map((s) => s.hints !== undefined && s.hints.every((h) => !base.has(h.name)));
  }

  /** process runs an entry through the stages; returns the final line or undefined if dropped. */
  process(t: number, ns: number, line: string, fields: EntryFields): string | undefined {
    const lbs = this.lbs;
    lbs.reset(this.#base);
    if (fields !== undefined) {
      for (const k of Object.keys(fields)) if (!this.#base.has(k)) lbs.set(k, fields[k]!);
    }
    let l: string | undefined = line;
    for (let i = 0; i < this.#stages.length; i++) {
      const st = this.#stages[i]!;
      if (this.#hintOk[i] && st.hints !== undefined && !lbs.hasErr()) {
        // `| parser | name="v"`: a line holding neither v nor an escape cannot yield name=v.
        let ok = true;
        for (const h of st.hints) {
          if ((fields === undefined || fields[h.name] === undefined) && !l.includes(h.value) && !l.includes('\\')) {
            ok = false;
            break;
          }
        }
        if (!ok) return undefined;
      }
      l = st.fn(l, lbs, t, ns);
      if (l === undefined) return undefined;
    }
    return l;
  }

  /** labels returns the label set of the entry last processed. */
  labels(): Labels {
    return this.lbs.labels(this.#cache);
  }
}

/**
 * storeHints derives line hints for the store from the first parser of a pipeline when it is
 * directly followed by `name="value"` filters: a line can only yield name=value if it holds the
 * value (or an escape, for JSON and logfmt). Void when a stage before the parser rewrites the
 * line or may set labels, and for streams (or entries) that carry the label themselves.
 */
export function storeHints(stages: readonly Stage[]): LineHints | undefined {
  for (let i = 0; i < stages.length; i++) {
    const st = stages[i]!;
    switch (st.kind) {
      case 'lineFilter':
      case 'labelFilter':
      case 'drop':
      case 'keep':
        continue;
      case 'json':
      case 'logfmt':
      case 'regexp':
      case 'pattern': {
        const hs = hintsAfter(stages[i + 1]);
        if (hs === undefined) return undefined;
        const escapable = st.kind === 'json' || st.kind === 'logfmt';
        return { anyOf: hs.map((h) => (escapable ? [h.value, '\\'] : [h.value])), exceptStreamsWith: hs.map((h) => h.name) };
      }
      default:
        return undefined;
    }
  }
  return undefined;
}

function hintsAfter(next: Stage | undefined): { name: string; value: string }[] | undefined {
  if (next === undefined || next.kind !== 'labelFilter') return undefined;
  const out: { name: string; value: string }[] = [];
  const walk = (e: LabelFilterExpr): void => {
    if (e.kind === 'and') {
      walk(e.lhs);
      walk(e.rhs);
    } else if (e.kind === 'labelMatch' && e.type === '=' && e.value !== '' && !e.name.startsWith('__')) {
      out.push({ name: e.name, value: e.value });
    }
  };
  walk(next.expr);
  return out.length > 0 ? out : undefined;
}

function compileStage(st: Stage, next: Stage | undefined): CompiledStage {
  switch (st.kind) {
    case 'lineFilter': {
      const pred = compileLineFilter(st);
      return { fn: (l) => (pred(l) ? l : undefined) };
    }
    case 'json': {
      const hints = hintsAfter(next);
      if (st.params.length === 0) {
        return {
          hints,
          fn: (l, lbs) => {
            if (!extractJson(l, (n, v) => lbs.setExtracted(n, v))) lbs.setErr(PipelineError.Json, 'not a JSON object');
            return l;
          },
        };
      }
      const paths: JsonPath[] = [];
      const names: string[] = [];
      for (const p of st.params) {
        const path = parseJsonPath(p.expr);
        if (path === undefined) throw new TemplateExecError(`invalid json expression "${p.expr}"`);
        paths.push(path);
        names.push(p.label);
      }
      return {
        hints,
        fn: (l, lbs) => {
          const vals = jsonPathValues(l, paths);
          if (vals === undefined) {
            lbs.setErr(PipelineError.Json, 'not valid JSON');
            return l;
          }
          for (let i = 0; i < names.length; i++) if (vals[i] !== undefined) lbs.setExtracted(names[i]!, vals[i]!);
          return l;
        },
      };
    }
    case 'logfmt': {
      const hints = hintsAfter(next);
      if (st.params.length === 0) {
        return {
          hints,
          fn: (l, lbs) => {
            const err = extractLogfmt(l, (n, v) => lbs.setExtracted(n, v), st.strict, st.keepEmpty);
            if (err !== undefined) lbs.setErr(PipelineError.Logfmt, err);
            return l;
          },
        };
      }
      const want = new Map<string, string[]>();
      for (const p of st.params) {
        const k = sanitizeKey(p.expr);
        want.set(k, [...(want.get(k) ?? []), p.label]);
      }
      return {
        hints,
        fn: (l, lbs) => {
          const err = extractLogfmt(
            l,
            (n, v) => {
              for (const label of want.get(n) ?? []) lbs.setExtracted(label, v);
            },
            st.strict,
            st.keepEmpty,
          );
          if (err !== undefined) lbs.setErr(PipelineError.Logfmt, err);
          return l;
        },
      };
    }
    case 'regexp': {
      const re = RE2JS.compile(st.pattern);
      const groups = Object.entries(re.namedGroups());
      return {
        hints: hintsAfter(next),
        fn: (l, lbs) => {
          const m = re.matcher(l);
          if (!m.find()) return l;
          for (const [name, idx] of groups) {
            const v = m.group(idx);
            if (v !== null) lbs.setExtracted(name, v);
          }
          return l;
        },
      };
    }
    case 'pattern': {
      const parts = compilePattern(st.pattern);
      return {
        hints: hintsAfter(next),
        fn: (l, lbs) => {
          matchPattern(parts, l, (n, v) => lbs.setExtracted(n, v));
          return l;
        },
      };
    }
    case 'unpack':
      return {
        fn: (l, lbs) => {
          const out = unpackJson(l, (n, v) => lbs.setExtracted(n, v));
          if (out === undefined) {
            lbs.setErr(PipelineError.Json, 'not a JSON object');
            return l;
          }
          return out;
        },
      };
    case 'labelFilter': {
      const f = compileLabelFilter(st.expr);
      return { fn: (l, lbs) => (f(lbs) ? l : undefined) };
    }
    case 'lineFormat': {
      const tree = st.tree;
      return {
        fn: (l, lbs, t, ns) => {
          try {
            return executeTemplate(tree, { labels: lbs.toRecord(), line: l, t, ns });
          } catch (e) {
            lbs.setErr(PipelineError.TemplateFormat, (e as Error).message);
            return l;
          }
        },
      };
    }
    case 'labelFormat': {
      const items = st.items;
      return {
        fn: (l, lbs, t, ns) => {
          let data: Record<string, string> | undefined;
          for (const it of items) {
            if (it.kind === 'rename') {
              const v = lbs.get(it.src);
              if (v !== undefined) {
                lbs.set(it.dst, v);
                if (it.src !== it.dst) lbs.del(it.src);
              }
              continue;
            }
            data ??= lbs.toRecord();
            try {
              lbs.set(it.dst, executeTemplate(it.tree, { labels: data, line: l, t, ns }));
            } catch (e) {
              lbs.setErr(PipelineError.TemplateFormat, (e as Error).message);
            }
          }
          return l;
        },
      };
    }
    case 'drop': {
      const items = st.items.map((it) => ({ name: it.name, m: it.matcher === undefined ? undefined : new Matcher(it.matcher.type, it.name, it.matcher.value) }));
      return {
        fn: (l, lbs) => {
          for (const it of items) {
            const v = lbs.get(it.name);
            if (v === undefined) continue;
            if (it.m === undefined || it.m.matches(v)) lbs.del(it.name);
          }
          return l;
        },
      };
    }
    case 'keep': {
      const items = st.items.map((it) => ({ name: it.name, m: it.matcher === undefined ? undefined : new Matcher(it.matcher.type, it.name, it.matcher.value) }));
      return {
        fn: (l, lbs) => {
          for (const name of lbs.names()) {
            const it = items.find((x) => x.name === name);
            if (it === undefined || (it.m !== undefined && !it.m.matches(lbs.get(name) ?? ''))) lbs.del(name);
          }
          return l;
        },
      };
    }
    case 'decolorize':
      return { fn: (l) => (l.includes('\u001b') || l.includes('\u009b') ? l.replace(ANSI, '') : l) };
    default:
      return assertNever(st, 'pipeline stage');
  }
}

/** LabelPredicate evaluates a label filter expression. */
export type LabelPredicate = (lbs: EntryLabels) => boolean;

function cmp(op: CmpOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** compileLabelFilter compiles a label filter expression with Loki's error semantics. */
export function compileLabelFilter(e: LabelFilterExpr): LabelPredicate {
  switch (e.kind) {
    case 'and': {
      const l = compileLabelFilter(e.lhs);
      const r = compileLabelFilter(e.rhs);
      return (lbs) => l(lbs) && r(lbs);
    }
    case 'or': {
      const l = compileLabelFilter(e.lhs);
      const r = compileLabelFilter(e.rhs);
      return (lbs) => l(lbs) || r(lbs);
    }
    case 'labelMatch': {
      const m = new Matcher(e.type, e.name, e.value);
      return (lbs) => m.matches(lbs.get(e.name) ?? '');
    }
    case 'numberFilter':
      return typedFilter(e.name, e.op, e.value, (v) => {
        const n = Number(v.trim());
        return v.trim() === '' || Number.isNaN(n) ? undefined : n;
      });
    case 'durationFilter':
      return typedFilter(e.name, e.op, e.seconds, (v) => parseGoDuration(v));
    case 'bytesFilter':
      return typedFilter(e.name, e.op, e.bytes, (v) => parseBytes(v));
    case 'ipFilter': {
      const m = ipMatcher(e.cidr);
      return (lbs) => {
        const v = lbs.get(e.name);
        if (v === undefined) return false;
        return e.op === '=' ? m.test(v) : !m.test(v);
      };
    }
    default:
      return assertNever(e, 'label filter');
  }
}

// typedFilter compares a converted label value; a missing label drops the entry, a value that
// does not convert keeps it with LabelFilterErr, and an entry already in error passes.
function typedFilter(name: string, op: CmpOp, want: number, conv: (v: string) => number | undefined): LabelPredicate {
  return (lbs) => {
    if (lbs.hasErr()) return true;
    const v = lbs.get(name);
    if (v === undefined) return false;
    const n = conv(v);
    if (n === undefined) {
      lbs.setErr(PipelineError.LabelFilter, `cannot convert "${v}" for label filter on ${name}`);
      return true;
    }
    return cmp(op, n, want);
  };
}
