import { describe, expect, it } from 'vitest';
import { BufferPool } from './index.js';

describe('BufferPool', () => {
  it('hands out power-of-two buffers and reuses returned ones, keeping a bounded free list', () => {
    const p = new BufferPool({ maxPerClass: 2 });
    const a = p.get(5000);
    expect(a.length).toBe(8192);
    p.put(a);
    expect(p.get(6000)).toBe(a);
    const bs = [p.get(100_000), p.get(100_000), p.get(100_000)];
    for (const b of bs) p.put(b);
    expect(p.freeBytes).toBe(2 * 131072);
    expect(p.get(10).length).toBe(4096);
    p.put(Buffer.alloc(1000)); // not from the pool: ignored
    expect(p.freeBytes).toBe(2 * 131072);
  });
});
