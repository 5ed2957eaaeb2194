import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const HEAP = resolve(import.meta.dirname, 'agent-heap.ts');

// A child that applies the setting, then keeps 150 000 objects live and promotes garbage past
// them, and reports the largest heap it saw.
function child(env: Record<string, string> = {}, flags: string[] = []): { set: boolean; peakMb: number } {
  const script = `
import { getHeapStatistics } from 'node:v8';
import { keepOldGenerationTight } from ${JSON.stringify(HEAP)};
const set = keepOldGenerationTight();
const live = [];
for (let i = 0; i < 150000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
let keep = [];
let peak = 0;
for (let r = 0; r < 4000; r++) {
  for (let i = 0; i < 200; i++) keep.push({ r, i, s: 'y' + i, arr: new Array(4).fill(i) });
  if (keep.length > 20000) keep = [];
  peak = Math.max(peak, getHeapStatistics().used_heap_size);
}
process.stdout.write(JSON.stringify({ set, peakMb: peak / 1e6, live: live.length }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--max-semi-space-size=1', ...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_AGENT_V8_DEFAULTS: '', ...env },
    timeout: 60_000,
  });
  return JSON.parse(out) as { set: boolean; peakMb: number };
}

describe('keepOldGenerationTight', () => {
  it('keeps the old generation within about 50 % of what survives, where V8 alone lets it grow', () => {
    const tight = child();
    const free = child({ VIGIL_AGENT_V8_DEFAULTS: '1' });
    expect([tight.set, free.set]).toEqual([true, false]);
    expect(tight.peakMb).toBeLessThan(free.peakMb * 0.6);
  });

  it("leaves an operator's own heap growing flag alone (node takes it on its command line only)", () => {
    expect(child({}, ['--heap-growing-percent=50']).set).toBe(false);
  });
});
