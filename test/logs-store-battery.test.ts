// The log benchmark's query battery, smaller: gen-logs.js data ingested into the disk store as
// pushes would be (1000-line requests, 4 in flight, so batches arrive out of order), flushed,
// served over the Loki HTTP API, and checked by the benchmark's own query-logs.js against
// the generator's truth file. Every one of the 14 answers must be right.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskLogStore } from '../src/logs/store/index.js';
import { BENCH_DIR, generateBatches, ingest, serveLoki } from './logs-battery-support.js';

const LINES = Number(process.env.VIGIL_BATTERY_LINES ?? 100_000);

interface QueryReport {
  id: string;
  correct: boolean;
  detail: string;
  returned: unknown;
  expected: unknown;
}

describe('log query battery (gen-logs.js + query-logs.js)', () => {
  let dir: string;
  let store: DiskLogStore;
  let server: Server;
  let url: string;
  let lineBytes = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-battery-'));
    const endMs = Math.floor(Date.now() / 1000) * 1000;
    const g = generateBatches({ lines: LINES, endMs });
    lineBytes = g.lineBytes;
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(g.truth));
    store = await DiskLogStore.open({ dir: join(dir, 'logs'), maintenanceIntervalMs: 0 });
    await ingest(store, g.batches, 4);
    await store.flush();
    ({ server, url } = await serveLoki(store));
  }, 300_000);

  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the lines compactly and keeps nothing in the WAL after a flush', () => {
    const d = store.diskBytes();
    expect(d.wal).toBe(0);
    expect(store.memoryEntries).toBe(0);
    // The anchor (Loki 2.4.2) keeps 76 bytes per line; at this small size chunks are smaller
    // and relatively larger, so allow some slack, but stay well below the raw text.
    expect(d.chunks / LINES).toBeLessThan(90);
    expect(d.chunks).toBeLessThan(lineBytes / 3);
  });

  it('answers all 14 queries exactly as the truth file says', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [join(BENCH_DIR, 'query-logs.js'), '--url', url, '--truth', join(dir, 'truth.json'), '--repeats', '1', '--timeout-ms', '60000'], { maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
        if (err !== null && stdout === '') reject(new Error(`query-logs.js failed: ${stderr}`));
        else resolve(stdout);
      });
    });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as QueryReport & { summary?: { correct: number; queries: number } });
    const reports = lines.filter((l) => l.summary === undefined);
    const wrong = reports.filter((r) => !r.correct).map((r) => `${r.id}: ${r.detail} (returned ${JSON.stringify(r.returned)}, expected ${JSON.stringify(r.expected)})`);
    expect(wrong).toEqual([]);
    expect(reports).toHaveLength(14);
  }, 300_000);
});
