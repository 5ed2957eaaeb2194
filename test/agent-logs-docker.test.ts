// Container output through the Docker API, end to end with real containers (podman's
// Docker-compatible API from ../shared/recipes/podman-setup.sh): a container prints numbered
// lines, hundreds per second (podman's log timestamps have whole seconds only, so many lines
// share one); the agent ships them to vigil's real gateway, is killed with SIGKILL mid-stream
// and restarted: the gateway holds every line exactly once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../src/agent/index.js';
import { TestGateway, countSeqs, exactlyOnce, startAgent, until, type AgentChild } from './agent-logs-gateway.js';
import { IN_CI, peer } from './support/peers.js';
import { shared } from './support/shared.js';

const RECIPE = shared('recipes/podman-setup.sh');
const podman = process.getuid?.() === 0 && existsSync(RECIPE) ? peer('podman') : undefined;
if (podman === undefined && IN_CI && process.getuid?.() === 0) throw new Error('podman is needed for the container log tests');
const DIR = `/tmp/vigil-podman-k${process.pid}`;
const LINES = 3000;

describe.skipIf(podman === undefined)('container logs through the Docker API across kill -9', () => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-agent-docker-'));
  let host = '';
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(() => {
    const env = execFileSync(RECIPE, ['up', DIR], { encoding: 'utf8', timeout: 120_000 });
    host = /^DOCKER_HOST=(.*)$/m.exec(env)![1]!;
  }, 180_000);

  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    execFileSync(RECIPE, ['down', DIR], { encoding: 'utf8', timeout: 120_000 });
    rmSync(base, { recursive: true, force: true });
  }, 180_000);

  it('ships every line of a container exactly once', async () => {
    const client = new DockerClient({ host });
    const gw = await TestGateway.start();
    cleanups.push(() => gw.stop());
    const opts = {
      dataDir: join(base, 'data'),
      host: 'test-host',
      ship: { url: gw.url, flushIntervalMs: 100, backoffMinMs: 100, backoffMaxMs: 1000, drainMs: 0 },
      docker: { host, startAt: 'beginning' as const, refreshIntervalMs: 300, retryMs: 200 },
    };
    let agent: AgentChild = await startAgent(opts);
    cleanups.push(() => agent.kill9());
    const { Id: id } = (await client.request('POST', `/containers/create?name=vigil-logs-${process.pid}`, {
      Image: 'localhost/vigil-busybox:latest',
      // 25 lines every 0.1 s: about 250 a second, so hundreds share each whole-second timestamp.
      Cmd: ['sh', '-c', `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo "container line seq=$i"; [ $((i % 25)) -eq 0 ] && sleep 0.1; done; echo "stderr done" >&2`],
      Labels: { 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': 'app' },
      HostConfig: { NetworkMode: 'none' },
    })) as { Id: string };
    await client.request('POST', `/containers/${id}/start`);
    await until(async () => countSeqs(await gw.lines()).size >= 500, 60_000, '500 lines shipped');
    await agent.kill9();
    await new Promise((r) => setTimeout(r, 1500));
    agent = await startAgent(opts);
    await until(async () => (await gw.lines()).includes('stderr done'), 90_000, 'the last line');
    await new Promise((r) => setTimeout(r, 500));
    expect(await agent.stop()).toBe(0);
    const entries = await gw.entries();
    expect(exactlyOnce(countSeqs(entries.map((e) => e.entry.line)), LINES)).toEqual([]);
    const first = entries.find((e) => e.entry.line === 'container line seq=1')!;
    expect(first.labels).toMatchObject({ job: 'docker', namespace: 'shop', pod: 'web-0', container: 'app', stream: 'stdout', host: 'test-host' });
    expect(first.entry.fields).toEqual({ container_id: id });
    expect(entries.find((e) => e.entry.line === 'stderr done')!.labels.stream).toBe('stderr');
    await client.request('DELETE', `/containers/${id}?force=true`);
  }, 240_000);
});
