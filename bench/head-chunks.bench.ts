// Head chunk append throughput (HeadChunks, the head's open XOR chunks) on one core, with few
// series (everything in cache) and with as many as a real head (every chunk's tail a cache miss).
// Samples go round-robin over the series, as scrapes deliver them; 120 per chunk.
// Run: npx tsx bench/head-chunks.bench.ts [series counts, default 1000,100000]
import { HeadChunks } from '../src/tsdb/index.js';

const PER_CHUNK = 120;
const COUNTS = (process.argv[2] ?? '1000,100000').split(',').map(Number);

function data(series: number): { ts: Float64Array; vs: Float64Array } {
  // Counters, gauges with 2 decimals and constants; 15 s scrapes with a little jitter.
  const ts = new Float64Array(PER_CHUNK * series);
  const vs = new Float64Array(PER_CHUNK * series);
  let seed = 1;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let s = 0; s < series; s++) {
    let t = 1_704_067_200_000 + s;
    let v = s % 3 === 0 ? 0 : s % 3 === 1 ? 50 : 1;
    for (let i = 0; i < PER_CHUNK; i++) {
      t += 15_000 + (rnd() < 0.1 ? Math.floor(rnd() * 20) - 10 : 0);
      if (s % 3 === 0) v += Math.floor(rnd() * 100);
      else if (s % 3 === 1) v = Math.round((v + rnd() - 0.5) * 100) / 100;
      ts[i * series + s] = t;
      vs[i * series + s] = v;
    }
  }
  return { ts, vs };
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

for (const series of COUNTS) {
  const { ts, vs } = data(series);
  const hc = new HeadChunks();
  hc.ensure(series);
  const round = (): void => {
    for (let s = 0; s < series; s++) hc.reset(s);
    for (let i = 0; i < PER_CHUNK; i++) {
      const o = i * series;
      for (let s = 0; s < series; s++) hc.append(s, ts[o + s]!, vs[o + s]!);
    }
  };
  round(); // warm up
  const reps = Math.max(1, Math.round(600_000 / (PER_CHUNK * series)));
  const trials = Math.max(5, Math.round(24e6 / (PER_CHUNK * series * reps)));
  const rs: number[] = [];
  for (let k = 0; k < trials; k++) {
    const t0 = cpu();
    for (let r = 0; r < reps; r++) round();
    rs.push((reps * PER_CHUNK * series) / (cpu() - t0));
  }
  rs.sort((a, b) => a - b);
  const f = (x: number): string => (x / 1e6).toFixed(1);
  console.log(
    `head chunks, ${series} series: ${f(rs[rs.length >> 1]!)} M samples/s per CPU second median (min ${f(rs[0]!)}, max ${f(rs[rs.length - 1]!)}; ${trials} trials)`,
  );
}
console.log(`(load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
