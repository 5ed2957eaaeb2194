import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../model/index.js';
import { ShipStream, VigilNdjsonEncoder } from './batch-encoder.js';

const stream = new ShipStream(0, Labels.fromObject({ job: 'app', host: 'vm' }));

function lineOf(line: string): unknown {
  const enc = new VigilNdjsonEncoder();
  enc.addEncoded(stream, 1_795_315_752_186, 811_000, line, undefined);
  const body = enc.finish().toString('utf8');
  expect(body.endsWith('}\n')).toBe(true);
  return (JSON.parse(body) as { line: unknown }).line;
}

describe('VigilNdjsonEncoder lines', () => {
  it.each([
    { name: 'plain ASCII', line: 'GET /api/items/1 200' },
    { name: 'empty', line: '' },
    { name: 'a quote', line: 'say "hi"' },
    { name: 'a backslash', line: 'C:\\temp' },
    { name: 'control characters', line: 'a\tb\u0000c\u001f' },
    { name: 'DEL', line: 'x\u007fy' },
    { name: 'non-ASCII', line: 'Grüße, 世界 🚀' },
    { name: 'a lone surrogate', line: 'x\ud800y' },
  ])('writes $name as JSON.stringify would', ({ line }) => {
    const enc = new VigilNdjsonEncoder();
    enc.addEncoded(stream, 1_795_315_752_186, 811_000, line, undefined);
    expect(enc.finish().toString('utf8')).toBe(`{"ts":"1795315752186811000","labels":${stream.json},"line":${JSON.stringify(line)}}\n`);
  });

  it('writes the bytes JSON.stringify writes, for mostly printable lines with any character mixed in', () => {
    const char = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) });
    fc.assert(
      fc.property(fc.array(char, { maxLength: 200 }).map((a) => a.join('')), (line) => {
        const enc = new VigilNdjsonEncoder();
        enc.addEncoded(stream, 1_795_315_752_186, 811_000, line, undefined);
        expect(enc.finish().equals(Buffer.from(`{"ts":"1795315752186811000","labels":${stream.json},"line":${JSON.stringify(line)}}\n`))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (line) => {
        expect(lineOf(line)).toBe(JSON.parse(JSON.stringify(line)));
      }),
      { numRuns: 300 },
    );
  });
});
