// JsonLineScan against JSON.parse: every object JSON.parse accepts is accepted, and the
// captured members (time candidates, level, message, Docker's keys) are JSON.parse's values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineScan, JsonSlot, JsonValueKind, LEVEL_KEYS, MESSAGE_KEYS, TIME_KEYS } from './json-scan.js';

const KEY = fc.oneof(fc.constantFrom(...TIME_KEYS, ...LEVEL_KEYS, ...MESSAGE_KEYS, 'log', 'stream', 'kind', 'other'), fc.string({ maxLength: 6 }));
const TEXT = fc.string({ unit: fc.constantFrom('a', '"', '\\', '/', '\n', '\u0001', 'é', '😀', ' ', '{', '}') });
const VALUE = fc.oneof(TEXT, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));

describe('JsonLineScan', () => {
  it('accepts what JSON.parse accepts and captures the same values', () => {
    fc.assert(
      fc.property(fc.dictionary(KEY, VALUE, { maxKeys: 8 }), fc.constantFrom(undefined, 1, '\t'), (obj, indent) => {
        const line = JSON.stringify(obj, null, indent).replace(/\n/g, ' ');
        const sc = new JsonLineScan();
        expect(sc.scan(line)).toBe(true);
        expect(sc.members).toBe(Object.keys(obj).length);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const slot = (i: number): unknown => {
          const v = sc.value(i);
          return v === undefined || sc.kind[i] !== JsonValueKind.Number ? v : Number(v);
        };
        // Level and message: the best-ranked key with a string or number value, as JSON.parse reads it.
        const lvl = LEVEL_KEYS.find((k) => Object.hasOwn(parsed, k));
        if (lvl !== undefined && (typeof parsed[lvl] === 'string' || typeof parsed[lvl] === 'number')) expect(slot(JsonSlot.Level)).toEqual(parsed[lvl]);
        const msg = MESSAGE_KEYS.filter((k) => k !== 'log').find((k) => Object.hasOwn(parsed, k));
        if (msg !== undefined && typeof parsed[msg] === 'string') expect(slot(JsonSlot.Message)).toEqual(parsed[msg]);
        if (typeof parsed.log === 'string') expect(sc.value(JsonSlot.DockerLog)).toBe(parsed.log);
        // Every time key present appears as a candidate with its value.
        const times = new Map<string, unknown>();
        for (let i = 0; i < sc.timeCount; i++) times.set(TIME_KEYS[sc.timeRanks[i]!]!, sc.timeKinds[i] === JsonValueKind.String ? sc.timeValue(i) : undefined);
        for (const k of TIME_KEYS) if (Object.hasOwn(parsed, k) && typeof parsed[k] === 'string') expect(times.get(k)).toBe(parsed[k]);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['{"a":1', 'unexpected end (truncated JSON?)'],
    ['{"a" 1}', 'expected :'],
    ['{"a":1,}', 'expected a string key'],
    ['{"a":"x}', 'unexpected end (truncated JSON?)'],
    ['{"a":"x\\"}', 'unexpected end (truncated JSON?)'],
    ['{"a":1} x', 'data after the object'],
    ['[1]', 'expected {'],
  ])('rejects %j: %s', (line, error) => {
    const sc = new JsonLineScan();
    expect(sc.scan(line)).toBe(false);
    expect(sc.error).toBe(error);
  });

  it('ends a string at the first quote not escaped by an odd run of backslashes', () => {
    const sc = new JsonLineScan();
    expect(sc.scan('{"msg":"a\\\\","level":"x\\\\\\"y"}')).toBe(true);
    expect(sc.value(JsonSlot.Message)).toBe('a\\');
    expect(sc.value(JsonSlot.Level)).toBe('x\\"y');
  });
});
