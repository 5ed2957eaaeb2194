import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readText } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-host-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readText', () => {
  it.each([
    { name: 'empty', size: 0 },
    { name: 'small', size: 100 },
    { name: 'exactly the buffer', size: 64 * 1024 },
    { name: 'larger than the buffer', size: 200 * 1024 + 7 },
  ])('reads a whole $name file, with and without singleRecord', ({ size }) => {
    const text = Array.from({ length: size }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const path = join(dir, `f${size}`);
    writeFileSync(path, text);
    expect(readText(path)).toBe(text);
    expect(readText(path, true)).toBe(text);
  });

  it('reads /proc files made record by record and in one go', () => {
    const a = readText('/proc/self/mountinfo');
    expect(a.endsWith('\n')).toBe(true);
    expect(readText('/proc/self/mountinfo', true).length).toBeGreaterThan(0);
    expect(readText('/proc/loadavg', true)).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+\n$/);
  });

  it('throws for a missing file', () => {
    expect(() => readText(join(dir, 'nope'), true)).toThrow(/ENOENT/);
  });
});
