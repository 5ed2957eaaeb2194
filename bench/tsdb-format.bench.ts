// Disk bytes per sample of backfilled blocks: vigil vs promtool on the dataset of
// ../shared/bench/bytes-per-sample.sh (gen-dataset.js, same series model). Prints a JSON line
// per system and the ratio. Defaults are a smaller dataset of the same shape; --full runs the
// anchor's size (5 targets × 2000 series × 12 h at 15 s: 28.8 M samples, ~5 GB of text).
//
//   npx tsx bench/tsdb-format.bench.ts [--full] [--targets N] [--series N] [--hours N] [--keep]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runTsdb } from '../src/cli/cmd-tsdb.js';
import { Matcher, MatchType } from '../src/model/index.js';
import { MergeSeriesSet, ValueType } from '../src/storage/index.js';
import { openBlocks } from '../src/tsdb/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const full = args.includes('--full');
const targets = opt('targets', full ? 5 : 1);
const series = opt('series', full ? 2000 : 500);
const hours = opt('hours', 12);
const BENCH = process.env.SHARED_BENCH ?? '/work/shared/bench';
const work = `/tmp/vigil-bench/tsdb-format-${process.pid}`;
mkdirSync(work, { recursive: true });
const om = join(work, 'data.om');

function dirBytes(p: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    const st = statSync(d);
    if (st.isDirectory()) for (const e of readdirSync(d)) walk(join(d, e));
    else if (st.isFile()) {
      bytes += st.size;
      files++;
    }
  };
  walk(p);
  return { bytes, files };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

try {
  const t0 = Date.now();
  execFileSync('node', [
    join(BENCH, 'gen-dataset.js'),
    ...['--targets', String(targets), '--series', String(series), '--hours', String(hours), '--interval', '15', '--seed', '1'],
    ...['--churn', '0.1', '--churn-period', '21600', '--start', '1704067200', '--format', 'openmetrics'],
    ...['--out', om, '--summary', om + '.json'],
  ]);
  const ds = JSON.parse(readFileSync(om + '.json', 'utf8')) as { series: number; samples: number; bytes: number };
  console.log(`dataset: ${ds.series} series, ${ds.samples} samples, ${(ds.bytes / 1e6).toFixed(1)} MB of OpenMetrics (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // vigil, in process.
  const vdir = join(work, 'vigil');
  const c0 = cpuSeconds();
  const w0 = Date.now();
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  let code: number;
  try {
    code = await runTsdb(['create-blocks-from', 'openmetrics', '--max-block-duration=24h', om, vdir]);
  } finally {
    process.stdout.write = orig;
  }
  if (code !== 0) throw new Error(`vigil backfill exited ${code}`);
  const vcpu = cpuSeconds() - c0;
  const vwall = (Date.now() - w0) / 1000;
  const v = dirBytes(vdir);

  // promtool.
  const pdir = join(work, 'promtool');
  const w1 = Date.now();
  execFileSync('/usr/bin/time', ['-f', '%U %S', '-o', join(work, 'ptime'), 'promtool', 'tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', om, pdir], {
    stdio: 'ignore',
  });
  const pwall = (Date.now() - w1) / 1000;
  const [pu, ps] = readFileSync(join(work, 'ptime'), 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  const p = dirBytes(pdir);

  // Are the blocks the same bytes (ULIDs aside)?
  const blocks = (d: string): string[] => readdirSync(d).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
  const vb = blocks(vdir);
  const pb = blocks(pdir);
  let identical = vb.length === pb.length;
  for (let i = 0; identical && i < vb.length; i++) {
    for (const f of ['index', 'chunks']) {
      const a = join(vdir, vb[i]!, f);
      const b = join(pdir, pb[i]!, f);
      const files = statSync(a).isDirectory() ? readdirSync(a).map((x) => [join(a, x), join(b, x)]) : [[a, b]];
      for (const [x, y] of files) if (!existsSync(y!) || Buffer.compare(readFileSync(x!), readFileSync(y!)) !== 0) identical = false;
    }
  }
  const line = (system: string, d: { bytes: number; files: number }, cpu: number, wall: number, nb: number): string =>
    JSON.stringify({
      benchmark: 'tsdb-format bytes-per-sample',
      system,
      samples: ds.samples,
      series: ds.series,
      blocks: nb,
      disk_bytes: d.bytes,
      disk_files: d.files,
      bytes_per_sample: Math.round((d.bytes / ds.samples) * 10000) / 10000,
      load_cpu_s: Math.round(cpu * 100) / 100,
      load_wall_s: Math.round(wall * 100) / 100,
      load_cpu_us_per_sample: Math.round((cpu * 1e6 * 1000) / ds.samples) / 1000,
    });
  console.log(line('vigil', v, vcpu, vwall, vb.length));
  console.log(line('promtool 2.42', p, pu + ps, pwall, pb.length));
  console.log(`ratio vigil/promtool bytes per sample: ${(v.bytes / p.bytes).toFixed(4)}; blocks byte-identical (ULIDs aside): ${identical}`);

  // Read throughput: every sample through Block.open + querier (index lookups, lazy chunk reads,
  // decoding), twice: the first pass includes JIT warm-up.
  const scan = async (): Promise<[number, number]> => {
    const r0 = cpuSeconds();
    const { blocks: opened } = await openBlocks(vdir);
    const qs = opened.map((b) => b.querier(-Infinity, Infinity));
    const ss = new MergeSeriesSet(qs.map((q) => q.selectSync([new Matcher(MatchType.Regexp, '__name__', '.+')])));
    let read = 0;
    let sum = 0;
    while (ss.next()) {
      const it = ss.at().iterator();
      while (it.next() === ValueType.Float) {
        sum += it.atF();
        read++;
      }
    }
    for (const q of qs) await q.close();
    for (const b of opened) await b.close();
    return [read + (sum === 42 ? 0 : 0), cpuSeconds() - r0];
  };
  await scan();
  const [read, rcpu] = await scan();
  console.log(`vigil full scan of its blocks: ${read} samples in ${rcpu.toFixed(2)} CPU s = ${(read / rcpu / 1e6).toFixed(1)} M samples/s (second pass)`);
} finally {
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
