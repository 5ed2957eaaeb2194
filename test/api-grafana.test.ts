// The calls Grafana's Prometheus data source makes, with its parameters and headers: the
// "Save & test" probe, build info detection, metric/label/value completion (GET and POST, with
// match[] and start/end), series, metadata, range queries with timeout and fractional steps,
// exemplars, all gzip-compressed like Grafana asks.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, Router, mountPrometheusApi } from '../src/api/index.js';
import { Labels } from '../src/model/index.js';
import { Engine } from '../src/promql/index.js';
import { MemoryStorage } from '../src/storage/index.js';

const NOW = 1_700_000_000;
const GRAFANA_HEADERS = { 'Accept-Encoding': 'gzip', 'User-Agent': 'Grafana/10.4.0', 'X-Grafana-Org-Id': '1', Accept: 'application/json, text/plain, */*' };

let base = '';
let close: () => Promise<void>;
beforeAll(async () => {
  const st = new MemoryStorage();
  const app = st.appender();
  for (let i = 0; i <= 240; i++) {
    const t = (NOW - 3600 + i * 15) * 1000;
    for (const cpu of ['0', '1']) {
      for (const [mode, rate] of [['idle', 0.8], ['user', 0.15], ['system', 0.05]] as const) {
        app.append(0, Labels.fromStrings('__name__', 'node_cpu_seconds_total', 'cpu', cpu, 'mode', mode, 'instance', 'host:9100', 'job', 'node'), t, i * 15 * rate);
      }
    }
    app.append(0, Labels.fromStrings('__name__', 'up', 'instance', 'host:9100', 'job', 'node'), t, 1);
  }
  await app.commit();
  const router = new Router();
  mountPrometheusApi(router, {
    engine: new Engine({ queryable: st }),
    queryable: st,
    now: () => NOW * 1000,
    buildInfo: { version: '3.0.0', revision: 'vigil', branch: 'main', buildUser: 'vigil', buildDate: '20240101-00:00:00', goVersion: process.version },
  });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  base = `http://127.0.0.1:${(await srv.listen()).port}`;
  close = () => srv.close();
});
afterAll(() => close());

// Node's fetch decompresses transparently; read the raw body to check Grafana gets gzip.
async function grafana(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>): Promise<{ status: number; gzip: boolean; json: Record<string, unknown> }> {
  const http = await import('node:http');
  const body = form === undefined ? undefined : new URLSearchParams(Object.entries(form).flatMap(([k, v]): [string, string][] => (Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]]))).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, headers: { ...GRAFANA_HEADERS, ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const raw = Buffer.concat(parts);
        const gzip = res.headers['content-encoding'] === 'gzip';
        resolve({ status: res.statusCode ?? 0, gzip, json: JSON.parse((gzip ? gunzipSync(raw) : raw).toString()) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("Grafana's Prometheus data source", () => {
  it('"Save & test" runs 1+1 as an instant query', async () => {
    const r = await grafana('GET', `/api/v1/query?query=1%2B1&time=${NOW}`);
    expect(r).toEqual({ status: 200, gzip: true, json: { status: 'success', data: { resultType: 'scalar', result: [NOW, '2'] } } });
  });

  it('detects the server flavour and version from buildinfo', async () => {
    const r = await grafana('GET', '/api/v1/status/buildinfo');
    expect((r.json['data'] as Record<string, string>)['version']).toBe('3.0.0');
    expect(r.json['data']).not.toHaveProperty('application'); // Mimir/Cortex/Thanos set it; Prometheus does not
  });

  it('completes metric names', async () => {
    const r = await grafana('GET', `/api/v1/label/__name__/values?start=${NOW - 3600}&end=${NOW}`);
    expect(r.json).toEqual({ status: 'success', data: ['node_cpu_seconds_total', 'up'] });
  });

  it('completes label names for a metric, GET and POST', async () => {
    const get = await grafana('GET', `/api/v1/labels?match[]=${encodeURIComponent('{__name__="node_cpu_seconds_total"}')}&start=${NOW - 3600}&end=${NOW}`);
    const post = await grafana('POST', '/api/v1/labels', { 'match[]': '{__name__="node_cpu_seconds_total"}', start: String(NOW - 3600), end: String(NOW) });
    expect(get.json).toEqual({ status: 'success', data: ['__name__', 'cpu', 'instance', 'job', 'mode'] });
    expect(post.json).toEqual(get.json);
  });

  it('completes label values with match[] and start/end', async () => {
    const r = await grafana('GET', `/api/v1/label/mode/values?match[]=${encodeURIComponent('node_cpu_seconds_total{cpu="0"}')}&start=${NOW - 600}&end=${NOW}`);
    expect(r.json).toEqual({ status: 'success', data: ['idle', 'system', 'user'] });
  });

  it('lists series for the query builder', async () => {
    const r = await grafana('POST', '/api/v1/series', { 'match[]': ['up', 'node_cpu_seconds_total{cpu="1",mode="idle"}'], start: String(NOW - 600), end: String(NOW) });
    expect(r.json['data']).toEqual([
      { __name__: 'node_cpu_seconds_total', cpu: '1', instance: 'host:9100', job: 'node', mode: 'idle' },
      { __name__: 'up', instance: 'host:9100', job: 'node' },
    ]);
  });

  it('reads metric metadata (none without targets)', async () => {
    expect((await grafana('GET', '/api/v1/metadata')).json).toEqual({ status: 'success', data: {} });
    expect((await grafana('GET', '/api/v1/metadata?metric=up')).json).toEqual({ status: 'success', data: {} });
  });

  it('runs dashboard range queries with timeout and fractional steps', async () => {
    const r = await grafana('POST', '/api/v1/query_range', {
      query: '1 - avg(irate(node_cpu_seconds_total{mode="idle"}[2m]))',
      start: String(NOW - 60),
      end: String(NOW),
      step: '22.5',
      timeout: '30s',
    });
    expect(r.status).toBe(200);
    const data = r.json['data'] as { resultType: string; result: { metric: object; values: [number, string][] }[] };
    expect(data.resultType).toBe('matrix');
    expect(data.result[0]!.metric).toEqual({});
    expect(data.result[0]!.values.map(([t]) => t)).toEqual([NOW - 60, NOW - 37.5, NOW - 15]);
    for (const [, v] of data.result[0]!.values) expect(Number(v)).toBeCloseTo(0.2, 10);
  });

  it('asks for exemplars alongside range queries', async () => {
    const r = await grafana('GET', `/api/v1/query_exemplars?query=${encodeURIComponent('rate(node_cpu_seconds_total[5m])')}&start=${NOW - 600}&end=${NOW}`);
    expect(r.json).toEqual({ status: 'success', data: [] });
  });

  it('shows query errors the way Grafana displays them', async () => {
    const r = await grafana('POST', '/api/v1/query_range', { query: 'rate(up)', start: String(NOW - 60), end: String(NOW), step: '15' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
    });
  });
});
