// Start-up after a crash: how fast the head is rebuilt from the WAL (series records, sample
// records, XOR chunk appends), in samples per CPU second and wall time, for 100 k series.
// Run: npx tsx bench/head-replay.bench.ts [series, default 100000] [samples per series, default 240]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../src/model/index.js';
import type { SeriesRef } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';

const SERIES = Number(process.argv[2] ?? 100_000);
const PER = Number(process.argv[3] ?? 240);
const BATCH = 2000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  const labels = Array.from({ length: SERIES }, (_, i) =>
    Labels.fromStrings('__name__', ['node_cpu_seconds_total', 'container_memory_working_set_bytes', 'http_requests_total'][i % 3]!, 'instance', `10.0.${(i >> 8) & 255}.${i & 255}:9100`, 'job', 'node', 'pod', `pod-${i >> 6}`),
  );
  const refs: (SeriesRef | 0)[] = new Array(SERIES).fill(0);
  let db = await Db.open({ dir, autoCompact: false });
  const t0 = Date.UTC(2024, 0, 1);
  for (let k = 0; k < PER; k++) {
    for (let b = 0; b < SERIES; b += BATCH) {
      const app = db.appender();
      for (let i = b; i < Math.min(SERIES, b + BATCH); i++) refs[i] = app.append(refs[i]!, labels[i]!, t0 + k * 5000, i % 3 === 0 ? k * 0.25 + i : Math.round(Math.sin(k + i) * 1000));
      await app.commit();
    }
  }
  const walBytes = db.head.wal?.size() ?? 0;
  // Crash: no close (the WAL stays as the OS has it).
  db = undefined as unknown as Db;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const db2 = await Db.open({ dir, autoCompact: false, noLockfile: true });
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  const samples = db2.replay.samples;
  console.log(
    JSON.stringify({
      bench: 'head-replay',
      series: db2.head.numSeries(),
      samples,
      wal_bytes: walBytes,
      replay_wall_s: +(wall / 1000).toFixed(2),
      replay_cpu_s: +((c.user + c.system) / 1e6).toFixed(2),
      samples_per_cpu_s: Math.round(samples / ((c.user + c.system) / 1e6)),
    }),
  );
  await db2.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
