import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineParser } from './line-parser.js';
import { ParsedLine } from './parsed-line.js';

const ARRIVAL = Date.UTC(2026, 10, 22, 12, 0, 0);
const iso = (s: string): number => Date.parse(s);

interface Case {
  readonly name: string;
  readonly line: string;
  readonly want: Partial<Pick<ParsedLine, 'format' | 'level' | 'host' | 'identifier' | 'unit' | 'container' | 'stream' | 'line' | 'timed'>> & { t?: number; ns?: number; fields?: Record<string, string> };
  readonly tz?: string;
  readonly payload?: boolean;
  readonly json?: boolean;
}

const cases: readonly Case[] = [
  { name: 'empty line', line: '', want: { format: 'unknown', t: ARRIVAL, timed: false, line: '' } },
  { name: 'plain words', line: 'hello world', want: { format: 'unknown', t: ARRIVAL, line: 'hello world' } },
  { name: 'NUL bytes kept', line: 'a\u0000b', want: { format: 'unknown', line: 'a\u0000b' } },
  { name: 'indented continuation is never parsed', line: '  time=2026-01-01T00:00:00Z level=error msg=x', want: { format: 'unknown', timed: false } },
  // JSON
  { name: 'JSON ts RFC 3339 micro', line: '{"ts":"2026-11-21T23:40:19.269123Z","level":"warn","msg":"x"}', want: { format: 'json', t: iso('2026-11-21T23:40:19.269Z'), ns: 123000, level: 'warn' } },
  { name: 'JSON @timestamp beats time', line: '{"time":"2020-01-01T00:00:00Z","@timestamp":"2026-01-01T00:00:00Z"}', want: { t: iso('2026-01-01T00:00:00Z') } },
  { name: 'JSON epoch seconds float', line: '{"ts":1700000000.5,"level":30}', want: { t: 1_700_000_000_500, ns: 0, level: 'info' } },
  { name: 'JSON epoch ms (pino)', line: '{"level":50,"time":1700000000123,"msg":"boom"}', want: { t: 1_700_000_000_123, level: 'error' } },
  { name: 'JSON epoch µs', line: '{"timestamp":1700000000123456}', want: { t: 1_700_000_000_123, ns: 456000 } },
  { name: 'JSON epoch ns exact', line: '{"timestamp":1700000000123456789}', want: { t: 1_700_000_000_123, ns: 456789 } },
  { name: 'JSON epoch ns string', line: '{"date":"1700000000123456789"}', want: { t: 1_700_000_000_123, ns: 456789 } },
  { name: 'JSON severity key', line: '{"severity":"ERROR","message":"x","timestamp":"2026-11-21 23:40:19,269"}', want: { level: 'error', t: iso('2026-11-21T23:40:19.269Z') } },
  { name: 'JSON ECS log.level', line: '{"@timestamp":"2026-11-21T23:40:19.269+01:00","log.level":"debug"}', want: { level: 'debug', t: iso('2026-11-21T22:40:19.269Z') } },
  { name: 'JSON no time: arrival', line: '{"msg":"x"}', want: { format: 'json', t: ARRIVAL, timed: false } },
  { name: 'JSON a duration called time is not a time', line: '{"time":0.25}', want: { format: 'json', timed: false } },
  { name: 'JSON escaped time key value', line: '{"time":"2026-11-21T23:40:19Z","msg":"a\\"b"}', want: { format: 'json', t: iso('2026-11-21T23:40:19Z') } },
  { name: 'JSON payload fields flattened', line: '{"level":"info","http":{"status":200,"path":"/x"},"tags":["a"],"ok":true,"n":null}', payload: true, want: { fields: { level: 'info', http_status: '200', http_path: '/x', ok: 'true' } } },
  { name: 'JSON message as the line (jsonMessage)', line: '{"time":"2026-01-01T00:00:00Z","level":"info","message":"hello","user":{"id":7}}', json: true, want: { format: 'json', line: 'hello', level: 'info', fields: { time: '2026-01-01T00:00:00Z', level: 'info', user_id: '7' } } },
  { name: 'JSON without a message key stays whole (jsonMessage)', line: '{"level":"info","n":1}', json: true, want: { line: '{"level":"info","n":1}', fields: {} } },
  { name: 'truncated JSON kept with the reason', line: '{"ts":"2026-11-21T23:40:19Z","msg":"cut', want: { format: 'unknown', line: '{"ts":"2026-11-21T23:40:19Z","msg":"cut', timed: false, fields: { parse_error: 'json: unexpected end (truncated JSON?) at offset 39' } } },
  { name: 'JSON with trailing garbage', line: '{"a":1} x', want: { format: 'unknown', fields: { parse_error: 'json: data after the object at offset 8' } } },
  { name: 'brace text is not an error', line: '{curly} text', want: { format: 'unknown', fields: {} } },
  // Docker json-file
  { name: 'Docker json-file', line: '{"log":"hello\\n","stream":"stderr","time":"2019-04-01T17:58:33.598656444Z"}', want: { format: 'docker-json', line: 'hello', stream: 'stderr', t: iso('2019-04-01T17:58:33.598Z'), ns: 656444 } },
  { name: 'Docker json-file with attrs', line: '{"log":"x\\n","stream":"stdout","attrs":{"tag":"web"},"time":"2019-04-01T17:58:33Z"}', want: { format: 'docker-json', fields: { tag: 'web' } } },
  { name: 'JSON with a log key and others is app JSON', line: '{"log":"x","level":"info"}', want: { format: 'json', level: 'info' } },
  // journald JSON
  { name: 'journal JSON', line: '{"__REALTIME_TIMESTAMP":"1758137056706827","MESSAGE":"m","PRIORITY":"3","_SYSTEMD_UNIT":"a.service","_HOSTNAME":"h","CONTAINER_NAME":"c","SYSLOG_IDENTIFIER":"i","_PID":"1"}', want: { format: 'journal-json', t: 1758137056706, ns: 827000, line: 'm', level: 'error', unit: 'a.service', host: 'h', container: 'c', identifier: 'i', fields: { __REALTIME_TIMESTAMP: '1758137056706827', PRIORITY: '3', _PID: '1' } } },
  // Kubernetes audit
  {
    name: 'Kubernetes audit event',
    line: '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":{"username":"admin","groups":["system:masters"]},"sourceIPs":["10.0.0.1","10.0.0.2"],"objectRef":{"resource":"pods","namespace":"default"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-21T10:00:00.100000Z","stageTimestamp":"2026-11-21T10:00:00.123456Z","responseObject":{"big":1}}',
    want: {
      format: 'k8s-audit', level: '', t: iso('2026-11-21T10:00:00.123Z'), ns: 456000,
      fields: { level: 'Metadata', auditID: 'a1', stage: 'ResponseComplete', requestURI: '/api/v1/pods', verb: 'list', user_username: 'admin', sourceIPs: '10.0.0.1,10.0.0.2', objectRef_resource: 'pods', objectRef_namespace: 'default', responseStatus_code: '200', requestReceivedTimestamp: '2026-11-21T10:00:00.100000Z', stageTimestamp: '2026-11-21T10:00:00.123456Z' },
    },
  },
  // CRI
  { name: 'CRI F', line: '2016-10-06T00:17:09.669794202Z stdout F The content', want: { format: 'cri', stream: 'stdout', line: 'The content', t: iso('2016-10-06T00:17:09.669Z'), ns: 794202 } },
  { name: 'CRI empty message', line: '2016-10-06T00:17:09.669794202Z stderr F', want: { format: 'cri', stream: 'stderr', line: '' } },
  { name: 'CRI inner level', line: '2016-10-06T00:17:09Z stdout F I1122 00:31:49.162879       1 x.go:1] y', want: { format: 'cri', level: 'info' } },
  // klog
  { name: 'klog', line: 'E1122 00:31:49.162879   12345 controller.go:123] sync failed', payload: true, want: { format: 'klog', level: 'error', t: iso('2026-11-22T00:31:49.162Z'), ns: 879000, fields: { thread_id: '12345', caller: 'controller.go:123' } } },
  { name: 'klog in December read in January', line: 'W1231 23:59:59.000001 1 a.go:2] x', want: { format: 'klog', level: 'warn', t: iso('2025-12-31T23:59:59.000Z'), ns: 1000 } },
  // journalctl -o short*
  { name: 'journal short', line: 'Sep 17 15:09:15 Debian12 kernel: Linux', want: { format: 'journal-short', host: 'Debian12', identifier: 'kernel', line: 'Linux', t: iso('2026-09-17T15:09:15Z') } },
  { name: 'journal short-precise with pid', line: 'Aug 19 15:20:55.123456 falcon app[235728]: Count', want: { format: 'journal-short', identifier: 'app', fields: { pid: '235728' }, ns: 456000 } },
  { name: 'journal short in a zone', line: 'Jul 01 17:14:06 falcon app: x', tz: 'Asia/Kolkata', want: { t: iso('2026-07-01T11:44:06Z') } },
  { name: 'journal short-iso', line: '2024-09-17T15:09:15+0000 Debian12 kernel: Linux', want: { format: 'journal-short', host: 'Debian12', t: iso('2024-09-17T15:09:15Z') } },
  { name: 'journal short-iso New York', line: '2024-09-17T11:09:15-0400 Debian12 kernel: Linux', want: { t: iso('2024-09-17T15:09:15Z') } },
  { name: 'ISO then level word is text, not a host', line: '2026-01-01T00:00:00Z INFO server: started', want: { format: 'text', level: 'info' } },
  // syslog in the generic parser
  { name: 'syslog 5424', line: '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Its time', want: { format: 'syslog-rfc5424', t: iso('2003-08-24T12:14:15Z'), ns: 3000, host: '192.0.2.1', identifier: 'myproc', level: 'info', line: '%% Its time', fields: { facility: 'local4', severity: 'notice', procid: '8710' } } },
  { name: 'syslog 5424 BOM stripped', line: '<13>1 - - - - - - \ufeffhello', want: { format: 'syslog-rfc5424', line: 'hello', timed: false } },
  { name: 'syslog bad PRI is not syslog', line: '<999>Oct 11 22:14:15 host tag: x', want: { format: 'unknown', line: '<999>Oct 11 22:14:15 host tag: x' } },
  // text with a leading timestamp
  { name: 'Spring Boot', line: '2026-11-21 23:48:19.793 ERROR 1 --- [exec-20] c.e.P : failed', want: { format: 'text', level: 'error', t: iso('2026-11-21T23:48:19.793Z') } },
  { name: 'Python logging', line: '2026-11-21 23:48:19,793 - app - WARNING - careful', want: { format: 'text', level: 'warn', t: iso('2026-11-21T23:48:19.793Z') } },
  { name: 'nginx error log', line: '2026/11/21 23:40:20 [error] 28#28: *1 open() failed', want: { format: 'text', level: 'error', t: iso('2026-11-21T23:40:20Z') } },
  { name: 'Go log package', line: '2026/11/21 23:40:20.123456 listening', want: { format: 'text', ns: 456000, level: '' } },
  { name: 'bracketed RFC 3339 nano', line: '[2019-04-05T14:54:23.584269761] Simple text', want: { format: 'text', t: iso('2019-04-05T14:54:23.584Z'), ns: 269761 } },
  { name: 'zone-less ISO read in zone', line: '2026-06-01 12:00:00 started', tz: 'Europe/Berlin', want: { t: iso('2026-06-01T10:00:00Z') } },
  { name: 'zone-less ISO read at a fixed offset', line: '2026-06-01 12:00:00 started', tz: '-03:30', want: { t: iso('2026-06-01T15:30:00Z') } },
  { name: 'explicit zone wins over the option', line: '2026-06-01T12:00:00+02:00 x', tz: 'Asia/Kolkata', want: { t: iso('2026-06-01T10:00:00Z') } },
  { name: 'access log (CLF)', line: '10.9.136.91 - - [22/Nov/2026:00:36:16 +0100] "GET / HTTP/1.1" 200 25893', want: { format: 'text', t: iso('2026-11-21T23:36:16Z') } },
  { name: 'Apache error log (ctime)', line: '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708] x', want: { format: 'text', t: iso('2000-10-11T14:32:52.123Z'), ns: 456000, level: 'error' } },
  { name: 'Tomcat', line: '22-Nov-2026 00:36:16.123 SEVERE [main] x', want: { format: 'text', t: iso('2026-11-22T00:36:16.123Z'), level: 'error' } },
  { name: 'epoch seconds', line: '1700000000.250 lookup done', want: { format: 'text', t: 1_700_000_000_250 } },
  { name: 'a date alone is not a timestamp', line: '2026-11-21 report', want: { format: 'unknown' } },
  { name: 'invalid month', line: '2026-13-21T00:00:00Z x', want: { format: 'unknown' } },
  { name: 'level word before a key=value tail without a level key', line: '2026-11-21T00:00:00Z ERROR payment failed order=7 amount=12.50', want: { format: 'text', level: 'error' } },
  { name: 'an lvl key late in the tail', line: '2026-11-21T00:00:00Z INFO handled counts=3 lvl=error', want: { format: 'text', level: 'error' } },
  { name: 'a time key in the tail refines the leading second', line: '2026-11-21T00:00:00Z x a=1 b=2 time="2026-11-21T00:00:00.123456Z"', want: { format: 'text', t: iso('2026-11-21T00:00:00.123Z'), ns: 456000 } },
  { name: 'a level key in the tail wins over the level word', line: '2026-11-21T00:00:00Z INFO x level=warn code=1', want: { format: 'text', level: 'warn' } },
  { name: 'lower-case level word not enclosed is ignored', line: '2026-11-21T00:00:00Z error count is 0', want: { format: 'text', level: '' } },
  // logfmt
  { name: 'logrus', line: 'time="2015-03-26T01:27:38-04:00" level=warning msg="x y" n=1', want: { format: 'logfmt', level: 'warn', t: iso('2015-03-26T05:27:38Z') } },
  { name: 'go-kit', line: 'ts=2022-10-19T15:05:04.193916Z caller=main.go:278 level=info msg="thanos request"', want: { format: 'logfmt', level: 'info', ns: 916000 } },
  { name: 'logfmt without time', line: 'level=error msg="boom" err="x"', want: { format: 'logfmt', level: 'error', timed: false } },
  { name: 'logfmt payload fields', line: 'level=info msg="a \\"q\\" b" x=1 flag', payload: true, want: { fields: { level: 'info', msg: 'a "q" b', x: '1' } } },
  { name: 'one pair is not logfmt', line: 'user logged in id=5', want: { format: 'unknown' } },
  { name: 'pairs without known keys are not logfmt', line: 'a=1 b=2', want: { format: 'unknown' } },
];

describe('LineParser.parse', () => {
  it.each(cases)('$name', ({ line, want, tz, payload, json }) => {
    const p = new LineParser({ timeZone: tz ?? 'UTC', payloadFields: payload ?? false, jsonMessage: json ?? false });
    const out = new ParsedLine();
    p.parse(line, ARRIVAL, out);
    const { fields, ...rest } = want;
    expect(out).toMatchObject(rest);
    if (fields !== undefined) expect(out.fields ?? {}).toEqual(fields);
  });

  it('rejects an unknown time zone with the option named', () => {
    expect(() => new LineParser({ timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it('handles daylight saving time in an IANA zone', () => {
    const p = new LineParser({ timeZone: 'America/New_York' });
    const out = new ParsedLine();
    p.parse('2026-01-15 12:00:00 winter', ARRIVAL, out);
    expect(out.t).toBe(iso('2026-01-15T17:00:00Z'));
    p.parse('2026-07-15 12:00:00 summer', ARRIVAL, out);
    expect(out.t).toBe(iso('2026-07-15T16:00:00Z'));
  });
});

describe('LineParser: the JSON.parse paths for Docker and journald lines agree with the scanning path', () => {
  // Docker's and journalctl's own key order takes the JSON.parse path; the same members in
  // another order are scanned. Both must give the same entry.
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', '\t', 'é', '\u0001', '{', '=', '0') });
  const parseOut = (line: string): ParsedLine => {
    const out = new ParsedLine();
    new LineParser().parse(line, ARRIVAL, out);
    return out;
  };
  it('Docker json-file', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('stdout', 'stderr'), fc.option(fc.constantFrom('2019-04-01T17:58:33.598656444Z', 'nope', '2019-04-01T17:58:33Z')), fc.option(fc.dictionary(fc.constantFrom('tag', 'env', 'a.b'), text)), (log, stream, time, attrs) => {
        const o: Record<string, unknown> = { log, stream };
        if (time !== null) o.time = time;
        if (attrs !== null) o.attrs = attrs;
        const fast = JSON.stringify(o);
        const scanned = JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
        expect(fast.startsWith('{"log":')).toBe(true);
        expect(parseOut(fast)).toEqual(parseOut(scanned));
      }),
    );
  });
  it('journalctl -o json', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('3', '6', 'x'), fc.option(fc.constantFrom('api.service', 'a b')), fc.option(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 })), (msg, prio, unit, bytes) => {
        const o: Record<string, unknown> = { __CURSOR: 's=1;i=2', __REALTIME_TIMESTAMP: '1700000000123456', PRIORITY: prio, MESSAGE: msg };
        if (unit !== null) o._SYSTEMD_UNIT = unit;
        if (bytes !== null) o.BLOB = bytes;
        const fast = JSON.stringify(o);
        const scanned = JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
        const a = parseOut(fast);
        expect(a.format).toBe('journal-json');
        expect(a).toEqual(parseOut(scanned));
      }),
    );
  });
  it('a key given twice counts with its last value on both paths', () => {
    const fast = parseOut('{"log":"a\\n","stream":"stdout","log":"b\\n"}');
    const scanned = parseOut('{"stream":"stdout","log":"a\\n","log":"b\\n"}');
    expect(fast.line).toBe('b');
    expect(scanned.line).toBe('b');
  });
});
