// kill -9 of `vigil server` while Loki pushes are in flight: after a restart on the same data
// directory every acknowledged entry is there exactly once, and unacknowledged batches are
// there at most once (never duplicated).
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

const PER_BATCH = 200;
const WORKERS = 4;

interface Stream {
  stream: Record<string, string>;
  values: [string, string][];
}

function body(batch: number, baseMs: number): string {
  const values: [string, string][] = [];
  for (let i = 0; i < PER_BATCH; i++) values.push([`${baseMs + batch}${String(i).padStart(6, '0')}`, `crash batch=${batch} line=${i} ${'x'.repeat(40)}`]);
  return JSON.stringify({ streams: [{ stream: { job: 'crash', b: String(batch) }, values }] });
}

describe('kill -9 during ingest', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-logs-crash-'));
  const procs: VigilProcess[] = [];
  afterAll(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
      else rmSync(p.dataDir, { recursive: true, force: true });
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged entry exactly once', async () => {
    const first = await startVigil('server', ['--data.dir', dataDir]);
    procs.push(first);
    const baseMs = Date.now() - 1_800_000;
    const acked = new Set<number>();
    const attempted = new Set<number>();
    let next = 0;
    let killed = false;
    let killing = false;
    let partial = -1;
    const worker = async (): Promise<void> => {
      while (!killed) {
        const b = next++;
        attempted.add(b);
        try {
          const r = await fetch(`${first.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(b, baseMs) });
          if (r.status === 204) acked.add(b);
          else await r.text();
        } catch {
          return; // the server is gone
        }
        // Once enough is acknowledged, start a push whose body is only half sent, and kill the
        // server while it and the workers' pushes are in flight.
        if (acked.size >= 60 && !killing) {
          killing = true;
          partial = next++;
          const text = body(partial, baseMs);
          const u = new URL(first.url);
          const req = httpRequest({ host: u.hostname, port: u.port, path: '/loki/api/v1/push', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } });
          req.on('error', () => {});
          req.write(text.slice(0, text.length >> 1));
          setTimeout(() => {
            killed = true;
            first.child.kill('SIGKILL');
          }, 30);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, () => worker()));
    await new Promise<void>((res) => (first.child.exitCode !== null || first.child.signalCode !== null ? res() : first.child.once('exit', () => res())));
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(60);

    const second = await startVigil('server', ['--data.dir', dataDir]);
    procs.push(second);
    const range = { start: String((baseMs - 60_000) * 1e6), end: String((baseMs + 600_000) * 1e6) };
    const counts = new Map<number, number>();
    const r = await fetch(`${second.url}/loki/api/v1/query?${new URLSearchParams({ query: 'sum by (b) (count_over_time({job="crash"}[1h]))', time: String((baseMs + 600_000) / 1000) })}`);
    expect(r.status).toBe(200);
    for (const s of ((await r.json()) as { data: { result: { metric: { b: string }; value: [number, string] }[] } }).data.result) counts.set(Number(s.metric.b), Number(s.value[1]));
    for (const b of acked) expect(counts.get(b), `acknowledged batch ${b}`).toBe(PER_BATCH);
    // A push whose body never fully arrived stored nothing.
    expect(partial).toBeGreaterThanOrEqual(0);
    expect(counts.get(partial)).toBeUndefined();
    for (const [b, n] of counts) {
      expect(attempted.has(b), `batch ${b} was never sent`).toBe(true);
      expect(n, `batch ${b}`).toBeLessThanOrEqual(PER_BATCH);
    }

    // The acknowledged lines themselves, 20 batches per query: each exactly once, at its timestamp.
    const sorted = [...acked].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i += 20) {
      const group = sorted.slice(i, i + 20);
      const q = `{job="crash", b=~"${group.join('|')}"}`;
      const res = await fetch(`${second.url}/loki/api/v1/query_range?${new URLSearchParams({ query: q, limit: '5000', direction: 'forward', ...range })}`);
      expect(res.status).toBe(200);
      const streams = ((await res.json()) as { data: { result: Stream[] } }).data.result;
      const seen = new Set<string>();
      for (const s of streams) {
        const b = Number(s.stream.b);
        for (const [ts, line] of s.values) {
          const m = /^crash batch=(\d+) line=(\d+) x+$/.exec(line)!;
          expect(Number(m[1])).toBe(b);
          expect(ts).toBe(`${baseMs + b}${m[2]!.padStart(6, '0')}`);
          expect(seen.has(line), `duplicate ${line}`).toBe(false);
          seen.add(line);
        }
      }
      expect(seen.size).toBe(group.length * PER_BATCH);
    }
    expect(await second.stop()).toBe(0);
  }, 120_000);
});
