/**
 * The clauses around PromQL expressions: a selector's metric name and label matchers, the
 * grouping labels of aggregations and vector matching, and the modifiers of binary operators.
 * @module
 */
import { Matcher, MatchType, METRIC_NAME, type PositionRange } from '../../model/index.js';
import type { MatchCardinality, VectorSelector } from './ast.js';
import { DurationParser } from './duration-parser.js';
import { isValidUtf8 } from './string-literal.js';
import { type Token, type TokenKind, goQuote } from './token.js';

// Keywords that may be used as label names in grouping clauses (Prometheus's maybe_label).
const MAYBE_LABEL_KINDS = new Set<TokenKind>([
  'AVG', 'BOOL', 'BOTTOMK', 'BY', 'COUNT', 'COUNT_VALUES', 'GROUP', 'GROUP_LEFT', 'GROUP_RIGHT', 'FILL', 'FILL_LEFT',
  'FILL_RIGHT', 'IDENTIFIER', 'IGNORING', 'LAND', 'LOR', 'LUNLESS', 'MAX', 'METRIC_IDENTIFIER', 'MIN', 'OFFSET', 'ON',
  'QUANTILE', 'STDDEV', 'STDVAR', 'SUM', 'TOPK', 'START', 'END', 'ATAN2', 'LIMITK', 'LIMIT_RATIO', 'STEP', 'RANGE',
  'ANCHORED', 'SMOOTHED', 'MAX_OF', 'MIN_OF',
]);

/** ClauseParser parses selectors, grouping labels and binary-operator modifiers. */
export class ClauseParser extends DurationParser {
  /** vectorSelector parses `name{matchers}`, `name` or `{matchers}`. */
  protected vectorSelector(): VectorSelector {
    const first = this.peek();
    let name = '';
    let start = first.start;
    let end = first.end;
    if (first.kind !== 'LEFT_BRACE') {
      this.next();
      name = first.val;
    }
    const matchers: Matcher[] = [];
    if (this.peek().kind === 'LEFT_BRACE') {
      const open = this.next();
      if (name === '') start = open.start;
      end = this.#labelMatchers(matchers);
    }
    if (name !== '') matchers.push(new Matcher(MatchType.Equal, METRIC_NAME, name));
    return { kind: 'vectorSelector', name, matchers, anchored: false, smoothed: false, range: { start, end } };
  }

  /** labelMatchers parses `a="b", "c"!~"d", "metric.name"}` after `{`; returns the end of `}`. */
  #labelMatchers(out: Matcher[]): number {
    if (this.peek().kind === 'RIGHT_BRACE') return this.next().end;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'IDENTIFIER') {
        this.next();
        const op = this.peek();
        if (!isMatchOp(op.kind)) throw this.unexpected('label matching', 'label matching operator');
        this.next();
        if (this.peek().kind !== 'STRING') throw this.unexpected('label matching', 'string');
        const v = this.next();
        out.push(this.#matcher(t.val, op, v, { start: t.start, end: v.end }));
      } else if (t.kind === 'STRING') {
        this.next();
        const name = this.unquote(t);
        const op = this.peek();
        if (isMatchOp(op.kind)) {
          this.next();
          if (this.peek().kind !== 'STRING') throw this.unexpected('label matching', 'string');
          const v = this.next();
          out.push(this.#matcher(name, op, v, { start: t.start, end: v.end }));
        } else {
          out.push(new Matcher(MatchType.Equal, METRIC_NAME, name));
        }
      } else {
        throw this.unexpected('label matching', 'identifier or "}"');
      }
      const sep = this.peek();
      if (sep.kind === 'RIGHT_BRACE') return this.next().end;
      if (sep.kind !== 'COMMA') throw this.unexpected('label matching', '"," or "}"');
      this.next();
      if (this.peek().kind === 'RIGHT_BRACE') return this.next().end;
    }
  }

  #matcher(name: string, op: Token, value: Token, range: PositionRange): Matcher {
    const v = this.unquote(value);
    const type =
      op.kind === 'EQL' ? MatchType.Equal : op.kind === 'NEQ' ? MatchType.NotEqual : op.kind === 'EQL_REGEX' ? MatchType.Regexp : MatchType.NotRegexp;
    try {
      return new Matcher(type, name, v);
    } catch (e) {
      throw this.err(range, `error parsing regexp: ${stripRegexPrefix((e as Error).message)}`);
    }
  }

  /** groupingLabels parses `(a, b, "c.d")`. */
  protected groupingLabels(): string[] {
    if (this.peek().kind !== 'LEFT_PAREN') throw this.unexpected('grouping opts', '"("');
    this.next();
    const out: string[] = [];
    if (this.peek().kind === 'RIGHT_PAREN') {
      this.next();
      return out;
    }
    for (;;) {
      const t = this.peek();
      if (MAYBE_LABEL_KINDS.has(t.kind)) {
        this.next();
        out.push(t.val);
      } else if (t.kind === 'STRING') {
        this.next();
        const name = this.unquote(t);
        if (name === '' || !isValidUtf8(name)) throw this.err({ start: t.start, end: t.end }, `invalid label name for grouping: ${goQuote(name)}`);
        out.push(name);
      } else {
        throw this.unexpected('grouping opts', 'label');
      }
      const sep = this.peek();
      if (sep.kind === 'RIGHT_PAREN') {
        this.next();
        return out;
      }
      if (sep.kind !== 'COMMA') throw this.unexpected('grouping opts', '"," or ")"');
      this.next();
      if (this.peek().kind === 'RIGHT_PAREN') {
        this.next();
        return out;
      }
    }
  }

  /** binModifiers parses what may follow a binary operator: bool, on/ignoring, group_left/right, fill. */
  protected binModifiers(): BinModifiers {
    let bool = false;
    if (this.peek().kind === 'BOOL') {
      this.next();
      bool = true;
    }
    let on = false;
    let labels: string[] = [];
    let card: MatchCardinality = 'one-to-one';
    let include: string[] = [];
    const k = this.peek().kind;
    if (k === 'ON' || k === 'IGNORING') {
      this.next();
      on = k === 'ON';
      labels = this.groupingLabels();
      const g = this.peek().kind;
      if (g === 'GROUP_LEFT' || g === 'GROUP_RIGHT') {
        this.next();
        card = g === 'GROUP_LEFT' ? 'many-to-one' : 'one-to-many';
        if (this.peek().kind === 'LEFT_PAREN') include = this.groupingLabels();
      }
    }
    let fillLeft: number | undefined;
    let fillRight: number | undefined;
    for (let n = 0; n < 2; n++) {
      const f = this.peek().kind;
      if (f === 'FILL' && n === 0) {
        this.next();
        fillLeft = fillRight = this.#fillValue();
        break;
      }
      if (f === 'FILL_LEFT' && fillLeft === undefined) {
        this.next();
        fillLeft = this.#fillValue();
        continue;
      }
      if (f === 'FILL_RIGHT' && fillRight === undefined) {
        this.next();
        fillRight = this.#fillValue();
        continue;
      }
      break;
    }
    return { bool, on, labels, card, include, fillLeft, fillRight };
  }

  #fillValue(): number {
    this.expect('LEFT_PAREN', '', '');
    let sign = 1;
    const t = this.peek();
    if (t.kind === 'ADD' || t.kind === 'SUB') {
      this.next();
      if (t.kind === 'SUB') sign = -1;
    }
    const u = this.peek();
    if (u.kind !== 'NUMBER' && u.kind !== 'DURATION') throw this.unexpected('', '');
    const n = this.numberLiteral();
    this.expect('RIGHT_PAREN', '', '');
    return sign * n.value;
  }
}

/** BinModifiers are the modifiers of a binary operator as written. */
export interface BinModifiers {
  bool: boolean;
  on: boolean;
  labels: string[];
  card: MatchCardinality;
  include: string[];
  fillLeft: number | undefined;
  fillRight: number | undefined;
}

function isMatchOp(k: TokenKind): boolean {
  return k === 'EQL' || k === 'NEQ' || k === 'EQL_REGEX' || k === 'NEQ_REGEX';
}

function stripRegexPrefix(msg: string): string {
  return msg.replace(/^error parsing regexp: /, '');
}
