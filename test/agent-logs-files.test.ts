// File tailing end to end: an agent process follows a file that a writer keeps appending to,
// ships to vigil's real log gateway, is killed with SIGKILL mid-stream, the file is rotated
// while it is down (by rename, or by copytruncate), and after a restart the gateway holds every
// line exactly once. A second rotation happens while the agent runs.
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestGateway, countSeqs, exactlyOnce, startAgent, until, type AgentChild } from './agent-logs-gateway.js';

const dirs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A writer appending `batch` lines every `everyMs` to a path (re-opened for every write, as a logger that reopens on rotation). */
function writer(path: string, batch = 5, everyMs = 10): { seq: () => number; stop: () => void } {
  let seq = 0;
  const t = setInterval(() => {
    let s = '';
    for (let i = 0; i < batch; i++) s += `2026-11-22T01:00:00.${String(++seq % 1000).padStart(3, '0')}Z INFO request handled seq=${seq} path=/api/items/${seq}\n`;
    appendFileSync(path, s);
  }, everyMs);
  return { seq: () => seq, stop: () => clearInterval(t) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each([
  { rotation: 'rename', rotate: (f: string, n: number) => (renameSync(f, `${f}.${n}`), writeFileSync(f, '')) },
  { rotation: 'copytruncate', rotate: (f: string, n: number) => (copyFileSync(f, `${f}.${n}`), truncateSync(f, 0)) },
])('file tailing across kill -9 and rotation by $rotation', ({ rotation, rotate }) => {
  it('delivers every line exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), `vigil-agent-files-${rotation}-`));
    dirs.push(dir);
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const gw = await TestGateway.start();
    cleanups.push(() => gw.stop());
    const opts = {
      dataDir: join(dir, 'data'),
      host: 'test-host',
      ship: { url: gw.url, flushIntervalMs: 100, backoffMinMs: 100, backoffMaxMs: 1000, drainMs: 0 },
      files: [{ include: [file], startAt: 'beginning' as const, pollIntervalMs: 50, rotateWaitMs: 300, multiline: false, labels: { job: 'app' } }],
    };
    const w = writer(file);
    let agent: AgentChild = await startAgent(opts);
    cleanups.push(() => agent.kill9());
    await until(async () => (await gw.lines()).length >= 300, 30_000, '300 lines shipped');
    await agent.kill9();
    // Down: more lines, a rotation, more lines in the new file.
    await sleep(200);
    rotate(file, 1);
    await sleep(200);
    agent = await startAgent(opts);
    await sleep(500);
    // A live rotation too.
    rotate(file, 2);
    await sleep(500);
    w.stop();
    const n = w.seq();
    await until(async () => (await gw.lines()).length >= n, 30_000, `${n} lines shipped`);
    await sleep(300);
    const stopped = await agent.stop();
    const lines = await gw.lines();
    expect(exactlyOnce(countSeqs(lines), n)).toEqual([]);
    expect(stopped).toBe(0);
    const e = (await gw.entries()).find((x) => x.entry.line.includes(' seq=1 '))!;
    expect(e.labels).toEqual({ filename: file, host: 'test-host', job: 'app', level: 'info' });
    expect(e.entry.t).toBe(Date.parse('2026-11-22T01:00:00.001Z'));
    await gw.stop();
  });
});
