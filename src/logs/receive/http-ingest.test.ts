import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { Labels, type Matcher } from '../../model/index.js';
import { MemoryLogStore, type LogEntry, type LogStore, type StreamBatch } from '../store/index.js';
import { HttpIngest, type IngestRequest } from './http-ingest.js';
import { PushRequest } from './loki-push.js';
import { TokenStore } from './token-store.js';

const TOKEN = 'web-token-0123456789abcdef';

async function all(store: MemoryLogStore): Promise<{ labels: string; entries: LogEntry[] }[]> {
  const out: { labels: string; entries: LogEntry[] }[] = [];
  for await (const b of store.select({ matchers: [] as Matcher[], mint: 0, maxt: 8.64e15, direction: 'forward', limit: 0 }) as AsyncIterable<StreamBatch>) {
    out.push({ labels: b.labels.toString(), entries: [...b.entries] });
  }
  return out.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
}

function req(method: string, url: string, body: string | Buffer = '', headers: Record<string, string> = {}): IngestRequest {
  return { method, url, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

describe('POST /api/vigil/logs', () => {
  it('text lines are parsed, query parameters become labels', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store });
    const r = await h.handle(req('POST', '/api/vigil/logs?job=batch', '2026-01-01T00:00:00Z ERROR boom\n\tat x\nplain\n', { 'content-type': 'text/plain' }));
    expect(r).toMatchObject({ status: 200, body: '{"accepted":2}' });
    const got = await all(store);
    expect(got.map((g) => [g.labels, g.entries.map((e) => e.line)])).toEqual([
      ['{job="batch", level="error"}', ['2026-01-01T00:00:00Z ERROR boom\n\tat x']],
      ['{job="batch"}', ['plain']],
    ]);
  });

  it('NDJSON: entries with line/ts/labels/fields, and other objects parsed as log lines', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store });
    const body = [
      '{"ts":"1763771000123456789","labels":{"namespace":"web"},"line":"GET /","fields":{"trace_id":"abc"}}',
      '{"level":"warn","ts":"2026-01-01T00:00:00Z","msg":"careful"}',
      '',
    ].join('\n');
    const r = await h.handle(req('POST', '/api/vigil/logs', body, { 'content-type': 'application/x-ndjson' }));
    expect(r.status).toBe(200);
    const got = await all(store);
    expect(got).toEqual([
      { labels: '{job="http", level="warn"}', entries: [{ t: Date.parse('2026-01-01T00:00:00Z'), ns: 0, line: '{"level":"warn","ts":"2026-01-01T00:00:00Z","msg":"careful"}' }] },
      { labels: '{job="http", namespace="web"}', entries: [{ t: 1763771000123, ns: 456789, line: 'GET /', fields: { trace_id: 'abc' } }] },
    ]);
  });

  it('NDJSON: a defaults line gives its labels and fields to the entries after it that carry none', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store });
    const body = [
      '{"line":"before"}',
      '{"defaults":{"labels":{"job":"varlogs","filename":"/a.log"},"fields":{"_PID":"7"}}}',
      '{"ts":"1763771000000000001","line":"one"}',
      '{"ts":"1763771000000000002","line":"two","fields":{"own":"x"}}',
      '{"ts":"1763771000000000003","line":"three","labels":{"job":"other"}}',
      '{"defaults":{"labels":{"job":"journal"}}}',
      '{"ts":"1763771000000000004","line":"four"}',
      '{"defaults":{"labels":{"job":"j2"},"fields":{"a":"b"}},"msg":"a log line with more keys"}',
      '',
    ].join('\n');
    const r = await h.handle(req('POST', '/api/vigil/logs', body, { 'content-type': 'application/x-ndjson' }));
    expect(r).toMatchObject({ status: 200, body: '{"accepted":6}' });
    expect(r.headers['vigil-logs-features']).toBe('defaults');
    const got = await all(store);
    expect(got.map((g) => [g.labels, g.entries.map((e) => [e.line, e.fields])])).toEqual([
      ['{filename="/a.log", job="varlogs"}', [['one', { _PID: '7' }], ['two', { own: 'x' }]]],
      ['{job="http"}', [['before', undefined], ['{"defaults":{"labels":{"job":"j2"},"fields":{"a":"b"}},"msg":"a log line with more keys"}', undefined]]],
      ['{job="journal"}', [['four', undefined]]],
      ['{job="other"}', [['three', { _PID: '7' }]]],
    ]);
  });

  it('a bad defaults line is a 400 naming the line, and nothing of the body is stored', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store });
    for (const [bad, want] of [
      ['{"defaults":{"labels":{"job":"a"},"level":"x"}}', /line 2: "defaults" takes "labels" and "fields", not "level"/],
      ['{"defaults":["job"]}', /line 2: "defaults" must be an object/],
      ['{"defaults":{"labels":{"1x":"a"}}}', /line 2: label "1x" must have a valid name/],
    ] as const) {
      const r = await h.handle(req('POST', '/api/vigil/logs', `{"line":"a"}\n${bad}\n{"line":"b"}\n`, { 'content-type': 'application/x-ndjson' }));
      expect(r.status).toBe(400);
      expect(r.body).toMatch(want);
    }
    expect(await all(store)).toEqual([]);
  });

  it('a bad envelope is a 400 naming the line', async () => {
    const h = new HttpIngest({ store: new MemoryLogStore() });
    const r = await h.handle(req('POST', '/api/vigil/logs', '{"line":"a"}\n{"line":"b","ts":"yesterday"}\n', { 'content-type': 'application/x-ndjson' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/line 2: "ts" is not a timestamp/);
  });
});

describe('POST /loki/api/v1/push', () => {
  const json = JSON.stringify({
    streams: [
      { stream: { job: 'api', level: 'info' }, values: [['1763771000000000001', 'one'], ['1763771000000000002', 'two', { trace_id: 't1' }]] },
      { stream: { job: 'db' }, values: [['1763771000123000000', 'three']] },
    ],
  });

  it('JSON, plain and gzip', async () => {
    for (const gz of [false, true]) {
      const store = new MemoryLogStore();
      const h = new HttpIngest({ store });
      const r = await h.handle(req('POST', '/loki/api/v1/push', gz ? gzipSync(json) : json, { 'content-type': 'application/json', ...(gz ? { 'content-encoding': 'gzip' } : {}) }));
      expect(r.status).toBe(204);
      expect(await all(store)).toEqual([
        { labels: '{job="api", level="info"}', entries: [{ t: 1763771000000, ns: 1, line: 'one' }, { t: 1763771000000, ns: 2, line: 'two', fields: { trace_id: 't1' } }] },
        { labels: '{job="db"}', entries: [{ t: 1763771000123, ns: 0, line: 'three' }] },
      ]);
    }
  });

  it('protobuf + snappy, with structured metadata', async () => {
    const msg = PushRequest.encode(
      PushRequest.create({
        streams: [{ labels: '{job="api", msg="a \\"q\\""}', entries: [{ timestamp: { seconds: 1763771000, nanos: 123456789 }, line: 'hello', structuredMetadata: [{ name: 'trace_id', value: 'x' }] }] }],
      }),
    ).finish();
    const store = new MemoryLogStore();
    const r = await new HttpIngest({ store }).handle(req('POST', '/loki/api/v1/push', compressSync(Buffer.from(msg)), { 'content-type': 'application/x-protobuf' }));
    expect(r.status).toBe(204);
    expect(await all(store)).toEqual([{ labels: '{job="api", msg="a \\"q\\""}', entries: [{ t: 1763771000123, ns: 456789, line: 'hello', fields: { trace_id: 'x' } }] }]);
  });

  it.each([
    ['not JSON', '{"streams":[', 'application/json', /invalid JSON push body/],
    ['no labels', '{"streams":[{"stream":{},"values":[["1","x"]]}]}', 'application/json', /at least one label pair/],
    ['bad timestamp', '{"streams":[{"stream":{"a":"b"},"values":[["soon","x"]]}]}', 'application/json', /Unix time in nanoseconds/],
    ['bad label name', '{"streams":[{"stream":{"1a":"b"},"values":[]}]}', 'application/json', /invalid label name "1a"/],
    ['bad snappy', 'not snappy at all', 'application/x-protobuf', /snappy/],
    ['unknown type', 'x', 'text/csv', /unsupported Content-Type/],
  ])('%s is refused with a reason', async (_n, body, type, err) => {
    const r = await new HttpIngest({ store: new MemoryLogStore() }).handle(req('POST', '/loki/api/v1/push', body, { 'content-type': type }));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body).toMatch(err);
  });

  it('tokens: 401 without, the token app replaces the app label', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store, tokens: new TokenStore({ tokens: [{ token: TOKEN, app: 'web' }] }) });
    const body = '{"streams":[{"stream":{"app":"spoof","job":"x"},"values":[["1763771000000000000","l"]]}]}';
    const denied = await h.handle(req('POST', '/loki/api/v1/push', body, { 'content-type': 'application/json' }));
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/Bearer/);
    const ok = await h.handle(req('POST', '/loki/api/v1/push', body, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }));
    expect(ok.status).toBe(204);
    expect((await all(store)).map((g) => g.labels)).toEqual(['{app="web", job="x"}']);
  });

  it('answers 503 when the store refuses, and only after trying', async () => {
    const failing: LogStore = Object.assign(new MemoryLogStore(), { append: async (): Promise<void> => Promise.reject(new Error('disk full')) });
    const r = await new HttpIngest({ store: failing }).handle(req('POST', '/loki/api/v1/push', json, { 'content-type': 'application/json' }));
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/disk full/);
  });

  it('bounds the body before and after decompression', async () => {
    const h = new HttpIngest({ store: new MemoryLogStore(), maxBodyBytes: 1000, maxDecodedBytes: 100_000 });
    expect((await h.handle(req('POST', '/loki/api/v1/push', 'x'.repeat(2000), { 'content-type': 'application/json' }))).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10_000_000));
    expect(bomb.length).toBeLessThan(1000 * 20);
    const h2 = new HttpIngest({ store: new MemoryLogStore(), maxBodyBytes: 1 << 20, maxDecodedBytes: 100_000 });
    const r = await h2.handle(req('POST', '/loki/api/v1/push', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
    expect(r.status).toBe(413);
  });
});

describe('Elasticsearch', () => {
  it('GET / answers cluster info with the product header; the UI keeps text/html at the root', async () => {
    const h = new HttpIngest({ store: new MemoryLogStore() });
    const r = await h.handle(req('GET', '/', '', { accept: 'application/json' }));
    expect(r.status).toBe(200);
    expect(r.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(JSON.parse(r.body).version.number).toBe('8.17.0');
    expect(h.handles('GET', '/', { accept: 'text/html,application/xhtml+xml' })).toBe(false);
    const prefixed = new HttpIngest({ store: new MemoryLogStore(), elastic: { prefix: '/elastic' } });
    expect(prefixed.handles('GET', '/', {})).toBe(false);
    expect(prefixed.handles('GET', '/elastic', { accept: 'text/html' })).toBe(true);
    expect(prefixed.handles('POST', '/elastic/logs-2026.11.22/_bulk')).toBe(true);
  });

  it('bulk: documents stored, one bad document fails alone', async () => {
    const store = new MemoryLogStore();
    const h = new HttpIngest({ store });
    const body = [
      '{"index":{"_index":"logs-2026.11.22"}}',
      '{"@timestamp":"2026-11-22T00:00:01.5Z","message":"first","log.level":"error","kubernetes":{"namespace_name":"web","pod_name":"p1","container_name":"nginx","labels":{"app":"shop"}},"stream":"stderr"}',
      '{"create":{"_id":"x2"}}',
      '{"@timestamp":"2026-11-22T00:00:02Z","message":"broken',
      '{"index":{}}',
      '["not","an","object"]',
      '{"create":{}}',
      '{"log":"second\\n","time":"2026-11-22T00:00:03Z","host":"node1"}',
      '{"delete":{"_id":"1"}}',
      '',
    ].join('\n');
    const r = await h.handle(req('POST', '/logs-default/_bulk', body, { 'content-type': 'application/x-ndjson' }));
    expect(r.status).toBe(200);
    const res = JSON.parse(r.body) as { errors: boolean; items: Record<string, { status: number; error?: { type: string } }>[] };
    expect(res.errors).toBe(true);
    expect(res.items.map((i) => Object.entries(i).map(([a, v]) => [a, v.status, v.error?.type])[0])).toEqual([
      ['index', 201, undefined],
      ['create', 400, 'document_parsing_exception'],
      ['index', 400, 'document_parsing_exception'],
      ['create', 201, undefined],
      ['delete', 400, 'action_request_validation_exception'],
    ]);
    expect(await all(store)).toEqual([
      { labels: '{container="nginx", index="logs", level="error", namespace="web", pod="p1", stream="stderr"}', entries: [{ t: Date.parse('2026-11-22T00:00:01.5Z'), ns: 0, line: 'first', fields: { log_level: 'error', kubernetes_labels_app: 'shop' } }] },
      { labels: '{host="node1", index="logs-default"}', entries: [{ t: Date.parse('2026-11-22T00:00:03Z'), ns: 0, line: 'second' }] },
    ]);
  });

  it('a malformed action line fails the request, as in Elasticsearch', async () => {
    const r = await new HttpIngest({ store: new MemoryLogStore() }).handle(req('POST', '/_bulk', 'nope\n{}\n'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.reason).toMatch(/Malformed action\/metadata line \[1\]/);
  });

  it('start-up calls of shippers are answered', async () => {
    const h = new HttpIngest({ store: new MemoryLogStore() });
    for (const [m, u] of [['GET', '/_license'], ['GET', '/_cluster/health'], ['PUT', '/_index_template/ecs-logstash'], ['GET', '/_ilm/policy/x'], ['GET', '/_nodes/http']]) {
      expect((await h.handle(req(m!, u!, '{}'))).status, u).toBe(200);
    }
    expect((await h.handle(req('DELETE', '/_bulk'))).status).toBe(405);
    expect((await h.handle(req('POST', '/nothing/here/at/all'))).status).toBe(404);
  });
});

describe('metrics', () => {
  it('counts lines per receiver and format, fallbacks and rejections', async () => {
    const registry = new Registry();
    const h = new HttpIngest({ store: new MemoryLogStore(), registry, tokens: new TokenStore({ tokens: [{ token: TOKEN, app: 'web' }] }) });
    await h.handle(req('POST', '/api/vigil/logs', 'plain\n{"level":"info"}\n', { authorization: `Bearer ${TOKEN}` }));
    await h.handle(req('POST', '/api/vigil/logs', 'x\n'));
    const text = registry.expose();
    expect(text).toContain('vigil_logs_received_lines_total{receiver="http_vigil",format="unknown"} 1');
    expect(text).toContain('vigil_logs_received_lines_total{receiver="http_vigil",format="json"} 1');
    expect(text).toContain('vigil_logs_parse_fallbacks_total{receiver="http_vigil"} 1');
    expect(text).toContain('vigil_logs_rejected_total{receiver="http_vigil",reason="unauthorized"} 1');
    expect(Labels.EMPTY.isEmpty()).toBe(true);
  });
});
