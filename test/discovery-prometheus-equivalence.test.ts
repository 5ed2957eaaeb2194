// The kubernetes-pods relabel config applied to __meta_kubernetes_pod_* labels delivered by a
// file_sd file: vigil's config + discovery + populateLabels must produce exactly the active and
// dropped targets that a real Prometheus 2.42 shows in /api/v1/targets for the same files:
// active targets' labels, dropped targets' discoveredLabels, and no target where Prometheus has
// none (an invalid address).
//
// Active targets' discoveredLabels are compared by count only: Prometheus 2.42.0 writes each
// relabeling step's result into the input label slice (relabel.Process calls
// Builder.Labels(lset)), so once a step modifies a target its discoveredLabels show a mix of
// pre- and post-relabeling labels. 2.43 fixed this ("relabel: keep intermediate results in
// labels.Builder"); vigil reports the true pre-relabeling labels. Dropped targets below are all
// dropped by a first step, before any modification, so theirs are intact and compared exactly.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { DiscoveryManager, FileDiscoverer, StaticDiscoverer, targetsFromGroup } from '../src/discovery/index.js';
import type { SDConfig, TargetGroup } from '../src/discovery/index.js';
import { peer } from './support/peers.js';

const prometheus = peer('prometheus');
const SRC = resolve(import.meta.dirname, '../src/config/testdata/equivalence');

interface Seen {
  readonly active: string[];
  readonly dropped: string[];
}

const key = (o: Record<string, string>): string => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function vigilTargets(configPath: string): Promise<Map<string, Seen>> {
  const cfg = parseConfig(readFileSync(configPath, 'utf8'), configPath);
  const jobs = new Map(cfg.scrapeConfigs.map((s) => [s.jobName, s.serviceDiscovery]));
  const m = new DiscoveryManager({
    jobs,
    newDiscoverer: (c: SDConfig) => {
      if (c.kind === 'file') return new FileDiscoverer({ config: c });
      if (c.kind === 'static') return new StaticDiscoverer({ groups: c.groups });
      throw new Error(`unexpected ${c.kind}`);
    },
    updateIntervalMs: 5000,
  });
  const ac = new AbortController();
  let groups: ReadonlyMap<string, readonly TargetGroup[]> | undefined;
  for await (const g of m.run(ac.signal)) {
    groups = g;
    ac.abort();
  }
  const out = new Map<string, Seen>();
  for (const sc of cfg.scrapeConfigs) {
    const seen: Seen = { active: [], dropped: [] };
    for (const g of groups!.get(sc.jobName) ?? []) {
      for (const t of targetsFromGroup(g, sc, sc.relabelConfigs).targets) {
        if (t.labels === undefined) seen.dropped.push(key(t.discovered.toObject()));
        else seen.active.push(key(t.labels.toObject()));
      }
    }
    out.set(sc.jobName, { active: seen.active.sort(), dropped: seen.dropped.sort() });
  }
  return out;
}

interface ApiTarget {
  readonly labels?: Record<string, string>;
  readonly discoveredLabels: Record<string, string>;
  readonly scrapePool?: string;
}

describe.skipIf(!prometheus)('kubernetes-pods relabeling matches Prometheus 2.42', () => {
  let proc: ChildProcess | undefined;
  let dir = '';
  let base = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-equiv-'));
    cpSync(SRC, join(dir, 'conf'), { recursive: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = spawn(prometheus!, [`--config.file=${join(dir, 'conf', 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  }, 30_000);

  afterAll(async () => {
    if (proc !== undefined && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('has the same active and dropped targets', async () => {
    const configPath = join(dir, 'conf', 'prometheus.yml');
    const want = await vigilTargets(configPath);
    const wantTotal = [...want.values()].reduce((n, s) => n + s.active.length + s.dropped.length, 0);
    // Prometheus's discovery manager sends its first update after about 5 s.
    let data: { activeTargets: ApiTarget[]; droppedTargets: ApiTarget[] } | undefined;
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        const res = await fetch(`${base}/api/v1/targets?state=any`);
        const body = (await res.json()) as { data: { activeTargets: ApiTarget[]; droppedTargets: ApiTarget[] } };
        data = body.data;
        if (data.activeTargets.length + data.droppedTargets.length >= wantTotal) break;
      } catch {
        // not up yet
      }
    }
    expect(data).toBeDefined();
    const got = new Map<string, Seen>();
    for (const job of want.keys()) got.set(job, { active: [], dropped: [] });
    for (const t of data!.activeTargets) got.get(t.scrapePool!)!.active.push(key(t.labels!));
    for (const t of data!.droppedTargets) got.get(t.discoveredLabels.job!)!.dropped.push(key(t.discoveredLabels));
    for (const s of got.values()) {
      s.active.sort();
      s.dropped.sort();
    }
    expect(want.get('kubernetes-pods')!.active.length).toBeGreaterThan(3);
    expect(want.get('kubernetes-pods')!.dropped.length).toBeGreaterThan(2);
    expect(want.get('actions')!.active.length).toBeGreaterThan(1);
    expect(want.get('actions')!.dropped.length).toBeGreaterThan(0);
    expect(Object.fromEntries(want)).toEqual(Object.fromEntries(got));
  }, 60_000);
});
