import { describe, expect, it } from 'vitest';
import { dump } from '../../test/support/exposition-dump.js';
import { EntryKind, OpenMetricsParser, ParseError } from './index.js';

const parse = (s: string): string[] => dump(new OpenMetricsParser(Buffer.from(s, 'latin1')));

describe('OpenMetricsParser', () => {
  const cases: readonly { name: string; input: string; want: readonly string[] }[] = [
    { name: 'EOF only', input: '# EOF', want: [] },
    { name: 'EOF and newline', input: '# EOF\n', want: [] },
    {
      name: 'metadata',
      input: '# TYPE a_seconds counter\n# UNIT a_seconds seconds\n# HELP a_seconds Some \\"text\\" \\n \\\\ \\x\n# EOF\n',
      want: ['TYPE a_seconds counter', 'UNIT a_seconds "seconds"', 'HELP a_seconds "Some \\"text\\" \\n \\\\ \\\\x"'],
    },
    { name: 'empty help and unit', input: '# HELP a \n# UNIT a \n# EOF\n', want: ['HELP a ""', 'UNIT a ""'] },
    { name: 'timestamps in seconds', input: 'a 1 1520879607.789\nb 2 -1.5\nc 3 0\n# EOF\n', want: ['{__name__="a"} 1 @1520879607789', '{__name__="b"} 2 @-1500', '{__name__="c"} 3 @0'] },
    {
      name: 'exemplars',
      input: 'a_total 1 # {trace_id="x"} 0.5\nb_bucket{le="1"} 2 3 # {} 4 5.5\n# EOF\n',
      want: ['{__name__="a_total"} 1 # {trace_id="x"} 0.5', '{__name__="b_bucket", le="1"} 2 @3000 # {} 4 @5500'],
    },
    { name: 'hash and braces in values', input: 'a{b="} # {c"} 1\n# EOF\n', want: ['{__name__="a", b="} # {c"} 1'] },
    { name: 'created series are series', input: '# TYPE a counter\na_total 1\na_created 1520430000.123\n# EOF\n', want: ['TYPE a counter', '{__name__="a_total"} 1', '{__name__="a_created"} 1.520430000123e+09'] },
    { name: 'quoted names', input: '{"a.b","c.d"="e"} 1\n# EOF\n', want: ['{__name__="a.b", c.d="e"} 1'] },
    { name: 'trailing comma', input: 'a{b="c",} 1\n# EOF\n', want: ['{__name__="a", b="c"} 1'] },
    { name: 'all types', input: ['gauge', 'counter', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'].map((t) => `# TYPE x ${t}\n`).join('') + '# EOF\n', want: ['gauge', 'counter', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'].map((t) => `TYPE x ${t}`) },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(parse(input)).toEqual(want);
  });

  const errors: readonly { name: string; input: string; line: number; column: number; detail: RegExp }[] = [
    { name: 'missing EOF', input: 'a 1\n', line: 2, column: 1, detail: /does not end with "# EOF"/ },
    { name: 'data after EOF', input: '# EOF\na 1\n', line: 2, column: 1, detail: /after "# EOF"/ },
    { name: 'blank line', input: 'a 1\n\n# EOF\n', line: 2, column: 1, detail: /blank line/ },
    { name: 'comment', input: '# hello\n# EOF\n', line: 1, column: 3, detail: /expected HELP, TYPE, UNIT or EOF/ },
    { name: 'two spaces', input: 'a  1\n# EOF\n', line: 1, column: 3, detail: /expected the value/ },
    { name: 'tab', input: 'a\t1\n# EOF\n', line: 1, column: 2, detail: /expected a space/ },
    { name: 'space in braces', input: 'a{b="c", d="e"} 1\n# EOF\n', line: 1, column: 9, detail: /expected label name/ },
    { name: 'untyped', input: '# TYPE a untyped\n# EOF\n', line: 1, column: 10, detail: /invalid metric type/ },
    { name: 'NaN timestamp', input: 'a 1 NaN\n# EOF\n', line: 1, column: 5, detail: /invalid timestamp/ },
    { name: 'unit not a suffix', input: '# UNIT a_bytes seconds\n# EOF\n', line: 1, column: 16, detail: /not a suffix/ },
    { name: 'raw newline in value', input: 'a{b="x\ny"} 1\n# EOF\n', line: 1, column: 7, detail: /line break inside a label value/ },
    { name: 'NUL in exemplar value', input: 'a_total 1 # {b="\u0000"} 1\n# EOF\n', line: 1, column: 17, detail: /NUL byte/ },
    { name: 'quoted metric name in exemplar', input: 'a_total 1 # {"x"} 1\n# EOF\n', line: 1, column: 17, detail: /expected "="/ },
    { name: 'exemplar without value', input: 'a_total 1 # {a="b"}\n# EOF\n', line: 1, column: 20, detail: /exemplar value/ },
  ];
  it.each(errors)('rejects $name', ({ input, line, column, detail }) => {
    let err: unknown;
    try {
      parse(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.detail).toMatch(detail);
    expect([pe.line, pe.column]).toEqual([line, column]);
  });

  it('keeps timestamps in seconds for validation and truncates ms like Go', () => {
    const p = new OpenMetricsParser(Buffer.from('a 1 -0.0015\n# EOF\n'));
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.timestampSeconds()).toBe(-0.0015);
    expect(p.timestamp()).toBe(-1);
    expect(p.next()).toBe(EntryKind.EOF);
    expect(p.next()).toBe(EntryKind.EOF);
  });
});
