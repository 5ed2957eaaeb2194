// `vigil check config` end to end through runCheck: exit codes and promtool-style output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCheck } from '../src/cli/cmd-check.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}

describe('vigil check', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'vigil-check-'));
  writeFileSync(join(dir, 'rules.yml'), 'groups: []\n');
  writeFileSync(join(dir, 'ok.yml'), 'rule_files: [rules.yml]\nscrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: [missing.json]}]\n');
  writeFileSync(join(dir, 'bad.yml'), 'scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n');
  writeFileSync(join(dir, 'norule.yml'), 'rule_files: [nope.yml]\n');

  it('accepts a good config and lists its rule files', async () => {
    const c = capture();
    expect(await runCheck(['config', join(dir, 'ok.yml')])).toBe(0);
    expect(c.out()).toContain('SUCCESS: 1 rule files found');
    expect(c.out()).toContain(join(dir, 'rules.yml'));
    expect(c.out()).toContain('WARNING: file');
  });

  it('rejects with file, line, column and key', async () => {
    const c = capture();
    expect(await runCheck(['config', join(dir, 'ok.yml'), join(dir, 'bad.yml')])).toBe(1);
    expect(c.err()).toContain(`FAILED: ${join(dir, 'bad.yml')}:3:5: scrape_intervall: field scrape_intervall not found`);
  });

  it('checks that rule files exist unless --syntax-only', async () => {
    let c = capture();
    expect(await runCheck(['config', join(dir, 'norule.yml')])).toBe(1);
    expect(c.err()).toContain('does not point to an existing file');
    vi.restoreAllMocks();
    c = capture();
    expect(await runCheck(['config', '--syntax-only', join(dir, 'norule.yml')])).toBe(0);
  });

  it.each(['rules', 'metrics'])('check %s is refused as unknown (only config is offered)', async (what) => {
    const c = capture();
    expect(await runCheck([what])).toBe(2);
    expect(c.err()).toContain(`unknown check "${what}"`);
  });

  it('validates the logs section: positions in the file, and token files unless --syntax-only', async () => {
    writeFileSync(join(dir, 'logs-bad.yml'), 'scrape_configs: []\nlogs:\n  tcp:\n    long_lines: drop\n');
    writeFileSync(join(dir, 'logs-ok.yml'), 'logs:\n  tokens: [{token_file: web.token, app: web}]\n  tcp: {token: web}\n  syslog: {token: web}\n');
    let c = capture();
    expect(await runCheck(['config', join(dir, 'logs-bad.yml')])).toBe(1);
    expect(c.err()).toContain(`FAILED: ${join(dir, 'logs-bad.yml')}:4:17: long_lines: want truncate or split, got "drop"`);
    vi.restoreAllMocks();
    c = capture();
    expect(await runCheck(['config', join(dir, 'logs-ok.yml')])).toBe(1);
    expect(c.err()).toContain('cannot read token_file');
    vi.restoreAllMocks();
    c = capture();
    expect(await runCheck(['config', '--syntax-only', join(dir, 'logs-ok.yml')])).toBe(0);
    writeFileSync(join(dir, 'web.token'), 'web-token-0123456789abcdef\n');
    vi.restoreAllMocks();
    c = capture();
    expect(await runCheck(['config', join(dir, 'logs-ok.yml')])).toBe(0);
    expect(c.out()).toContain('SUCCESS');
  });

  it('reports a missing file', async () => {
    const c = capture();
    expect(await runCheck(['config', join(dir, 'absent.yml')])).toBe(1);
    expect(c.err()).toContain('cannot read config file');
  });
});
