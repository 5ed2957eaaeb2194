import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FdBudget, KeptFiles } from './kept-files.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-kept-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('KeptFiles', () => {
  it('keeps the descriptor of a single-record file and reads it afresh from offset 0', () => {
    const p = join(dir, 'memory.usage_in_bytes');
    writeFileSync(p, '4096\n');
    const budget = new FdBudget(10);
    const f = new KeptFiles(budget);
    expect(f.read(p, true)).toBe('4096\n');
    expect([f.size, budget.used]).toEqual([1, 1]);
    writeFileSync(p, '123456789\n'); // the same file, rewritten in place
    expect(f.read(p, true)).toBe('123456789\n');
    expect(f.size).toBe(1);
    f.close();
    expect([f.size, budget.used]).toEqual([0, 0]);
  });

  it('opens pid lists per read, reads a missing file as undefined, and keeps nothing for either', () => {
    const procs = join(dir, 'cgroup.procs');
    writeFileSync(procs, '1\n2\n');
    const f = new KeptFiles(new FdBudget(10));
    expect(f.read(procs, false)).toBe('1\n2\n');
    expect(f.read(join(dir, 'memory.kmem.usage_in_bytes'), true)).toBeUndefined();
    expect(f.read(join(dir, 'nodir', 'cpu.stat'), true)).toBeUndefined();
    expect(f.size).toBe(0);
  });

  it('shares one budget: past it files are still read, opened per read', () => {
    const budget = new FdBudget(2);
    const a = new KeptFiles(budget);
    const b = new KeptFiles(budget);
    for (const n of ['a1', 'a2', 'b1']) writeFileSync(join(dir, n), n);
    expect([a.read(join(dir, 'a1'), true), a.read(join(dir, 'a2'), true), b.read(join(dir, 'b1'), true)]).toEqual(['a1', 'a2', 'b1']);
    expect([a.size, b.size, budget.used]).toEqual([2, 0, 2]);
    a.close();
    expect(b.read(join(dir, 'b1'), true)).toBe('b1');
    expect([b.size, budget.used]).toEqual([1, 1]);
    b.close();
  });
});
