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

describe('VigilNdjsonEncoder defaults lines', () => {
  const web = new ShipStream(1, Labels.fromObject({ job: 'web' }));
  const f1 = Buffer.from('{"_PID":"7","_COMM":"node"}');
  const f2 = Buffer.from('{"_PID":"8"}');

  it('opens a run with a defaults line when stream or fields change, once the server announced them', () => {
    const enc = new VigilNdjsonEncoder();
    enc.serverFeatures('gzip, defaults');
    expect(enc.usesDefaults).toBe(true);
    enc.addEncoded(stream, 1_795_315_752_186, 1, 'a', f1);
    enc.addEncoded(stream, 1_795_315_752_186, 2, 'b', Buffer.from(f1)); // same bytes, another buffer
    enc.addEncoded(stream, 1_795_315_752_186, 3, 'c', f2);
    enc.addEncoded(stream, 1_795_315_752_186, 4, 'd', undefined);
    enc.addEncoded(web, 1_795_315_752_186, 5, 'e', undefined);
    enc.add(web, 1_795_315_752_186, 6, 'f', { k: 'v' });
    enc.add(web, 1_795_315_752_186, 7, 'g', { k: 'v' });
    expect(enc.entries).toBe(7);
    expect(enc.finish().toString('utf8').split('\n')).toEqual([
      `{"defaults":{"labels":${stream.json},"fields":{"_PID":"7","_COMM":"node"}}}`,
      '{"ts":"1795315752186000001","line":"a"}',
      '{"ts":"1795315752186000002","line":"b"}',
      `{"defaults":{"labels":${stream.json},"fields":{"_PID":"8"}}}`,
      '{"ts":"1795315752186000003","line":"c"}',
      `{"defaults":{"labels":${stream.json}}}`,
      '{"ts":"1795315752186000004","line":"d"}',
      '{"defaults":{"labels":{"job":"web"}}}',
      '{"ts":"1795315752186000005","line":"e"}',
      '{"defaults":{"labels":{"job":"web"},"fields":{"k":"v"}}}',
      '{"ts":"1795315752186000006","line":"f"}',
      '{"ts":"1795315752186000007","line":"g"}',
      '',
    ]);
  });

  it('switches only between bodies, and back when the server stops announcing them', () => {
    const enc = new VigilNdjsonEncoder();
    enc.addEncoded(stream, 1_795_315_752_186, 1, 'a', undefined);
    enc.serverFeatures('defaults');
    enc.addEncoded(stream, 1_795_315_752_186, 2, 'b', undefined);
    expect(enc.finish().toString('utf8')).not.toContain('"defaults"');
    enc.addEncoded(stream, 1_795_315_752_186, 3, 'c', undefined);
    enc.serverFeatures('');
    expect(enc.finish().toString('utf8')).toContain('"defaults"');
    enc.addEncoded(stream, 1_795_315_752_186, 4, 'd', undefined);
    expect(enc.finish().toString('utf8')).not.toContain('"defaults"');
    enc.serverFeatures('nodefaults');
    expect(enc.usesDefaults).toBe(false);
  });

  it('says the same as the plain envelopes, for any sequence of entries', () => {
    const streams = [stream, web, new ShipStream(2, Labels.fromObject({ job: 'j', unit: 'x"y' }))];
    const fieldsSets = [undefined, '{"a":"1"}', '{"a":"1","b":"\\u0000"}', '{}'];
    const entry = fc.record({ s: fc.integer({ min: 0, max: 2 }), f: fc.integer({ min: 0, max: 3 }), line: fc.string({ unit: 'binary', maxLength: 20 }), ns: fc.integer({ min: 0, max: 999_999 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (es) => {
        const plain = new VigilNdjsonEncoder();
        const dflt = new VigilNdjsonEncoder();
        dflt.serverFeatures('defaults');
        for (const e of es) {
          const f = fieldsSets[e.f];
          for (const enc of [plain, dflt]) enc.addEncoded(streams[e.s]!, 1_795_315_752_186, e.ns, e.line, f === undefined ? undefined : Buffer.from(f));
        }
        expect(resolveDefaults(dflt.finish())).toEqual(resolveDefaults(plain.finish()));
      }),
      { numRuns: 300 },
    );
  });
});

// resolveDefaults reads an NDJSON body as the gateway does: entries without labels or fields take the last defaults line's.
function resolveDefaults(body: Buffer): unknown[] {
  let d: { labels?: unknown; fields?: unknown } = {};
  const out: unknown[] = [];
  for (const l of body.toString('utf8').split('\n')) {
    if (l === '') continue;
    const o = JSON.parse(l) as { defaults?: { labels?: unknown; fields?: unknown }; ts: string; line: string; labels?: unknown; fields?: unknown };
    if (o.defaults !== undefined) d = o.defaults;
    else out.push({ ts: o.ts, line: o.line, labels: o.labels ?? d.labels, fields: o.fields ?? d.fields });
  }
  return out;
}
