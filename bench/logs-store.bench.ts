// Log store benchmark: gen-logs.js data (LINES/STREAMS/SEED as in
// /work/shared/bench/logs/ANCHORS.md) appended as the push path does (1000-line requests, 4 in
// flight), flushed, then the battery's queries through the LogQL engine. Prints vigil's figures
// beside Grafana Loki 2.4.2's (ANCHORS.md, run 1, 2 M lines).
//
//   LINES=2000000 REPEATS=5 npx tsx bench/logs-store.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskLogStore } from '../src/logs/store/index.js';
import { LogQLEngine, type QueryResult } from '../src/logs/logql/index.js';
import { generateFile, ingestFile } from '../test/logs-battery-support.js';

const LINES = Number(process.env.LINES ?? 2_000_000);
const STREAMS = Number(process.env.STREAMS ?? 200);
const SEED = Number(process.env.SEED ?? 42);
const REPEATS = Number(process.env.REPEATS ?? 5);
const KEEP = process.env.KEEP_DATA === '1';

// Loki 2.4.2, ANCHORS.md run 1 (2 M lines) and run 4 (5 M lines).
const LOKI = LINES >= 5_000_000
  ? { linesPerSec: 80_948, bytesPerLine: 75.2, needleMs: 4237, cpuPerMillion: 19.6, rssMiB: 1760 }
  : { linesPerSec: 103_482, bytesPerLine: 76.0, needleMs: 1789, cpuPerMillion: 15.6, rssMiB: 745 };
const LOKI_QUERY_MS: Record<string, number> = LINES >= 5_000_000
  ? { count_all: 6106, needle_all_streams: 4237, needle_one_namespace: 869, needle_absent: 4485, regex_needles: 4359, regex_count_5xx: 925, json_error_lines: 2842, json_error_count: 5038, count_over_time_1m: 1252, rate_by_pod_5m: 6001, topk_pods: 5425, newest_1000: 55 }
  : { count_all: 2035, needle_all_streams: 1789, needle_one_namespace: 352, needle_absent: 1667, regex_needles: 1869, regex_count_5xx: 305, json_error_lines: 1953, json_error_count: 2004, count_over_time_1m: 584, rate_by_pod_5m: 3109, topk_pods: 2534, newest_1000: 51 };

function cpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const endMs = Math.floor(Date.now() / 1000) * 1000;
  process.stdout.write(`generating ${LINES} lines (streams ${STREAMS}, seed ${SEED}) with gen-logs.js…\n`);
  const work = mkdtempSync(join(tmpdir(), 'vigil-logbench-'));
  const gen = await generateFile(work, { lines: LINES, streams: STREAMS, seed: SEED, endMs });
  const truth = gen.truth as { first_ts: string; last_ts: string; needles: { role: string; id: string }[]; absent_needle: string; needle_regex: string; nginx_5xx: { regex: string } };
  const dir = join(work, 'logs');
  const store = await DiskLogStore.open({ dir, maintenanceIntervalMs: 10_000 });

  const load0 = loadavg()[0]!;
  let c0 = cpuSec();
  let t0 = performance.now();
  // Push bodies streamed from the file and parsed here, as a receiver would (JSON parsing counted).
  const g = { lineBytes: (await ingestFile(store, gen.file, 4)).bytes };
  const ingestMs = performance.now() - t0;
  const ingestCpu = cpuSec() - c0;
  t0 = performance.now();
  c0 = cpuSec();
  await store.flush();
  const flushMs = performance.now() - t0;
  const flushCpu = cpuSec() - c0;
  const disk = store.diskBytes();
  const rssIngest = process.resourceUsage().maxRSS / 1024;

  const linesPerSec = LINES / ((ingestMs + flushMs) / 1000);
  const bytesPerLine = disk.chunks / LINES;
  const cpuPerMillion = (ingestCpu + flushCpu) / (LINES / 1e6);
  const row = (name: string, v: string, loki: string, ratio: string): string => `${name.padEnd(34)}${v.padStart(14)}${loki.padStart(14)}${ratio.padStart(10)}\n`;
  process.stdout.write(`\nmachine: load average ${load0.toFixed(1)} at start (2 cores shared: figures are noisy, compare CPU seconds too)\n\n`);
  process.stdout.write(row('metric', 'vigil', 'Loki 2.4.2', 'ratio'));
  process.stdout.write(row('ingest lines/s (parse+append+flush)', Math.round(linesPerSec).toLocaleString('en'), LOKI.linesPerSec.toLocaleString('en'), (linesPerSec / LOKI.linesPerSec).toFixed(2)));
  process.stdout.write(row('  append only, lines/s', Math.round(LINES / (ingestMs / 1000)).toLocaleString('en'), '', ''));
  process.stdout.write(row('CPU s per 1 M lines (all threads)', cpuPerMillion.toFixed(1), LOKI.cpuPerMillion.toFixed(1), (cpuPerMillion / LOKI.cpuPerMillion).toFixed(2)));
  process.stdout.write(row('disk bytes/line (chunks, no WAL)', bytesPerLine.toFixed(1), LOKI.bytesPerLine.toFixed(1), (bytesPerLine / LOKI.bytesPerLine).toFixed(2)));
  process.stdout.write(row('  compression (text / disk)', (g.lineBytes / disk.chunks).toFixed(2) + 'x', '3.68x', ''));
  process.stdout.write(row('  WAL bytes after flush', String(disk.wal), '579 MB', ''));
  process.stdout.write(row('peak RSS MiB after ingest', rssIngest.toFixed(0), String(LOKI.rssMiB), (rssIngest / LOKI.rssMiB).toFixed(2)));

  // The battery's queries, through the engine (no HTTP): bounds as query-logs.js sets them.
  const eng = new LogQLEngine({ store });
  const T0 = BigInt(truth.first_ts);
  const T1 = BigInt(truth.last_ts);
  const SEC = 1_000_000_000n;
  const logStart = { ms: Number((T0 - SEC) / 1_000_000n), ns: 0 };
  const logEnd = { ms: Number((T1 + SEC) / 1_000_000n), ns: 0 };
  const S = T0 / SEC + 1n;
  const lastSec = (T1 + SEC - 1n) / SEC;
  const E = S + 60n * ((lastSec + 1n - S + 59n) / 60n);
  const I = lastSec + 1n;
  const R = I - T0 / SEC + 1n;
  const multi = truth.needles.find((n) => n.role === 'multi')!.id;
  const ns = truth.needles.find((n) => n.role === 'namespace')!.id;
  const q = (s: string): string => JSON.stringify(s);
  const inst = (query: string) => () => eng.instantQuery({ query, time: { ms: Number(I) * 1000, ns: 0 }, direction: 'backward', limit: 100 });
  const logs = (query: string, limit: number) => () => eng.rangeQuery({ query, start: logStart, end: logEnd, stepMs: 1000, direction: 'backward', limit });
  const range = (query: string) => () => eng.rangeQuery({ query, start: { ms: Number(S) * 1000, ns: 0 }, end: { ms: Number(E) * 1000, ns: 0 }, stepMs: 60_000, direction: 'backward', limit: 100 });
  const battery: [string, () => Promise<QueryResult>][] = [
    ['count_all', inst(`sum(count_over_time({namespace=~".+"}[${R}s]))`)],
    ['needle_all_streams', logs(`{namespace=~".+"} |= ${q(multi)}`, 100)],
    ['needle_one_namespace', logs(`{namespace="payments"} |= ${q(ns)}`, 100)],
    ['needle_absent', logs(`{namespace=~".+"} |= ${q(truth.absent_needle)}`, 100)],
    ['regex_needles', logs(`{namespace=~".+"} |~ ${q(truth.needle_regex)}`, 1000)],
    ['regex_count_5xx', inst(`sum(count_over_time({container="nginx", stream="stdout"} |~ ${q(truth.nginx_5xx.regex)} [${R}s]))`)],
    ['json_error_lines', logs('{container="api"} | json | level="error"', 1000)],
    ['json_error_count', inst(`sum(count_over_time({container=~"api|worker"} | json | level="error" [${R}s]))`)],
    ['count_over_time_1m', range('sum(count_over_time({namespace="web"}[1m]))')],
    ['rate_by_pod_5m', range('sum by (pod) (rate({namespace=~".+"}[5m]))')],
    ['topk_pods', inst(`topk(5, sum by (pod) (count_over_time({namespace=~".+"}[${R}s])))`)],
    ['newest_1000', logs('{namespace="web", container="nginx"}', 1000)],
  ];
  process.stdout.write(`\n${'query'.padEnd(22)}${'first ms'.padStart(10)}${'median ms'.padStart(11)}${'cpu ms'.padStart(9)}${'Loki ms'.padStart(10)}${'speed-up'.padStart(10)}\n`);
  let sumMed = 0;
  let sumLoki = 0;
  for (const [id, run] of battery) {
    const times: number[] = [];
    const cpus: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const c = cpuSec();
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
      cpus.push((cpuSec() - c) * 1000);
    }
    const med = median(times);
    sumMed += med;
    sumLoki += LOKI_QUERY_MS[id]!;
    process.stdout.write(`${id.padEnd(22)}${times[0]!.toFixed(1).padStart(10)}${med.toFixed(1).padStart(11)}${median(cpus).toFixed(0).padStart(9)}${String(LOKI_QUERY_MS[id]).padStart(10)}${(LOKI_QUERY_MS[id]! / med).toFixed(1).padStart(9)}x\n`);
  }
  process.stdout.write(`${'sum of medians'.padEnd(22)}${''.padStart(10)}${sumMed.toFixed(0).padStart(11)}${''.padStart(9)}${String(sumLoki).padStart(10)}${(sumLoki / sumMed).toFixed(1).padStart(9)}x\n`);
  process.stdout.write(`peak RSS MiB, whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} (Loki: ${LINES >= 5_000_000 ? 2082 : 970})\n`);
  process.stdout.write(`load average at end: ${loadavg()[0]!.toFixed(1)}\n`);
  await store.close();
  if (!KEEP) rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`data kept in ${work}\n`);
}

await main();
