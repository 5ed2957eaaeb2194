import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Expr, ParseError, formatExpr, parseExpr, parseMetricSelector, prettify } from './index.js';

const ALL = { extendedRangeSelectors: true, binopFillModifiers: true };

/** sexp dumps the tree structure: operators, selectors and modifiers, without positions. */
function sexp(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'paren':
      return `(paren ${sexp(e.expr)})`;
    case 'unary':
      return `(${e.op} ${sexp(e.expr)})`;
    case 'binary':
      return `(${e.op}${e.bool ? ' bool' : ''} ${sexp(e.lhs)} ${sexp(e.rhs)})`;
    case 'call':
      return `(${e.func.name}${e.args.map((a) => ' ' + sexp(a)).join('')})`;
    case 'aggregate':
      return `(${e.op}${e.without ? ' without' : e.grouping.length > 0 ? ' by' : ''}${e.grouping.length > 0 ? `[${e.grouping.join(',')}]` : ''}${e.param !== undefined ? ' ' + sexp(e.param) : ''} ${sexp(e.expr)})`;
    case 'vectorSelector': {
      let s = e.name !== '' ? e.name : '{' + e.matchers.map((m) => m.toString()).join(',') + '}';
      if (e.offset?.kind === 'fixed') s += ` offset=${e.offset.ms}`;
      if (e.at?.kind === 'timestamp') s += ` @${e.at.t}`;
      else if (e.at !== undefined) s += ` @${e.at.kind}`;
      return s;
    }
    case 'matrixSelector':
      return `(range ${sexp(e.selector)} ${e.rangeMs})`;
    case 'subquery':
      return `(subquery ${sexp(e.expr)} ${e.rangeMs}:${e.stepMs}${e.offset?.kind === 'fixed' ? ` offset=${e.offset.ms}` : ''})`;
    case 'durationExpr':
      return `(dur ${e.op}${e.lhs !== undefined ? ' ' + sexp(e.lhs) : ''}${e.rhs !== undefined ? ' ' + sexp(e.rhs) : ''})`;
  }
}

describe('parseExpr structure', () => {
  const cases: readonly { name: string; input: string; want: string }[] = [
    { name: 'addition is left-associative', input: 'a - b - c', want: '(- (- a b) c)' },
    { name: 'power is right-associative', input: 'a ^ b ^ c', want: '(^ a (^ b c))' },
    { name: 'multiplication binds tighter', input: 'a + b * c', want: '(+ a (* b c))' },
    { name: 'comparison below arithmetic', input: 'a + b > c * d', want: '(> (+ a b) (* c d))' },
    { name: 'and below comparison', input: 'a > b and c', want: '(and (> a b) c)' },
    { name: 'or lowest', input: 'a and b or c unless d', want: '(or (and a b) (unless c d))' },
    { name: 'atan2 like multiplication', input: 'a atan2 b + c', want: '(+ (atan2 a b) c)' },
    { name: 'unary minus folds into numbers', input: '-1', want: '-1' },
    { name: 'unary minus below power', input: '-a ^ b', want: '(- (^ a b))' },
    { name: 'unary minus above multiplication', input: '-a * b', want: '(* (- a) b)' },
    { name: 'number power with minus', input: '-2 ^ 2', want: '(- (^ 2 2))' },
    { name: 'hex number', input: '0x1F', want: '31' },
    { name: 'octal number like Go', input: '010', want: '8' },
    { name: 'underscore number', input: '1_000', want: '1000' },
    { name: 'float exponent', input: '1.5e3', want: '1500' },
    { name: 'Inf and NaN are numbers', input: 'Inf + -inf', want: '(+ Infinity -Infinity)' },
    { name: 'duration as number', input: '1h30m', want: '5400' },
    { name: 'bool modifier', input: 'a > bool 1', want: '(> bool a 1)' },
    { name: 'offset binds to the selector', input: 'a + b offset 5m', want: '(+ a b offset=300000)' },
    { name: 'negative offset', input: 'a offset -1h', want: 'a offset=-3600000' },
    { name: 'offset then binary operator', input: 'a offset 100 + 2', want: '(+ a offset=100000 2)' },
    { name: 'offset with signed number then power', input: 'a offset -2 ^ 2', want: '(^ a offset=-2000 2)' },
    { name: 'at timestamp', input: 'a @ 1609746000', want: 'a @1609746000000' },
    { name: 'at start()', input: 'a @ start()', want: 'a @start' },
    { name: 'at and offset on a range', input: 'a[5m] @ 100 offset 1m', want: '(range a offset=60000 @100000 300000)' },
    { name: 'subquery with step', input: 'rate(a[5m])[1h:1m]', want: '(subquery (rate (range a 300000)) 3600000:60000)' },
    { name: 'subquery default step', input: 'a[1h:]', want: '(subquery a 3600000:0)' },
    { name: 'subquery offset', input: 'a[10m:1m] offset 5m', want: '(subquery a 600000:60000 offset=300000)' },
    { name: 'aggregation by before', input: 'sum by (job) (a)', want: '(sum by[job] a)' },
    { name: 'aggregation without after', input: 'sum(a) without (job, le)', want: '(sum without[job,le] a)' },
    { name: 'topk parameter', input: 'topk(3, a)', want: '(topk 3 a)' },
    { name: 'count_values string', input: 'count_values("v", a)', want: '(count_values "v" a)' },
    { name: 'keywords as label names', input: 'sum by (on, bool, offset) (a)', want: '(sum by[on,bool,offset] a)' },
    { name: 'quoted grouping label', input: 'sum by ("a.b") (a)', want: '(sum by[a.b] a)' },
    { name: 'keyword as metric name', input: 'offset + sum', want: '(+ offset sum)' },
    { name: 'quoted metric name', input: '{"my.metric", a="b"}', want: '{__name__="my.metric",a="b"}' },
    { name: 'regex matchers', input: '{a=~"x.*", b!~"y"}', want: '{a=~"x.*",b!~"y"}' },
    { name: 'string escapes', input: '"a\\tb\\u00e9\\x41"', want: '"a\\tbéA"' },
    { name: 'single-quoted string', input: "'it\\'s'", want: '"it\'s"' },
    { name: 'raw string', input: '`a\\b`', want: '"a\\\\b"' },
    { name: 'duration expression in range', input: 'a[5m + 1m]', want: '(range a 0)' },
    { name: 'step() in offset', input: 'a offset step()', want: 'a' },
    { name: 'group_left with labels', input: 'a * on (x) group_left (y) b', want: '(* a b)' },
    { name: 'comment is ignored', input: 'a # comment\n+ b', want: '(+ a b)' },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(sexp(parseExpr(input, ALL))).toBe(want);
  });
});

describe('formatExpr canonical form', () => {
  const cases: readonly { input: string; want: string }[] = [
    { input: 'sum(rate(x[5m])) by (job)', want: 'sum by (job) (rate(x[5m]))' },
    { input: 'a+b', want: 'a + b' },
    { input: 'a > bool on(x) group_left(y) b', want: 'a > bool on (x) group_left (y) b' },
    { input: 'a * ignoring(x) b', want: 'a * ignoring (x) b' },
    { input: 'foo{b="2", a="1"}', want: 'foo{a="1",b="2"}' },
    { input: 'x[90m]', want: 'x[1h30m]' },
    { input: 'x offset -1h @ 100', want: 'x @ 100.000 offset -1h' },
    { input: 'x[5m:] @ end()', want: 'x[5m:] @ end()' },
    { input: '1.5', want: '1.5' },
    { input: '5m', want: '5m' },
    { input: '-(5m)', want: '-(5m)' },
    { input: 'x[(5m+1m)*2]', want: 'x[(5m + 1m) * 2]' },
    { input: 'x offset min_of(step(), 1s)', want: 'x offset min_of(step(), 1s)' },
    { input: 'sum without () (x)', want: 'sum without () (x)' },
    { input: '{"a.b"="c"}', want: '{"a.b"="c"}' },
    { input: 'a + fill(0) b', want: 'a + fill (0) b' },
    { input: 'x[5m] anchored', want: 'x[5m] anchored' },
  ];
  it.each(cases)('$input', ({ input, want }) => {
    const s = formatExpr(parseExpr(input, ALL));
    expect(s).toBe(want);
    expect(formatExpr(parseExpr(s, ALL))).toBe(s);
  });

  it('prettifies long expressions over several lines', () => {
    const q =
      'sum by (job, instance) (rate(http_requests_total{job="api-server", handler="/api/v1/query"}[5m])) / sum by (job, instance) (rate(http_requests_total[5m]))';
    const p = prettify(parseExpr(q));
    expect(p.split('\n').length).toBeGreaterThan(2);
    expect(formatExpr(parseExpr(p))).toBe(formatExpr(parseExpr(q)));
  });
});

describe('parse errors', () => {
  const cases: readonly { input: string; start: number; detail: string }[] = [
    { input: '', start: 0, detail: 'no expression found in input' },
    { input: '1+', start: 2, detail: 'unexpected end of input' },
    { input: '(1))', start: 4, detail: "unexpected right parenthesis ')'" },
    { input: '((1)', start: 4, detail: 'unclosed left parenthesis' },
    { input: '1 == 1', start: 2, detail: 'comparisons between scalars must use BOOL modifier' },
    { input: 'foo{a=b}', start: 6, detail: 'unexpected identifier "b" in label matching, expected string' },
    { input: '{}', start: 0, detail: 'vector selector must contain at least one non-empty matcher' },
    { input: 'foo[5mm]', start: 4, detail: 'bad number or duration syntax: "5mm"' },
    { input: 'foo[0m]', start: 4, detail: 'duration must be greater than 0' },
    { input: 'rate(foo)', start: 5, detail: 'expected type range vector in call to function "rate", got instant vector' },
    { input: 'floor()', start: 0, detail: 'expected 1 argument(s) in call to "floor", got 0' },
    { input: 'nope(x)', start: 0, detail: 'unknown function with name "nope"' },
    { input: 'foo offset 1s offset 2s', start: 0, detail: 'offset may not be set multiple times' },
    { input: 'sum(x) offset 1m', start: 0, detail: 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery' },
    { input: '(a + b)[5m]', start: 7, detail: 'ranges only allowed for vector selectors' },
    { input: 'a and 1', start: 0, detail: 'set operator "and" not allowed in binary scalar expression' },
    { input: 'topk(x)', start: 0, detail: 'wrong number of arguments for aggregate expression provided, expected 2, got 1' },
    { input: '"\\c"', start: 0, detail: "unknown escape sequence U+0063 'c'" },
    { input: 'a{b=~"("}', start: 2, detail: 'missing closing ): `^(?s:()$`' },
    { input: 'foo @ NaN', start: 0, detail: 'timestamp out of bounds for @ modifier: NaN' },
    { input: 'x[1m] anchored', start: 0, detail: 'anchored modifier is experimental and not enabled' },
  ];
  it.each(cases)('$input', ({ input, start, detail }) => {
    let err: unknown;
    try {
      parseExpr(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.range.start).toBe(start);
    if (detail.startsWith('missing closing')) expect(pe.detail).toContain('missing closing');
    else expect(pe.detail).toBe(detail);
    expect(pe.message).toMatch(/^(\d+:\d+|unknown position): parse error: /);
  });

  it('reports line and column in UTF-8 bytes', () => {
    // Prometheus reports an unbalanced parenthesis just after it.
    expect(() => parseExpr('foo{a="é"} +\n  )')).toThrow(/^2:4: parse error: unexpected right parenthesis/);
    expect(() => parseExpr('{a="é"} + ?')).toThrow(/^1:12: parse error: unexpected character: '\?'/);
  });

  it('rejects deeply nested input without exhausting the stack', () => {
    const deep = '('.repeat(10_000) + '1' + ')'.repeat(10_000);
    expect(() => parseExpr(deep)).toThrow(/nesting too deep/);
    const deepUnary = '-'.repeat(10_000) + '1';
    expect(() => parseExpr(deepUnary)).toThrow(ParseError);
    // A long operator chain nests without parentheses.
    const chain = Array(20_000).fill('x').join(' + ');
    expect(() => parseExpr(chain)).toThrow(/nesting too deep/);
    expect(parseExpr(Array(500).fill('x').join(' + ')).kind).toBe('binary');
  });
});

// Random expressions from a small grammar: they must parse, print, and re-parse to the same tree.
const ident = fc.constantFrom('up', 'http_requests_total', 'node_cpu_seconds_total', 'a:b:c', 'sum', 'offset');
const label = fc.constantFrom('job', 'instance', 'mode', 'le', 'on', 'by');
const str = fc.string({ maxLength: 6 }).filter((s) => !/[\ud800-\udfff]/.test(s));
const dur = fc.constantFrom('5m', '1h', '30s', '1h30m', '2d', '100ms', '1w');
const selector = fc
  .tuple(ident, fc.array(fc.tuple(label, fc.constantFrom('=', '!=', '=~', '!~'), str), { maxLength: 3 }))
  .map(([n, ms]) => (ms.length === 0 ? n : `${n}{${ms.map(([l, o, v]) => `${l}${o}${JSON.stringify(o.includes('~') ? v.replace(/[^a-z]/g, '') : v)}`).join(',')}}`));
const { expr: exprArb } = fc.letrec<{ expr: string; vec: string }>((tie) => ({
  vec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    selector,
    fc.tuple(selector, dur).map(([s, d]) => `${s} offset ${d}`),
    fc.tuple(selector, dur).map(([s, d]) => `rate(${s}[${d}])`),
    fc.tuple(fc.constantFrom('sum', 'avg', 'max', 'count'), fc.array(label, { maxLength: 2 }), tie('vec')).map(
      ([op, g, e]) => `${op} by (${g.join(', ')}) (${e})`,
    ),
    fc.tuple(tie('vec'), fc.constantFrom('+', '-', '*', '/', '>', 'and', 'or', 'unless', '^', '%'), tie('vec')).map(
      ([a, op, b]) => `${a} ${op} ${b}`,
    ),
    fc.tuple(tie('vec'), dur).map(([e, d]) => `(${e})[${d}:]`).map((s) => `max_over_time(${s})`),
    tie('vec').map((e) => `abs(${e})`),
    tie('vec').map((e) => `-(${e})`),
  ),
  expr: fc.oneof(
    tie('vec'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '0' : String(d))),
    fc.tuple(tie('vec'), fc.double({ min: -1e6, max: 1e6, noNaN: true })).map(([v, d]) => `${v} * ${d}`),
  ),
}));

// Drops positions and compares matchers as a set (the printer sorts them, as Prometheus does).
function stripRanges(e: unknown): unknown {
  return JSON.parse(
    JSON.stringify(e, (k, v: unknown) => {
      if (k === 'range' && typeof v === 'object') return undefined;
      if (k === 'matchers' && Array.isArray(v)) return v.map(String).sort();
      return v;
    }),
  );
}

describe('round trip', () => {
  it('parses what it prints, to the same tree', () => {
    fc.assert(
      fc.property(exprArb, (q) => {
        const e = parseExpr(q);
        const s = formatExpr(e);
        const e2 = parseExpr(s);
        expect(stripRanges(e2)).toEqual(stripRanges(e));
        expect(formatExpr(e2)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('never crashes on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (q) => {
        try {
          parseExpr(q, ALL);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never crashes on mutated valid queries', () => {
    const base = 'sum by (job) (rate(http_requests_total{job=~"api|web"}[5m] offset 1m)) / on(job) group_left count(up) > bool 0.5';
    fc.assert(
      fc.property(fc.nat(base.length), fc.nat(base.length), fc.string({ maxLength: 3 }), (i, j, ins) => {
        const q = base.slice(0, Math.min(i, j)) + ins + base.slice(Math.max(i, j));
        try {
          parseExpr(q, ALL);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('exprToJSON (parse_query)', () => {
  it('translates like Prometheus', async () => {
    const { exprToJSON } = await import('./index.js');
    expect(exprToJSON(parseExpr('sum by (job) (rate(up{a="b"}[5m] offset 1m)) > bool 1'))).toEqual({
      type: 'binaryExpr',
      op: '>',
      bool: true,
      matching: null,
      lhs: {
        type: 'aggregation',
        op: 'sum',
        grouping: ['job'],
        without: false,
        param: null,
        expr: {
          type: 'call',
          func: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector' },
          args: [
            {
              type: 'matrixSelector',
              name: 'up',
              range: 300000,
              rangeExpr: null,
              offset: 60000,
              offsetExpr: null,
              matchers: [
                { name: 'a', value: 'b', type: '=' },
                { name: '__name__', value: 'up', type: '=' },
              ],
              timestamp: null,
              startOrEnd: null,
              anchored: false,
              smoothed: false,
            },
          ],
        },
      },
      rhs: { type: 'numberLiteral', val: '1' },
    });
  });
});

describe('parseMetricSelector', () => {
  // Prometheus's ParseMetricSelector only parses: /federate?match[]={job=~".*"} selects every
  // series, and up{__name__="x"} is two name matchers (Prometheus 2.42 answers them so).
  it.each([
    { input: '{job=~".*"}', want: ['job=~".*"'] },
    { input: '{}', want: [] },
    { input: '{job=""}', want: ['job=""'] },
    { input: 'up{__name__="x"}', want: ['__name__="x"', '__name__="up"'] },
    { input: 'up', want: ['__name__="up"'] },
    { input: ' {a!~"b", c="d"} ', want: ['a!~"b"', 'c="d"'] },
  ])('accepts $input', ({ input, want }) => {
    expect(parseMetricSelector(input).map((m) => m.toString())).toEqual(want);
  });

  it.each([
    { input: 'up[5m]', start: 2 },
    { input: 'sum(up)', start: 3 },
    { input: '{a="b"', start: 6 },
    { input: '{a=~"("}', start: 1 },
  ])('rejects $input with a parse error', ({ input, start }) => {
    let err: unknown;
    try {
      parseMetricSelector(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).range.start).toBe(start);
  });
});
