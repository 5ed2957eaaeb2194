// The log benchmark harness (../shared/bench/logs/logs-bench.sh) with vigil as its candidate,
// small: the built `vigil server` started by the harness itself, pushed to over the Loki API
// (1000-line JSON bodies, 4 in flight), flushed, and asked the 14-query battery. Every answer
// must equal the generator's truth, and the harness's contract (/ready, /flush, WAL empty after
// the flush, stop on SIGTERM) must hold. The store-level battery is logs-store-battery.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './support/vigil-process.js';
import { peer, required } from './support/peers.js';
import { shared } from './support/shared.js';

const HARNESS = shared('bench/logs/logs-bench.sh');
const LINES = Number(process.env.VIGIL_BENCH_BATTERY_LINES ?? 50_000);

interface Result {
  ingest: { lines: number; batches_failed: number; flush_http: string; flush_settled: boolean; disk_by_top: Record<string, number>; disk_bytes_per_line_excl_wal: number };
  visibility_after_flush: { ok: boolean };
  queries: { id: string; correct: boolean; detail?: string }[];
  query_summary: { queries: number; correct: number };
}

describe.skipIf(!required(existsSync(HARNESS), `the log bench harness at ${HARNESS}`) || peer('curl') === undefined)('logs-bench.sh with vigil as the candidate', () => {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-battery-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(`answers all 14 queries right over ${LINES} lines through the server`, async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env = {
      ...process.env,
      SYSTEM: 'candidate',
      CANDIDATE_NAME: 'vigil',
      LINES: String(LINES),
      REPEATS: '1',
      PORT: String(port),
      SETTLE_SECS: '1',
      WORKDIR: join(work, 'runs'),
      RESULTS_DIR: join(work, 'results'),
      MAX_RUN_SECS: '240',
      CANDIDATE_CMD: `node ${BIN} server --data.dir {data}/vigil --logs.path {data} --web.listen-address 127.0.0.1:{port} --logs.tcp-listen-address "" --logs.syslog-listen-address ""`,
    };
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile('bash', [HARNESS], { env, cwd: work, encoding: 'utf8', timeout: 280_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => res({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr }));
    });
    expect(out.code, out.stderr.slice(-3000)).toBe(0);
    const files = readdirSync(join(work, 'results')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const r = JSON.parse(readFileSync(join(work, 'results', files[0]!), 'utf8')) as Result;
    expect(r.ingest.lines).toBe(LINES);
    expect(r.ingest.batches_failed).toBe(0);
    expect(r.ingest.flush_http).toBe('204');
    expect(r.ingest.flush_settled).toBe(true);
    // After the flush the WAL holds nothing the chunks do not.
    expect(r.ingest.disk_by_top.wal ?? 0).toBe(0);
    expect(r.ingest.disk_by_top.chunks).toBeGreaterThan(0);
    expect(r.visibility_after_flush.ok).toBe(true);
    expect(r.queries.filter((q) => !q.correct).map((q) => `${q.id}: ${q.detail ?? ''}`)).toEqual([]);
    expect([r.query_summary.queries, r.query_summary.correct]).toEqual([14, 14]);
  }, 300_000);
});
