// `vigil agent` with the log side's flags: it follows a file glob and ships to the server given
// with --server (vigil's real gateway here), with the token; positions land under --data.dir.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../src/logs/receive/index.js';
import { TestGateway, until } from './agent-logs-gateway.js';

const ROOT = resolve(import.meta.dirname, '..');
const TOKEN = 'cli-agent-token-0123456789';

describe('vigil agent --logs.*', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships a file glob to --server with --token and stops cleanly', async () => {
    const gw = await TestGateway.start({ tokens: new TokenStore({ tokens: [{ token: TOKEN, app: 'cli' }] }) });
    const logs = join(dir, 'logs');
    const dataDir = join(dir, 'data');
    await import('node:fs').then((fs) => fs.mkdirSync(logs));
    writeFileSync(join(logs, 'a.log'), 'first line\n');
    const argv = [
      'agent', '--server', gw.url, '--token', TOKEN, '--data.dir', dataDir, '--web.listen-address', '',
      '--no-collector.cgroups', '--no-collector.docker', '--no-collector.kmsg', '--no-logs.journald', '--no-logs.docker',
      '--logs.file', join(logs, '*.log'), '--logs.file.start-at', 'beginning', '--logs.flush-interval', '100ms', '--logs.label', 'env=test',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/cli/main.ts').then((m) => m.main(${JSON.stringify(argv)})).then((c) => process.exit(c))`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      await until(async () => (await gw.lines()).includes('first line'), 30_000, `first line shipped:\n${out}`);
      appendFileSync(join(logs, 'a.log'), 'second line\n');
      writeFileSync(join(logs, 'b.log'), 'from b\n');
      await until(async () => (await gw.lines()).length >= 3, 30_000, 'three lines');
      const entries = await gw.entries();
      expect(entries.map((e) => e.entry.line).sort()).toEqual(['first line', 'from b', 'second line']);
      expect(entries.find((e) => e.entry.line === 'from b')!.labels).toMatchObject({ app: 'cli', env: 'test', job: 'varlogs', filename: join(logs, 'b.log') });
      expect(out).toContain('log forwarding');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, 'state', 'log-positions.json'))).toBe(true);
    await gw.stop();
  });
});
