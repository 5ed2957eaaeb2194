import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_FLAGS, agentToken } from './cmd-agent.js';
import { FlagError, parseFlags } from './flags.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function token(...argv: string[]): string | undefined {
  return agentToken(parseFlags(argv, AGENT_FLAGS));
}

describe('agent token flags', () => {
  it('takes --token, or --token-file trimmed, or none', () => {
    const f = join(dir, 'ok');
    writeFileSync(f, '  0123456789abcdef-web\n');
    expect(token('--token=abc')).toBe('abc');
    expect(token(`--token-file=${f}`)).toBe('0123456789abcdef-web');
    expect(token()).toBeUndefined();
  });

  it.each([
    [['--token=abc', '--token-file=/etc/hostname'], 'give one of them'],
    [['--token-file=/nonexistent/token'], 'cannot read /nonexistent/token'],
    [['--token-file=EMPTY'], 'is empty'],
  ])('refuses %j with a clear error', (argv, msg) => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n \n');
    const args = argv.map((a) => a.replace('EMPTY', empty));
    expect(() => token(...args)).toThrow(FlagError);
    expect(() => token(...args)).toThrow(msg);
  });
});
