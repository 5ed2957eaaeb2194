/**
 * The query battery of ../shared/bench (26 queries) against vigil's engine on the same series
 * model (targets.js): by default on an in-memory store of typed arrays, which isolates the
 * engine's share of the latency; with STORE=tsdb on blocks vigil's backfiller wrote (what
 * bytes-per-sample.sh queries). With PEER=prometheus the same blocks are also served by the
 * installed Prometheus: each query then runs on both in the same sitting (Prometheus over HTTP,
 * vigil in process plus its JSON encoding), the answers are compared (same series and
 * timestamps, values within rtol 0.01 like compare-results.js) and the ratios printed.
 * Sample timestamps sit 431 ms past the 5 s tick so no sample lies on a window boundary:
 * Debian's Prometheus 2.x closes windows on the left, Prometheus 3 and vigil do not.
 *   TARGETS=50 npx tsx bench/promql-battery.bench.ts             # 100k series like the anchors
 *   TARGETS=50 STORE=tsdb PEER=prometheus npx tsx bench/promql-battery.bench.ts
 */
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backfiller, Db } from '../src/tsdb/index.js';
import { type Labels, type Matcher, matchesAll } from '../src/model/index.js';
import { ListSeries, ListSeriesSet, type Queryable, type Querier } from '../src/storage/index.js';
import { Engine, queryResponseJSON } from '../src/promql/index.js';
import { parseMetric } from '../src/promql/promqltest/index.js';
import { findBinary } from '../test/support/peers.js';
import { type PeerProcess, startPeer } from '../test/support/peer-process.js';

const BENCH = process.env.VIGIL_BENCH_DIR ?? '/work/shared/bench';
const require = createRequire(import.meta.url);
interface Group {
  lineCount(): number;
  genAt(k: number): number;
  prefixes(g: number, extra: string): string[];
  advance(k: number): void;
  values(): number[];
  pod: { genEnd(g: number): number } | null;
}
const { buildTarget, DEFAULTS } = require(`${BENCH}/targets.js`) as {
  buildTarget: (t: number, o: object) => { fams: { groups: Group[] }[] };
  DEFAULTS: object;
};
const queries = JSON.parse(readFileSync(`${BENCH}/queries.json`, 'utf8')) as { id: string; type: string; query: string }[];

const TARGETS = Number(process.env.TARGETS ?? 10);
const TICK_S = 5;
const EPOCH = 1_700_000_000_000;
const TICKS = Math.floor(360 / TICK_S);

function build(): ListSeries[] {
  const model = { ...DEFAULTS, series: 2000, tick: TICK_S };
  const byKey = new Map<string, { labels: Labels; ts: number[]; vs: number[] }>();
  for (let t = 0; t < TARGETS; t++) {
    const target = buildTarget(t, model);
    const extra = `instance="node-${t}:9100",job="synthetic"`;
    for (const f of target.fams) {
      for (const g of f.groups) {
        for (let k = 0; k < TICKS; k++) {
          g.advance(k);
          const vals = g.values();
          const pre = g.prefixes(g.genAt(k), extra);
          for (let i = 0; i < pre.length; i++) {
            const text = pre[i]!.trim();
            let s = byKey.get(text);
            if (s === undefined) {
              s = { labels: parseMetric(text), ts: [], vs: [] };
              byKey.set(text, s);
            }
            s.ts.push(EPOCH + k * TICK_S * 1000 + 431);
            s.vs.push(vals[i]!);
          }
        }
      }
    }
  }
  const out = [...byKey.values()].map((s) => new ListSeries(s.labels, Float64Array.from(s.ts), Float64Array.from(s.vs)));
  out.sort((a, b) => a.labels.compare(b.labels));
  return out;
}

function queryable(all: readonly ListSeries[]): Queryable {
  const byName = new Map<string, ListSeries[]>();
  for (const s of all) {
    const n = s.labels.metricName();
    const l = byName.get(n);
    if (l === undefined) byName.set(n, [s]);
    else l.push(s);
  }
  return {
    async querier(): Promise<Querier> {
      return {
        async select(ms: readonly Matcher[]) {
          const name = ms.find((m) => m.name === '__name__' && m.type === '=');
          const candidates = name !== undefined ? (byName.get(name.value) ?? []) : all;
          return new ListSeriesSet(candidates.filter((s) => matchesAll(ms, (n) => s.labels.get(n))));
        },
        async labelValues() {
          return [];
        },
        async labelNames() {
          return [];
        },
        async close() {},
      };
    },
  };
}

/** Canonical answer: series key → "t v" points, for comparison. */
type Answer = Map<string, [number, number][]>;

function canon(body: string): Answer | string {
  const doc = JSON.parse(body) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
  };
  if (doc.status !== 'success' || doc.data === undefined) return `error: ${doc.error}`;
  const out: Answer = new Map();
  for (const r of doc.data.result) {
    const key = Object.keys(r.metric)
      .sort()
      .map((k) => `${k}=${JSON.stringify(r.metric[k])}`)
      .join(',');
    out.set(key, (r.values ?? [r.value!]).map(([t, v]) => [t, Number(v)]));
  }
  return out;
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-9 + 0.01 * Math.max(Math.abs(a), Math.abs(b));
}

/** difference describes the first difference between two answers, or returns undefined. */
function difference(want: Answer | string, got: Answer | string): string | undefined {
  if (typeof want === 'string' || typeof got === 'string') return want === got ? undefined : `prometheus ${String(typeof want === 'string' ? want : 'ok')}, vigil ${String(typeof got === 'string' ? got : 'ok')}`;
  if (want.size !== got.size) return `${want.size} series in Prometheus, ${got.size} in vigil`;
  for (const [k, w] of want) {
    const g = got.get(k);
    if (g === undefined) return `vigil lacks ${k}`;
    if (g.length !== w.length) return `${k}: ${w.length} points in Prometheus, ${g.length} in vigil`;
    for (let i = 0; i < w.length; i++) {
      if (w[i]![0] !== g[i]![0] || !close(w[i]![1], g[i]![1])) return `${k}: Prometheus ${w[i]!.join(' ')}, vigil ${g[i]!.join(' ')}`;
    }
  }
  return undefined;
}

/**
 * medians runs each function once to warm up, then five rounds of each in turn (so a system
 * under test and its peer see the same machine load), and returns the median ms of each and
 * its last result.
 */
async function medians(fs: readonly (() => Promise<string>)[]): Promise<{ ms: number; last: string }[]> {
  const last: string[] = [];
  for (const f of fs) last.push(await f());
  const ms: number[][] = fs.map(() => []);
  for (let r = 0; r < 5; r++) {
    for (let i = 0; i < fs.length; i++) {
      const t = performance.now();
      last[i] = await fs[i]!();
      ms[i]!.push(performance.now() - t);
    }
  }
  return ms.map((m, i) => {
    m.sort((a, b) => a - b);
    return { ms: m[2]!, last: last[i]! };
  });
}

const tb = performance.now();
const series = build();
const samples = series.reduce((a, s) => a + s.ts.length, 0);
process.stdout.write(`${TARGETS} targets: ${series.length} series, ${samples} samples, built in ${(performance.now() - tb).toFixed(0)} ms\n`);
const PEER = process.env.PEER;
let store: Queryable = queryable(series);
let db: Db | undefined;
let prom: PeerProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'vigil-battery-'));
try {
  if (process.env.STORE === 'tsdb' || PEER !== undefined) {
    const tl = performance.now();
    const bf = new Backfiller({ outputDir: join(dir, 'vigil') });
    for (const s of series) {
      const ref = bf.seriesRef(s.labels);
      for (let k = 0; k < s.ts.length; k++) bf.append(ref, s.ts[k]!, s.vs[k]!);
    }
    await bf.flush();
    process.stdout.write(`backfilled into blocks in ${(performance.now() - tl).toFixed(0)} ms\n`);
    if (PEER !== undefined) {
      if (PEER !== 'prometheus') throw new Error(`PEER=${PEER}: only prometheus is supported`);
      const bin = findBinary('prometheus');
      if (bin === undefined) throw new Error('prometheus is not installed');
      cpSync(join(dir, 'vigil'), join(dir, 'prom'), { recursive: true });
      writeFileSync(join(dir, 'empty.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
      prom = await startPeer(
        bin,
        (port) => [`--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=100y'],
        '/-/ready',
        120_000,
      );
    }
    if (process.env.STORE === 'tsdb') {
      db = await Db.open({ dir: join(dir, 'vigil'), autoCompact: false, noLockfile: true, retentionMs: 0 });
      store = db;
    }
  }
  const e = new Engine({ queryable: store });
  const start = EPOCH + 60_000;
  const end = EPOCH + 330_000;
  const step = 15_000;
  let total = 0;
  let promTotal = 0;
  let agree = 0;
  let worst = 0;
  const only = process.env.ONLY?.split(',');
  const chosen = queries.filter((x) => only === undefined || only.includes(x.id));
  for (const q of chosen) {
    const vigil = async (): Promise<string> => {
      const r = q.type === 'instant' ? await e.instantQuery(q.query, end) : await e.rangeQuery(q.query, start, end, step);
      return queryResponseJSON(r.value, r.warnings, r.infos);
    };
    const fs = [vigil];
    if (prom !== undefined) {
      const p0 = prom;
      const params: Record<string, string> =
        q.type === 'instant'
          ? { query: q.query, time: String(end / 1000) }
          : { query: q.query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) };
      const url = `${p0.url}/api/v1/${q.type === 'instant' ? 'query' : 'query_range'}?${new URLSearchParams(params).toString()}`;
      fs.push(async () => (await fetch(url)).text());
    }
    const [v, p] = await medians(fs);
    total += v!.ms;
    let line = `${q.id.padEnd(22)} ${v!.ms.toFixed(2).padStart(9)} ms`;
    if (p !== undefined) {
      promTotal += p.ms;
      worst = Math.max(worst, v!.ms / p.ms);
      const d = difference(canon(p.last), canon(v!.last));
      if (d === undefined) agree++;
      line += `   prometheus ${p.ms.toFixed(2).padStart(9)} ms   ×${(v!.ms / p.ms).toFixed(2)}   ${d === undefined ? 'same answer' : `DIFFERENT: ${d}`}`;
    }
    process.stdout.write(line + '\n');
  }
  process.stdout.write(`sum of medians ${total.toFixed(1)} ms`);
  if (prom !== undefined) {
    process.stdout.write(` (prometheus ${promTotal.toFixed(1)} ms, ×${(total / promTotal).toFixed(2)}; slowest query ×${worst.toFixed(2)}); ${agree}/${chosen.length} answers agree`);
  }
  process.stdout.write('\n');
} finally {
  await prom?.stop();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
}
