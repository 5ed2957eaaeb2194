// One host collection cycle of the agent (every host collector into a MetricBatch, on this
// machine's /proc and /sys), CPU ms per cycle: best and median of 5 rounds of 10 cycles after
// 20 to warm up. The agent runs the cycle every 10 s, mostly in V8's unoptimized tiers: run it
// also with `node --no-opt --import tsx` for that case.
//
//   npx tsx bench/agent-host-cycle.bench.ts
//   node --no-opt --import tsx bench/agent-host-cycle.bench.ts
//   VIGIL_BENCH_SRC=<tree>/src npx tsx bench/agent-host-cycle.bench.ts   (another tree, for A/B)
import { join, resolve } from 'node:path';

const src = resolve(process.env.VIGIL_BENCH_SRC ?? resolve(import.meta.dirname, '../src'));
const { HostCollector, MetricBatch } = (await import(join(src, 'agent/host/index.ts'))) as typeof import('../src/agent/host/index.js');

const host = new HostCollector({});
for (let i = 0; i < 20; i++) await host.collect(new MetricBatch());
const rounds: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < 10; i++) await host.collect(new MetricBatch());
  const c = process.cpuUsage(t0);
  rounds.push((c.user + c.system) / 10 / 1000);
}
rounds.sort((a, b) => a - b);
const tier = process.execArgv.includes('--no-opt') ? ', --no-opt' : '';
process.stdout.write(`host collection (${src}${tier}): best ${rounds[0]!.toFixed(2)} ms CPU per cycle, median ${rounds[2]!.toFixed(2)}\n`);
