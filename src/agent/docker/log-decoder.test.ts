import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockerStreamError, LogDecoder, parseRfc3339Nano, type ContainerLogLine } from './index.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const p = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

function decodeAll(dec: LogDecoder, body: Buffer, cuts: readonly number[] = []): ContainerLogLine[] {
  const out: ContainerLogLine[] = [];
  let prev = 0;
  for (const c of [...cuts, body.length]) {
    out.push(...dec.push(body.subarray(prev, c)));
    prev = c;
  }
  out.push(...dec.end());
  return out;
}

describe('LogDecoder', () => {
  const body = Buffer.concat([
    frame(1, '2024-05-01T10:00:00.123456789Z hello\n'),
    frame(2, '2024-05-01T10:00:01Z oops: ü€\n'),
    // A 16 KiB+ message in two partial messages: joined, first timestamp kept.
    frame(1, '2024-05-01T10:00:02.5Z first half '),
    frame(1, '2024-05-01T10:00:02.6Z second half\n'),
    frame(1, '2024-05-01T10:00:03.000000001Z crlf\r\n'),
  ]);
  const want = [
    { stream: 'stdout', t: Date.UTC(2024, 4, 1, 10, 0, 0, 123), ns: 456789, timestamp: '2024-05-01T10:00:00.123456789Z', line: 'hello' },
    { stream: 'stderr', t: Date.UTC(2024, 4, 1, 10, 0, 1), ns: 0, timestamp: '2024-05-01T10:00:01Z', line: 'oops: ü€' },
    { stream: 'stdout', t: Date.UTC(2024, 4, 1, 10, 0, 2, 500), ns: 0, timestamp: '2024-05-01T10:00:02.5Z', line: 'first half second half' },
    { stream: 'stdout', t: Date.UTC(2024, 4, 1, 10, 0, 3), ns: 1, timestamp: '2024-05-01T10:00:03.000000001Z', line: 'crlf' },
  ];

  it('demultiplexes frames with timestamps', () => {
    expect(decodeAll(new LogDecoder({ multiplexed: true, timestamps: true }), body)).toEqual(want);
  });

  it('gives the same lines however the body is cut (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: body.length }), { maxLength: 10 }), (cuts) => {
        const c = [...new Set(cuts)].sort((a, b) => a - b);
        expect(decodeAll(new LogDecoder({ multiplexed: true, timestamps: true }), body, c)).toEqual(want);
      }),
    );
  });

  it('reads a raw TTY stream, joining lines across chunks and UTF-8 split in the middle', () => {
    const raw = Buffer.from('one\ntwo ü\nthree');
    const dec = new LogDecoder({ multiplexed: false, timestamps: false });
    const at = raw.indexOf(0xc3) + 1; // inside ü
    expect(decodeAll(dec, raw, [5, at]).map((l) => l.line)).toEqual(['one', 'two ü', 'three']);
  });

  it('keeps text that does not start with a timestamp', () => {
    const dec = new LogDecoder({ multiplexed: true, timestamps: true });
    expect(decodeAll(dec, frame(1, 'no time here\n'))).toEqual([{ stream: 'stdout', t: 0, ns: 0, timestamp: '', line: 'no time here' }]);
  });

  it('cuts lines longer than maxLineBytes', () => {
    const dec = new LogDecoder({ multiplexed: false, timestamps: false, maxLineBytes: 8 });
    expect(decodeAll(dec, Buffer.from('0123456789abc\nx\n')).map((l) => l.line)).toEqual(['0123456789abc', 'x']);
  });

  it('reports a bad frame header with its offset, and a truncated frame', () => {
    const dec = new LogDecoder({ multiplexed: true, timestamps: false });
    dec.push(frame(1, 'ok\n'));
    let err: unknown;
    try {
      dec.push(Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as DockerStreamError).offset).toBe(11);
    const d2 = new LogDecoder({ multiplexed: true, timestamps: false });
    d2.push(frame(1, 'abc').subarray(0, 9));
    expect(() => d2.end()).toThrow(/inside a frame/);
  });

  it('never throws anything but DockerStreamError on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, ts) => {
        try {
          decodeAll(new LogDecoder({ multiplexed: true, timestamps: ts }), Buffer.from(bytes));
        } catch (e) {
          if (!(e instanceof DockerStreamError)) throw e;
        }
      }),
    );
  });
});

describe('parseRfc3339Nano', () => {
  it.each([
    { s: '2026-11-21T23:21:41Z', t: Date.UTC(2026, 10, 21, 23, 21, 41), ns: 0 },
    { s: '2026-11-21T23:21:41.999999999Z', t: Date.UTC(2026, 10, 21, 23, 21, 41, 999), ns: 999999 },
    { s: '2026-11-21T23:21:41.1+01:00', t: Date.UTC(2026, 10, 21, 22, 21, 41, 100), ns: 0 },
  ])('$s', ({ s, t, ns }) => {
    expect(parseRfc3339Nano(s)).toEqual({ t, ns });
  });
  it('rejects other text', () => {
    expect(parseRfc3339Nano('hello')).toBeUndefined();
    expect(parseRfc3339Nano('2026-11-21 23:21:41Z')).toBeUndefined();
  });
});
