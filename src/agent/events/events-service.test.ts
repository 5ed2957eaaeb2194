import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { DockerClient } from '../docker/index.js';
import { EventsService, type EventEntry } from './index.js';
import { shared } from '../../../test/support/shared.js';

const ID = '0724af52ec7699cd3bfe48a7e1de21dc772174cc1fc485771c43b2730ebe0c82';
const ev = (action: string, sec: number, nano: number, extra: Record<string, string> = {}): string =>
  // timeNano is a bare 19-digit number, as engines send it.
  JSON.stringify({ Type: 'container', Action: action, Actor: { ID, Attributes: { name: 'web', image: 'nginx:1.25', ...extra } }, scope: 'local', time: sec, timeNano: 'NANO' }).replace('"NANO"', `${sec}${String(nano).padStart(9, '0')}`);

describe('EventsService against a fake engine that drops the stream', () => {
  let dir: string;
  let server: Server;
  const sinces: string[] = [];
  let connection = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ev-'));
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://d');
      if (url.pathname === '/version') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Components":[{"Name":"Podman Engine"}]}');
      if (url.pathname.startsWith('/containers/')) return void res.writeHead(404).end('{"message":"no such container"}');
      if (url.pathname !== '/events') return void res.writeHead(404).end();
      sinces.push(url.searchParams.get('since') ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      connection++;
      if (connection === 1) {
        // Two events, then the connection breaks.
        res.write(ev('create', 1700000000, 1) + '\n' + ev('start', 1700000001, 5) + '\n');
        setTimeout(() => res.destroy(), 20);
      } else if (connection === 2) {
        // The engine replays the second asked for (start again), then new events.
        res.write(ev('start', 1700000001, 5) + '\n' + ev('health_status: healthy', 1700000001, 9) + '\n' + ev('die', 1700000002, 1, { exitCode: '137' }) + '\n');
      }
    });
    await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects from the last second, skips the replayed event, counts and emits each once', async () => {
    const registry = new Registry();
    const entries: EventEntry[] = [];
    const errors: unknown[] = [];
    const svc = new EventsService({
      client: new DockerClient({ host: `unix://${join(dir, 's.sock')}` }),
      registry,
      host: 'node-1',
      sinceMs: 1_699_999_999_000,
      reconnectMinMs: 10,
      sink: { emit: (e) => void entries.push(e) },
      onError: (e) => errors.push(e),
    });
    const ac = new AbortController();
    const done = svc.run(ac.signal);
    for (let i = 0; i < 200 && entries.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await done;
    expect(entries.map((e) => e.fields.action)).toEqual(['create', 'start', 'health_status', 'die']);
    expect(sinces.slice(0, 2)).toEqual(['1699999999', '1700000001']);
    expect(errors.length).toBeGreaterThanOrEqual(1); // the dropped connection
    expect(entries[3]).toEqual({
      stream: { source: 'podman', host: 'node-1', type: 'container', container: 'web' },
      t: 1700000002000,
      ns: 1,
      line: `type=container action=die name=web image=nginx:1.25 id=${ID.slice(0, 12)} exitCode=137`,
      fields: { type: 'container', action: 'die', id: ID, name: 'web', image: 'nginx:1.25', scope: 'local', time_nano: '1700000002000000001', exitCode: '137', attr_name: 'web', attr_image: 'nginx:1.25' },
    });
    expect(entries[2]!.fields.action_detail).toBe('healthy');
    const text = registry.expose();
    expect(text).toContain('vigil_container_events_total{type="container",action="start"} 1');
    expect(text).toContain('vigil_container_events_total{type="container",action="health_status"} 1');
    expect(text).toMatch(/vigil_container_events_reconnects_total [1-9]/);
  });

  it("counts Docker's own events from the API reference stream, image and network ones included", async () => {
    const { readFileSync } = await import('node:fs');
    const { JsonObjectSplitter, parseDockerEvent } = await import('../docker/index.js');
    const registry = new Registry();
    const entries: EventEntry[] = [];
    const svc = new EventsService({ client: new DockerClient({ host: 'unix:///nonexistent.sock' }), registry, host: 'h', source: 'docker', sink: { emit: (e) => void entries.push(e) } });
    for (const t of new JsonObjectSplitter({ path: '/events' }).push(readFileSync(shared('corpus/docker-api/moby-api-docs-v1.24/events.json-stream')))) await svc.handle(parseDockerEvent(t));
    const text = registry.expose();
    for (const [type, action] of [['image', 'pull'], ['container', 'create'], ['container', 'start'], ['container', 'die'], ['container', 'destroy'], ['network', 'connect'], ['network', 'disconnect']]) {
      expect(text).toContain(`vigil_container_events_total{type="${type}",action="${action}"} 1`);
    }
    const destroy = entries.find((e) => e.fields.action === 'destroy')!;
    expect(destroy.stream).toEqual({ source: 'docker', host: 'h', type: 'container', container: 'my-container' });
    expect(entries.find((e) => e.fields.type === 'network' && e.fields.action === 'connect')!.stream).toEqual({ source: 'docker', host: 'h', type: 'network' });
  });

  it('reports kernel OOM kills as container events of source kernel', async () => {
    const entries: EventEntry[] = [];
    const registry = new Registry();
    const svc = new EventsService({ client: new DockerClient({ host: 'unix:///nonexistent.sock' }), registry, host: 'h', sink: { emit: (e) => void entries.push(e) } });
    await svc.handleOom({ t: 1_700_000_000_123, cgroupPath: `/docker/${ID}`, oomCgroupPath: `/docker/${ID}`, constraint: 'CONSTRAINT_MEMCG', task: 'dd', pid: 4242 });
    expect(entries[0]).toMatchObject({ stream: { source: 'kernel', host: 'h', type: 'container' }, t: 1_700_000_000_123, fields: { action: 'oom_kill', id: ID, task: 'dd', pid: '4242' } });
    expect(entries[0]!.line).toBe(`type=container action=oom_kill id=${ID.slice(0, 12)} task=dd pid=4242 constraint=CONSTRAINT_MEMCG`);
    expect(registry.expose()).toContain('vigil_container_events_total{type="container",action="oom_kill"} 1');
  });
});

describe('EventsService position file', () => {
  it('resumes after a restart where it stopped: events of the last second handled are not repeated, later ones are delivered', async () => {
    const { parseDockerEvent } = await import('../docker/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-evpos-'));
    try {
      const positionFile = join(dir, 'events-position.json');
      const client = new DockerClient({ host: `unix://${join(dir, 'none.sock')}` });
      const make = (entries: EventEntry[], errors: unknown[] = []) =>
        new EventsService({ client, host: 'n', source: 'docker', positionFile, positionWriteMs: 5, sink: { emit: (e) => void entries.push(e) }, onError: (e) => errors.push(e) });
      const first: EventEntry[] = [];
      const a = make(first);
      for (const t of [ev('create', 1700000100, 1), ev('start', 1700000101, 5)]) await a.handle(parseDockerEvent(t));
      await new Promise((r) => setTimeout(r, 30));
      // kill -9 here: nothing else is written. A new process reads the position.
      const second: EventEntry[] = [];
      const b = make(second);
      for (const t of [ev('create', 1700000100, 1), ev('start', 1700000101, 5), ev('die', 1700000101, 9), ev('destroy', 1700000102, 0)]) await b.handle(parseDockerEvent(t));
      expect(first.map((e) => e.fields.action)).toEqual(['create', 'start']);
      expect(second.map((e) => e.fields.action)).toEqual(['die', 'destroy']);
      // A damaged file is reported and ignored (the stream starts at now).
      const { writeFileSync } = await import('node:fs');
      writeFileSync(positionFile, '{"sec":"x"}');
      const errors: unknown[] = [];
      const third: EventEntry[] = [];
      const c = make(third, errors);
      await c.handle(parseDockerEvent(ev('start', 1700000101, 5)));
      expect(third).toHaveLength(1);
      expect(String(errors[0])).toContain('events position file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
