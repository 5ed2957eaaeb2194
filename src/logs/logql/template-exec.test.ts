import { describe, expect, it } from 'vitest';
import { parseTemplate } from './parser/index.js';
import { executeTemplate, TemplateExecError } from './template-exec.js';

const labels = { a: 'Hello World', n: '42', f: '2.5', ip: '10.0.0.1', path: '/api/v1/users', json: '{"x":{"y":1},"z":[1,2]}', d: '1m30s', b: '2KiB', empty: '' };
// 2023-11-14T22:13:20.123456789Z
const ctx = { labels, line: 'the line', t: 1_700_000_000_123, ns: 456_789 };
const run = (t: string): string => executeTemplate(parseTemplate(t), ctx);

describe('line_format templates', () => {
  it.each([
    ['{{.a}}', 'Hello World'],
    ['{{.missing}}|', '|'],
    ['{{ .a | ToUpper }} {{ .a | lower }}', 'HELLO WORLD hello world'],
    ['{{ title "hello wide world" }}', 'Hello Wide World'],
    ['{{ trunc 5 .a }}|{{ trunc -5 .a }}', 'Hello|World'],
    ['{{ substr 0 5 .a }}', 'Hello'],
    ['{{ replace "World" "There" .a }}', 'Hello There'],
    ['{{ Replace .a "l" "L" 2 }}', 'HeLLo World'],
    ['{{ trim "  x  " }}|{{ trimAll "/" .path }}|{{ trimPrefix "/api" .path }}|{{ trimSuffix "users" .path }}', 'x|api/v1/users|/v1/users|/api/v1/'],
    ['{{ TrimPrefix .path "/api" }}', '/v1/users'],
    ['{{ if contains "World" .a }}yes{{ end }}{{ if hasPrefix "/api" .path }}api{{ end }}{{ if hasSuffix "users" .path }}!{{ end }}', 'yesapi!'],
    ['{{ regexReplaceAll "(\\\\w+) (\\\\w+)" .a "${2}-$1" }}', 'World-Hello'],
    ['{{ regexReplaceAllLiteral "o" .a "$1" }}', 'Hell$1 W$1rld'],
    ['{{ count "o" .a }}', '2'],
    ['{{ add 1 2 3 }} {{ sub .n 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }}', '6 40 6 3 1'],
    ['{{ addf .f 1 }} {{ mulf .f 2 }} {{ divf 1 4 }} {{ subf 3 .f }}', '3.5 5 0.25 0.5'],
    ['{{ max 1 5 3 }} {{ minf 1.5 0.5 }} {{ ceil .f }} {{ floor .f }} {{ round 2.567 2 }}', '5 0.5 3 2 2.57'],
    ['{{ int "7" }} {{ float64 "1.5" }}', '7 1.5'],
    ['{{ default "none" .empty }} {{ default "none" .a }}', 'none Hello World'],
    ['{{ b64enc "hi" }} {{ b64dec "aGk=" }}', 'aGk= hi'],
    ['{{ urlencode "a b&c" }} {{ urldecode "a+b%26c" }}', 'a+b%26c a b&c'],
    ['{{ indent 2 "a\\nb" }}', '  a\n  b'],
    ['{{ repeat 3 "ab" }}', 'ababab'],
    ['{{ alignLeft 3 "abcdef" }}|{{ alignRight 5 "ab" }}|', 'abc|   ab|'],
    ['{{ bytes .b }} {{ duration .d }}', '2048 90'],
    ['{{ printf "%s=%05.1f %d %q %x" "v" 3.14159 42 "q" 255 }}', 'v=003.1 42 "q" ff'],
    ['{{ __line__ }}', 'the line'],
    ['{{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }} {{ __timestamp__ | unixEpochNanos }}', '1700000000 1700000000123 1700000000123456789'],
    ['{{ __timestamp__ | date "2006-01-02T15:04:05.000Z07:00" }}', '2023-11-14T22:13:20.123Z'],
    ['{{ date "Jan _2 15:04:05" (toDate "2006-01-02 15:04" "2024-03-05 07:08") }}', 'Mar  5 07:08:00'],
    ['{{ (unixToTime "1700000000") | unixEpochMillis }}', '1700000000000'],
    ['{{ $j := fromJson .json }}{{ $j.x.y }}', '1'],
    ['{{ range $i, $v := (fromJson .json).z }}{{ $i }}:{{ $v }} {{ end }}', '0:1 1:2 '],
    ['{{ if eq .n "42" "43" }}a{{ else if ne .n "1" }}b{{ end }}', 'a'],
    ['{{ if and (gt (int .n) 40) (lt (int .n) 50) }}in{{ else }}out{{ end }}', 'in'],
    ['{{ if not .empty }}e{{ end }}', 'e'],
    ['{{ len .a }}', '11'],
    ['{{ with .a }}<{{ . }}>{{ end }}{{ with .empty }}x{{ else }}y{{ end }}', '<Hello World>y'],
    ['a {{- " b " -}} c', 'a b c'],
  ])('%s', (t, want) => expect(run(t)).toBe(want));

  it.each([
    ['{{ div 1 0 }}', /divide by zero/],
    ['{{ regexReplaceAll "(" .a "x" }}', /error parsing regexp/],
    ['{{ duration "soon" }}', /invalid duration/],
    ['{{ .a 1 }}', /non-function/],
  ])('fails %s with TemplateExecError', (t, re) => {
    expect(() => run(t)).toThrow(TemplateExecError);
    expect(() => run(t)).toThrow(re);
  });
});
