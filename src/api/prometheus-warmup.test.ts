import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { warmUpQueryPath } from './prometheus-warmup.js';

const parent = mkdtempSync(join(tmpdir(), 'vigil-warmup-test-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('warmUpQueryPath', () => {
  it.each([
    { name: 'one round runs every query shape and leaves no files', rounds: 1, budgetMs: 60_000, minQueries: 22 },
    { name: 'an exhausted budget stops before any query', rounds: 5, budgetMs: -1, minQueries: 0 },
  ])('$name', async ({ rounds, budgetMs, minQueries }) => {
    const r = await warmUpQueryPath({ rounds, budgetMs, tmpDir: parent });
    expect(r.queries).toBe(minQueries);
    if (minQueries > 0) expect(r.bytes).toBeGreaterThan(10_000);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await warmUpQueryPath({ signal: ac.signal, tmpDir: parent });
    expect(r.queries).toBe(0);
  });
});
