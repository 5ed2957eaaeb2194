import { describe, expect, it } from 'vitest';
import { LogStreamDecoder, type LogStreamDecoderOptions } from './log-stream-decoder.js';
import type { ParsedLine } from './parsed-line.js';
import { rawBytes } from './raw-bytes.js';

interface Out {
  format: string;
  t: number;
  line: string;
  fields: Record<string, string>;
  raw: Buffer;
  level: string;
}

function run(input: Buffer | string, opts: LogStreamDecoderOptions = {}, chunk = 3, arrival = 1000): Out[] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const d = new LogStreamDecoder(opts);
  const out: Out[] = [];
  const sink = (p: ParsedLine): void => {
    const e = p.toEntry();
    out.push({ format: p.format, t: p.t, line: p.line, fields: { ...(p.fields ?? {}) }, raw: rawBytes(e), level: p.level });
  };
  for (let i = 0; i < bytes.length; i += chunk) d.write(bytes.subarray(i, i + chunk), arrival, sink);
  d.end(arrival, sink);
  return out;
}

const lines = (o: Out[]): string[] => o.map((x) => x.line);

describe('framing', () => {
  it.each([1, 2, 7, 1 << 16])('LF, CRLF and a last line without newline (chunks of %i)', (chunk) => {
    expect(lines(run('a\nb\r\n\nc', { multiline: false }, chunk))).toEqual(['a', 'b', '', 'c']);
  });

  it('keeps NUL bytes', () => {
    const o = run('x\u0000y\n', {}, 1);
    expect(o[0]!.line).toBe('x\u0000y');
    expect(o[0]!.fields.raw_base64).toBeUndefined();
  });

  it('invalid UTF-8: line with U+FFFD, exact bytes in raw_base64', () => {
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a, 0xc3, 0x0a, 0x63, 0xe2, 0x82, 0x0a]);
    const o = run(bytes, { multiline: false }, 2);
    expect(o.map((x) => x.line)).toEqual(['a\ufffd\ufffdb', '\ufffd', 'c\ufffd']);
    expect(o.map((x) => x.raw.toString('hex'))).toEqual(['61fffe62', 'c3', '63e282']);
  });

  it('a character split across chunks is not damaged', () => {
    expect(lines(run('é€😀\n', {}, 1))).toEqual(['é€😀']);
  });
});

describe('long lines', () => {
  const long = 'x'.repeat(100) + 'é'.repeat(30);
  it('truncate: head kept at a character boundary, dropped bytes counted', () => {
    for (const chunk of [5, 1000]) {
      const o = run(`${long}\nnext\n`, { maxLineBytes: 101 }, chunk);
      expect(o.map((x) => [x.line, x.fields.cut, x.fields.cut_bytes])).toEqual([
        ['x'.repeat(100), 'truncated', '60'],
        ['next', undefined, undefined],
      ]);
    }
  });

  it('split: every piece kept, numbered, the last carries the count', () => {
    for (const chunk of [5, 1000]) {
      const o = run(`${long}\nnext\n`, { maxLineBytes: 64, longLines: 'split' }, chunk);
      expect(o.map((x) => x.line).join('') + '').toBe(long + 'next');
      expect(o.map((x) => [x.fields.part, x.fields.parts])).toEqual([['1', undefined], ['2', undefined], ['3', '3'], [undefined, undefined]]);
      expect(o.slice(0, 3).every((x) => Buffer.byteLength(x.line) <= 64 && x.t === 1000)).toBe(true);
    }
  });

  it('a 10 MB line is bounded without holding it', () => {
    const d = new LogStreamDecoder({ maxLineBytes: 1024 });
    const got: string[] = [];
    const piece = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 160; i++) {
      d.write(piece, 0, (p) => void got.push(p.line));
      expect(d.bufferedBytes).toBeLessThanOrEqual(1024);
    }
    d.write(Buffer.from('\nok\n'), 0, (p) => void got.push(p.line));
    d.end(0, (p) => void got.push(p.line));
    expect(got.map((l) => l.length)).toEqual([1024, 2]);
  });

  it('rejects bad options by name', () => {
    expect(() => new LogStreamDecoder({ maxLineBytes: 0 })).toThrow(/maxLineBytes/);
    expect(() => new LogStreamDecoder({ longLines: 'drop' as 'split' })).toThrow(/longLines/);
  });
});

describe('unfinished lines', () => {
  it('cutPartialLine emits what has come so far, marked', () => {
    const d = new LogStreamDecoder();
    const got: Out[] = [];
    const sink = (p: ParsedLine): void => void got.push({ format: p.format, t: p.t, line: p.line, fields: { ...(p.fields ?? {}) }, raw: Buffer.alloc(0), level: '' });
    d.write(Buffer.from('slo'), 5, sink);
    expect(d.partialSince).toBe(5);
    expect(d.cutPartialLine(9, sink)).toBe(true);
    expect(d.partialSince).toBe(-1);
    d.write(Buffer.from('w\n'), 10, sink);
    d.end(11, sink);
    expect(got.map((g) => [g.line, g.fields.cut])).toEqual([['slo', 'timeout'], ['w', undefined]]);
  });
});

describe('journalctl -o export', () => {
  const bin = (name: string, value: Buffer): Buffer => {
    const len = Buffer.alloc(8);
    len.writeUInt32LE(value.length, 0);
    return Buffer.concat([Buffer.from(`${name}\n`), len, value, Buffer.from('\n')]);
  };
  const rec = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

  it('text and binary fields, multi-line and non-UTF-8 values, several records', () => {
    const input = rec(
      '__CURSOR=c1\n__REALTIME_TIMESTAMP=1700000000123456\nPRIORITY=4\n',
      bin('MESSAGE', Buffer.from('line 1\nline 2\n\n')),
      '_HOSTNAME=h\nFOO=a\nFOO=b\n\n',
      '__CURSOR=c2\n__REALTIME_TIMESTAMP=1700000000200000\n',
      bin('MESSAGE', Buffer.from([0x68, 0x69, 0xff])),
      bin('BLOB', Buffer.from([0, 1, 2, 10, 0xff])),
      '\n',
    );
    for (const chunk of [1, 3, 9, 4096]) {
      const o = run(input, {}, chunk);
      expect(o.map((x) => [x.format, x.t, x.line, x.level])).toEqual([
        ['journal-export', 1700000000123, 'line 1\nline 2\n\n', 'warn'],
        ['journal-export', 1700000000200, 'hi\ufffd', ''],
      ]);
      expect(JSON.parse(o[0]!.fields.FOO!)).toEqual(['a', 'b']);
      expect(o[0]!.fields.__CURSOR).toBe('c1');
      expect(o[1]!.raw.toString('hex')).toBe('6869ff');
      expect(o[1]!.fields.BLOB_raw_base64).toBe(Buffer.from([0, 1, 2, 10, 0xff]).toString('base64'));
    }
  });

  it('a record without the final blank line is emitted at the end; text after it is lines again', () => {
    expect(run('plain\n__CURSOR=x\nMESSAGE=m\n\nafter\n', {}, 4).map((x) => [x.format, x.line])).toEqual([
      ['unknown', 'plain'],
      ['journal-export', 'm'],
      ['unknown', 'after'],
    ]);
    expect(run('__CURSOR=x\nMESSAGE=m', {}, 4).map((x) => x.line)).toEqual(['m']);
  });

  it('an impossible binary length is reported and the stream goes on as lines', () => {
    const len = Buffer.alloc(8, 0xff);
    const o = run(Buffer.concat([Buffer.from('__CURSOR=x\nMESSAGE=m\nBAD\n'), len, Buffer.from('next line\n')]), {}, 5);
    expect(o.map((x) => [x.line, x.fields.parse_error])).toEqual([
      ['m', 'journal export: binary field BAD has an impossible length'],
      ['next line', undefined],
    ]);
  });

  it('a binary value over maxLineBytes is cut, the stream stays in step', () => {
    const big = Buffer.alloc(5000, 0x61);
    const o = run(rec('__CURSOR=x\n', bin('MESSAGE', big), 'A=1\n\n'), { maxLineBytes: 1000 }, 333);
    expect(o).toHaveLength(1);
    expect(o[0]!.line.length).toBe(1000);
    expect(o[0]!.fields.MESSAGE_cut_bytes).toBe('4000');
    expect(o[0]!.fields.A).toBe('1');
  });
});

describe('multi-line grouping', () => {
  const java = [
    '2026-11-21 23:48:19.793 ERROR 1 --- [exec-20] c.e.PaymentService : Payment failed',
    'java.lang.IllegalStateException: card declined',
    '\tat com.example.PaymentService.charge(PaymentService.java:42)',
    '\tat com.example.Api.pay(Api.java:7)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.net.SocketInputStream.read(SocketInputStream.java:150)',
    '\t... 12 more',
  ].join('\n');
  const python = [
    '2026-11-21 23:48:19,793 ERROR worker crashed',
    'Traceback (most recent call last):',
    '  File "/app/w.py", line 3, in <module>',
    '    main()',
    'ValueError: bad input',
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    '  File "/app/w.py", line 5, in <module>',
    'RuntimeError: again',
  ].join('\n');
  const go = ['panic: runtime error: index out of range [3] with length 3', '', 'goroutine 1 [running]:', 'main.main()', '\t/tmp/x.go:8 +0x1d', 'exit status 2'].join('\n');

  it.each([
    ['Java', java],
    ['Python, chained', python],
    ['Go panic', go],
  ])('%s stack trace is one entry, followed by the next line', (_name, trace) => {
    for (const chunk of [1, 7, 4096]) {
      const o = run(`${trace}\n2026-11-21 23:48:20.000 INFO 1 --- next\n`, {}, chunk);
      expect(lines(o)).toEqual([trace, '2026-11-21 23:48:20.000 INFO 1 --- next']);
    }
  });

  it('off: every line is its own entry', () => {
    expect(run(`${java}\n`, { multiline: false })).toHaveLength(7);
  });

  it('blank lines after a group that is not continued stay entries of their own', () => {
    const o = run('2026-11-21 23:48:19 ERROR x\n\tat a\n\n\nplain\n', {}, 2);
    expect(lines(o)).toEqual(['2026-11-21 23:48:19 ERROR x\n\tat a', '', '', 'plain']);
  });

  it('JSON lines are never grouped', () => {
    expect(lines(run('{"a":1}\n  indented\n'))).toEqual(['{"a":1}', '  indented']);
  });

  it('group size is bounded', () => {
    const body = Array.from({ length: 30 }, (_, i) => `\tat f${i}`).join('\n');
    const o = run(`2026-01-01T00:00:00Z ERROR x\n${body}\n`, { maxGroupLines: 10 });
    expect(o.length).toBeGreaterThan(1);
    expect(o[0]!.line.split('\n')).toHaveLength(10);
  });

  it('raw bytes of a group with an invalid line cover the whole group', () => {
    const input = Buffer.concat([Buffer.from('2026-01-01T00:00:00Z ERROR x\n\tat \xff'.replace('\xff', ''), 'utf8'), Buffer.from([0xff]), Buffer.from('\n')]);
    const o = run(input, {}, 3);
    expect(o).toHaveLength(1);
    expect(o[0]!.raw.equals(input.subarray(0, -1))).toBe(true);
  });

  it('journalctl -o short continuation lines are joined even with grouping off', () => {
    const pad = ' '.repeat('Jul 01 11:44:06 falcon app[1]: '.length);
    const text = `Jul 01 11:44:06 falcon app[1]: first\n${pad}second\n${pad}\n${pad}third\nJul 01 11:44:07 falcon app[1]: next\n`;
    const o = run(text, { multiline: false }, 5, Date.UTC(2026, 6, 2));
    expect(lines(o)).toEqual(['first\nsecond\n\nthird', 'next']);
  });
});
