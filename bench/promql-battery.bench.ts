/**
 * The query battery of ../shared/bench (26 queries) against vigil's engine on the same series
 * model (targets.js): by default on an in-memory store of typed arrays, which isolates the
 * engine's share of the latency; with STORE=tsdb on vigil's TSDB head (XOR chunks), as the
 * server runs it. Prints the median per query and the sum of medians.
 *   TARGETS=50 npx tsx bench/promql-battery.bench.ts             # 100k series like the anchors
 *   TARGETS=50 STORE=tsdb npx tsx bench/promql-battery.bench.ts
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../src/tsdb/index.js';
import { type Labels, type Matcher, matchesAll } from '../src/model/index.js';
import { ListSeries, ListSeriesSet, type Queryable, type Querier } from '../src/storage/index.js';
import { Engine } from '../src/promql/index.js';
import { parseMetric } from '../src/promql/promqltest/index.js';

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
            s.ts.push(EPOCH + k * TICK_S * 1000);
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

const tb = performance.now();
const series = build();
const samples = series.reduce((a, s) => a + s.ts.length, 0);
process.stdout.write(`${TARGETS} targets: ${series.length} series, ${samples} samples, built in ${(performance.now() - tb).toFixed(0)} ms\n`);
let store: Queryable = queryable(series);
let db: Db | undefined;
const dir = mkdtempSync(join(tmpdir(), 'vigil-battery-'));
if (process.env.STORE === 'tsdb') {
  const tl = performance.now();
  db = await Db.open({ dir, autoCompact: false, noLockfile: true });
  for (let i = 0; i < series.length; i += 1000) {
    const app = db.appender();
    for (const s of series.slice(i, i + 1000)) {
      let ref = 0;
      for (let k = 0; k < s.ts.length; k++) ref = app.append(ref as never, s.labels, s.ts[k]!, s.vs[k]!);
    }
    await app.commit();
  }
  process.stdout.write(`loaded into the TSDB head in ${(performance.now() - tl).toFixed(0)} ms\n`);
  store = db;
}
const e = new Engine({ queryable: store });
const start = EPOCH + 60_000;
const end = EPOCH + 330_000;
let total = 0;
const only = process.env.ONLY?.split(',');
for (const q of queries.filter((x) => only === undefined || only.includes(x.id))) {
  const run = () => (q.type === 'instant' ? e.instantQuery(q.query, end) : e.rangeQuery(q.query, start, end, 15_000));
  await run();
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const med = ms[2]!;
  total += med;
  process.stdout.write(`${q.id.padEnd(22)} ${med.toFixed(2).padStart(9)} ms\n`);
}
process.stdout.write(`sum of medians ${total.toFixed(1)} ms\n`);
await db?.close();
rmSync(dir, { recursive: true, force: true });
