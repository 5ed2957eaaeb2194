// kill -9 during sustained ingest, repeated: a child process appends batches to a DB (with
// small blocks and WAL segments, so kills also land in block writes, compactions, checkpoints
// and segment rotations) and prints every acknowledged (committed) timestamp; the test kills it
// at a random moment, reopens the directory and checks that every acknowledged sample is there,
// with the right value, exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Matcher, MatchType } from '../src/model/index.js';
import { ValueType } from '../src/storage/index.js';
import { Db, type DbOptions } from '../src/tsdb/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const SERIES = 200;
const STEP = 100; // ms of sample time per commit
const OPTS = { minBlockDurationMs: 5000, walSegmentSize: 64 * 1024, retentionMs: 0, compactionIntervalMs: 200, headChunksInMemoryMs: 1000 } as const;
const CYCLES = 10;

const value = (s: number, t: number): number => s * 1e6 + t / STEP;

const CHILD = `
import { Labels } from ${JSON.stringify(join(ROOT, 'src/model/index.ts'))};
import { Db } from ${JSON.stringify(join(ROOT, 'src/tsdb/index.ts'))};
const [dir, startArg] = process.argv.slice(2);
const db = await Db.open({ dir, ...${JSON.stringify(OPTS)} });
const labels = Array.from({ length: ${SERIES} }, (_, s) => Labels.fromStrings('__name__', 'crash_test', 'series', String(s)));
const refs = new Array(${SERIES}).fill(0);
process.stdout.write('ready\\n');
for (let t = Number(startArg); ; t += ${STEP}) {
  const app = db.appender();
  for (let s = 0; s < ${SERIES}; s++) refs[s] = app.append(refs[s], labels[s], t, s * 1e6 + t / ${STEP});
  await app.commit();
  process.stdout.write('ack ' + t + '\\n');
  if ((t / ${STEP}) % 8 === 0) await new Promise((r) => setImmediate(r));
}
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface RunResult {
  readonly acked: number; // highest acknowledged timestamp, -1 if none
  readonly stderr: string;
}

function runAndKill(childPath: string, dir: string, start: number, killAfterMs: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', childPath, dir, String(start)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = -1;
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('ack ')) acked = Number(line.slice(4));
        else if (line === 'ready' && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal} before the kill: ${stderr}`));
      else resolvePromise({ acked, stderr });
    });
  });
}

// verify checks every series holds exactly STEP-spaced samples from 0 through at least `acked`,
// with the right values; returns the highest timestamp stored.
async function verify(dir: string, acked: number): Promise<{ maxT: number; blocks: number; warnings: readonly string[] }> {
  const db = await Db.open({ dir, ...OPTS, autoCompact: false } satisfies DbOptions);
  try {
    const q = await db.querier(-Infinity, Infinity);
    const ss = await q.select([new Matcher(MatchType.Equal, '__name__', 'crash_test')]);
    let maxT = -1;
    let n = 0;
    while (ss.next()) {
      const s = ss.at();
      const id = Number(s.labels.get('series'));
      const it = s.iterator();
      let want = 0;
      while (it.next() !== ValueType.None) {
        const t = it.atT();
        if (t !== want) throw new Error(`series ${id}: expected t=${want}, got ${t} (duplicate or gap)`);
        if (it.atF() !== value(id, t)) throw new Error(`series ${id} t=${t}: value ${it.atF()}, want ${value(id, t)}`);
        want += STEP;
      }
      if (it.err()) throw it.err()!;
      if (want - STEP < acked) throw new Error(`series ${id}: acknowledged up to ${acked}, stored up to ${want - STEP}`);
      maxT = Math.max(maxT, want - STEP);
      n++;
    }
    if (ss.err()) throw ss.err()!;
    await q.close();
    if (acked >= 0 && n !== SERIES) throw new Error(`found ${n} series, want ${SERIES}`);
    return { maxT, blocks: db.blocks().length, warnings: db.warnings() };
  } finally {
    await db.close();
  }
}

describe('TSDB crash safety', () => {
  it(`keeps every acknowledged sample across ${CYCLES} kill -9 cycles during ingest`, { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
    dirs.push(dir);
    const childPath = join(dir, '..', `${dir.split('/').pop()}-child.mts`);
    writeFileSync(childPath, CHILD);
    dirs.push(childPath);
    let next = 0;
    let totalAcked = 0;
    let maxBlocks = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const { acked, stderr } = await runAndKill(childPath, dir, next, 150 + Math.floor(Math.random() * 600));
      expect(stderr).not.toMatch(/Error/);
      const { maxT, blocks } = await verify(dir, acked);
      expect(maxT).toBeGreaterThanOrEqual(acked);
      if (acked >= next) totalAcked += (acked - next) / STEP + 1;
      maxBlocks = Math.max(maxBlocks, blocks);
      next = maxT + STEP;
      if (process.env.CRASH_DEBUG) console.log({ cycle, acked, maxT, blocks });
    }
    // The run must have exercised real work: many commits and block cuts.
    expect(totalAcked).toBeGreaterThan(CYCLES * 20);
    expect(maxBlocks).toBeGreaterThan(0);
  });
});
