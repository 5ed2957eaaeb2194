// HTTP ingest against real clients from npm: pino-loki (JSON push), winston-loki (protobuf +
// snappy push, its default, and JSON), and the official @elastic/elasticsearch client's bulk
// helper, with app tokens.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../src/instrument/index.js';
import { HttpIngest, TokenStore } from '../src/logs/receive/index.js';
import { MemoryLogStore, type LogEntry, type StreamBatch } from '../src/logs/store/index.js';
import type { Labels } from '../src/model/index.js';

const TOKEN = 'clients-token-0123456789abcdef';
const registry = new Registry();
let store = new MemoryLogStore();
let server: Server;
let url = '';

beforeAll(async () => {
  const tokens = new TokenStore({ tokens: [{ token: TOKEN, app: 'shop' }] });
  // The store is swapped per test; the ingest reads it through this proxy.
  const proxy = new Proxy({} as MemoryLogStore, { get: (_t, k) => (store as unknown as Record<string | symbol, unknown>)[k] instanceof Function ? ((store as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[k] as (...a: unknown[]) => unknown).bind(store) : (store as unknown as Record<string | symbol, unknown>)[k] });
  const ingest = new HttpIngest({ store: proxy, tokens, registry });
  server = createServer(ingest.listener());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((res) => server.close(() => res()));
});

interface Stored {
  labels: Labels;
  entry: LogEntry;
}

async function stored(): Promise<Stored[]> {
  const out: Stored[] = [];
  for await (const b of store.select({ matchers: [], mint: -8.64e15, maxt: 8.64e15, direction: 'forward', limit: 0 }) as AsyncIterable<StreamBatch>) {
    for (const e of b.entries) out.push({ labels: b.labels, entry: e });
  }
  return out;
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Loki clients', () => {
  it('pino-loki (JSON push, basic auth with the token)', async () => {
    store = new MemoryLogStore();
    const dest = pinoLoki({ host: url, batching: { interval: 0.05, maxBufferSize: 10_000 }, labels: { job: 'pino' }, basicAuth: { username: 'shop', password: TOKEN }, silenceErrors: false });
    const log = pino({ level: 'info' }, dest);
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) (i % 10 === 0 ? log.error : log.info).call(log, { seq: i }, `pino line ${i}`);
    await until(() => store.entryCount === 200);
    dest.end();
    const got = await stored();
    // pino-loki adds the pino `hostname` as a label.
    expect(new Set(got.map((g) => g.labels.toString()))).toEqual(new Set([`{app="shop", hostname="${hostname()}", job="pino", level="error"}`, `{app="shop", hostname="${hostname()}", job="pino", level="info"}`]));
    for (const g of got) {
      const o = JSON.parse(g.entry.line) as { seq: number; msg: string };
      expect(o.msg).toBe(`pino line ${o.seq}`);
      expect(g.entry.t).toBeGreaterThanOrEqual(t0 - 1);
    }
    expect(got.map((g) => (JSON.parse(g.entry.line) as { seq: number }).seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it.each([
    ['protobuf + snappy (default)', false],
    ['JSON', true],
  ])('winston-loki, %s, bearer token', async (_name, json) => {
    store = new MemoryLogStore();
    const transport = new LokiTransport({ host: url, labels: { job: 'winston' }, json, batching: true, interval: 0.05, replaceTimestamp: false, headers: { authorization: `Bearer ${TOKEN}` }, onConnectionError: (e: unknown) => console.error(e) });
    const log = winston.createLogger({ transports: [transport as unknown as winston.transport] });
    const t0 = Date.now();
    for (let i = 0; i < 150; i++) log.log({ level: i % 3 === 0 ? 'warn' : 'info', message: `winston line ${i}`, timestamp: new Date(t0 + i).toISOString(), requestId: `r${i}` });
    await until(() => store.entryCount === 150);
    await transport.flush();
    const got = await stored();
    expect(new Set(got.map((g) => g.labels.toString()))).toEqual(new Set(['{app="shop", job="winston", level="info"}', '{app="shop", job="winston", level="warn"}']));
    const byLine = new Map(got.map((g) => [g.entry.line.trim().replace(/ \{.*$/, ''), g.entry]));
    for (let i = 0; i < 150; i++) {
      const e = byLine.get(`winston line ${i}`);
      expect(e, `line ${i}`).toBeDefined();
      expect(e!.t).toBe(t0 + i);
    }
    transport.close?.();
  });

  it('a push without credentials gets 401 and stores nothing', async () => {
    store = new MemoryLogStore();
    const r = await fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}' });
    expect(r.status).toBe(401);
    expect(store.entryCount).toBe(0);
  });
});

describe('Elasticsearch client', () => {
  it('info() passes the product check; bulk helper stores documents, one bad document is dropped alone', async () => {
    store = new MemoryLogStore();
    const client = new Client({ node: url, auth: { bearer: TOKEN } });
    const info = await client.info();
    expect(info.version.number).toMatch(/^8\./);
    const docs: unknown[] = Array.from({ length: 500 }, (_, i) => ({ '@timestamp': new Date(Date.UTC(2026, 10, 22, 0, 0, 0, i)).toISOString(), message: `es line ${i}`, level: i % 2 ? 'info' : 'error', service: { name: 'checkout' } }));
    docs.splice(250, 0, 'BAD');
    const dropped: { status: number; error: { type: string } | null }[] = [];
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: (doc) => (doc === 'BAD' ? [{ index: { _index: 'logs-checkout-2026.11.22' } }, '"just a string"'] : { index: { _index: 'logs-checkout-2026.11.22' } }),
      onDrop: (d) => void dropped.push({ status: d.status, error: d.error as { type: string } | null }),
      flushBytes: 20_000,
    });
    expect([stats.total, stats.successful, stats.failed]).toEqual([501, 500, 1]);
    expect(dropped).toEqual([{ status: 400, error: expect.objectContaining({ type: 'document_parsing_exception' }) }]);
    const got = await stored();
    expect(got).toHaveLength(500);
    expect(new Set(got.map((g) => g.labels.toString()))).toEqual(new Set(['{app="shop", index="logs-checkout", level="error"}', '{app="shop", index="logs-checkout", level="info"}']));
    const e = got.find((g) => g.entry.line === 'es line 7')!.entry;
    expect([e.t, e.fields]).toEqual([Date.UTC(2026, 10, 22, 0, 0, 0, 7), { level: 'info', service_name: 'checkout' }]);
    await client.close();
  });

  it('without a token the client gets a 401 security_exception', async () => {
    const client = new Client({ node: url });
    await expect(client.info()).rejects.toMatchObject({ meta: { statusCode: 401 } });
    await client.close();
  });

  it('self-metrics count each receiver', () => {
    const text = registry.expose();
    expect(text).toMatch(/vigil_logs_received_lines_total\{receiver="elastic_bulk",format="elastic"\} 500/);
    expect(text).toMatch(/vigil_logs_received_lines_total\{receiver="loki_push",format="loki"\} 500/);
    expect(text).toMatch(/vigil_logs_rejected_total\{receiver="loki_push",reason="unauthorized"\} 1/);
  });
});

describe('oversized bodies over real HTTP', () => {
  it('a 40 MB push gets 413 and the server keeps serving', async () => {
    const small = new MemoryLogStore();
    const ingest = new HttpIngest({ store: small, maxBodyBytes: 1 << 20 });
    const srv = createServer(ingest.listener());
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const big = Buffer.alloc(40 << 20, 0x61);
      // The body is refused after 1 MiB: the answer comes while the client is still sending.
      const r = await fetch(`${base}/api/vigil/logs`, { method: 'POST', body: big });
      expect(r.status).toBe(413);
      expect(await r.text()).toMatch(/request body over 1048576 bytes/);
      const ok = await fetch(`${base}/api/vigil/logs`, { method: 'POST', body: 'fine\n' });
      expect(ok.status).toBe(200);
      expect(small.entryCount).toBe(1);
    } finally {
      await new Promise<void>((res) => srv.close(() => res()));
    }
  });
});
