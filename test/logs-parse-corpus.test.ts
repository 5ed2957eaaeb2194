// Every sample of the log corpus (../shared/corpus/logs) decodes into the timestamp, labels,
// fields and line its format defines. Expectations come from the formats' definitions and the
// corpus's own expected files (rsyslog *.expected.txt, fluent-bit CRI expected messages), or
// from the journal data itself (the JSON export is the reference for every text rendering).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineParser, LogStreamDecoder, ParsedLine, rawBytes, type LogStreamDecoderOptions } from '../src/logs/parse/index.js';
import { shared } from './support/shared.js';

const CORPUS = shared('corpus/logs');
const read = (p: string): Buffer => readFileSync(join(CORPUS, p));
const readText = (p: string): string => read(p).toString('utf8');

interface Got {
  format: string;
  t: number;
  ns: number;
  timed: boolean;
  line: string;
  level: string;
  host: string;
  unit: string;
  identifier: string;
  container: string;
  stream: string;
  fields: Record<string, string>;
}

function snap(p: ParsedLine): Got {
  return {
    format: p.format, t: p.t, ns: p.ns, timed: p.timed, line: p.line, level: p.level, host: p.host, unit: p.unit,
    identifier: p.identifier, container: p.container, stream: p.stream, fields: { ...(p.fields ?? {}) },
  };
}

function decode(bytes: Buffer, arrivalMs: number, opts: LogStreamDecoderOptions = {}, chunk = 4096): Got[] {
  const d = new LogStreamDecoder(opts);
  const out: Got[] = [];
  const sink = (p: ParsedLine): void => void out.push(snap(p));
  for (let i = 0; i < bytes.length; i += chunk) d.write(bytes.subarray(i, i + chunk), arrivalMs, sink);
  d.end(arrivalMs, sink);
  return out;
}

/** Unix ms and ns remainder of a decimal microsecond string (the journal's timestamps). */
function usec(s: string): { t: number; ns: number } {
  return { t: Number(s.slice(0, -3)), ns: Number(s.slice(-3)) * 1000 };
}

// ---------------------------------------------------------------- journald

interface JournalRef {
  t: number;
  ns: number;
  message: string;
  host: string;
  unit: string;
  identifier: string;
  priority: string;
  pid: string;
  bootId: string;
}

/** The reference entries of a journal: its `-o json` rendering, read with JSON.parse. */
function journalRef(name: string): JournalRef[] {
  return readText(`journald-json/${name}.journalctl-o-json.jsonl`)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, string>;
      const ts = usec(o._SOURCE_REALTIME_TIMESTAMP ?? o.__REALTIME_TIMESTAMP!);
      return {
        ...ts,
        message: o.MESSAGE!,
        host: o._HOSTNAME ?? '',
        unit: o._SYSTEMD_UNIT ?? '',
        identifier: o.SYSLOG_IDENTIFIER ?? o._COMM ?? '',
        priority: o.PRIORITY ?? '',
        pid: o.SYSLOG_PID ?? o._PID ?? '',
        bootId: o._BOOT_ID ?? '',
      };
    });
}

const PRIORITY_LEVEL: Record<string, string> = { '0': 'critical', '1': 'critical', '2': 'critical', '3': 'error', '4': 'warn', '5': 'info', '6': 'info', '7': 'debug' };
const JOURNALS = ['journal1', 'multiple-boots', 'coredump-entry', 'sample-journal-event'] as const;
const DAY = 86_400_000;

describe('journald', () => {
  describe.each(JOURNALS)('%s', (name) => {
    const ref = journalRef(name);
    // Year-less renderings are read relative to an arrival time one day after the last entry.
    const arrival = Math.max(...ref.map((r) => r.t)) + DAY;

    it('-o json: time, MESSAGE, labels, level, every other field kept', () => {
      const got = decode(read(`journald-json/${name}.journalctl-o-json.jsonl`), arrival);
      expect(got).toHaveLength(ref.length);
      const raw = readText(`journald-json/${name}.journalctl-o-json.jsonl`).split('\n').filter((l) => l !== '');
      got.forEach((g, i) => {
        const r = ref[i]!;
        expect(g.format).toBe('journal-json');
        expect([g.t, g.ns]).toEqual([r.t, r.ns]);
        expect(g.line).toBe(r.message);
        expect([g.host, g.unit, g.identifier]).toEqual([r.host, r.unit, r.identifier === '' ? '' : JSON.parse(raw[i]!).SYSLOG_IDENTIFIER ?? '']);
        expect(g.level).toBe(PRIORITY_LEVEL[r.priority] ?? '');
        const o = JSON.parse(raw[i]!) as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (['MESSAGE', '_HOSTNAME', '_SYSTEMD_UNIT', 'SYSLOG_IDENTIFIER', 'CONTAINER_NAME'].includes(k) || o[k] === null) continue;
          const v = o[k];
          if (Array.isArray(v)) {
            // A byte array: the text, and the exact bytes beside it when they are not UTF-8.
            const bytes = Buffer.from(v as number[]);
            expect(g.fields[k], k).toBe(bytes.toString('utf8'));
            expect(g.fields[`${k}_raw_base64`] ?? bytes.toString('base64'), k).toBe(bytes.toString('base64'));
          } else {
            expect(g.fields[k], k).toBe(v);
          }
        }
      });
    });

    it('-o export: the same entries as -o json', () => {
      for (const chunk of [7, 64, 65536]) {
        const got = decode(read(`journald-export/${name}.journalctl-o-export.export`), arrival, {}, chunk);
        expect(got.map((g) => [g.format, g.t, g.ns, g.line, g.host, g.unit, g.level])).toEqual(
          ref.map((r) => ['journal-export', r.t, r.ns, r.message, r.host, r.unit, PRIORITY_LEVEL[r.priority] ?? '']),
        );
      }
    });

    const shortForms = [
      ['short-precise', 'UTC', true],
      ['short-iso-precise', 'UTC', true],
      ['short', 'UTC', false],
      ['short-iso', 'UTC', false],
      ['short.TZ-Asia-Kolkata', 'Asia/Kolkata', false],
      ['short-iso.TZ-America-New_York', 'America/New_York', false],
    ] as const;
    it.each(shortForms)('-o %s (read in %s): time, host, identifier, pid, whole multi-line message', (form, tz, precise) => {
      const got = decode(read(`journald-short/${name}.journalctl-o-${form}.log`), arrival, { parser: { timeZone: tz } });
      expect(got).toHaveLength(ref.length);
      got.forEach((g, i) => {
        const r = ref[i]!;
        expect(g.format).toBe('journal-short');
        if (precise) expect([g.t, g.ns]).toEqual([r.t, r.ns]);
        else expect([g.t, g.ns]).toEqual([Math.floor(r.t / 1000) * 1000, 0]);
        // journalctl drops the message's trailing newlines and indents continuation lines.
        expect(g.line).toBe(r.message.replace(/\n+$/, ''));
        expect([g.host, g.identifier, g.fields.pid ?? '']).toEqual([r.host, r.identifier, r.pid]);
      });
    });
  });

  it('-o short: `-- Boot <id> --` separators become the _BOOT_ID of the entries after them', () => {
    const ref = journalRef('multiple-boots');
    const got = decode(read('journald-short/multiple-boots.journalctl-o-short-precise.log'), ref[5]!.t + DAY);
    expect(got.map((g) => g.fields._BOOT_ID ?? '')).toEqual(ref.map((r, i) => (i < 2 ? '' : r.bootId)));
  });

  it('beats export capture with stray short-format lines between records', () => {
    const got = decode(read('journald-export/beats-multiple-boots.export'), Date.UTC(2024, 9, 1), {}, 100);
    const ref = journalRef('multiple-boots');
    const exported = got.filter((g) => g.format === 'journal-export');
    expect(exported.map((g) => [g.t, g.ns, g.line, g.fields.__CURSOR?.slice(0, 2)])).toEqual(ref.map((r) => [r.t, r.ns, r.message, 's=']));
    const stray = got.filter((g) => g.format !== 'journal-export');
    expect(stray.map((g) => [g.format, new Date(g.t).toISOString(), g.host, g.identifier])).toEqual([
      ['journal-short', '2024-09-17T11:26:36.000Z', 'Debian12', 'kernel'],
      ['journal-short', '2024-09-17T11:26:36.000Z', 'Debian12', 'kernel'],
    ]);
  });

  it('-o json: byte arrays, multi-valued fields and missing timestamps (vector mock)', () => {
    const arrival = Date.UTC(2020, 0, 10);
    const got = decode(read('journald-json/vector-journalctl-mock-output.jsonl'), arrival);
    expect(got).toHaveLength(8);
    expect(got[0]).toMatchObject({ t: 1578529839140, ns: 1000, line: 'System Initialization', unit: 'sysinit.target', level: 'info' });
    // [194,191,72,101,108,108,111,63] is UTF-8 for "¿Hello?".
    expect(got[2]).toMatchObject({ line: '¿Hello?', unit: 'badunit.service', level: 'info' });
    expect(got[2]!.fields.raw_base64).toBeUndefined();
    // _SOURCE_REALTIME_TIMESTAMP (the sender's time) wins over __REALTIME_TIMESTAMP, as journalctl shows it.
    expect(got[4]).toMatchObject({ t: 1578529839140, ns: 5000, level: 'error' });
    expect(got[3]).toMatchObject({ t: 1578529839140, ns: 4000, level: 'critical' });
    expect(got[5]!.fields.SYSLOG_RAW).toBe('¿World?');
    expect(JSON.parse(got[6]!.fields.SYSLOG_FACILITY!)).toEqual(['DHCP4', 'DHCP6']);
    expect(got[7]).toMatchObject({ identifier: 'kernel', level: 'info', line: 'audit log' });
  });
});

// ---------------------------------------------------------------- syslog (rsyslog expectations)

const SEVERITY = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function bsdTime(t: number, offsetMs = 0): string {
  const d = new Date(t + offsetMs);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

describe('syslog', () => {
  // rsyslog renders RFC 5424 times in their own offset; this is the offset of each input line.
  const offsetOf = (line: string): number => {
    const m = /^<\d+>1 \S+([+-])(\d\d):(\d\d) /.exec(line);
    return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  };

  it('rsyslog parsertest-parse1: PRI, facility, severity, timestamp, hostname, programname, msg', () => {
    const input = readText('syslog-mixed/rsyslog-parsertest-parse1.log').split('\n').slice(0, -1);
    const expected = readText('syslog-mixed/rsyslog-parsertest-parse1.expected.txt').split('\n').slice(0, -1);
    expect(input).toHaveLength(expected.length);
    const parser = new LineParser();
    const out = new ParsedLine();
    const arrival = Date.UTC(2026, 10, 22);
    input.forEach((line, i) => {
      // Template: %PRI%,%syslogfacility-text%,%syslogseverity-text%,%timestamp%,%hostname%,%programname%,%syslogtag%,%msg%
      const [pri, fac, sev, ts, host, prog, , ...msgParts] = expected[i]!.split(',');
      // The one line whose tag itself holds commas.
      const msg = i === 10 ? '' : msgParts.join(',');
      const program = i === 10 ? '05",result_code=200,b' : prog!;
      parser.parseSyslog(line, arrival, out);
      expect(out.fields?.parse_error, line).toBeUndefined();
      expect([out.fields?.facility, out.fields?.severity], line).toEqual([fac, sev]);
      expect(SEVERITY[Number(pri) & 7]).toBe(sev);
      expect(bsdTime(out.t, offsetOf(line)), line).toBe(ts);
      expect([out.host, out.identifier], line).toEqual([host, program]);
      // RFC 3164: the space after the tag separates it from the message; RFC 5424 keeps MSG as is.
      expect(out.line, line).toBe(line.startsWith('<') && /^<\d+>1 /.test(line) ? msg : msg.replace(/^ /, ''));
    });
  });

  it('year given inside a 3164 timestamp is used', () => {
    const parser = new LineParser();
    const out = new ParsedLine();
    parser.parseSyslog('<167>Mar 7 2008 19:06:53: example tag: testmessage (only date actually tested)', Date.UTC(2026, 10, 22), out);
    expect(new Date(out.t).toISOString()).toBe('2008-03-07T19:06:53.000Z');
    parser.parseSyslog('<175>Oct 16 2009 23:47:31 hostname tag[1234] This is a message', Date.UTC(2026, 10, 22), out);
    expect([new Date(out.t).toISOString(), out.host, out.identifier, out.fields?.pid, out.line]).toEqual(['2009-10-16T23:47:31.000Z', 'hostname', 'tag', '1234', 'This is a message']);
  });

  it('RFC 3164 timestamps of every month, read relative to the arrival time', () => {
    const lines = readText('syslog-rfc3164/rsyslog-timestamp-3164.log').split('\n').slice(0, -1);
    const parser = new LineParser();
    const out = new ParsedLine();
    const arrival = Date.UTC(2026, 10, 22, 12);
    const got = lines.map((l) => {
      parser.parseSyslog(l, arrival, out);
      return [new Date(out.t).toISOString(), out.host, out.identifier, out.line];
    });
    expect(got.map((g) => g[0])).toEqual([
      ...MON.map((_, m) => new Date(Date.UTC(2026, m, 6, 16, 57, 54)).toISOString()),
      '2026-01-06T16:57:54.000Z',
      '2026-01-16T16:57:54.000Z',
    ]);
    expect(new Set(got.map((g) => `${g[1]} ${g[2]} ${g[3]}`))).toEqual(new Set(['172.20.245.8 TAG MSG']));
  });

  it.each([
    ['Dec 31 23:59:58', Date.UTC(2027, 0, 1, 0, 0, 5), '2026-12-31T23:59:58.000Z'],
    ['Jan  1 00:00:03', Date.UTC(2026, 11, 31, 23, 59, 59), '2027-01-01T00:00:03.000Z'],
    ['Feb 29 12:00:00', Date.UTC(2024, 2, 1), '2024-02-29T12:00:00.000Z'],
    ['Jun 15 12:00:00', Date.UTC(2026, 0, 10), '2025-06-15T12:00:00.000Z'],
  ])('year-less %s received at %d is %s', (ts, arrival, want) => {
    const out = new ParsedLine();
    new LineParser().parseSyslog(`<13>${ts} host app: x`, arrival, out);
    expect(new Date(out.t).toISOString()).toBe(want);
  });

  it('a message without PRI is user.notice (RFC 3164 §4.3.3); a line that is not syslog is kept with an error', () => {
    const [notSyslog, normal] = readText('syslog-rfc3164/rsyslog-pmrfc3164-headerless.log').split('\n');
    const parser = new LineParser();
    const out = new ParsedLine();
    parser.parseSyslog(normal!, Date.UTC(2026, 10, 22), out);
    expect([out.host, out.identifier, out.line, out.fields?.severity]).toEqual(['host', 'tag', 'normal', 'notice']);
    parser.parseSyslog(notSyslog!, Date.UTC(2026, 10, 22), out);
    expect([out.line, out.timed, out.fields?.facility, out.fields?.parse_error]).toEqual(['this is not syslog', false, 'user', undefined]);
  });

  it('rsyslog rfc5424parser-sp_at_msg_start: MSG keeps a leading space after SD', () => {
    const input = readText('syslog-rfc5424/rsyslog-rfc5424parser-sp_at_msg_start.log').split('\n').slice(0, -1);
    const expected = readText('syslog-rfc5424/rsyslog-rfc5424parser-sp_at_msg_start.expected.txt').split('\n').slice(0, -1);
    const parser = new LineParser();
    const out = new ParsedLine();
    expect(
      input.map((l) => {
        parser.parseSyslog(l, 0, out);
        return `${out.line}--END`;
      }),
    ).toEqual(expected);
    parser.parseSyslog(input[1]!, 0, out);
    expect([new Date(out.t).toISOString(), out.host, out.identifier, out.fields?.abc_123_a]).toEqual(['2019-05-15T08:21:57.000Z', 'domain.tld', 'tag', 'b']);
  });
});

// ---------------------------------------------------------------- containers

describe('CRI', () => {
  it('fluent-bit partial lines: P chunks joined per stream into the expected messages', () => {
    const got = decode(read('cri/fluent-bit-cri-partial-lines.log'), 0);
    const expected = readText('cri/fluent-bit-cri-partial-lines.expected.txt').split('\n').slice(0, -1);
    expect(got.map((g) => g.line)).toEqual(expected);
    expect(got.map((g) => g.stream)).toEqual(['stdout', 'stderr', 'stdout', 'stderr', 'stdout', 'stdout', 'stderr', 'stderr']);
    // The time of a joined message is the time of its first chunk (RFC 3339 nano, +00:00).
    expect([got[0]!.t, got[0]!.ns]).toEqual([Date.UTC(2019, 4, 7, 18, 57, 50, 904), 275087]);
    expect(got.every((g) => g.format === 'cri')).toBe(true);
  });

  it('kubelet design example: F lines alone, a P run without its F is flushed at the end', () => {
    const got = decode(read('cri/kubernetes-cri-logging-design-example.log'), 0);
    expect(got.map((g) => [g.stream, g.line, g.t, g.ns])).toEqual([
      ['stdout', 'The content of the log entry 1', Date.UTC(2016, 9, 6, 0, 17, 9, 669), 794202],
      ['stderr', 'Last line of the log entry 2', Date.UTC(2016, 9, 6, 0, 17, 10, 113), 242941],
      ['stdout', 'First line of log entry 2Second line of the log entry 2', Date.UTC(2016, 9, 6, 0, 17, 9, 113), 242941],
    ]);
  });
});

describe('Docker json-file', () => {
  const T = Date.UTC(2019, 3, 1, 17, 58, 33, 598);
  it.each([
    ['fluent-bit-core_base_fluent-bit.log', [['stdout', 'Fluent Bit is logging', T, 656444]]],
    ['fluent-bit-annotations-parser_stdout_text.log', [['stdout', '[2019-04-05T14:54:23.584269761] Simple text', T, 656444], ['stderr', '[2019-04-05T14:54:23.584269761] Simple text', T + 100, 656444]]],
    ['fluent-bit-annotations-parser_json-with-time_json.log', [['stdout', '{"time":"2019-04-05T14:54:23.584269761","message":"Simple text"}', T, 656444]]],
    ['fluent-bit-options_merge-log-enabled_json.log', [['stdout', '{"text":"Simple text"}', T, 656444]]],
    ['fluent-bit-options_merge-log-trim-enabled_json.log', [['stdout', '{"text":"Simple text\n"}', T, 656444]]],
    ['fluent-bit-core_unescaping_text.log', [['stdout', 'Text with embedded quoted "text with embedded quoted \\"text with embedded quoted \\\\\\"text\\\\\\"\\""', T, 656444]]],
    ['fluent-bit-core_unescaping_json.log', [['stdout', '{"stringified-json":"{\\"stringified-json\\":\\"{\\\\\\"stringified-json\\\\\\":\\\\\\"\\\\\\"}\\"}","text":"quoted \\"text with embedded quoted \\\\\\"text\\\\\\"\\""}', T, 656444]]],
  ] as const)('%s', (file, want) => {
    const got = decode(read(`docker-json-file/${file}`), 0);
    expect(got.map((g) => [g.stream, g.line, g.t, g.ns])).toEqual(want);
    expect(got.every((g) => g.format === 'docker-json' && g.timed)).toBe(true);
  });

  it('lines split at 16 KiB (no trailing newline in "log") are re-joined', () => {
    expect(decode(read('docker-json-file/fluent-bit-tail-dockermode_splitted_line.log'), 5).map((g) => [g.line, g.t])).toEqual([
      ['2020-03-24 Single line', 5],
      ['2020-03-24 Another single line', 5],
    ]);
    expect(decode(read('docker-json-file/fluent-bit-tail-dockermode.log'), 5).map((g) => g.line)).toEqual(['Single log', 'Second log', 'Third log']);
  });

  it('the level of the message inside the envelope is detected', () => {
    const got = decode(Buffer.from('{"log":"{\\"level\\":\\"error\\",\\"msg\\":\\"x\\"}\\n","stream":"stderr","time":"2019-04-01T17:58:33Z"}\n'), 0);
    expect(got[0]).toMatchObject({ level: 'error', stream: 'stderr', line: '{"level":"error","msg":"x"}' });
  });
});

// ---------------------------------------------------------------- logrus, logfmt

describe('logrus and logfmt', () => {
  it('logrus README: time with offset, level words, line kept', () => {
    const text = readText('dockerd-logrus/logrus-readme-text-formatter.log');
    const got = decode(Buffer.from(text), 0, { multiline: false });
    const t = Date.UTC(2015, 2, 26, 5, 27, 38);
    expect(got.map((g) => [g.format, g.t, g.level])).toEqual([
      ['logfmt', t, 'debug'], ['logfmt', t, 'info'], ['logfmt', t, 'warn'], ['logfmt', t, 'debug'],
      ['logfmt', t, 'critical'], ['logfmt', t, 'critical'], ['logfmt', t, 'critical'],
    ]);
    expect(got.map((g) => g.line)).toEqual(text.split('\n').slice(0, -1));
  });

  it('logrus README with payloadFields: every key=value is a field', () => {
    const got = decode(read('dockerd-logrus/logrus-readme-text-formatter.log'), 0, { parser: { payloadFields: true } });
    expect(got[5]!.fields).toEqual({ time: '2015-03-26T01:27:38-04:00', level: 'fatal', msg: 'The ice breaks!', animal: 'orca', err: "It's over 9000!", number: '100', omg: 'true', size: '9009' });
  });

  it('dockerd captured by Docker Desktop: the logrus time (ns) refines the capture time, level from logrus', () => {
    const got = decode(read('dockerd-logrus/docker-docs-daemon-logs-macos-dockerd.log'), 0);
    const lines = readText('dockerd-logrus/docker-docs-daemon-logs-macos-dockerd.log').split('\n').slice(0, -1);
    expect(got).toHaveLength(lines.length);
    got.forEach((g, i) => {
      const m = /time="([^"]+)"/.exec(lines[i]!)!;
      const frac = /\.(\d+)Z/.exec(m[1]!)![1]!.padEnd(9, '0');
      expect([g.t, g.ns, g.level, g.line]).toEqual([Date.parse(m[1]!.replace(/\.\d+Z/, 'Z')) + Number(frac.slice(0, 3)), Number(frac.slice(3)), 'debug', lines[i]]);
    });
  });

  it('slog logfmt, including lines with ^C echoed in front', () => {
    const text = readText('logfmt/blackbox_exporter-slog-logfmt.log');
    const lines = text.split('\n').slice(0, -1);
    const got = decode(Buffer.from(text), 0);
    expect(got).toHaveLength(lines.length);
    got.forEach((g, i) => {
      const m = /time=(\S+) level=(\w+)/.exec(lines[i]!)!;
      expect([g.format, g.t, g.level, g.line]).toEqual(['logfmt', Date.parse(m[1]!), m[2]!.toLowerCase(), lines[i]]);
    });
    // Two lines start with a terminal's echo of Ctrl-C, `^C`, glued to the first key.
    expect(got.filter((g) => g.line.startsWith('^Ctime=') && g.timed)).toHaveLength(2);
  });

  it('go-kit logfmt with escaped quotes', () => {
    const got = decode(read('logfmt/thanos-go-kit-logfmt.log'), 0, { parser: { payloadFields: true } });
    expect(got.map((g) => [g.t, g.ns, g.level])).toEqual([
      [Date.UTC(2022, 9, 19, 15, 5, 4, 193), 916000, 'info'],
      [Date.UTC(2022, 9, 19, 15, 5, 4, 468), 852000, 'info'],
      [Date.UTC(2022, 9, 19, 15, 5, 4, 553), 914000, 'info'],
    ]);
    expect(got[0]!.fields.request).toBe('min_time:1666180800000 max_time:1666184399999 matchers:<type:RE value:".*" > aggregates:RAW ');
    expect(got[0]!.fields.caller).toBe('main.go:278');
  });
});

// ---------------------------------------------------------------- unparseable text

describe('text in other encodings', () => {
  it.each(readdirSync(join(CORPUS, 'plain-text')).filter((f) => f.endsWith('.log')))('%s is stored 1:1 with the arrival time', (file) => {
    const bytes = read(`plain-text/${file}`);
    for (const multiline of [true, false]) {
      const d = new LogStreamDecoder({ multiline });
      const parts: Buffer[] = [];
      const times: number[] = [];
      const sink = (p: ParsedLine): void => {
        parts.push(rawBytes(p.toEntry()));
        times.push(p.t);
      };
      for (let i = 0; i < bytes.length; i += 5) d.write(bytes.subarray(i, i + 5), 1234, sink);
      d.end(1234, sink);
      const joined = Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('\n'), p])));
      const want = bytes[bytes.length - 1] === 10 ? bytes.subarray(0, -1) : bytes;
      expect(joined.equals(want)).toBe(true);
      expect(new Set(times)).toEqual(new Set([1234]));
    }
  });
});
