// kill -9 during ingest: a child process appends numbered batches and reports each one the
// store acknowledged; the test kills it without warning, several times over, restarting it on
// the same directory. Afterwards every acknowledged entry must be there exactly once, and no
// entry at all may be duplicated.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Matcher, MatchType } from '../src/model/index.js';
import { DiskLogStore } from '../src/logs/store/index.js';

const CHILD = join(import.meta.dirname, 'logs-store-crash-child.ts');
const CYCLES = 6;

function runAndKill(dir: string, start: number, killAfterAcks: number): Promise<{ acked: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        if (!killed && acked.length >= killAfterAcks) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      else resolve({ acked, stderr });
    });
  });
}

describe('log store survives kill -9 during ingest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-logcrash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged entry, exactly once, across repeated crashes', async () => {
    const acked = new Set<number>();
    let next = 0;
    for (let c = 0; c < CYCLES; c++) {
      // Kill after a varying number of acknowledged batches, mid-stream.
      const r = await runAndKill(dir, next, 40 + ((c * 37) % 90));
      expect(r.stderr).not.toMatch(/Error|corruption: .*chunk/);
      for (const k of r.acked) acked.add(k);
      // Batches past the last acknowledged one may or may not have reached the WAL; never reuse their numbers.
      next = Math.max(next, ...r.acked) + 50;
    }
    const store = await DiskLogStore.open({ dir, maintenanceIntervalMs: 0 });
    const seen = new Map<string, number>();
    for await (const b of store.select({ matchers: [new Matcher(MatchType.Regexp, 'app', '.+')], mint: 0, maxt: Number.MAX_SAFE_INTEGER, direction: 'forward', limit: 0 })) {
      for (const e of b.entries) {
        const key = `${b.labels.toString()} ${e.t} ${e.ns} ${e.line}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    await store.close();
    const dups = [...seen].filter(([, n]) => n > 1);
    expect(dups).toEqual([]);
    const batches = new Map<number, number>();
    for (const k of seen.keys()) {
      const m = / batch=(\d+) line=/.exec(k)!;
      const b = Number(m[1]);
      batches.set(b, (batches.get(b) ?? 0) + 1);
    }
    const missing = [...acked].filter((k) => batches.get(k) !== 50);
    expect(missing).toEqual([]);
    expect(acked.size).toBeGreaterThan(CYCLES * 40 - 1);
  }, 240_000);
});
