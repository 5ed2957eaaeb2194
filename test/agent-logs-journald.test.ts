// journald forwarding end to end with a real systemd-journald (a namespace instance from
// ../shared/recipes/journal-fixture.sh): entries are written, the agent ships them to vigil's
// real log gateway, is killed with SIGKILL mid-stream, more entries are written (and journald
// rotates its file) while it is down, and after a restart the gateway holds every entry
// exactly once. Once with the file reader (the default), once through journalctl, and once
// switching from one to the other across the kill (the cursor carries over).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TestGateway, exactlyOnce, startAgent, until, type AgentChild } from './agent-logs-gateway.js';
import { IN_CI } from './support/peers.js';
import { shared } from './support/shared.js';

const FIXTURE = shared('recipes/journal-fixture.sh');
const JOURNALD = '/lib/systemd/systemd-journald';
const have = existsSync(FIXTURE) && existsSync(JOURNALD) && existsSync('/lib/systemd/systemd-journal-remote') && process.getuid?.() === 0;
if (!have) {
  const msg = 'real peer systemd-journald/systemd-journal-remote (journal-fixture recipe, root) is not available';
  if (IN_CI) throw new Error(msg);
  process.stderr.write(`SKIP: ${msg}\n`);
}
const run = promisify(execFile);

const seqCounts = (entries: { entry: { fields?: Readonly<Record<string, string>> } }[]): Map<number, number> => {
  const m = new Map<number, number>();
  for (const e of entries) {
    const s = Number(e.entry.fields?.VIGIL_SEQ);
    if (Number.isInteger(s)) m.set(s, (m.get(s) ?? 0) + 1);
  }
  return m;
};

describe.skipIf(!have).each([
  { first: 'files', second: 'files' },
  { first: 'journalctl', second: 'journalctl' },
  { first: 'journalctl', second: 'files' },
] as const)('journald forwarding across kill -9 ($first, then $second)', ({ first, second }) => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-agent-journald-'));
  const jd = join(base, 'jd');
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    try {
      execFileSync(FIXTURE, ['journald-down', jd], { stdio: 'ignore' });
    } catch {
      // already down
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('ships every entry exactly once', async () => {
    const up = execFileSync(FIXTURE, ['journald-up', jd, `vigilk${process.pid}${first[0]}${second[0]}`], { encoding: 'utf8' });
    const env = Object.fromEntries(up.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    const journalDir = env.JOURNAL_DIR!;
    const log = (from: number, to: number): Promise<unknown> => run(FIXTURE, ['log', jd, String(from), String(to)]);
    await log(1, 300);
    const gw = await TestGateway.start();
    cleanups.push(() => gw.stop());
    const opts = (reader: 'files' | 'journalctl') => ({
      dataDir: join(base, 'data'),
      host: 'test-host',
      ship: { url: gw.url, flushIntervalMs: 100, backoffMinMs: 100, backoffMaxMs: 1000, drainMs: 0, maxBatchEntries: 50 },
      journald: { directory: journalDir, matches: ['SYSLOG_IDENTIFIER=vigil-writer'], restartDelayMs: 100, reader },
    });
    let agent: AgentChild = await startAgent(opts(first));
    cleanups.push(() => agent.kill9());
    const writing = log(301, 600);
    await until(async () => (await gw.entries()).length >= 150, 30_000, '150 entries shipped');
    await agent.kill9();
    await writing;
    const before = (await gw.entries()).length;
    expect(before).toBeLessThan(600);
    // While the agent is down: journald starts a new file, more entries follow.
    execFileSync(FIXTURE, ['rotate', jd]);
    await log(601, 900);
    agent = await startAgent(opts(second));
    await until(async () => (await gw.entries()).length >= 900, 20_000, '900 entries shipped');
    await new Promise((r) => setTimeout(r, 500));
    // The file reader did not fall back to journalctl.
    expect(agent.output()).not.toMatch(/cannot be read directly/);
    expect(await agent.stop()).toBe(0);
    const entries = await gw.entries();
    expect(exactlyOnce(seqCounts(entries), 900)).toEqual([]);
    const e = entries.find((x) => x.entry.fields?.VIGIL_SEQ === '1')!;
    expect(e.entry.line).toBe('journald message 1');
    expect(e.labels).toMatchObject({ job: 'systemd-journal', identifier: 'vigil-writer', level: 'info' });
    expect(e.entry.fields).toMatchObject({ _TRANSPORT: 'journal', PRIORITY: '6' });
    expect(e.entry.fields!.__CURSOR).toBeUndefined();
  });
});
