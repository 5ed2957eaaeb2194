// Consul discovery against a local HTTP server. Debian has no consul package (checked with
// apt-cache), and no Consul server runs here, so the server answers /v1/agent/self,
// /v1/catalog/services and /v1/health/service/<name> with responses written for this test in
// the JSON shape of Consul's HTTP API documentation (not captured from a live agent).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsulDiscoverer, DEFAULT_HTTP_CLIENT_CONFIG, consulAggregatedStatus } from '../src/discovery/index.js';
import type { ConsulSDConfig, TargetGroup } from '../src/discovery/index.js';

const services: Record<string, string[]> = { consul: [], web: ['prod', 'v1'], db: ['prod'] };
const health: Record<string, unknown[]> = {
  web: [
    {
      Node: { ID: 'n1', Node: 'node-1', Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '10.0.0.1', wan: '198.51.100.1' }, Meta: { rack: 'r1', 'os-version': '12' } },
      Service: { ID: 'web-1', Service: 'web', Tags: ['prod', 'v1'], Address: '', Meta: { version: '1.2' }, Port: 8080, Namespace: '', Partition: '' },
      Checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: 'service:web-1', Status: 'warning' }],
    },
    {
      Node: { ID: 'n2', Node: 'node-2', Address: '10.0.0.2', Datacenter: 'dc1', TaggedAddresses: null, Meta: null },
      Service: { ID: 'web-2', Service: 'web', Tags: ['prod', 'v1'], Address: '172.16.0.9', Meta: null, Port: 8081 },
      Checks: [],
    },
  ],
  db: [{ Node: { Node: 'node-3', Address: 'fd00::3' }, Service: { ID: 'db-1', Service: 'db', Tags: ['prod'], Port: 5432 }, Checks: [{ CheckID: '_node_maintenance', Status: 'critical' }] }],
};
const seen: string[] = [];
let index = 7;

describe('ConsulDiscoverer (API-shaped responses; no Consul agent available)', () => {
  let server: Server;
  let addr = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${url.pathname}?${url.searchParams.toString()}|${req.headers['x-consul-token'] ?? ''}`);
      const send = (body: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(index) });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/v1/agent/self') return send({ Config: { Datacenter: 'dc1', NodeName: 'agent' } });
      if (url.pathname === '/v1/catalog/services') return send(services);
      const m = /^\/v1\/health\/service\/(.+)$/.exec(url.pathname);
      if (m) return send(health[decodeURIComponent(m[1]!)] ?? []);
      res.writeHead(404);
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    addr = `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const cfg = (extra: Partial<ConsulSDConfig>): ConsulSDConfig => ({ kind: 'consul', server: addr, tagSeparator: ',', scheme: 'http', services: [], tags: [], nodeMeta: {}, allowStale: true, refreshIntervalMs: 30, httpClient: DEFAULT_HTTP_CLIENT_CONFIG, ...extra });
  const plain = (gs: readonly TargetGroup[]): unknown => gs.map((g) => ({ source: g.source, labels: g.labels.toObject(), targets: g.targets.map((t) => t.toObject()) }));

  it('lists services matching all tags with Prometheus labels', async () => {
    seen.length = 0;
    const d = new ConsulDiscoverer({ config: cfg({ tags: ['v1'], token: 'secret', nodeMeta: { rack: 'r1' } }) });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    const first = (await it.next()).value as readonly TargetGroup[];
    expect(plain(first)).toEqual([
      {
        source: 'web',
        labels: { __meta_consul_service: 'web', __meta_consul_dc: 'dc1' },
        targets: [
          {
            __address__: '10.0.0.1:8080',
            __meta_consul_address: '10.0.0.1',
            __meta_consul_node: 'node-1',
            __meta_consul_tags: ',prod,v1,',
            __meta_consul_service_port: '8080',
            __meta_consul_service_id: 'web-1',
            __meta_consul_health: 'warning',
            __meta_consul_metadata_rack: 'r1',
            __meta_consul_metadata_os_version: '12',
            __meta_consul_service_metadata_version: '1.2',
            __meta_consul_tagged_address_lan: '10.0.0.1',
            __meta_consul_tagged_address_wan: '198.51.100.1',
          },
          {
            __address__: '172.16.0.9:8081',
            __meta_consul_address: '10.0.0.2',
            __meta_consul_node: 'node-2',
            __meta_consul_tags: ',prod,v1,',
            __meta_consul_service_address: '172.16.0.9',
            __meta_consul_service_port: '8081',
            __meta_consul_service_id: 'web-2',
            __meta_consul_health: 'passing',
          },
        ],
      },
    ]);
    expect(seen).toContain('/v1/health/service/web?dc=dc1&stale=&node-meta=rack%3Ar1&tag=v1|secret');
    // Same X-Consul-Index: nothing new. A new index and a service gone: its group is removed.
    index++;
    delete services.web;
    const second = (await it.next()).value as readonly TargetGroup[];
    expect(plain(second)).toEqual([{ source: 'web', labels: {}, targets: [] }]);
    ac.abort();
    expect((await it.next()).done).toBe(true);
    services.web = ['prod', 'v1'];
  });

  it('watches a fixed service list without the catalog', async () => {
    seen.length = 0;
    const d = new ConsulDiscoverer({ config: cfg({ services: ['db'], datacenter: 'dc9', allowStale: false }) });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    const first = plain((await it.next()).value as readonly TargetGroup[]) as { targets: Record<string, string>[] }[];
    expect(first[0]!.targets[0]).toMatchObject({ __address__: '[fd00::3]:5432', __meta_consul_health: 'maintenance' });
    expect(seen.some((s) => s.startsWith('/v1/catalog'))).toBe(false);
    expect(seen.some((s) => s.startsWith('/v1/agent/self'))).toBe(false);
    expect(seen[0]).toBe('/v1/health/service/db?dc=dc9|');
    ac.abort();
    await it.next();
  });

  it('aggregates check status like the Consul client', () => {
    expect(consulAggregatedStatus([])).toBe('passing');
    expect(consulAggregatedStatus([{ Status: 'passing' }, { Status: 'critical' }, { Status: 'warning' }])).toBe('critical');
    expect(consulAggregatedStatus([{ CheckID: '_service_maintenance:x', Status: 'passing' }, { Status: 'critical' }])).toBe('maintenance');
    expect(consulAggregatedStatus([{ Status: 'bogus' }])).toBe('');
  });

  it('reports an unreachable server', async () => {
    const errors: Error[] = [];
    const d = new ConsulDiscoverer({ config: cfg({ server: '127.0.0.1:1', datacenter: 'dc1', services: ['x'] }), onError: (e) => errors.push(e) });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([]);
    ac.abort();
    await it.next();
    expect(errors.length).toBe(1);
  });
});
