import { describe, expect, it } from 'vitest';
import { dump } from '../../test/support/exposition-dump.js';
import { EntryKind, ParseError, PromParser } from './index.js';

const parse = (s: string | Buffer, normalizeBucketLabels = false): string[] =>
  dump(new PromParser(typeof s === 'string' ? Buffer.from(s) : s, { normalizeBucketLabels }));

describe('PromParser', () => {
  const cases: readonly { name: string; input: string; want: readonly string[] }[] = [
    { name: 'bare sample', input: 'up 1\n', want: ['{__name__="up"} 1'] },
    { name: 'no final newline', input: 'up 1', want: ['{__name__="up"} 1'] },
    { name: 'timestamp', input: 'a{b="c"} 2.5 1395066363000\n', want: ['{__name__="a", b="c"} 2.5 @1395066363000'] },
    { name: 'labels sorted', input: 'a{z="1",b="2"} 1', want: ['{__name__="a", b="2", z="1"} 1'] },
    { name: 'special values', input: 'a +Inf\nb -Inf\nc NaN\nd 1e-7\n', want: ['{__name__="a"} +Inf', '{__name__="b"} -Inf', '{__name__="c"} NaN', '{__name__="d"} 1e-07'] },
    {
      name: 'escapes in label values',
      input: 'm{path="C:\\\\DIR\\\\F.TXT",error="not found:\\n\\"F\\"",other="\\x"} 1',
      want: ['{__name__="m", error="not found:\\n\\"F\\"", other="\\\\x", path="C:\\\\DIR\\\\F.TXT"} 1'],
    },
    { name: 'blank lines and spaces', input: '\n  \n\t up  \t 1 \t 12  \n\n', want: ['{__name__="up"} 1 @12'] },
    { name: 'space before brace, spaces inside', input: 'a { b = "c" , d="e" , } 1', want: ['{__name__="a", b="c", d="e"} 1'] },
    { name: 'pairs without comma', input: 'a{b="c" d="e"} 1', want: ['{__name__="a", b="c", d="e"} 1'] },
    { name: 'empty braces', input: 'a{} 1', want: ['{__name__="a"} 1'] },
    { name: 'empty label value dropped', input: 'a{b=""} 1', want: ['{__name__="a"} 1'] },
    { name: 'value right after brace', input: 'a{b="c"}1', want: ['{__name__="a", b="c"} 1'] },
    { name: 'raw newline in label value', input: 'a{b="x\ny"} 1', want: ['{__name__="a", b="x\\ny"} 1'] },
    { name: 'UTF-8 label value', input: 'a{b="héllo ☃"} 1', want: ['{__name__="a", b="héllo ☃"} 1'] },
    { name: 'quoted metric name', input: '{"a.b",c="d"} 1', want: ['{__name__="a.b", c="d"} 1'] },
    { name: 'quoted label name', input: 'a{"b.c"="d"} 1', want: ['{__name__="a", b.c="d"} 1'] },
    {
      name: 'metadata and comments',
      input: '# HELP a Some \\\\ help\\nwith \\"quotes\\"\n# TYPE a counter\n# random comment\n#\n#x\na 1\n',
      want: ['HELP a "Some \\\\ help\\nwith \\\\\\"quotes\\\\\\""', 'TYPE a counter', 'COMMENT "# random comment"', 'COMMENT "#"', 'COMMENT "#x"', '{__name__="a"} 1'],
    },
    { name: 'untyped is unknown', input: '# TYPE a untyped\n', want: ['TYPE a unknown'] },
    { name: 'empty help', input: '# HELP a\n# HELP b \n', want: ['HELP a ""', 'HELP b ""'] },
    { name: 'tab separated metadata', input: '#\tTYPE\ta\tgauge\n', want: ['TYPE a gauge'] },
    { name: 'HELPER is a comment', input: '# HELPER a b\n', want: ['COMMENT "# HELPER a b"'] },
    { name: 'NUL at line start ends input', input: 'a 1\n\u0000b 2\n', want: ['{__name__="a"} 1'] },
    { name: 'NUL in label value kept', input: 'a{b="\u0000"} 1', want: ['{__name__="a", b="\\x00"} 1'] },
    { name: '__name__ spelled out (promtool dumps)', input: '{__name__="a", b="c"} 1 60000', want: ['{__name__="a", b="c"} 1 @60000'] },
    { name: 'colons and underscores', input: '_a:b_c 1\n', want: ['{__name__="_a:b_c"} 1'] },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(parse(input)).toEqual(want);
  });

  const errors: readonly { name: string; input: string; line: number; column: number; detail: RegExp }[] = [
    { name: 'no value', input: 'a\n', line: 1, column: 2, detail: /expected value/ },
    { name: 'bad value', input: 'ok 1\na 1x2\n', line: 2, column: 3, detail: /invalid value "1x2"/ },
    { name: 'hex float', input: 'a 0x1p3', line: 1, column: 3, detail: /invalid value/ },
    { name: 'bad timestamp', input: 'a 1 1.5\n', line: 1, column: 6, detail: /expected line break after timestamp/ },
    { name: 'negative timestamp', input: 'a 1 -5\n', line: 1, column: 5, detail: /expected timestamp/ },
    { name: 'timestamp overflow', input: 'a 1 99999999999999999999\n', line: 1, column: 5, detail: /out of range/ },
    { name: 'unterminated value', input: 'a{b="c} 1\n', line: 1, column: 5, detail: /unterminated label value/ },
    { name: 'missing equals', input: 'a{b "c"} 1', line: 1, column: 5, detail: /expected "="/ },
    { name: 'label starts with digit', input: 'a{1b="c"} 1', line: 1, column: 3, detail: /expected label name/ },
    { name: 'no metric name', input: '{b="c"} 1', line: 1, column: 1, detail: /metric name missing/ },
    { name: 'two metric names', input: '{"a","b"} 1', line: 1, column: 6, detail: /metric name set twice/ },
    { name: 'invalid UTF-8', input: 'a{b="\xff"} 1', line: 1, column: 5, detail: /invalid UTF-8/ },
    { name: 'bad type', input: '# TYPE a countr\n', line: 1, column: 10, detail: /invalid metric type "countr"/ },
    { name: 'type with trailing space', input: '# TYPE a counter \n', line: 1, column: 10, detail: /invalid metric type/ },
    { name: 'duplicate label', input: 'a{b="1",b="2"} 1', line: 1, column: 9, detail: /duplicate label name "b"/ },
    { name: 'brace after value', input: 'a 1{', line: 1, column: 4, detail: /expected timestamp/ },
    { name: 'backslash newline', input: 'a{b="\\\n"} 1', line: 1, column: 6, detail: /backslash before a line break/ },
  ];
  it.each(errors)('rejects $name', ({ input, line, column, detail }) => {
    const bytes = Buffer.from(input, 'latin1');
    let err: unknown;
    try {
      parse(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.detail).toMatch(detail);
    expect([pe.line, pe.column]).toEqual([line, column]);
    expect(pe.message).toMatch(new RegExp(`^${line}:${column}: parse error: `));
  });

  it('normalises le and quantile when asked (Prometheus 3.x)', () => {
    const input = '# TYPE h histogram\nh_bucket{le="1"} 1\n# TYPE s summary\ns{quantile="0"} 1\ns{quantile="1e-05"} 1\nx{le="1"} 1\n';
    expect(parse(input, true)).toEqual([
      'TYPE h histogram',
      '{__name__="h_bucket", le="1.0"} 1',
      'TYPE s summary',
      '{__name__="s", quantile="0.0"} 1',
      '{__name__="s", quantile="1e-05"} 1',
      '{__name__="x", le="1"} 1',
    ]);
    expect(parse(input, false)[1]).toBe('{__name__="h_bucket", le="1"} 1');
  });

  it('exposes the raw series bytes, excluding value and timestamp', () => {
    const buf = Buffer.from('  a{b="c"}  1 5\nd 2\n');
    const p = new PromParser(buf);
    expect(p.next()).toBe(EntryKind.Series);
    expect(buf.toString('utf8', p.seriesStart(), p.seriesEnd())).toBe('a{b="c"}');
    expect(p.metricName()).toBe('a');
    expect(p.next()).toBe(EntryKind.Series);
    expect(buf.toString('utf8', p.seriesStart(), p.seriesEnd())).toBe('d');
    expect(p.hasTimestamp()).toBe(false);
    expect(p.timestamp()).toBe(0);
    expect(p.next()).toBe(EntryKind.EOF);
    expect(p.next()).toBe(EntryKind.EOF);
  });
});
