import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from './errors.js';
import { parseExpr, parseMatchers } from './parser.js';
import { parseTemplate, TemplateSyntaxError } from './template-parser.js';
import { parseBytes, parseGoDuration } from './units.js';
import { unquoteGo } from './go-string.js';

// strip removes source ranges so expectations stay readable.
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x !== null && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'range' && k !== 'tree' && v !== undefined) o[k] = strip(v);
    return o;
  }
  return x;
}

const sel = (name: string, value: string, type = '=') => ({ name, type, value });

const valid: readonly { name: string; input: string; want: unknown }[] = [
  { name: 'selector', input: '{app="web"}', want: { kind: 'logQuery', matchers: [sel('app', 'web')], pipeline: [] } },
  {
    name: 'all matcher types, trailing comma',
    input: '{a="1", b!="2", c=~"x.*", d!~"y",}',
    want: { kind: 'logQuery', matchers: [sel('a', '1'), sel('b', '2', '!='), sel('c', 'x.*', '=~'), sel('d', 'y', '!~')], pipeline: [] },
  },
  {
    name: 'chained line filters and or-values',
    input: '{app="x"} |= "a" != "b" |~ `(?i)c+` !~ "d" |= "e" or "f"',
    want: {
      kind: 'logQuery',
      matchers: [sel('app', 'x')],
      pipeline: [
        { kind: 'lineFilter', op: '|=', values: [{ kind: 'text', value: 'a' }] },
        { kind: 'lineFilter', op: '!=', values: [{ kind: 'text', value: 'b' }] },
        { kind: 'lineFilter', op: '|~', values: [{ kind: 'text', value: '(?i)c+' }] },
        { kind: 'lineFilter', op: '!~', values: [{ kind: 'text', value: 'd' }] },
        { kind: 'lineFilter', op: '|=', values: [{ kind: 'text', value: 'e' }, { kind: 'text', value: 'f' }] },
      ],
    },
  },
  {
    name: 'parsers with parameters and flags',
    input: '{app="x"} | json first="a.b[0]", ua=`h["User-Agent"]` | logfmt --strict --keep-empty level | regexp "(?P<ip>\\\\S+)" | pattern "<_> <status>" | unpack',
    want: {
      kind: 'logQuery',
      matchers: [sel('app', 'x')],
      pipeline: [
        { kind: 'json', params: [{ label: 'first', expr: 'a.b[0]' }, { label: 'ua', expr: 'h["User-Agent"]' }] },
        { kind: 'logfmt', strict: true, keepEmpty: true, params: [{ label: 'level', expr: 'level' }] },
      ],
    },
  },
  {
    name: 'label filters: numbers, durations, bytes, and/or/comma, parentheses',
    input: '{app="x"} | status >= 400 and (method="GET" or size > 10KiB), latency < 250ms | code == -1',
    want: {
      kind: 'logQuery',
      matchers: [sel('app', 'x')],
      pipeline: [
        {
          kind: 'labelFilter',
          expr: {
            kind: 'and',
            lhs: {
              kind: 'and',
              lhs: { kind: 'numberFilter', name: 'status', op: '>=', value: 400 },
              rhs: {
                kind: 'or',
                lhs: { kind: 'labelMatch', name: 'method', type: '=', value: 'GET' },
                rhs: { kind: 'bytesFilter', name: 'size', op: '>', bytes: 10240 },
              },
            },
            rhs: { kind: 'durationFilter', name: 'latency', op: '<', seconds: 0.25 },
          },
        },
        { kind: 'labelFilter', expr: { kind: 'numberFilter', name: 'code', op: '==', value: -1 } },
      ],
    },
  },
  {
    name: 'formats, drop, keep, decolorize',
    input: '{app="x"} | line_format "{{.a}}" | label_format b=a, c="{{.d}}" | drop x, y="1" | keep z | decolorize',
    want: {
      kind: 'logQuery',
      matchers: [sel('app', 'x')],
      pipeline: [
        { kind: 'lineFormat', template: '{{.a}}' },
        { kind: 'labelFormat', items: [{ kind: 'rename', dst: 'b', src: 'a' }, { kind: 'template', dst: 'c', template: '{{.d}}' }] },
        { kind: 'drop', items: [{ name: 'x' }, { name: 'y', matcher: { type: '=', value: '1' } }] },
        { kind: 'keep', items: [{ name: 'z' }] },
        { kind: 'decolorize' },
      ],
    },
  },
  {
    name: 'range aggregation with the range after the pipeline',
    input: 'count_over_time({app="x"} |= "err" [5m])',
    want: {
      kind: 'rangeAgg',
      op: 'count_over_time',
      arg: { kind: 'logRange', query: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [{ kind: 'lineFilter', op: '|=', values: [{ kind: 'text', value: 'err' }] }] }, rangeMs: 300000, offsetMs: 0 },
    },
  },
  {
    name: 'range right after the selector, with offset',
    input: 'rate({app="x"}[1m] offset 1h |= "err")',
    want: {
      kind: 'rangeAgg',
      op: 'rate',
      arg: { kind: 'logRange', query: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [{ kind: 'lineFilter', op: '|=', values: [{ kind: 'text', value: 'err' }] }] }, rangeMs: 60000, offsetMs: 3600000 },
    },
  },
  {
    name: 'unwrap with conversion, post filter and grouping',
    input: 'quantile_over_time(0.99, {app="x"} | logfmt | unwrap duration(latency) | __error__="" [5m]) by (path)',
    want: {
      kind: 'rangeAgg',
      op: 'quantile_over_time',
      param: 0.99,
      arg: {
        kind: 'logRange',
        query: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [{ kind: 'logfmt', strict: false, keepEmpty: false, params: [] }] },
        unwrap: { label: 'latency', conversion: 'duration', postFilters: [{ kind: 'labelFilter', expr: { kind: 'labelMatch', name: '__error__', type: '=', value: '' } }] },
        rangeMs: 300000,
        offsetMs: 0,
      },
      grouping: { without: false, labels: ['path'] },
    },
  },
  {
    name: 'parenthesized log range',
    input: 'bytes_rate(({app="x"} | json)[30s])',
    want: {
      kind: 'rangeAgg',
      op: 'bytes_rate',
      arg: { kind: 'logRange', query: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [{ kind: 'json', params: [] }] }, rangeMs: 30000, offsetMs: 0 },
    },
  },
  {
    name: 'aggregation grouping before and after, topk',
    input: 'topk(3, sum without (pod) (rate({app="x"}[1m]))) / 2',
    want: {
      kind: 'binary',
      op: '/',
      bool: false,
      lhs: {
        kind: 'vectorAgg',
        op: 'topk',
        param: 3,
        arg: {
          kind: 'vectorAgg',
          op: 'sum',
          grouping: { without: true, labels: ['pod'] },
          arg: { kind: 'rangeAgg', op: 'rate', arg: { kind: 'logRange', query: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [] }, rangeMs: 60000, offsetMs: 0 } },
        },
      },
      rhs: { kind: 'number', value: 2 },
    },
  },
  {
    name: 'precedence: * over +, ^ right-associative, unary minus',
    input: '1 + 2 * 3 ^ 2 ^ -1',
    want: {
      kind: 'binary',
      op: '+',
      bool: false,
      lhs: { kind: 'number', value: 1 },
      rhs: {
        kind: 'binary',
        op: '*',
        bool: false,
        lhs: { kind: 'number', value: 2 },
        rhs: { kind: 'binary', op: '^', bool: false, lhs: { kind: 'number', value: 3 }, rhs: { kind: 'binary', op: '^', bool: false, lhs: { kind: 'number', value: 2 }, rhs: { kind: 'number', value: -1 } } },
      },
    },
  },
  {
    name: 'comparison with bool and vector matching',
    input: 'sum by (a) (rate({x="1"}[1m])) > bool on (a) group_left (b) sum by (a, b) (rate({x="2"}[1m]))',
    want: expect.objectContaining({ kind: 'binary', op: '>', bool: true, matching: { on: true, labels: ['a'], card: 'many-to-one', include: ['b'] } }),
  },
  {
    name: 'set operator and vector literal',
    input: 'count_over_time({a="b"}[1m]) or vector(0)',
    want: expect.objectContaining({ kind: 'binary', op: 'or', matching: { on: false, labels: [], card: 'many-to-many', include: [] } }),
  },
  { name: 'comment', input: '{app="x"} # trailing comment', want: { kind: 'logQuery', matchers: [sel('app', 'x')], pipeline: [] } },
  { name: 'ip filters', input: '{app="x"} |= ip("10.0.0.0/8") | addr = ip("192.168.1.1-192.168.1.9")', want: expect.objectContaining({ kind: 'logQuery' }) },
];

describe('LogQL parser: valid queries', () => {
  it.each(valid)('$name', ({ input, want }) => {
    const got = strip(parseExpr(input));
    if (input.includes('| json first')) {
      expect((got as { pipeline: unknown[] }).pipeline.slice(0, 2)).toEqual((want as { pipeline: unknown[] }).pipeline);
      return;
    }
    expect(got).toEqual(want);
  });
});

const invalid: readonly { name: string; input: string; start: number; detail: RegExp }[] = [
  { name: 'empty', input: '', start: 0, detail: /empty query/ },
  { name: 'empty-compatible selector', input: '{app=~".*"}', start: 0, detail: /at least one regexp or equality matcher/ },
  { name: 'missing closing brace', input: '{app="x"', start: 8, detail: /expected "," or "}"/ },
  { name: 'unquoted value', input: '{app=x}', start: 5, detail: /expected a quoted string/ },
  { name: 'bad regex in selector', input: '{app=~"("}', start: 6, detail: /invalid regular expression/ },
  { name: 'bad line filter regex', input: '{app="x"} |~ "a("', start: 13, detail: /invalid regular expression/ },
  { name: 'unterminated string', input: '{app="x} ', start: 5, detail: /unterminated string/ },
  { name: 'range missing', input: 'count_over_time({app="x"})', start: 25, detail: /expected a range/ },
  { name: 'unwrap on count', input: 'count_over_time({app="x"} | unwrap a [1m])', start: 26, detail: /invalid aggregation count_over_time with unwrap/ },
  { name: 'sum_over_time needs unwrap', input: 'sum_over_time({app="x"}[1m])', start: 0, detail: /without unwrap/ },
  { name: 'unwrap outside range aggregation', input: '{app="x"} | unwrap a', start: 12, detail: /only allowed inside a range aggregation/ },
  { name: 'topk without parameter', input: 'topk(sum(rate({a="b"}[1m])))', start: 5, detail: /expected a number/ },
  { name: 'topk with a fraction', input: 'topk(1.5, rate({a="b"}[1m]))', start: 5, detail: /positive integer/ },
  { name: 'log query in a binary expression', input: '{a="b"} + 1', start: 0, detail: /log query cannot be an operand/ },
  { name: 'scalar comparison without bool', input: '1 > 2', start: 2, detail: /BOOL modifier/ },
  { name: 'regexp parser without named group', input: '{a="b"} | regexp "(a)"', start: 17, detail: /named capture/ },
  { name: 'pattern with consecutive captures', input: '{a="b"} | pattern "<a><b>"', start: 18, detail: /consecutive captures/ },
  { name: 'label_format duplicate', input: '{a="b"} | label_format x=y, x=z', start: 28, detail: /multiple label name 'x'/ },
  { name: 'label_format error label', input: '{a="b"} | label_format __error__=x', start: 23, detail: /cannot be formatted/ },
  { name: 'bad template', input: '{a="b"} | line_format "{{ .a "', start: 22, detail: /invalid template/ },
  { name: 'unknown template function', input: '{a="b"} | line_format "{{ nope .a }}"', start: 22, detail: /function "nope" not defined/ },
  { name: 'grouping on count_over_time', input: 'count_over_time({a="b"}[1m]) by (x)', start: 0, detail: /grouping not allowed/ },
  { name: 'trailing garbage', input: '{a="b"} }', start: 8, detail: /expected end of query/ },
  { name: 'bad character', input: '{a="b"} | x ? 1', start: 12, detail: /unexpected character/ },
  { name: 'bad ip', input: '{a="b"} |= ip("300.1.1.1")', start: 14, detail: /invalid IP/ },
  { name: 'line 2 position', input: '{a="b"}\n  |~ "("', start: 13, detail: /invalid regular expression/ },
];

describe('LogQL parser: errors with positions', () => {
  it.each(invalid)('$name', ({ input, start, detail }) => {
    let err: unknown;
    try {
      parseExpr(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.detail).toMatch(detail);
    expect(pe.range.start).toBe(start);
    expect(pe.message).toMatch(/^\d+:\d+: parse error: /);
  });

  it('reports line and column from the offset', () => {
    try {
      parseExpr('{a="b"}\n  |~ "("');
    } catch (e) {
      expect((e as Error).message.startsWith('2:6: parse error:')).toBe(true);
    }
  });

  it('never throws anything but ParseError on random input', () => {
    const alphabet = fc.constantFrom(...'{}()[]|=!~<>",`.-+*/%^#_ab09 \nsumcount_over_timejsonlogfmt|=5m1h'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        try {
          parseExpr(chars.join(''));
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but ParseError on mutated valid queries', () => {
    const bases = valid.map((v) => v.input);
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.nat(), fc.nat(), fc.string({ maxLength: 3 }), (q, a, b, ins) => {
        const i = a % (q.length + 1);
        const j = Math.min(q.length, i + (b % 4));
        try {
          parseExpr(q.slice(0, i) + ins + q.slice(j));
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('stream selectors for the series API', () => {
  it('parses matchers and rejects pipelines', () => {
    expect(parseMatchers('{a="1", b=~"2|3"}').map((m) => `${m.name}${m.type}${m.value}`)).toEqual(['a=1', 'b=~2|3']);
    expect(() => parseMatchers('{a="1"} |= "x"')).toThrow(ParseError);
  });
});

describe('units', () => {
  it.each([
    ['1.5s', 1.5],
    ['250ms', 0.25],
    ['1h30m', 5400],
    ['2us', 2e-6],
    ['1\u00b5s', 1e-6],
    ['-3m', -180],
    ['0', 0],
  ])('Go duration %s', (s, want) => expect(parseGoDuration(s)).toBeCloseTo(want, 12));
  it.each(['', '1', '1x', 'm', '1.2.3s'])('bad Go duration %j', (s) => expect(parseGoDuration(s)).toBeUndefined());
  it('Prometheus units only when asked', () => {
    expect(parseGoDuration('1d')).toBeUndefined();
    expect(parseGoDuration('1d', true)).toBe(86400);
  });
  it.each([
    ['10KB', 10000],
    ['10KiB', 10240],
    ['1.5 MB', 1500000],
    ['42', 42],
    ['2gib', 2 * 1024 ** 3],
    ['1,000 B', 1000],
  ])('bytes %s', (s, want) => expect(parseBytes(s)).toBe(want));
  it.each(['', 'KB', '1XB', '-1KB'])('bad bytes %j', (s) => expect(parseBytes(s)).toBeUndefined());
});

describe('Go string literals', () => {
  it.each([
    ['"a\\nb"', 'a\nb'],
    ['"\\x41\\u00e9\\U0001F600"', 'A\u00e9\u{1F600}'],
    ['"\\303\\251"', '\u00e9'],
    ['`raw \\n`', 'raw \\n'],
    ['"q\\"q"', 'q"q'],
  ])('%s', (lit, want) => expect(unquoteGo(lit)).toBe(want));
  it.each(['"\\q"', '"\\x4"', '"a', '"\\uD800"'])('rejects %s', (lit) => expect(() => unquoteGo(lit)).toThrow());
});

describe('template parser', () => {
  it.each([
    '{{.a}} and {{ .b | ToUpper }}',
    '{{ if eq .a "x" }}yes{{ else if .b }}maybe{{ else }}no{{ end }}',
    '{{ range $k, $v := fromJson .a }}{{ $k }}={{ $v }} {{ end }}',
    '{{- .a -}}  {{/* comment */}}',
    '{{ $x := .a }}{{ $x }}',
    '{{ printf "%s-%d" .a 3 }}',
    '{{ with .a }}{{ . }}{{ end }}',
  ])('parses %s', (t) => expect(() => parseTemplate(t)).not.toThrow());
  it.each([
    ['{{ .a ', /unclosed action/],
    ['{{ if .a }}x', /without \{\{end\}\}/],
    ['{{ end }}', /unexpected \{\{end\}\}/],
    ['{{ $nope }}', /undefined variable/],
    ['{{ bogus }}', /not defined/],
  ])('rejects %s', (t, re) => {
    expect(() => parseTemplate(t)).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate(t)).toThrow(re);
  });
});
