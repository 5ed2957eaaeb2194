// The agent's Docker side against real containers: podman's Docker-compatible API (v1.41)
// with runc containers, from ../shared/recipes/podman-setup.sh. The client lists, inspects
// and reads logs; the events service turns the stream into counters and entries; the cgroup
// collector finds the container's cgroups and labels them from the container cache; an OOM
// kill podman does not report is seen in the kernel log and reported as the container's event.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CgroupCollector,
  ContainerCache,
  DockerClient,
  EventsService,
  KmsgOomWatcher,
  MetricBatch,
  renderText,
  type EventEntry,
  type OomEvent,
} from '../src/agent/index.js';
import { Registry } from '../src/instrument/index.js';
import { IN_CI, peer } from './support/peers.js';
import { shared } from './support/shared.js';

const RECIPE = shared('recipes/podman-setup.sh');
const podman = process.getuid?.() === 0 && existsSync(RECIPE) ? peer('podman') : undefined;
if (podman === undefined && IN_CI && process.getuid?.() === 0) throw new Error('podman is needed for the Docker API tests');
const DIR = `/tmp/vigil-podman-t${process.pid}`;

interface Created {
  Id: string;
}

describe.skipIf(podman === undefined)('agent against podman (Docker API v1.41, real containers)', () => {
  let client: DockerClient;
  let cache: ContainerCache;
  let events: EventsService;
  let watcher: KmsgOomWatcher;
  const registry = new Registry();
  const entries: EventEntry[] = [];
  const ooms: OomEvent[] = [];
  const errors: unknown[] = [];
  const ac = new AbortController();
  let running: Promise<unknown>;
  const name = `vigil-t${process.pid}`;
  let id = '';

  const waitFor = async (what: string, ok: () => boolean, ms = 15_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; entries: ${entries.map((e) => e.line).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    const env = execFileSync(RECIPE, ['up', DIR], { encoding: 'utf8', timeout: 120_000 });
    const host = /^DOCKER_HOST=(.*)$/m.exec(env)?.[1];
    expect(host).toBeDefined();
    client = new DockerClient({ host });
    cache = new ContainerCache({ client, refreshMs: 60_000 });
    events = new EventsService({ client, cache, registry, host: 'node-1', sinceMs: Date.now() - 1000, sink: { emit: (e) => void entries.push(e) }, onError: (e) => errors.push(e) });
    watcher = new KmsgOomWatcher({ pollMs: 50, onOom: (e) => (ooms.push(e), void events.handleOom(e)) });
    running = Promise.all([events.run(ac.signal), cache.run(ac.signal), watcher.run(ac.signal)]);
  }, 180_000);

  afterAll(async () => {
    ac.abort();
    await running;
    execFileSync(RECIPE, ['down', DIR], { encoding: 'utf8', timeout: 120_000 });
  }, 180_000);

  it('lists, inspects, follows events and labels the container cgroup', async () => {
    expect(await client.ping()).toMatch(/^1\.\d+/);
    const created = (await client.request('POST', `/containers/create?name=${name}`, {
      Image: 'localhost/vigil-busybox:latest',
      Cmd: ['sh', '-c', 'echo hello; echo oops >&2; i=0; while [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done'],
      Labels: { 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': 'app' },
      HostConfig: { Memory: 64 << 20, NetworkMode: 'none' },
    })) as Created;
    id = created.Id;
    await client.request('POST', `/containers/${id}/start`);
    await waitFor('start event', () => entries.some((e) => e.fields.action === 'start' && e.fields.id === id));

    const list = await client.listContainers();
    expect(list.find((c) => c.id === id)).toMatchObject({ name, image: 'localhost/vigil-busybox:latest', state: 'running', labels: { 'io.kubernetes.pod.name': 'web-0' } });
    const d = await client.inspectContainer(id);
    expect(d).toMatchObject({ id, name, running: true, tty: false, memoryLimit: 64 << 20 });
    expect(d.pid).toBeGreaterThan(1);
    expect(cache.get(id)?.name).toBe(name);

    const start = entries.find((e) => e.fields.action === 'start' && e.fields.id === id)!;
    expect(start.stream).toEqual({ source: 'podman', host: 'node-1', type: 'container', container: name });
    expect(start.line).toBe(`type=container action=start name=${name} image=localhost/vigil-busybox:latest id=${id.slice(0, 12)}`);
    expect(start.fields['io.kubernetes.pod.name']).toBe('web-0');

    const lines = [];
    await waitFor('container output', () => true);
    for (let i = 0; i < 40; i++) {
      lines.length = 0;
      for await (const l of client.logs(id, { tty: false })) lines.push(l);
      if (lines.length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'hello'],
      ['stderr', 'oops'],
    ]);
    expect(lines[0]!.t).toBeGreaterThan(Date.now() - 120_000);

    // The container's cgroups (podman with cgroupfs: /libpod_parent/libpod-<id>), labelled from the cache.
    const collector = new CgroupCollector({ metadata: cache, oom: watcher });
    const b = new MetricBatch();
    await collector.collect(b);
    const found = collector.containers().find((c) => c.id === id);
    expect(found).toMatchObject({ runtime: 'podman', cgroupPath: `/libpod_parent/libpod-${id}` });
    const text = renderText(b);
    const labels = `container="app",id="/libpod_parent/libpod-${id}",image="localhost/vigil-busybox:latest",name="${name}",namespace="shop",pod="web-0"`;
    expect(text).toContain(`container_spec_memory_limit_bytes{${labels}} 6.7108864e+07`); // Go's %g, as cAdvisor prints it
    expect(text).toMatch(new RegExp(`container_cpu_usage_seconds_total\\{container="app",cpu="total",id="/libpod_parent/libpod-${id}"[^}]*\\} [0-9.e-]+\\n`));
    expect(text).toMatch(new RegExp(`container_processes\\{${labels.replace(/[()[\]{}.*+?^$|\\/]/g, '\\$&')}\\} [1-9]`));

    await client.request('POST', `/containers/${id}/kill?signal=KILL`);
    await waitFor('die event', () => entries.some((e) => e.fields.action === 'die' && e.fields.id === id));
    expect(entries.find((e) => e.fields.action === 'die' && e.fields.id === id)!.fields.exitCode).toBe('137');
    await client.request('DELETE', `/containers/${id}?force=1`);
    await waitFor('remove event', () => entries.some((e) => e.fields.action === 'remove' && e.fields.id === id));
    expect(cache.get(id)).toBeUndefined();
    const exp = registry.expose();
    for (const a of ['create', 'init', 'start', 'die', 'remove']) expect(exp).toMatch(new RegExp(`vigil_container_events_total\\{type="container",action="${a}"\\} [1-9]`));
  });

  it('sees an OOM kill podman does not report, through the kernel log, as the container event', async () => {
    const created = (await client.request('POST', `/containers/create?name=${name}-oom`, {
      Image: 'localhost/vigil-busybox:latest',
      Cmd: ['sh', '-c', 'sleep 0.3; dd if=/dev/zero of=/dev/null bs=128M count=1; sleep 30'],
      HostConfig: { Memory: 64 << 20, NetworkMode: 'none' },
    })) as Created;
    await client.request('POST', `/containers/${created.Id}/start`);
    await waitFor('OOM kill in the kernel log', () => ooms.some((o) => o.cgroupPath.endsWith(created.Id)));
    await waitFor('oom_kill event', () => entries.some((e) => e.fields.action === 'oom_kill' && e.fields.id === created.Id));
    const e = entries.find((x) => x.fields.action === 'oom_kill' && x.fields.id === created.Id)!;
    expect(e.stream).toEqual({ source: 'kernel', host: 'node-1', type: 'container', container: `${name}-oom` });
    expect(e.fields.task).toBe('dd');
    expect(watcher.count(`/libpod_parent/libpod-${created.Id}`)).toBe(1);
    // The cgroup's own counter agrees while the container lives.
    const b = new MetricBatch();
    await new CgroupCollector({ metadata: cache, oom: watcher }).collect(b);
    expect(renderText(b)).toMatch(new RegExp(`container_oom_events_total\\{[^}]*libpod-${created.Id}[^}]*\\} 1\\n`));
    expect(registry.expose()).toMatch(/vigil_container_events_total\{type="container",action="oom_kill"\} [1-9]/);
    await client.request('DELETE', `/containers/${created.Id}?force=1`);
  });
});
