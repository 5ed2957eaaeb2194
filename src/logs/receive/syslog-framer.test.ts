import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SyslogFramer } from './syslog-framer.js';
import { shared } from '../../../test/support/shared.js';

function frames(input: Buffer | string, chunk: number, max = 1024): [string, number][] {
  const f = new SyslogFramer(max);
  const out: [string, number][] = [];
  const b = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < b.length; i += chunk) f.push(b.subarray(i, i + chunk), 0, (m, cut) => void out.push([m.toString('latin1'), cut]));
  f.end((m, cut) => void out.push([m.toString('latin1'), cut]));
  return out;
}

describe('SyslogFramer (RFC 6587)', () => {
  it.each([1, 2, 5, 1000])('octet counting and newline framing, mixed, in chunks of %i', (chunk) => {
    const input = '16 <1>2 - - - - - -17 <4>11 - - - - - -<13>Dec  2 16:31:03 host app: Test\n<14>b\r\n\n24 <5>1 - - - - - - with\nLF';
    expect(frames(input, chunk).map((f) => f[0])).toEqual(['<1>2 - - - - - -', '<4>11 - - - - - -', '<13>Dec  2 16:31:03 host app: Test', '<14>b', '<5>1 - - - - - - with\nLF']);
  });

  it("rsyslog's octet-counted RFC 5424 frames end in LF, which is dropped", () => {
    expect(frames('20 <13>1 - h a - - -  x\n', 3)).toEqual([['<13>1 - h a - - -  x', 0]]);
  });

  it('NUL also ends a message', () => {
    expect(frames('<1>a\u0000<2>b\u0000', 4).map((f) => f[0])).toEqual(['<1>a', '<2>b']);
  });

  it('an over-long message keeps the head and counts the rest', () => {
    expect(frames(`<1>${'x'.repeat(30)}\nok\n`, 7, 10)).toEqual([['<1>xxxxxxx', 23], ['ok', 0]]);
    expect(frames(`40 <1>${'y'.repeat(37)}3 <2>`, 7, 10)).toEqual([['<1>yyyyyyy', 30], ['<2>', 0]]);
  });

  it('a frame cut by the end of the stream is still emitted', () => {
    expect(frames('16 <1>2', 2)).toEqual([['<1>2', 0]]);
  });

  it.each([
    'telegraf-octet_counting_best_effort_tcp_1st_min_ok_2nd_min_ok',
    'telegraf-octet_counting_best_effort_tcp_1st_underflow_malfunction',
    'telegraf-non_transparent_best_effort_tcp_1st_min_ok_2nd_min_ok',
  ])('telegraf %s', (name) => {
    const input = readFileSync(shared(`corpus/logs/syslog-rfc5424/${name}.input.txt`));
    const got = frames(input, 5).map((f) => f[0]);
    if (name.includes('malfunction')) expect(got).toEqual(['<1>217 <11>1 - -', ' - - - -']);
    else expect(got).toEqual(['<1>2 - - - - - -', '<4>11 - - - - - -']);
  });
});
