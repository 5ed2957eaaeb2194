// The file tailer's cost per line, in-process: a file of N app lines (the agent-load bench's
// timestamped text line with a logfmt tail) read from its start by FileTailer, each line framed,
// parsed (timestamp, level), grouped (multi-line on) and handed to a sink that only counts,
// with the position kept per line as the agent keeps it. Best and median of 7 runs, µs of CPU
// per line (GC included).
//
//   npx tsx bench/agent-logs-tail.bench.ts [lines=200000]
//   VIGIL_BENCH_SRC=<tree>/src npx tsx bench/agent-logs-tail.bench.ts   (another tree's sources, for A/B)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Labels } from '../src/model/index.js';
import type { LogSink, ShipStream as ShipStreamType } from '../src/agent/ship/index.js';

const N = Number(process.argv[2] ?? 200_000);
const src = resolve(process.env.VIGIL_BENCH_SRC ?? resolve(import.meta.dirname, '../src'));
const { FileTailer } = (await import(join(src, 'agent/tail/index.ts'))) as typeof import('../src/agent/tail/index.js');
const { ShipStream } = (await import(join(src, 'agent/ship/index.ts'))) as typeof import('../src/agent/ship/index.js');

const line = (i: number): string =>
  `2026-11-22T02:00:00.${String(i % 1000).padStart(3, '0')}Z INFO file request handled method=GET path=/api/items/${i} status=200 duration_ms=${i % 97} user=u${i % 13} seq=${i}`;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-tail-'));
const file = join(dir, 'app.log');
const parts: string[] = [];
for (let i = 0; i < N; i++) parts.push(line(i));
writeFileSync(file, parts.join('\n') + '\n');

let entries = 0;
const streams = new Map<string, ShipStreamType>();
const positions = new Map<string, unknown>();
const sink: LogSink = {
  writable: true,
  stream(labels: Labels): ShipStreamType {
    const k = labels.key();
    let s = streams.get(k);
    if (s === undefined) streams.set(k, (s = new ShipStream(streams.size, labels)));
    return s;
  },
  add: () => void entries++,
  addEncoded: () => void entries++,
  mark: (source: string, p: unknown) => void positions.set(source, p),
  position: (source: string) => positions.get(source),
  sources: () => [...positions.keys()],
  whenWritable: () => Promise.resolve(),
};

const runs: number[] = [];
for (let rep = 0; rep < 7; rep++) {
  positions.clear();
  entries = 0;
  const t = new FileTailer({ include: [file], sink, startAt: 'beginning' });
  const t0 = process.cpuUsage();
  t.open();
  while (t.step()) {
    // read on until the file is drained
  }
  t.step(Date.now() + 5000); // the quiet spell: the last held line goes out
  const c = process.cpuUsage(t0);
  t.close();
  if (entries !== N) throw new Error(`${entries} entries, want ${N}`);
  runs.push((c.user + c.system) / N);
}
rmSync(dir, { recursive: true, force: true });
runs.sort((a, b) => a - b);
process.stdout.write(`file tailer, ${N} lines (${src}): best ${runs[0]!.toFixed(3)} µs CPU per line, median ${runs[3]!.toFixed(3)}\n`);
