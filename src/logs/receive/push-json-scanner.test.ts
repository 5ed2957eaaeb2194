import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Labels } from '../../model/index.js';
import { batchEntries, LineBatchBuilder } from '../store/index.js';
import { decodePushJson, streamLabelsOfJson } from './loki-push.js';
import { scanPushJson } from './push-json-scanner.js';

type Decoded = { labels: string; t: number; ns: number; line: string; fields?: unknown }[];

// slow decodes a body the reference way (JSON.parse), or returns the error message.
function slow(body: Buffer): Decoded | string {
  const out: Decoded = [];
  try {
    decodePushJson(body.toString('utf8'), (l, es) => {
      for (const e of es) out.push({ labels: l.toString(), t: e.t, ns: e.ns, line: e.line, ...(e.fields ? { fields: e.fields } : {}) });
    });
  } catch (e) {
    return (e as Error).message;
  }
  return out;
}

// fast decodes a body with the scanner; undefined when it left the body to the slow path.
function fast(body: Buffer): Decoded | string | undefined {
  const copy = Buffer.from(body);
  const b = new LineBatchBuilder(4);
  let ok: boolean;
  try {
    ok = scanPushJson(copy, b, (buf, s, e, si): Labels => streamLabelsOfJson(buf.toString('utf8', s, e), si));
  } catch (e) {
    return (e as Error).message;
  }
  if (!ok) {
    expect(b.count).toBe(0);
    expect(copy.equals(body)).toBe(true);
    return undefined;
  }
  const out: Decoded = [];
  for (let r = 0; r < b.runs; r++) {
    const from = r === 0 ? 0 : b.runEnd[r - 1]!;
    for (const e of batchEntries(b, from, b.runEnd[r]!)) out.push({ labels: b.runLabels[r]!.toString(), t: e.t, ns: e.ns, line: e.line, ...(e.fields ? { fields: e.fields } : {}) });
  }
  return out;
}

// The slow path sorts nothing and groups nothing either: both list entries in body order.
function agree(body: Buffer): 'fast' | 'slow' {
  const f = fast(body);
  if (f === undefined) return 'slow';
  const s = slow(body);
  if (typeof f === 'string') expect(typeof s).toBe('string');
  else expect(f).toEqual(s);
  return 'fast';
}

const ns = fc.bigInt({ min: 0n, max: 9_999_999_999_999_999_999n }).map((x) => x.toString());
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', 'a"b', 'x\\y', 'tab\there', 'nl\nx', '\u0000', '\u2028', '😀 ü'));
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
const stream = fc.record({
  stream: fc.dictionary(labelName, text, { minKeys: 1, maxKeys: 4 }),
  values: fc.array(fc.tuple(ns, text), { maxLength: 6 }),
});
const body = fc.record({ streams: fc.array(stream, { maxLength: 4 }) });

describe('scanPushJson', () => {
  it('takes the bodies clients send and decodes them as JSON.parse does', () => {
    const b = Buffer.from(JSON.stringify({ streams: [{ stream: { app: 'web', pod: 'a' }, values: [['1700000000123456789', 'GET /x "quoted" \\ back'], ['1700000000000000001', 'ü😀\n']] }, { values: [['5', '']], stream: { app: 'db' } }] }));
    expect(agree(b)).toBe('fast');
    expect(fast(b)).toEqual([
      { labels: '{app="web", pod="a"}', t: 1700000000123, ns: 456789, line: 'GET /x "quoted" \\ back' },
      { labels: '{app="web", pod="a"}', t: 1700000000000, ns: 1, line: 'ü😀\n' },
      { labels: '{app="db"}', t: 0, ns: 5, line: '' },
    ]);
  });

  it('agrees with the JSON.parse decoder on any body a client could send (property)', () => {
    let fastCount = 0;
    fc.assert(
      fc.property(body, fc.constantFrom(0, 2), (o, indent) => {
        if (agree(Buffer.from(JSON.stringify(o, null, indent))) === 'fast') fastCount++;
      }),
      { numRuns: 400 },
    );
    // Most well-formed bodies go the fast way (the rest: e.g. duplicate stream keys, invalid labels).
    expect(fastCount).toBeGreaterThan(200);
  });

  it('changes nothing and takes nothing it cannot read exactly (property over mangled bodies)', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.integer({ min: 0, max: 255 }), (o, at, byte) => {
        const b = Buffer.from(JSON.stringify(o));
        if (b.length > 0) b[at % b.length] = byte;
        agree(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves other forms to the slow path: structured metadata, label strings, numbers, unknown keys', () => {
    for (const o of [
      { streams: [{ stream: { a: 'b' }, values: [['1', 'x', { trace_id: 't' }]] }] },
      { streams: [{ labels: '{a="b"}', entries: [{ ts: '2024-01-01T00:00:00Z', line: 'x' }] }] },
      { streams: [{ stream: { a: 'b' }, values: [[1, 'x']] }] },
      { streams: [{ stream: { a: 'b' }, values: [['1', 'x']], extra: 1 }] },
    ]) {
      expect(fast(Buffer.from(JSON.stringify(o)))).toBeUndefined();
    }
  });
});
