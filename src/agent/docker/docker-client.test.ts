import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApiError, DockerClient, DockerConnectionError } from './index.js';
import { shared } from '../../../test/support/shared.js';

const CORPUS = shared('corpus/docker-api');
const LIST = readFileSync(join(CORPUS, 'telegraf/list.json'));
const INSPECT = readFileSync(join(CORPUS, 'watchtower/container_running.json'));
const EVENTS = readFileSync(join(CORPUS, 'moby-api-docs-v1.24/events.json-stream'));

function frame(stream: 1 | 2, text: string): Buffer {
  const p = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

describe('DockerClient against a fake engine on a unix socket', () => {
  let dir: string;
  let server: Server;
  let client: DockerClient;
  const seen: string[] = [];
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-docker-'));
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const url = new URL(req.url!, 'http://d');
      const p = url.pathname.replace(/^\/v1\.\d+/, '');
      if (p === '/_ping') {
        res.writeHead(200, { 'Api-Version': '1.41' }).end('OK');
      } else if (p === '/containers/json') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(LIST);
      } else if (p.startsWith('/containers/') && p.endsWith('/json')) {
        if (p.includes('missing')) res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container: missing"}');
        else res.writeHead(200, { 'Content-Type': 'application/json' }).end(INSPECT);
      } else if (p === '/events') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // Dribble the pretty-printed stream in 37-byte pieces, then keep it open.
        let i = 0;
        const tick = (): void => {
          if (i >= EVENTS.length) {
            if (url.searchParams.has('until')) res.end();
            else open.add(res);
            return;
          }
          res.write(EVENTS.subarray(i, i + 37));
          i += 37;
          setImmediate(tick);
        };
        tick();
      } else if (p.endsWith('/logs')) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        const body = Buffer.concat([frame(1, '2024-05-01T10:00:00.000000001Z a\n'), frame(2, '2024-05-01T10:00:00.5Z b\n')]);
        res.write(body.subarray(0, 5));
        res.end(body.subarray(5));
      } else {
        res.writeHead(404).end('{"message":"page not found"}');
      }
    });
    await new Promise<void>((r) => server.listen(join(dir, 'docker.sock'), r));
    client = new DockerClient({ host: `unix://${join(dir, 'docker.sock')}` });
  });

  afterAll(async () => {
    for (const r of open) r.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('pings and reads the API version', async () => {
    expect(await client.ping()).toBe('1.41');
  });

  it('lists containers with names, images and labels', async () => {
    const list = await client.listContainers({ all: true, filters: { status: ['running'] } });
    expect(list[0]).toMatchObject({ id: 'e2173b9478a6ae55e237d4d74f8bbb753f0817192b5081334dc78476296b7dfb', name: 'etcd', image: 'quay.io/coreos/etcd:v3.3.25', labels: { label1: 'test_value_1' }, state: 'running' });
    expect(seen.at(-1)).toBe('GET /containers/json?all=1&filters=%7B%22status%22%3A%5B%22running%22%5D%7D');
  });

  it('inspects a container', async () => {
    const d = await client.inspectContainer('abc');
    expect(d).toMatchObject({ name: 'portainer', imageId: 'sha256:19d07168491a3f9e2798a9bed96544e34d57ddc4757a4ac5bb199dea896c87fd', running: true, pid: 3854, tty: false, logDriver: 'json-file', image: 'portainer/portainer:latest' });
    expect(d.startedAt).toBe(Date.parse('2019-04-13T22:38:24.498Z'));
  });

  it('turns an engine error into DockerApiError with the engine message', async () => {
    const err = await client.inspectContainer('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect(err).toMatchObject({ status: 404, engineMessage: 'No such container: missing' });
  });

  it('streams events until until', async () => {
    const evs = [];
    for await (const e of client.events({ since: 0, until: 1 })) evs.push(e);
    expect(evs.map((e) => `${e.type}/${e.action}`)).toContain('container/start');
    expect(evs.length).toBe((EVENTS.toString().match(/"Type"/g) ?? []).length);
  });

  it('ends a live events stream quietly when the signal aborts', async () => {
    const ac = new AbortController();
    const got: string[] = [];
    for await (const e of client.events({ filters: { type: ['container'] } }, ac.signal)) {
      got.push(e.action);
      if (got.length === 2) ac.abort();
    }
    expect(got).toHaveLength(2);
  });

  it('reads logs as lines with stream and timestamp', async () => {
    const lines = [];
    for await (const l of client.logs('abc', { tty: false, since: '1714557600.000000001' })) lines.push(l);
    expect(lines).toEqual([
      { stream: 'stdout', t: Date.UTC(2024, 4, 1, 10), ns: 1, timestamp: '2024-05-01T10:00:00.000000001Z', line: 'a' },
      { stream: 'stderr', t: Date.UTC(2024, 4, 1, 10, 0, 0, 500), ns: 0, timestamp: '2024-05-01T10:00:00.5Z', line: 'b' },
    ]);
    expect(seen.at(-1)).toBe('GET /containers/abc/logs?stdout=1&stderr=1&timestamps=1&since=1714557600.000000001');
  });

  it('pins an API version when asked', async () => {
    const c = new DockerClient({ host: `unix://${join(dir, 'docker.sock')}`, apiVersion: '1.41' });
    await c.ping();
    expect(seen.at(-1)).toBe('GET /v1.41/_ping');
  });

  it('talks to an engine over TCP (DOCKER_HOST=tcp://…)', async () => {
    const tcp = createServer((req, res) => {
      if (req.url === '/containers/json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(LIST);
      else res.writeHead(404).end('{"message":"nope"}');
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      const c = new DockerClient({ host: `tcp://127.0.0.1:${(tcp.address() as { port: number }).port}` });
      expect(c.describe()).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      expect((await c.listContainers())[0]!.name).toBe('etcd');
    } finally {
      tcp.closeAllConnections();
      await new Promise((r) => tcp.close(r));
    }
  });

  it('reports a missing socket as DockerConnectionError with the OS code', async () => {
    const c = new DockerClient({ host: `unix://${join(dir, 'nope.sock')}` });
    const err = await c.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).code).toBe('ENOENT');
  });
});
