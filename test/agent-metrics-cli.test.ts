// `vigil agent` end to end: pull from its own /metrics and push to a `vigil server` with
// --server, queried back through the server's Prometheus API; clean stop on SIGTERM; flags.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { required } from './support/peers.js';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

const BIN = resolve(import.meta.dirname, '../bin/vigil.js');

describe.skipIf(!required(existsSync(BIN), `a built ${BIN} (npm run build)`))('vigil agent (CLI)', () => {
  let server: VigilProcess | undefined;
  let agent: ChildProcess | undefined;
  let out = '';
  let metricsUrl = '';
  let dir = '';

  beforeAll(async () => {
    server = await startVigil('server');
    dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cli-'));
    agent = spawn(process.execPath, [BIN, 'agent', '--server', server.url, '--web.listen-address', '127.0.0.1:0', '--data.dir', dir, '--push.interval', '1s', '--no-collector.docker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 300 && metricsUrl === ''; i++) {
      const m = /listen=([\d.]+:\d+)/.exec(out);
      if (m !== null) metricsUrl = `http://${m[1]}/metrics`;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(metricsUrl, out).not.toBe('');
  }, 60_000);

  afterAll(async () => {
    if (agent !== undefined && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await exited;
    }
    await server?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('serves host, container and self metrics on /metrics, gzipped when asked', async () => {
    const res = await fetch(metricsUrl, { headers: { 'Accept-Encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const name of ['node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'node_load1', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total', 'node_uname_info', 'process_resident_memory_bytes', 'vigil_agent_collections_total', 'vigil_build_info']) {
      expect(text, name).toContain(`\n${name}`);
    }
    // Node's fetch decompresses; ask with a raw request to see the encoding.
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolveRaw, reject) => {
      const u = new URL(metricsUrl);
      import('node:http').then(({ get }) =>
        get({ host: u.hostname, port: u.port, path: u.pathname, headers: { 'Accept-Encoding': 'gzip' } }, (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => resolveRaw({ enc: r.headers['content-encoding'], body: Buffer.concat(parts) }));
        }).on('error', reject),
      );
    });
    expect(raw.enc).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toContain('node_load1');
  });

  it('pushes to the server, where the series can be queried', async () => {
    let result: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let i = 0; i < 100 && result.length === 0; i++) {
      const res = await fetch(`${server!.url}/api/v1/query?query=${encodeURIComponent('node_load1{job="vigil-agent"}')}`);
      result = ((await res.json()) as { data: { result: typeof result } }).data.result;
      if (result.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(result).toHaveLength(1);
    expect(result[0]!.metric).toEqual({ __name__: 'node_load1', instance: hostname(), job: 'vigil-agent' });
    const res = await fetch(`${server!.url}/api/v1/query?query=${encodeURIComponent('count({job="vigil-agent"})')}`);
    const count = Number(((await res.json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]!.value[1]);
    expect(count).toBeGreaterThan(200);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('vigil agent stopped');
  });

  it('prints its flags and refuses unknown ones', () => {
    const help = spawnSync(process.execPath, [BIN, 'agent', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const f of ['--server', '--token', '--web.listen-address', '--data.dir', '--path.procfs', '--collector.cpu', '--collector.cgroups', '--push.interval']) expect(help.stdout).toContain(f);
    const bad = spawnSync(process.execPath, [BIN, 'agent', '--collector.nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown flag --collector.nope');
    const badInterval = spawnSync(process.execPath, [BIN, 'agent', '--push.interval', 'soon'], { encoding: 'utf8' });
    expect(badInterval.status).toBe(2);
    expect(badInterval.stderr).toContain('--push.interval');
  });
});

describe('the agent of vigil up', () => {
  it('appends host metrics into the server storage every interval', async () => {
    const { upAgentService } = await import('../src/cli/cmd-agent.js');
    const { MemoryStorage } = await import('../src/storage/index.js');
    const { NOP_LOGGER } = await import('../src/instrument/index.js');
    const { Matcher, MatchType } = await import('../src/model/index.js');
    const storage = new MemoryStorage();
    const svc = upAgentService({ appendable: storage, logger: NOP_LOGGER, intervalMs: 200, hostname: 'up-host' });
    const ac = new AbortController();
    const run = svc.run(ac.signal);
    let n = 0;
    for (let i = 0; i < 100 && n < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const q = await storage.querier(0, Number.MAX_SAFE_INTEGER);
      const set = await q.select([new Matcher(MatchType.Equal, '__name__', 'node_load1'), new Matcher(MatchType.Equal, 'instance', 'up-host')]);
      n = 0;
      while (set.next()) {
        const it = set.at().iterator();
        while (it.next() !== 0) n++;
      }
      await q.close();
    }
    ac.abort();
    await run;
    expect(n).toBeGreaterThanOrEqual(2);
  });
});
