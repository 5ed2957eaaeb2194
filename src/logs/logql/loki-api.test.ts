import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Labels } from '../../model/index.js';
import { MemoryLogStore } from '../store/index.js';
import { LogQLEngine } from './engine.js';
import { LokiApi, lokiHandler } from './loki-api.js';
import { parseLokiTime } from './loki-params.js';
import { LokiTail } from './loki-tail.js';

const NOW = 1_700_000_000_000; // ms
const A = Labels.fromStrings('app', 'web', 'pod', 'a');
const B = Labels.fromStrings('app', 'db', 'pod', 'b');

let store: MemoryLogStore;
let api: LokiApi;
let server: Server;
let base: string;
let tail: LokiTail;

beforeAll(async () => {
  store = new MemoryLogStore();
  await store.append(A, [
    { t: NOW - 60_000, ns: 123, line: 'GET /a 200' },
    { t: NOW - 30_000, ns: 0, line: 'GET /b 500' },
  ]);
  await store.append(B, [{ t: NOW - 45_000, ns: 0, line: 'slow query 2s' }]);
  const engine = new LogQLEngine({ store });
  api = new LokiApi({ engine, now: () => NOW });
  tail = new LokiTail({ engine, now: () => NOW, flushIntervalMs: 20 });
  const handle = lokiHandler(api, { appsOf: (req) => (req.headers['x-apps'] === undefined ? undefined : String(req.headers['x-apps']).split(',').filter((x) => x !== '')) });
  server = createServer((req, res) => {
    void handle(req, res).then((done) => {
      if (!done) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/loki/api/v1/tail') tail.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  tail.close();
  await new Promise<void>((r) => server.close(() => r()));
});

async function get(path: string, params: Record<string, string | string[]> = {}, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  const res = await fetch(`${base}${path}?${qs}`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('Loki HTTP API', () => {
  it('answers buildinfo as Loki does, without the status envelope', async () => {
    const r = await get('/loki/api/v1/status/buildinfo');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    const j = JSON.parse(r.body);
    expect(Object.keys(j)).toEqual(['version', 'revision', 'branch', 'buildUser', 'buildDate', 'goVersion']);
    expect(j.version).toMatch(/^2\.\d+\.\d+$/);
  });

  it('answers query_range with streams in Loki\'s shape', async () => {
    const r = await get('/loki/api/v1/query_range', { query: '{app="web"}', limit: '10', direction: 'forward', start: String((NOW - 3_600_000) * 1e6), end: String(NOW * 1e6) });
    expect(r.status).toBe(200);
    const j = JSON.parse(r.body);
    expect(j.status).toBe('success');
    expect(j.data.resultType).toBe('streams');
    expect(j.data.result).toEqual([
      {
        stream: { app: 'web', pod: 'a' },
        values: [
          [`${NOW - 60_000}000123`, 'GET /a 200'],
          [`${NOW - 30_000}000000`, 'GET /b 500'],
        ],
      },
    ]);
    expect(Object.keys(j.data.stats)).toEqual(['summary', 'querier', 'ingester']);
    expect(j.data.stats.summary.totalLinesProcessed).toBe(2);
  });

  it('answers metric range queries with a matrix', async () => {
    const r = await get('/loki/api/v1/query_range', { query: 'sum(count_over_time({app=~".+"}[1m]))', start: String((NOW - 120_000) / 1000), end: String(NOW / 1000), step: '60' });
    const j = JSON.parse(r.body);
    expect(j.data.resultType).toBe('matrix');
    // The first line is 123 ns past NOW-60s: outside the window ending at NOW-60s, inside the next.
    expect(j.data.result).toEqual([{ metric: {}, values: [[NOW / 1000, '3']] }]);
  });

  it('answers instant queries with a vector or a scalar', async () => {
    const v = JSON.parse((await get('/loki/api/v1/query', { query: 'sum by (app) (rate({app=~".+"}[2m]))', time: '2023-11-14T22:13:20Z' })).body);
    expect(v.data.resultType).toBe('vector');
    expect(v.data.result).toEqual([
      { metric: { app: 'db' }, value: [NOW / 1000, '0.008333333333333333'] },
      { metric: { app: 'web' }, value: [NOW / 1000, '0.016666666666666666'] },
    ]);
    const s = JSON.parse((await get('/loki/api/v1/query', { query: '1 + 1', time: String(NOW / 1000) })).body);
    expect(s.data).toMatchObject({ resultType: 'scalar', result: [NOW / 1000, '2'] });
  });

  it('answers labels, label values, series and index stats', async () => {
    const range = { start: String((NOW - 3_600_000) * 1e6), end: String(NOW * 1e6) };
    expect(JSON.parse((await get('/loki/api/v1/labels', range)).body)).toEqual({ status: 'success', data: ['app', 'pod'] });
    expect(JSON.parse((await get('/loki/api/v1/label/app/values', range)).body).data).toEqual(['db', 'web']);
    expect(JSON.parse((await get('/loki/api/v1/label/pod/values', { ...range, query: '{app="db"}' })).body).data).toEqual(['b']);
    expect(JSON.parse((await get('/loki/api/v1/series', { ...range, 'match[]': ['{app="web"}', '{pod="b"}'] })).body).data).toEqual([
      { app: 'db', pod: 'b' },
      { app: 'web', pod: 'a' },
    ]);
    expect(JSON.parse((await get('/loki/api/v1/index/stats', { ...range, query: '{app="web"}' })).body)).toEqual({ streams: 1, chunks: 1, entries: 2, bytes: 20 });
  });

  it('restricts every endpoint to the caller\'s apps', async () => {
    const h = { 'x-apps': 'db' };
    const range = { start: String((NOW - 3_600_000) * 1e6), end: String(NOW * 1e6) };
    expect(JSON.parse((await get('/loki/api/v1/label/app/values', range, h)).body).data).toEqual(['db']);
    const r = JSON.parse((await get('/loki/api/v1/query_range', { ...range, query: '{pod=~".+"}' }, h)).body);
    expect(r.data.result.map((s: { stream: { app: string } }) => s.stream.app)).toEqual(['db']);
    expect(JSON.parse((await get('/loki/api/v1/series', { ...range, 'match[]': '{pod=~".+"}' }, h)).body).data).toEqual([{ app: 'db', pod: 'b' }]);
  });

  it.each([
    { name: 'parse error', params: { query: '{app=' }, status: 400, body: /parse error/ },
    { name: 'missing query', params: {}, status: 400, body: /query parameter is required/ },
    { name: 'bad limit', params: { query: '{app="web"}', limit: 'x' }, status: 400, body: /limit/ },
    { name: 'bad direction', params: { query: '{app="web"}', direction: 'sideways' }, status: 400, body: /direction/ },
    { name: 'bad time', params: { query: '{app="web"}', start: 'yesterday' }, status: 400, body: /cannot parse "yesterday"/ },
    { name: 'zero step', params: { query: 'rate({app="web"}[1m])', step: '0' }, status: 400, body: /step/ },
    { name: 'pipeline error', params: { query: 'sum_over_time({app="web"} | logfmt | unwrap nope [1m]) or count_over_time({app="web"} | json [1m])' }, status: 400, body: /pipeline error/ },
  ])('answers $name with a plain-text error', async ({ params, status, body }) => {
    const r = await get('/loki/api/v1/query_range', params as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.body).toMatch(body);
  });

  it('flushes with 204', async () => {
    const res = await fetch(`${base}/flush`, { method: 'POST' });
    expect(res.status).toBe(204);
  });

  it('accepts form-encoded POST queries', async () => {
    const res = await fetch(`${base}/loki/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: '{app="db"}', start: String((NOW - 3_600_000) * 1e6), end: String(NOW * 1e6) }).toString(),
    });
    expect(JSON.parse(await res.text()).data.result).toHaveLength(1);
  });
});

describe('Loki time parameters', () => {
  it.each([
    ['1700000000', { ms: 1_700_000_000_000, ns: 0 }],
    ['1700000000.5', { ms: 1_700_000_000_500, ns: 0 }],
    ['1700000000123456789', { ms: 1_700_000_000_123, ns: 456_789 }],
    ['2023-11-14T22:13:20.123456789Z', { ms: 1_700_000_000_123, ns: 456_789 }],
    ['2023-11-15T00:13:20+02:00', { ms: 1_700_000_000_000, ns: 0 }],
  ])('%s', (s, want) => expect(parseLokiTime(s, { ms: 0, ns: 0 }, 't')).toEqual(want));
});

describe('Loki tail', () => {
  it('sends recent history, then live entries that match', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{app="web"} |= "GET"')}&limit=10`);
    const msgs: { streams: { stream: Record<string, string>; values: [string, string][] }[] }[] = [];
    const got = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        msgs.push(JSON.parse(String(d)));
        if (msgs.flatMap((m) => m.streams.flatMap((s) => s.values)).length >= 3) resolve();
      });
    });
    await new Promise<void>((r) => ws.on('open', () => r()));
    // Wait until the history went out, then append.
    while (msgs.length === 0) await new Promise((r) => setTimeout(r, 10));
    await store.append(A, [
      { t: NOW + 1000, ns: 0, line: 'POST /c 201' },
      { t: NOW + 2000, ns: 0, line: 'GET /d 200' },
    ]);
    await got;
    ws.close();
    const lines = msgs.flatMap((m) => m.streams.flatMap((s) => s.values.map((v) => v[1])));
    expect(lines).toEqual(['GET /a 200', 'GET /b 500', 'GET /d 200']);
  });

  it('refuses a bad query before upgrading', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('sum(x')}`);
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(400);
  });
});
