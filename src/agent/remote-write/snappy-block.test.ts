import fc from 'fast-check';
import { compressSync, uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { compressSnappyBlock, maxCompressedLength } from './index.js';

/** roundTrip checks that the reference decoder gives back the input and that the size stays within the format's bound. */
function roundTrip(input: Uint8Array): Buffer {
  const c = compressSnappyBlock(input);
  expect(c.length).toBeLessThanOrEqual(maxCompressedLength(input.length));
  expect(Buffer.compare(uncompressSync(c, { asBuffer: true }) as Buffer, Buffer.from(input))).toBe(0);
  return c;
}

const text = (n: number): Uint8Array => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `container_memory_usage_bytes{id="/docker/${(i % 97).toString(16).padStart(64, 'b')}",name="c${i % 97}"} ${i * 4096}\n`;
  return Buffer.from(s.slice(0, n));
};

describe('compressSnappyBlock', () => {
  it.each([
    { name: 'empty', input: new Uint8Array(0) },
    { name: 'one byte', input: Uint8Array.of(7) },
    { name: 'short text', input: Buffer.from('hello, hello, hello') },
    { name: 'a run of one byte (overlapping copies)', input: new Uint8Array(100_000).fill(0x61) },
    { name: 'literal of 60 bytes then a repeat', input: Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX'.repeat(3)) },
    { name: 'labels text over several 64 KiB blocks', input: text(300_000) },
    { name: 'random bytes (incompressible)', input: Uint8Array.from({ length: 70_000 }, (_, i) => (Math.imul(i, 2654435761) >>> 13) & 0xff) },
    { name: 'long literal then copies far apart', input: Buffer.concat([Uint8Array.from({ length: 5000 }, (_, i) => (Math.imul(i, 2654435761) >>> 11) & 0xff), Buffer.alloc(10, 1), Uint8Array.from({ length: 5000 }, (_, i) => (Math.imul(i, 2654435761) >>> 11) & 0xff)]) },
  ])('round-trips $name', ({ input }) => {
    roundTrip(input);
  });

  it('compresses label-heavy protobuf-like text about as well as the native library', () => {
    const input = text(200_000);
    const ours = roundTrip(input).length;
    const native = (compressSync(Buffer.from(input)) as Buffer).length;
    expect(ours).toBeLessThan(native * 1.15);
  });

  it('round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 40 }), (chunk, times) => {
        // Repeating a random chunk gives copies of every length and offset.
        const input = new Uint8Array(chunk.length * times);
        for (let k = 0; k < times; k++) input.set(chunk, k * chunk.length);
        roundTrip(input);
        roundTrip(chunk);
      }),
      { numRuns: 300 },
    );
  });
});
