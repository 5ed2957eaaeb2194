/**
 * A start-up warm-up for the query path. V8 runs a function in its interpreter until it has been
 * called often enough to be optimised, so the first dozen queries a fresh server answers pay
 * several milliseconds each in per-request and per-point code (parsing, planning, aggregation,
 * float formatting, JSON). `warmUpQueryPath` evaluates a fixed set of PromQL shapes over a small
 * synthetic in-memory dataset (never the user's data) and encodes the answers as the API does,
 * in slices that yield to the event loop, so real requests are answered in between.
 * @module
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../model/index.js';
import { Engine } from '../promql/index.js';
import type { SeriesRef } from '../storage/index.js';
import { Db } from '../tsdb/index.js';
import { valueChunks } from './prometheus-json.js';

/** WarmUpOptions bound the warm-up. */
export interface WarmUpOptions {
  /** Longest the warm-up runs, ms of wall time (default 2000). */
  readonly budgetMs?: number;
  /** Rounds over the query set at most (default 30). */
  readonly rounds?: number;
  /** Stops the warm-up early (server shutting down). */
  readonly signal?: AbortSignal;
  /** Parent folder of the throw-away TSDB (default the OS temporary folder). */
  readonly tmpDir?: string;
}

/** WarmUpReport says what a warm-up did. */
export interface WarmUpReport {
  readonly rounds: number;
  readonly queries: number;
  /** Bytes of JSON the answers encoded to. */
  readonly bytes: number;
  readonly elapsedMs: number;
}

const STEP_MS = 15_000;
const SAMPLES = 4 * 240; // four hours at 15 s: the first two become a block, the rest stay in the head
const T0 = 1_000_000_000_000 - (1_000_000_000_000 % 7_200_000);
const T_END = T0 + (SAMPLES - 1) * STEP_MS;
const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '+Inf'] as const;

// The shapes dashboards and the query battery use most: selectors, rates, aggregations with and
// without grouping, histogram quantiles, topk, binary operations, label functions, subqueries.
const RANGE_QUERIES: readonly string[] = [
  'warm_load1',
  'count({job="warm"})',
  'sum(rate(warm_cpu_seconds_total[1m]))',
  'sum by (namespace) (rate(warm_cpu_seconds_total[1m]))',
  'sum by (namespace, pod) (rate(warm_cpu_seconds_total[5m]))',
  'topk(3, sum by (pod) (rate(warm_cpu_seconds_total[1m])))',
  'histogram_quantile(0.99, sum by (le, handler) (rate(warm_duration_seconds_bucket[1m])))',
  'sum by (handler) (rate(warm_cpu_seconds_total{handler=~"/api/.*"}[1m]))',
  '1 - avg by (instance) (rate(warm_cpu_seconds_total{mode="idle"}[1m]))',
  'warm_mem_available_bytes / warm_mem_total_bytes',
  'sum by (namespace) (warm_mem_available_bytes) / 1024 / 1024',
  'label_replace(sum by (pod) (rate(warm_cpu_seconds_total[1m])), "app", "$1", "pod", "(.+)-[a-z0-9]+")',
  'max_over_time(sum(rate(warm_cpu_seconds_total[1m]))[2m:30s])',
  'increase(warm_cpu_seconds_total[2m])',
  'sum by (instance) (rate(warm_cpu_seconds_total[1m])) > 0.5',
  'avg_over_time(warm_load1[2m])',
  'quantile(0.9, warm_mem_available_bytes)',
  'count(count by (pod) (warm_cpu_seconds_total))',
  'sum without (mode) (rate(warm_cpu_seconds_total{namespace="a"}[1m]))',
  'deriv(warm_mem_available_bytes[2m])',
];
const INSTANT_QUERIES: readonly string[] = ['count by (__name__) ({job="warm"})', 'topk(5, rate(warm_cpu_seconds_total[5m]))'];

/** warmUpStorage fills a TSDB in `dir` with the synthetic dataset: ~90 series over four hours. */
async function warmUpStorage(dir: string): Promise<Db> {
  const db = await Db.open({ dir, noLockfile: true, autoCompact: false, retentionMs: 0 });
  const app = db.appender();
  const series: { labels: Labels; counter: boolean; base: number }[] = [];
  for (let i = 0; i < 4; i++) {
    const instance = `node-${i}:9100`;
    series.push({ labels: Labels.fromStrings('__name__', 'warm_load1', 'job', 'warm', 'instance', instance), counter: false, base: 1 + i });
    series.push({ labels: Labels.fromStrings('__name__', 'warm_mem_total_bytes', 'job', 'warm', 'instance', instance), counter: false, base: 8e9 });
    series.push({ labels: Labels.fromStrings('__name__', 'warm_mem_available_bytes', 'job', 'warm', 'instance', instance, 'namespace', i % 2 === 0 ? 'a' : 'b'), counter: false, base: 4e9 });
    for (let p = 0; p < 6; p++) {
      for (const mode of ['idle', 'user']) {
        const labels = Labels.fromStrings('__name__', 'warm_cpu_seconds_total', 'job', 'warm', 'instance', instance, 'namespace', p % 2 === 0 ? 'a' : 'b', 'pod', `app${p}-x${i}`, 'mode', mode, 'handler', p % 3 === 0 ? '/api/users' : '/health');
        series.push({ labels, counter: true, base: 0.1 + p / 10 });
      }
    }
    for (const handler of ['/api/users', '/health']) {
      for (const le of BUCKETS) {
        const labels = Labels.fromStrings('__name__', 'warm_duration_seconds_bucket', 'job', 'warm', 'instance', instance, 'handler', handler, 'le', le);
        series.push({ labels, counter: true, base: 1 + BUCKETS.indexOf(le) });
      }
    }
  }
  const refs = new Array<SeriesRef | 0>(series.length).fill(0);
  for (let k = 0; k < SAMPLES; k++) {
    const t = T0 + k * STEP_MS;
    for (let j = 0; j < series.length; j++) {
      const s = series[j]!;
      // Deterministic wiggle; counters grow, gauges move around their base.
      const w = ((k * 7919 + j * 104729) % 997) / 997;
      const v = s.counter ? s.base * k * 15 + w : s.base * (1 + 0.1 * w);
      refs[j] = app.append(refs[j]!, s.labels, t, v);
    }
  }
  await app.commit();
  await db.compact();
  return db;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * warmUpQueryPath runs the warm-up: rounds over a fixed query set on synthetic data, each answer
 * encoded as the API encodes it, until the rounds or the time budget run out. It never throws.
 */
export async function warmUpQueryPath(options: WarmUpOptions = {}): Promise<WarmUpReport> {
  const { budgetMs = 2000, rounds = 30, signal } = options;
  const began = performance.now();
  let done = 0;
  let queries = 0;
  let bytes = 0;
  let dir: string | undefined;
  let db: Db | undefined;
  let onExit: (() => void) | undefined;
  const over = (): boolean => signal?.aborted === true || performance.now() - began > budgetMs;
  try {
    dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'vigil-warmup-'));
    // A process that exits mid-warm-up still leaves no folder behind.
    const d = dir;
    onExit = () => rmSync(d, { recursive: true, force: true });
    process.once('exit', onExit);
    db = await warmUpStorage(dir);
    const engine = new Engine({ queryable: db });
    // Across the block/head boundary, as a dashboard over the last hours is.
    const start = T_END - 150 * 60_000;
    for (; done < rounds && !over(); done++) {
      for (const q of RANGE_QUERIES) {
        if (over()) break;
        bytes += encodedSize((await engine.rangeQuery(q, start, T_END, 60_000)).value);
        queries++;
        await yieldToLoop();
      }
      for (const q of INSTANT_QUERIES) {
        if (over()) break;
        bytes += encodedSize((await engine.instantQuery(q, T_END)).value);
        queries++;
        await yieldToLoop();
      }
    }
  } catch {
    // A warm-up failure only costs speed; the real queries report their own errors.
  } finally {
    await db?.close().catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (onExit !== undefined) process.removeListener('exit', onExit);
  }
  return { rounds: done, queries, bytes, elapsedMs: performance.now() - began };
}

function encodedSize(v: Parameters<typeof valueChunks>[0]): number {
  let n = 0;
  for (const c of valueChunks(v, 0)) n += Buffer.byteLength(c);
  return n;
}
