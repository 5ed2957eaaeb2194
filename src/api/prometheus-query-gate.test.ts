import { describe, expect, it } from 'vitest';
import { QueryGate } from './prometheus-query-gate.js';

describe('QueryGate', () => {
  it('admits up to maxConcurrent at once and the rest in arrival order', async () => {
    const gate = new QueryGate({ maxConcurrent: 2 });
    const order: number[] = [];
    const r1 = await gate.acquire(Infinity);
    const r2 = await gate.acquire(Infinity);
    const p3 = gate.acquire(Infinity).then((r) => (order.push(3), r));
    const p4 = gate.acquire(Infinity).then((r) => (order.push(4), r));
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(2);
    r2();
    r2(); // a second release is a no-op
    const r3 = await p3;
    expect(gate.running).toBe(2);
    r1();
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(gate.running).toBe(0);
  });

  it('times out in the queue, and at once for -Infinity', async () => {
    const gate = new QueryGate({ maxConcurrent: 1 });
    await expect(gate.acquire(-Infinity)).rejects.toThrow('query timed out in query queue');
    const r = await gate.acquire(performance.now()); // a free slot is granted to any deadline
    await expect(gate.acquire(performance.now() + 20)).rejects.toThrow('query timed out in query queue');
    expect(gate.waiting).toBe(0);
    r();
    expect(gate.running).toBe(0);
  });

  it('cancels a waiting query when its signal aborts', async () => {
    const gate = new QueryGate({ maxConcurrent: 1 });
    const r = await gate.acquire(Infinity);
    const ac = new AbortController();
    const p = gate.acquire(Infinity, ac.signal);
    ac.abort();
    await expect(p).rejects.toThrow('query was canceled in query queue');
    r();
    expect(gate.running).toBe(0);
  });

  it('validates its options', () => {
    expect(() => new QueryGate({ maxConcurrent: 0 })).toThrow('QueryGateOptions.maxConcurrent must be a positive integer');
  });
});
