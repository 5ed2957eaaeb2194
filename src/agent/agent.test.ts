import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../instrument/index.js';
import { Matcher, MatchType, isStaleNaN } from '../model/index.js';
import { MemoryStorage, ValueType } from '../storage/index.js';
import { Agent, type AgentOptions } from './index.js';
import { shared } from '../../test/support/shared.js';

const PROC = shared('corpus/metrics/procfs-sysfs/node_exporter/proc');

/** An agent over the node_exporter fixture /proc, without the host's engine, cgroups or kernel log. */
function fixtureAgent(extra: Partial<AgentOptions> = {}): Agent {
  return new Agent({
    host: { paths: { procfs: PROC, sysfs: '/nonexistent', rootfs: '/nonexistent' }, enable: { loadavg: true, meminfo: true, stat: true, cpu: true, filesystem: false, uname: false, time: false, os: false } },
    cgroups: false,
    docker: false,
    kmsg: false,
    hostname: 'node-1',
    registry: new Registry(),
    ...extra,
  });
}

async function values(storage: MemoryStorage, name: string): Promise<{ labels: Record<string, string>; t: number[]; v: (number | 'stale')[] }[]> {
  const q = await storage.querier(0, Number.MAX_SAFE_INTEGER);
  const set = await q.select([new Matcher(MatchType.Equal, '__name__', name)]);
  const out = [];
  while (set.next()) {
    const s = set.at();
    const it = s.iterator();
    const t: number[] = [];
    const v: (number | 'stale')[] = [];
    while (it.next() !== ValueType.None) {
      t.push(it.atT());
      // Checked here: a plain array would turn the marker's NaN into the canonical NaN.
      v.push(isStaleNaN(it.atF()) ? 'stale' : it.atF());
    }
    out.push({ labels: s.labels.toObject(), t, v });
  }
  await q.close();
  return out;
}

describe('Agent', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('renders host and self metrics for pull', async () => {
    const a = fixtureAgent();
    const text = await a.exposition();
    expect(text).toContain('node_load1 0.21\n');
    expect(text).toContain('node_cpu_seconds_total{cpu="7",mode="idle"} 11392.82\n');
    expect(text).toMatch(/vigil_agent_collections_total 1\n/);
    expect(text).toMatch(/vigil_agent_collection_samples [1-9]/);
  });

  it('appends pushed cycles to a storage with external labels and ends vanished series', async () => {
    const storage = new MemoryStorage();
    const a = fixtureAgent({ appendable: storage });
    await a.push(1_000_000);
    await a.push(1_010_000);
    const load = await values(storage, 'node_load1');
    expect(load).toEqual([{ labels: { __name__: 'node_load1', instance: 'node-1', job: 'vigil-agent' }, t: [1_000_000, 1_010_000], v: [0.21, 0.21] }]);
    // Self-metrics are pushed too.
    const cycles = await values(storage, 'vigil_agent_collections_total');
    expect(cycles[0]!.v).toEqual([1, 2]);
    // A collector turned off between cycles: its series get one staleness marker.
    (a.host!.collectors as unknown as { name: string }[]).splice(a.host!.collectors.findIndex((c) => c.name === 'loadavg'), 1);
    await a.push(1_020_000);
    const after = await values(storage, 'node_load1');
    expect(after[0]!.t).toEqual([1_000_000, 1_010_000, 1_020_000]);
    expect(after[0]!.v[2]).toBe('stale');
  });

  it('runs the push loop on interval boundaries and flushes on stop', async () => {
    let requests = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const ran: string[] = [];
    const a = fixtureAgent({
      intervalMs: 100,
      remoteWrite: { url: `http://127.0.0.1:${port}/api/v1/write` },
      extraServices: [
        {
          name: 'log-side',
          run: async (s) => {
            ran.push('start');
            await new Promise((r) => s.addEventListener('abort', r, { once: true }));
            ran.push('stop');
          },
        },
      ],
    });
    const ac = new AbortController();
    const run = a.run(ac.signal);
    for (let i = 0; i < 100 && requests < 3; i++) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await run;
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(ran).toEqual(['start', 'stop']);
    expect(a.sender!.queued().samples).toBe(0);
  });

  it('stops everything when an extra service fails and rethrows', async () => {
    const a = fixtureAgent({ extraServices: [{ name: 'broken', run: () => Promise.reject(new Error('disk full')) }] });
    await expect(a.run(new AbortController().signal)).rejects.toThrow('broken: disk full');
  });
});
