// TSDB ingest: CPU µs per appended sample and RSS bytes per active series, for the workload of
// ../shared/bench/metrics-bench.sh (50 targets × 2000 series ≈ 100 k series, 5 s scrapes, 10 %
// of pods churning every 600 s), in process and without HTTP or parsing: the targets' samples
// are generated first (from ../shared/bench/targets.js, the harness's own series model) into
// flat arrays, then appended target by target, one appender per scrape, with refs cached per
// series as a scrape loop caches them. The WAL is on (snappy, like Prometheus).
//
// The samples are generated in a child process and handed over in a file, so the generator's
// garbage never inflates this process. CPU is the whole process's (GC and the WAL write
// included) over the ingest phase only. RSS is the whole process's after ingest minus the
// loaded sample arrays (their size is known exactly); the per-series label sets the "scraper"
// keeps stay in, as Prometheus's scrape cache does.
//
// Run: npx tsx bench/tsdb-ingest.bench.ts [ticks, default 60 = 5 min] [targets] [series per target]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Labels } from '../src/model/index.js';
import type { SeriesRef } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const TICKS = Number(process.argv[2] ?? 60);
const TARGETS = Number(process.argv[3] ?? 50);
const SERIES = Number(process.argv[4] ?? 2000);
const INTERVAL_MS = 5000;

interface TargetModel {
  readonly fams: unknown[];
}
const require = createRequire(import.meta.url);
const gen = require('/work/shared/bench/targets.js') as {
  buildTarget(t: number, o: { seed: number; series: number; churn: number; churnPeriod: number; tick: number }): TargetModel;
  render(target: TargetModel, k: number, extra?: string): { text: string; samples: number };
};

interface Entry {
  readonly labels: Labels;
  ref: SeriesRef | 0;
}

// parseLabels reads `name{a="b",…}` of the generator's own output (no escapes in it).
function parseLabels(prefix: string, instance: string): Labels {
  const nv: string[] = ['__name__', '', 'instance', instance, 'job', 'synthetic'];
  const brace = prefix.indexOf('{');
  nv[1] = brace < 0 ? prefix : prefix.slice(0, brace);
  if (brace >= 0) {
    for (const m of prefix.slice(brace + 1, prefix.lastIndexOf('}')).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
      nv.push(Buffer.from(m[1]!).toString(), Buffer.from(m[2]!).toString());
    }
  }
  return Labels.fromStrings(...nv);
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1) + ' MiB';

function generate(): { entries: Entry[]; idx: Int32Array; vals: Float64Array; counts: Int32Array; stride: number } {
  const targets = Array.from({ length: TARGETS }, (_, t) => gen.buildTarget(t, { seed: 1, series: SERIES, churn: 0.1, churnPeriod: 600, tick: 5 }));
  const stride = SERIES + 64;
  const idx = new Int32Array(TICKS * TARGETS * stride);
  const vals = new Float64Array(TICKS * TARGETS * stride);
  const counts = new Int32Array(TICKS * TARGETS);
  const entries: Entry[] = [];
  const caches = targets.map(() => new Map<string, number>());
  for (let k = 0; k < TICKS; k++) {
    for (let ti = 0; ti < TARGETS; ti++) {
      const { text } = gen.render(targets[ti]!, k);
      const cache = caches[ti]!;
      const base = (k * TARGETS + ti) * stride;
      let n = 0;
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        if (text.charCodeAt(start) !== 35) {
          const sp = text.lastIndexOf(' ', end);
          const prefix = text.slice(start, sp);
          let e = cache.get(prefix);
          if (e === undefined) {
            e = entries.length;
            entries.push({ labels: parseLabels(prefix, `127.0.0.1:${19100 + ti}`), ref: 0 });
            cache.set(Buffer.from(prefix).toString(), e);
          }
          idx[base + n] = e;
          vals[base + n] = Number(text.slice(sp + 1, end));
          n++;
        }
        start = end + 1;
      }
      counts[k * TARGETS + ti] = n;
    }
  }
  return { entries, idx, vals, counts, stride };
}

// The generator child writes: u32 header length, the JSON header {labels, counts, stride},
// zeros up to a multiple of 8 bytes, then vals (Float64Array) and idx (Int32Array).
function writeData(path: string): void {
  const { entries, idx, vals, counts, stride } = generate();
  const header = Buffer.from(JSON.stringify({ labels: entries.map((e) => e.labels.pairs()), counts: [...counts], stride }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const pad = Buffer.alloc((8 - ((4 + header.length) % 8)) % 8);
  writeFileSync(path, Buffer.concat([len, header, pad, Buffer.from(vals.buffer), Buffer.from(idx.buffer)]));
}

function readData(path: string): { entries: Entry[]; idx: Int32Array; vals: Float64Array; counts: Int32Array; stride: number; bytes: number } {
  const buf = readFileSync(path);
  const hlen = buf.readUInt32LE(0);
  const h = JSON.parse(buf.subarray(4, 4 + hlen).toString()) as { labels: string[][]; counts: number[]; stride: number };
  const off = 4 + hlen + ((8 - ((4 + hlen) % 8)) % 8);
  const n = h.counts.length * h.stride;
  const ab = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + n * 12);
  return {
    entries: h.labels.map((nv) => ({ labels: Labels.fromSortedPairs(nv), ref: 0 })),
    vals: new Float64Array(ab, 0, n),
    idx: new Int32Array(ab, n * 8, n),
    counts: Int32Array.from(h.counts),
    stride: h.stride,
    bytes: ab.byteLength,
  };
}

async function main(): Promise<void> {
  if (process.env.TSDB_INGEST_GENERATE !== undefined) {
    writeData(process.env.TSDB_INGEST_GENERATE);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
  const file = join(scratch, 'samples.bin');
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    env: { ...process.env, TSDB_INGEST_GENERATE: file },
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`generator failed: ${r.status ?? r.signal}`);
  const { entries, idx, vals, counts, stride, bytes } = readData(file);
  rmSync(scratch, { recursive: true, force: true });
  gc();
  gc();
  const before = process.memoryUsage();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
  const db = await Db.open({ dir });
  const t0 = Date.UTC(2024, 0, 1);
  let samplesFirst = 0;
  let samplesSteady = 0;
  let cpuFirst = 0;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let cs = c0;
  for (let k = 0; k < TICKS; k++) {
    if (k === 1) {
      const c = process.cpuUsage(c0);
      cpuFirst = c.user + c.system;
      cs = process.cpuUsage();
    }
    for (let ti = 0; ti < TARGETS; ti++) {
      const n = counts[k * TARGETS + ti]!;
      const base = (k * TARGETS + ti) * stride;
      const t = t0 + k * INTERVAL_MS + ti; // targets are scraped at slightly different times
      const app = db.appender();
      for (let i = 0; i < n; i++) {
        const e = entries[idx[base + i]!]!;
        e.ref = app.append(e.ref, e.labels, t, vals[base + i]!);
      }
      await app.commit();
      if (k === 0) samplesFirst += n;
      else samplesSteady += n;
    }
  }
  const cSteady = process.cpuUsage(cs);
  const wall = performance.now() - w0;
  gc();
  gc();
  const mem = process.memoryUsage();
  const series = db.head.numSeries();
  const generated = bytes;
  const line = {
    bench: 'tsdb-ingest',
    ticks: TICKS,
    targets: TARGETS,
    series_per_target: SERIES,
    head_series: series,
    samples: samplesFirst + samplesSteady,
    first_scrape_cpu_us_per_sample: +(cpuFirst / samplesFirst).toFixed(3),
    steady_cpu_us_per_sample: +((cSteady.user + cSteady.system) / samplesSteady).toFixed(3),
    wall_us_per_sample: +((wall * 1000) / (samplesFirst + samplesSteady)).toFixed(3),
    rss_bytes: mem.rss - generated,
    rss_bytes_per_series: Math.round((mem.rss - generated) / series),
    rss_growth_bytes_per_series: Math.round((mem.rss - before.rss) / series),
    heap_growth_bytes_per_series: Math.round((mem.heapUsed - before.heapUsed) / series),
    external_growth_bytes_per_series: Math.round((mem.external + mem.arrayBuffers - before.external - before.arrayBuffers) / series),
    head_chunk_slab_bytes: db.head.chunks.memoryBytes(),
    head_closed_chunk_bytes: db.head.arena.bytes(),
    postings_bytes: db.head.postings.stats().postingsBytes,
    label_pairs: db.head.postings.stats().pairs,
    wal_bytes_per_sample: +((db.head.wal?.size() ?? 0) / (samplesFirst + samplesSteady)).toFixed(2),
  };
  process.stderr.write(
    `before ingest: rss ${mb(before.rss)} (generated arrays ${mb(generated)}), heap ${mb(before.heapUsed)}; ` +
      `after: rss ${mb(mem.rss)}, heap ${mb(mem.heapUsed)}, external+buffers ${mb(mem.external + mem.arrayBuffers)}; ${series} series, ${entries.length} cached label sets\n`,
  );
  console.log(JSON.stringify(line));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
