import { describe, expect, it } from 'vitest';
import { ChunkArena } from './index.js';

describe('ChunkArena', () => {
  it('stores byte strings, hands out stable views, and drops buffers once empty', () => {
    const a = new ChunkArena({ bufferSize: 1024 });
    const refs: [number, number][] = [];
    for (let i = 0; i < 40; i++) {
      const data = new Uint8Array(100).fill(i);
      refs.push([a.alloc(data), data.length]);
    }
    expect(a.bytes()).toBe(4 * 1024); // 10 per buffer
    const v = a.get(refs[3]![0], 100);
    expect(v.every((b) => b === 3)).toBe(true);
    for (const [ref, len] of refs.slice(0, 20)) a.free(ref, len);
    expect(a.bytes()).toBe(2 * 1024);
    // A view taken before keeps its bytes even after its buffer was dropped.
    expect(v.every((b) => b === 3)).toBe(true);
    expect(a.liveBytes()).toBe(2000);
    // Larger than a buffer: a buffer of its own.
    const big = a.alloc(new Uint8Array(5000).fill(7));
    expect(a.get(big, 5000)[4999]).toBe(7);
    a.free(big, 5000);
    expect(a.bytes()).toBe(2 * 1024);
  });

  it('rejects a bad buffer size', () => {
    expect(() => new ChunkArena({ bufferSize: 10 })).toThrow(/bufferSize/);
  });
});
