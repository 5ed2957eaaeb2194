/**
 * The LogQL parser: recursive descent over the lexer's tokens, producing the syntax tree of
 * ast.ts, with Loki 2.x's grammar and checks (non-empty selectors, unwrap rules, parameters,
 * named regexp groups, label_format duplicates) and errors that point at the offending text.
 * @module
 */
import { RE2JS } from 're2js';
import { Matcher, MatchType, type PositionRange } from '../../../model/index.js';
import type {
  BinaryOp,
  CmpOp,
  DropKeepItem,
  Expr,
  ExtractionParam,
  Grouping,
  LabelFilterExpr,
  LabelFilterStage,
  LabelFormatItem,
  LineFilterOp,
  LineFilterValue,
  LogQuery,
  LogRange,
  MetricExpr,
  RangeOp,
  Stage,
  StreamMatcher,
  Unwrap,
  UnwrapConversion,
  VectorMatching,
  VectorOp,
} from './ast.js';
import { ParseError } from './errors.js';
import { lex, type Token, type TokenKind } from './lexer.js';
import { parseTemplate, TemplateSyntaxError } from './template-parser.js';
import type { TemplateNode } from './template-ast.js';

const RANGE_OPS: ReadonlySet<string> = new Set<RangeOp>([
  'count_over_time', 'rate', 'rate_counter', 'bytes_over_time', 'bytes_rate', 'absent_over_time', 'sum_over_time',
  'avg_over_time', 'min_over_time', 'max_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time',
  'first_over_time', 'last_over_time',
]);
/** Range functions that take no unwrap. */
const NO_UNWRAP: ReadonlySet<string> = new Set(['count_over_time', 'bytes_over_time', 'bytes_rate', 'absent_over_time']);
/** Range functions that need an unwrap. */
const NEED_UNWRAP: ReadonlySet<string> = new Set([
  'rate_counter', 'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'stddev_over_time', 'stdvar_over_time',
  'quantile_over_time', 'first_over_time', 'last_over_time',
]);
/** Unwrapped range functions that accept `by`/`without`. */
const GROUPABLE_RANGE: ReadonlySet<string> = new Set([
  'avg_over_time', 'min_over_time', 'max_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time',
]);
const VECTOR_OPS: ReadonlySet<string> = new Set<VectorOp>(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'sort', 'sort_desc']);
const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '>=': 3,
  '<': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  '^': 6,
};
const LINE_FILTER_OPS: ReadonlySet<string> = new Set(['|=', '!=', '|~', '!~', '|>', '!>']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** parseExpr parses a LogQL query; throws ParseError. */
export function parseExpr(query: string): Expr {
  return new Parser(query).parseQuery();
}

/** parseLogSelector parses a log query (selector and pipeline) only, as `/series` and tail take. */
export function parseLogSelector(query: string): LogQuery {
  const e = parseExpr(query);
  if (e.kind !== 'logQuery') throw new ParseError(query, e.range, 'only log selectors are accepted here, not metric queries');
  return e;
}

/** parseMatchers parses a bare stream selector `{a="b", …}` (the `match[]` of Loki's series API). */
export function parseMatchers(query: string): readonly StreamMatcher[] {
  const e = parseLogSelector(query);
  if (e.pipeline.length > 0) throw new ParseError(query, e.pipeline[0]!.range, 'a stream selector takes no pipeline here');
  return e.matchers;
}

class Parser {
  readonly #q: string;
  readonly #toks: Token[];
  #i = 0;

  constructor(query: string) {
    this.#q = query;
    this.#toks = lex(query);
  }

  #peek(k = 0): Token {
    return this.#toks[Math.min(this.#i + k, this.#toks.length - 1)]!;
  }

  #next(): Token {
    const t = this.#peek();
    if (this.#i < this.#toks.length - 1) this.#i++;
    return t;
  }

  #is(kind: TokenKind, text?: string): boolean {
    const t = this.#peek();
    return t.kind === kind && (text === undefined || t.text === text);
  }

  #isWord(word: string): boolean {
    return this.#is('ident', word);
  }

  #accept(kind: TokenKind, text?: string): Token | undefined {
    return this.#is(kind, text) ? this.#next() : undefined;
  }

  #fail(t: Token | PositionRange, detail: string): never {
    throw new ParseError(this.#q, { start: t.start, end: t.end }, detail);
  }

  #unexpected(t: Token, wanted: string): never {
    const what = t.kind === 'eof' ? 'end of input' : `"${t.text}"`;
    this.#fail(t, `unexpected ${what}, expected ${wanted}`);
  }

  #expect(kind: TokenKind, wanted?: string): Token {
    const t = this.#peek();
    if (t.kind !== kind) this.#unexpected(t, wanted ?? `"${kind}"`);
    return this.#next();
  }

  #expectWord(word: string): Token {
    const t = this.#peek();
    if (t.kind !== 'ident' || t.text !== word) this.#unexpected(t, `"${word}"`);
    return this.#next();
  }

  #range(start: number): PositionRange {
    const prev = this.#toks[Math.max(0, this.#i - 1)]!;
    return { start, end: Math.max(start, prev.end) };
  }

  parseQuery(): Expr {
    if (this.#is('eof')) this.#fail(this.#peek(), 'empty query');
    const e = this.#expr(0);
    const t = this.#peek();
    if (t.kind !== 'eof') this.#unexpected(t, 'end of query');
    return e;
  }

  // ---------------------------------------------------------------- metric expressions

  #expr(minPrec: number): Expr {
    let lhs = this.#unary();
    for (;;) {
      const t = this.#peek();
      const opText = t.kind === 'ident' ? t.text : t.kind;
      const prec = PRECEDENCE[opText];
      if (prec === undefined || prec < minPrec || (t.kind === 'ident' && !['or', 'and', 'unless'].includes(t.text))) break;
      this.#next();
      const op = opText as BinaryOp;
      const isCmp = ['==', '!=', '>', '>=', '<', '<='].includes(op);
      let bool = false;
      if (this.#isWord('bool')) {
        if (!isCmp) this.#fail(this.#peek(), 'bool modifier can only be used on comparison operators');
        this.#next();
        bool = true;
      }
      const matching = this.#vectorMatching(op);
      const rhs = this.#expr(op === '^' ? prec : prec + 1);
      lhs = this.#binary(op, lhs, rhs, bool, matching, t);
    }
    return lhs;
  }

  #binary(op: BinaryOp, lhs: Expr, rhs: Expr, bool: boolean, matching: VectorMatching | undefined, opTok: Token): MetricExpr {
    if (lhs.kind === 'logQuery') this.#fail(lhs.range, `a log query cannot be an operand of "${op}"; wrap it in a range aggregation such as count_over_time`);
    if (rhs.kind === 'logQuery') this.#fail(rhs.range, `a log query cannot be an operand of "${op}"; wrap it in a range aggregation such as count_over_time`);
    const setOp = op === 'and' || op === 'or' || op === 'unless';
    const lScalar = lhs.kind === 'number';
    const rScalar = rhs.kind === 'number';
    if (setOp && (lScalar || rScalar)) this.#fail(opTok, `set operator "${op}" not allowed in binary scalar expression`);
    if (['==', '!=', '>', '>=', '<', '<='].includes(op) && lScalar && rScalar && !bool) {
      this.#fail(opTok, 'comparisons between scalars must use BOOL modifier');
    }
    if (matching !== undefined && (lScalar || rScalar)) this.#fail(opTok, 'vector matching only allowed between vectors');
    let m = matching;
    if (setOp && m === undefined) m = { on: false, labels: [], card: 'many-to-many', include: [] };
    else if (setOp && m !== undefined) m = { ...m, card: 'many-to-many' };
    return { kind: 'binary', op, lhs, rhs, bool, matching: m, range: { start: lhs.range.start, end: rhs.range.end } };
  }

  #vectorMatching(op: BinaryOp): VectorMatching | undefined {
    if (!this.#isWord('on') && !this.#isWord('ignoring')) return undefined;
    const on = this.#next().text === 'on';
    const labels = this.#labelList();
    let card: VectorMatching['card'] = 'one-to-one';
    let include: readonly string[] = [];
    if (this.#isWord('group_left') || this.#isWord('group_right')) {
      const g = this.#next();
      if (op === 'and' || op === 'or' || op === 'unless') this.#fail(g, 'no grouping allowed for "and", "or" and "unless" operations');
      card = g.text === 'group_left' ? 'many-to-one' : 'one-to-many';
      if (this.#is('(')) include = this.#labelList();
    }
    return { on, labels, card, include };
  }

  #unary(): Expr {
    const t = this.#peek();
    if (t.kind === '-' || t.kind === '+') {
      this.#next();
      const operand = this.#unary();
      if (operand.kind !== 'number') this.#fail(t, `unary "${t.kind}" is only allowed before a number`);
      return { kind: 'number', value: t.kind === '-' ? -operand.value : operand.value, range: { start: t.start, end: operand.range.end } };
    }
    return this.#primary();
  }

  #primary(): Expr {
    const t = this.#peek();
    switch (t.kind) {
      case 'number':
        this.#next();
        return { kind: 'number', value: t.num, range: { start: t.start, end: t.end } };
      case '(': {
        this.#next();
        const inner = this.#expr(0);
        this.#expect(')', '")"');
        return { ...inner, range: { start: t.start, end: this.#range(t.start).end } } as Expr;
      }
      case '{':
        return this.#logQuery(false).query;
      case 'ident': {
        if (RANGE_OPS.has(t.text)) return this.#rangeAgg();
        if (VECTOR_OPS.has(t.text)) return this.#vectorAgg();
        if (t.text === 'label_replace') return this.#labelReplace();
        if (t.text === 'vector') {
          this.#next();
          this.#expect('(', '"("');
          const n = this.#signedNumber();
          this.#expect(')', '")"');
          return { kind: 'vector', value: n, range: this.#range(t.start) };
        }
        return this.#unexpected(t, 'a stream selector, a function or a number');
      }
      default:
        return this.#unexpected(t, 'a stream selector, a function or a number');
    }
  }

  #signedNumber(): number {
    const neg = this.#accept('-') !== undefined;
    if (!neg) this.#accept('+');
    const t = this.#expect('number', 'a number');
    return neg ? -t.num : t.num;
  }

  #grouping(): Grouping | undefined {
    if (!this.#isWord('by') && !this.#isWord('without')) return undefined;
    const without = this.#next().text === 'without';
    return { without, labels: this.#labelList() };
  }

  #labelList(): string[] {
    this.#expect('(', '"("');
    const out: string[] = [];
    if (this.#accept(')') !== undefined) return out;
    for (;;) {
      const t = this.#expect('ident', 'a label name');
      out.push(t.text);
      if (this.#accept(',') !== undefined) {
        if (this.#is(')')) break;
        continue;
      }
      break;
    }
    this.#expect(')', '"," or ")"');
    return out;
  }

  #rangeAgg(): MetricExpr {
    const t = this.#next();
    const op = t.text as RangeOp;
    this.#expect('(', '"("');
    let param: number | undefined;
    if (op === 'quantile_over_time') {
      param = this.#signedNumber();
      this.#expect(',', '","');
    }
    const arg = this.#logRange();
    this.#expect(')', '")"');
    const grouping = this.#grouping();
    const range = this.#range(t.start);
    if (arg.unwrap !== undefined && NO_UNWRAP.has(op)) this.#fail(arg.unwrap.range, `invalid aggregation ${op} with unwrap`);
    if (arg.unwrap === undefined && NEED_UNWRAP.has(op)) this.#fail(range, `invalid aggregation ${op} without unwrap`);
    if (grouping !== undefined && !(arg.unwrap !== undefined && GROUPABLE_RANGE.has(op))) {
      this.#fail(range, `grouping not allowed for ${op} aggregation`);
    }
    return { kind: 'rangeAgg', op, param, arg, grouping, range };
  }

  #vectorAgg(): MetricExpr {
    const t = this.#next();
    const op = t.text as VectorOp;
    let grouping = this.#grouping();
    this.#expect('(', '"("');
    let param: number | undefined;
    if (op === 'topk' || op === 'bottomk') {
      const p = this.#peek();
      param = this.#signedNumber();
      if (!Number.isInteger(param) || param <= 0) this.#fail(p, `invalid parameter for ${op}: ${p.text} (must be a positive integer)`);
      this.#expect(',', '","');
    }
    const inner = this.#expr(0);
    if (inner.kind === 'logQuery') this.#fail(inner.range, `${op} needs a metric query, not a log query; use e.g. count_over_time(…[5m])`);
    this.#expect(')', '")"');
    const after = this.#grouping();
    if (after !== undefined) {
      if (grouping !== undefined) this.#fail(this.#range(t.start), 'grouping given twice');
      grouping = after;
    }
    if ((op === 'sort' || op === 'sort_desc') && grouping !== undefined) this.#fail(this.#range(t.start), `grouping not allowed for ${op}`);
    return { kind: 'vectorAgg', op, param, grouping, arg: inner, range: this.#range(t.start) };
  }

  #labelReplace(): MetricExpr {
    const t = this.#next();
    this.#expect('(', '"("');
    const arg = this.#expr(0);
    if (arg.kind === 'logQuery') this.#fail(arg.range, 'label_replace needs a metric query');
    const strs: string[] = [];
    for (let k = 0; k < 4; k++) {
      this.#expect(',', '","');
      strs.push(this.#expect('string', 'a string').str);
    }
    this.#expect(')', '")"');
    const [dst, replacement, src, regex] = strs as [string, string, string, string];
    if (!LABEL_NAME.test(dst)) this.#fail(this.#range(t.start), `invalid destination label name in label_replace(): ${dst}`);
    try {
      RE2JS.compile(`^(?:${regex})$`);
    } catch (e) {
      this.#fail(this.#range(t.start), `invalid regular expression in label_replace(): ${(e as Error).message}`);
    }
    return { kind: 'labelReplace', arg, dst, replacement, src, regex, range: this.#range(t.start) };
  }

  // ---------------------------------------------------------------- log queries

  #logRange(): LogRange {
    const start = this.#peek().start;
    const paren = this.#accept('(') !== undefined;
    let rangeMs: number | undefined;
    let offsetMs = 0;
    let q: { query: LogQuery; unwrap: Unwrap | undefined };
    if (paren) {
      q = this.#logQuery(true);
      this.#expect(')', '")"');
    } else {
      const sel = this.#selector();
      if (this.#is('[')) {
        rangeMs = this.#rangeDuration();
        offsetMs = this.#offset();
      }
      q = this.#pipelineAfter(sel.matchers, sel.start, true);
    }
    if (rangeMs === undefined) {
      if (!this.#is('[')) this.#unexpected(this.#peek(), 'a range such as [5m]');
      rangeMs = this.#rangeDuration();
      offsetMs = this.#offset();
    } else if (this.#is('[')) {
      this.#fail(this.#peek(), 'range given twice');
    }
    return { kind: 'logRange', query: q.query, unwrap: q.unwrap, rangeMs, offsetMs, range: this.#range(start) };
  }

  #rangeDuration(): number {
    this.#expect('[', '"["');
    const t = this.#next();
    if (t.kind !== 'duration' && !(t.kind === 'number' && t.num === 0)) this.#unexpected(t, 'a duration such as 5m');
    this.#expect(']', '"]"');
    const ms = Math.round(t.num * 1000);
    if (!(ms > 0)) this.#fail(t, 'range must be positive');
    return ms;
  }

  #offset(): number {
    if (!this.#isWord('offset')) return 0;
    this.#next();
    const t = this.#next();
    if (t.kind !== 'duration') this.#unexpected(t, 'a duration such as 1h');
    return Math.round(t.num * 1000);
  }

  #selector(): { matchers: StreamMatcher[]; start: number } {
    const open = this.#expect('{', '"{"');
    const matchers: StreamMatcher[] = [];
    if (!this.#is('}')) {
      for (;;) {
        const name = this.#expect('ident', 'a label name');
        const op = this.#next();
        if (!['=', '!=', '=~', '!~'].includes(op.kind)) this.#unexpected(op, 'one of "=", "!=", "=~", "!~"');
        const v = this.#expect('string', 'a quoted string');
        const type = op.kind as MatchType;
        try {
          new Matcher(type, name.text, v.str);
        } catch (e) {
          this.#fail({ start: v.start, end: v.end }, `invalid regular expression: ${(e as Error).message}`);
        }
        matchers.push({ name: name.text, type, value: v.str, range: { start: name.start, end: v.end } });
        if (this.#accept(',') !== undefined) {
          if (this.#is('}')) break;
          continue;
        }
        break;
      }
    }
    const close = this.#expect('}', '"," or "}"');
    const range = { start: open.start, end: close.end };
    if (!matchers.some((m) => !new Matcher(m.type, m.name, m.value).matchesEmpty())) {
      this.#fail(
        range,
        'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
      );
    }
    return { matchers, start: open.start };
  }

  #logQuery(allowUnwrap: boolean): { query: LogQuery; unwrap: Unwrap | undefined } {
    const t = this.#peek();
    if (t.kind === '(') {
      this.#next();
      const inner = this.#logQuery(allowUnwrap);
      this.#expect(')', '")"');
      return inner;
    }
    const sel = this.#selector();
    return this.#pipelineAfter(sel.matchers, sel.start, allowUnwrap);
  }

  #pipelineAfter(matchers: StreamMatcher[], start: number, allowUnwrap: boolean): { query: LogQuery; unwrap: Unwrap | undefined } {
    const pipeline: Stage[] = [];
    let unwrap: Unwrap | undefined;
    for (;;) {
      const t = this.#peek();
      if (LINE_FILTER_OPS.has(t.kind)) {
        if (unwrap !== undefined) this.#fail(t, 'only label filters may follow unwrap');
        pipeline.push(this.#lineFilter());
        continue;
      }
      if (t.kind !== '|') break;
      const w = this.#peek(1);
      if (w.kind === 'ident' && w.text === 'unwrap') {
        if (!allowUnwrap) this.#fail(w, 'unwrap is only allowed inside a range aggregation');
        if (unwrap !== undefined) this.#fail(w, 'unwrap given twice');
        const bar = this.#next();
        unwrap = { ...this.#unwrap(), range: this.#range(bar.start) };
        continue;
      }
      const stage = this.#pipeStage();
      if (unwrap !== undefined) {
        if (stage.kind !== 'labelFilter') this.#fail(stage.range, 'only label filters may follow unwrap');
        unwrap = { ...unwrap, postFilters: [...unwrap.postFilters, stage], range: { start: unwrap.range.start, end: stage.range.end } };
        continue;
      }
      pipeline.push(stage);
    }
    const query: LogQuery = { kind: 'logQuery', matchers, pipeline, range: this.#range(start) };
    return { query, unwrap };
  }

  #unwrap(): Unwrap {
    const u = this.#expectWord('unwrap');
    let conversion: UnwrapConversion = 'none';
    let label: Token;
    const t = this.#peek();
    if (t.kind === 'ident' && ['duration', 'duration_seconds', 'bytes'].includes(t.text) && this.#peek(1).kind === '(') {
      this.#next();
      this.#next();
      conversion = t.text as UnwrapConversion;
      label = this.#expect('ident', 'a label name');
      this.#expect(')', '")"');
    } else {
      label = this.#expect('ident', 'a label name');
    }
    return { label: label.text, conversion, postFilters: [], range: this.#range(u.start) };
  }

  #lineFilter(): Stage {
    const op = this.#next();
    const values: LineFilterValue[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.kind === 'ident' && t.text === 'ip' && this.#peek(1).kind === '(') {
        if (op.kind !== '|=' && op.kind !== '!=') this.#fail(t, `ip() is only allowed with "|=" and "!="`);
        this.#next();
        this.#next();
        const s = this.#expect('string', 'a quoted IP, range or CIDR');
        this.#expect(')', '")"');
        if (!isValidIpPattern(s.str)) this.#fail(s, `invalid IP address, range or CIDR "${s.str}"`);
        values.push({ kind: 'ip', value: s.str });
      } else {
        const s = this.#expect('string', 'a quoted string');
        if (op.kind === '|~' || op.kind === '!~') {
          try {
            RE2JS.compile(s.str);
          } catch (e) {
            this.#fail(s, `invalid regular expression: ${(e as Error).message}`);
          }
        }
        if ((op.kind === '|>' || op.kind === '!>') && !s.str.includes('<')) {
          // A pattern filter without captures is fine: `<_>` is optional.
        }
        values.push({ kind: 'text', value: s.str });
      }
      if (this.#isWord('or') && this.#peek(1).kind === 'string') {
        this.#next();
        continue;
      }
      break;
    }
    return { kind: 'lineFilter', op: op.kind as LineFilterOp, values, range: this.#range(op.start) };
  }

  #pipeStage(): Stage {
    const bar = this.#expect('|', '"|"');
    const t = this.#peek();
    if (t.kind === 'ident') {
      const nxt = this.#peek(1);
      // A keyword followed by a comparison is a label filter on a label of that name.
      const isFilter = ['=', '!=', '=~', '!~', '==', '>', '>=', '<', '<='].includes(nxt.kind);
      if (!isFilter) {
        switch (t.text) {
          case 'json':
            this.#next();
            return { kind: 'json', params: this.#extractionParams(), range: this.#range(bar.start) };
          case 'logfmt': {
            this.#next();
            let strict = false;
            let keepEmpty = false;
            for (let f = this.#accept('flag'); f !== undefined; f = this.#accept('flag')) {
              if (f.str === 'strict') strict = true;
              else if (f.str === 'keep-empty') keepEmpty = true;
              else this.#fail(f, `unknown logfmt flag "--${f.str}"; expected --strict or --keep-empty`);
            }
            return { kind: 'logfmt', strict, keepEmpty, params: this.#extractionParams(), range: this.#range(bar.start) };
          }
          case 'regexp': {
            this.#next();
            const s = this.#expect('string', 'a quoted regular expression');
            validateRegexpParser(s.str, (d) => this.#fail(s, d));
            return { kind: 'regexp', pattern: s.str, range: this.#range(bar.start) };
          }
          case 'pattern': {
            this.#next();
            const s = this.#expect('string', 'a quoted pattern');
            validatePattern(s.str, (d) => this.#fail(s, d));
            return { kind: 'pattern', pattern: s.str, range: this.#range(bar.start) };
          }
          case 'unpack':
            this.#next();
            return { kind: 'unpack', range: this.#range(bar.start) };
          case 'decolorize':
            this.#next();
            return { kind: 'decolorize', range: this.#range(bar.start) };
          case 'line_format': {
            this.#next();
            const s = this.#expect('string', 'a quoted template');
            return { kind: 'lineFormat', template: s.str, tree: this.#template(s), range: this.#range(bar.start) };
          }
          case 'label_format':
            this.#next();
            return { kind: 'labelFormat', items: this.#labelFormatItems(), range: this.#range(bar.start) };
          case 'drop':
          case 'keep': {
            this.#next();
            const items = this.#dropKeepItems();
            return { kind: t.text, items, range: this.#range(bar.start) };
          }
          default:
            break;
        }
      }
    }
    if (t.kind !== 'ident' && t.kind !== '(') this.#unexpected(t, 'a parser, a formatter or a label filter after "|"');
    const expr = this.#labelFilterOr();
    return { kind: 'labelFilter', expr, range: this.#range(bar.start) } satisfies LabelFilterStage;
  }

  #template(s: Token): TemplateNode {
    try {
      return parseTemplate(s.str);
    } catch (e) {
      if (e instanceof TemplateSyntaxError) this.#fail(s, `invalid template: ${e.detail}`);
      throw e;
    }
  }

  // Extraction parameters: `label="expression"` or a bare `label` (the key of the same name).
  #extractionParams(): ExtractionParam[] {
    const out: ExtractionParam[] = [];
    const startsParam = (): boolean => this.#is('ident') && (this.#peek(1).kind === '=' || this.#peek(1).kind === ',' || this.#peek(1).kind === '|' || this.#peek(1).kind === 'eof' || this.#peek(1).kind === '[' || this.#peek(1).kind === ')' || LINE_FILTER_OPS.has(this.#peek(1).kind));
    if (!startsParam()) return out;
    for (;;) {
      const name = this.#expect('ident', 'a label name');
      if (this.#accept('=') !== undefined) {
        const v = this.#expect('string', 'a quoted expression');
        out.push({ label: name.text, expr: v.str });
      } else {
        out.push({ label: name.text, expr: name.text });
      }
      if (this.#is(',') && this.#peek(1).kind === 'ident') {
        this.#next();
        continue;
      }
      break;
    }
    return out;
  }

  #labelFormatItems(): LabelFormatItem[] {
    const out: LabelFormatItem[] = [];
    const seen = new Set<string>();
    for (;;) {
      const dst = this.#expect('ident', 'a label name');
      this.#expect('=', '"="');
      const v = this.#next();
      if (dst.text === '__error__') this.#fail(dst, '__error__ cannot be formatted');
      if (seen.has(dst.text)) this.#fail(dst, `multiple label name '${dst.text}' not allowed in a single format operation`);
      seen.add(dst.text);
      if (v.kind === 'ident') out.push({ kind: 'rename', dst: dst.text, src: v.text });
      else if (v.kind === 'string') out.push({ kind: 'template', dst: dst.text, template: v.str, tree: this.#template(v) });
      else this.#unexpected(v, 'a label name or a quoted template');
      if (this.#is(',') && this.#peek(1).kind === 'ident' && this.#peek(2).kind === '=') {
        this.#next();
        continue;
      }
      break;
    }
    return out;
  }

  #dropKeepItems(): DropKeepItem[] {
    const out: DropKeepItem[] = [];
    for (;;) {
      const name = this.#expect('ident', 'a label name');
      const op = this.#peek();
      if (['=', '!=', '=~', '!~'].includes(op.kind) && this.#peek(1).kind === 'string') {
        this.#next();
        const v = this.#next();
        try {
          new Matcher(op.kind as MatchType, name.text, v.str);
        } catch (e) {
          this.#fail(v, `invalid regular expression: ${(e as Error).message}`);
        }
        out.push({ name: name.text, matcher: { type: op.kind as MatchType, value: v.str } });
      } else {
        out.push({ name: name.text });
      }
      if (this.#accept(',') !== undefined) continue;
      break;
    }
    return out;
  }

  // Label filter expressions: `or` binds loosest; `and` and `,` bind tighter.
  #labelFilterOr(): LabelFilterExpr {
    let lhs = this.#labelFilterAnd();
    while (this.#isWord('or')) {
      this.#next();
      const rhs = this.#labelFilterAnd();
      lhs = { kind: 'or', lhs, rhs, range: { start: lhs.range.start, end: rhs.range.end } };
    }
    return lhs;
  }

  #labelFilterAnd(): LabelFilterExpr {
    let lhs = this.#labelFilterPrimary();
    for (;;) {
      if (this.#isWord('and') || (this.#is(',') && this.#peek(1).kind !== 'eof')) {
        this.#next();
      } else if (this.#is('ident') && !['or', 'and', 'offset', 'by', 'without', 'unless'].includes(this.#peek().text) && isCmpKind(this.#peek(1).kind)) {
        // Loki accepts filters separated by spaces only: `| a="1" b="2"`.
      } else {
        break;
      }
      const rhs = this.#labelFilterPrimary();
      lhs = { kind: 'and', lhs, rhs, range: { start: lhs.range.start, end: rhs.range.end } };
    }
    return lhs;
  }

  #labelFilterPrimary(): LabelFilterExpr {
    const t = this.#peek();
    if (t.kind === '(') {
      this.#next();
      const e = this.#labelFilterOr();
      this.#expect(')', '")"');
      return { ...e, range: this.#range(t.start) };
    }
    const name = this.#expect('ident', 'a label name');
    const op = this.#next();
    const v = this.#peek();
    const range = (): PositionRange => this.#range(name.start);
    if (v.kind === 'ident' && v.text === 'ip' && this.#peek(1).kind === '(') {
      if (op.kind !== '=' && op.kind !== '!=') this.#fail(op, 'ip() label filters take "=" or "!="');
      this.#next();
      this.#next();
      const s = this.#expect('string', 'a quoted IP, range or CIDR');
      this.#expect(')', '")"');
      if (!isValidIpPattern(s.str)) this.#fail(s, `invalid IP address, range or CIDR "${s.str}"`);
      return { kind: 'ipFilter', name: name.text, op: op.kind as '=' | '!=', cidr: s.str, range: range() };
    }
    if (v.kind === 'string') {
      if (!['=', '!=', '=~', '!~'].includes(op.kind)) this.#unexpected(op, 'one of "=", "!=", "=~", "!~" before a string');
      this.#next();
      try {
        new Matcher(op.kind as MatchType, name.text, v.str);
      } catch (e) {
        this.#fail(v, `invalid regular expression: ${(e as Error).message}`);
      }
      return { kind: 'labelMatch', name: name.text, type: op.kind as MatchType, value: v.str, range: range() };
    }
    if (!isCmpKind(op.kind) || op.kind === '=~' || op.kind === '!~') this.#unexpected(op, 'a comparison operator');
    const cmp: CmpOp = op.kind === '=' ? '==' : (op.kind as CmpOp);
    const neg = this.#accept('-') !== undefined;
    const val = this.#next();
    const sign = neg ? -1 : 1;
    switch (val.kind) {
      case 'number':
        return { kind: 'numberFilter', name: name.text, op: cmp, value: sign * val.num, range: range() };
      case 'duration':
        return { kind: 'durationFilter', name: name.text, op: cmp, seconds: sign * val.num, range: range() };
      case 'bytes':
        return { kind: 'bytesFilter', name: name.text, op: cmp, bytes: sign * val.num, range: range() };
      default:
        return this.#unexpected(val, 'a string, a number, a duration or a byte size');
    }
  }
}

function isCmpKind(k: TokenKind): boolean {
  return k === '=' || k === '!=' || k === '=~' || k === '!~' || k === '==' || k === '>' || k === '>=' || k === '<' || k === '<=';
}

function validateRegexpParser(re: string, fail: (detail: string) => never): void {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re);
  } catch (e) {
    fail(`invalid regular expression: ${(e as Error).message}`);
  }
  const names = Object.keys(compiled.namedGroups());
  if (names.length === 0) fail('at least one named capture must be supported');
  for (const n of names) if (!LABEL_NAME.test(n)) fail(`invalid extracted label name '${n}'`);
}

function validatePattern(p: string, fail: (detail: string) => never): void {
  // Captures are `<name>`; two captures may not touch; at least one named capture.
  const re = /<([^<>]*)>/g;
  let named = 0;
  let lastEnd = -1;
  for (let m = re.exec(p); m !== null; m = re.exec(p)) {
    const name = m[1]!;
    if (!/^_$|^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) continue;
    if (m.index === lastEnd) fail('consecutive captures are not allowed in a pattern');
    lastEnd = m.index + m[0].length;
    if (name !== '_') named++;
  }
  if (named === 0) fail('at least one named capture must be supported');
}

/** isValidIpPattern tells whether s is an IP, an IP range `a-b` or a CIDR. */
export function isValidIpPattern(s: string): boolean {
  const ip = (x: string): boolean => isIPv4(x) || isIPv6(x);
  if (s.includes('/')) {
    const [a, bits, ...rest] = s.split('/');
    if (rest.length > 0 || !/^[0-9]+$/.test(bits ?? '')) return false;
    const n = Number(bits);
    return (isIPv4(a!) && n <= 32) || (isIPv6(a!) && n <= 128);
  }
  if (s.includes('-')) {
    const [a, b, ...rest] = s.split('-');
    return rest.length === 0 && ip(a!.trim()) && ip(b!.trim());
  }
  return ip(s);
}

function isIPv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^[0-9]{1,3}$/.test(x) && Number(x) <= 255);
}

function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g !== '');
  let n = groups.length;
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    n += 1;
  }
  if (!groups.every((g, i) => /^[0-9a-fA-F]{1,4}$/.test(g) || (i === groups.length - 1 && g.includes('.')))) return false;
  return dbl.length === 2 ? n < 8 : n === 8;
}
