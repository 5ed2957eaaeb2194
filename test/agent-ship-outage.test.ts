// A server outage while lines keep coming: the agent process buffers them in its disk queue,
// retries with backoff, and once the gateway is back every line arrives exactly once. The
// outage lasts VIGIL_OUTAGE_MS (default 6 s; the figure quoted in the notes was measured with
// 120 000). A second outage is a network cut in namespaces (netns-pair.sh) when available.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestGateway, countSeqs, exactlyOnce, startAgent, until } from './agent-logs-gateway.js';
import { required } from './support/peers.js';
import { shared } from './support/shared.js';

const OUTAGE_MS = Number(process.env.VIGIL_OUTAGE_MS ?? 6000);
const dirs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function queueBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

describe('server outage', () => {
  it(`loses nothing over a ${OUTAGE_MS} ms outage and repeats nothing`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-outage-'));
    dirs.push(dir);
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const gw = await TestGateway.start();
    cleanups.push(() => gw.stop());
    const dataDir = join(dir, 'data');
    const agent = await startAgent({
      dataDir,
      ship: { url: gw.url, flushIntervalMs: 200, backoffMinMs: 200, backoffMaxMs: 2000, timeoutMs: 2000, drainMs: 0 },
      files: [{ include: [file], startAt: 'beginning', pollIntervalMs: 50, multiline: false }],
    });
    cleanups.push(() => agent.kill9());
    let seq = 0;
    const write = setInterval(() => {
      let s = '';
      for (let i = 0; i < 20; i++) s += `outage test line seq=${++seq}\n`;
      appendFileSync(file, s);
    }, 20);
    try {
      await until(async () => (await gw.lines()).length >= 200, 20_000, 'first lines');
      await gw.stop();
      const before = queueBytes(join(dataDir, 'log-queue'));
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      // The queue held what was read meanwhile.
      expect(queueBytes(join(dataDir, 'log-queue'))).toBeGreaterThan(before);
      await gw.listen();
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      clearInterval(write);
    }
    await until(async () => (await gw.lines()).length >= seq, 60_000, `${seq} lines`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await agent.stop()).toBe(0);
    expect(exactlyOnce(countSeqs(await gw.lines()), seq)).toEqual([]);
  }, OUTAGE_MS + 90_000);
});

const NETNS = shared('recipes/netns-pair.sh');
const canNetns = required(process.getuid?.() === 0 && existsSync(NETNS) && existsSync('/usr/sbin/ip'), 'root, iproute2 and the netns-pair recipe');

describe.skipIf(!canNetns)('network cut between two namespaces', () => {
  it('resumes after the link comes back, every line once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cut-'));
    dirs.push(dir);
    const name = `vk${process.pid % 100000}`;
    const up = execFileSync(NETNS, ['up', name], { encoding: 'utf8' });
    cleanups.push(async () => execFileSync(NETNS, ['down', name], { stdio: 'ignore' }));
    const env = Object.fromEntries(up.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    // The gateway runs in the server namespace; its count is read through a file it rewrites.
    const countFile = join(dir, 'count.json');
    const gwChild = await startNetnsGateway(env.SERVER_NS!, env.SERVER_IP!, countFile);
    cleanups.push(() => gwChild.stop());
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const agent = await startAgent(
      {
        dataDir: join(dir, 'data'),
        ship: { url: `http://${env.SERVER_IP}:19231`, flushIntervalMs: 200, backoffMinMs: 200, backoffMaxMs: 2000, timeoutMs: 2000, drainMs: 0 },
        files: [{ include: [file], startAt: 'beginning', pollIntervalMs: 50, multiline: false }],
      },
      30_000,
      env.AGENT_NS,
    );
    cleanups.push(() => agent.kill9());
    let seq = 0;
    const write = setInterval(() => {
      let s = '';
      for (let i = 0; i < 20; i++) s += `cut test line seq=${++seq}\n`;
      appendFileSync(file, s);
    }, 20);
    const counts = (): Map<number, number> => readCounts(countFile);
    try {
      await until(() => counts().size >= 200, 20_000, 'first lines through the link');
      execFileSync(NETNS, ['cut', name, 'down']);
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      execFileSync(NETNS, ['heal', name]);
    } finally {
      clearInterval(write);
    }
    await until(() => counts().size >= seq, 60_000, `${seq} lines after the cut`);
    await new Promise((r) => setTimeout(r, 500));
    expect(await agent.stop()).toBe(0);
    expect(exactlyOnce(counts(), seq)).toEqual([]);
  }, OUTAGE_MS + 90_000);
});

function readCounts(file: string): Map<number, number> {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    return new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
  } catch {
    return new Map();
  }
}

async function startNetnsGateway(ns: string, ip: string, countFile: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'agent-logs-gateway-child.ts'), ip, '19231', countFile], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await until(() => out.includes('gateway-ready') || child.exitCode !== null, 30_000, 'gateway in the namespace');
  if (child.exitCode !== null) throw new Error(`gateway exited: ${out}`);
  return {
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
