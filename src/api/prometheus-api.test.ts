import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { MemoryStorage } from '../storage/index.js';
import { Db } from '../tsdb/index.js';
import { HttpServer, Router, mountPrometheusApi } from './index.js';
import type { PrometheusApiDeps } from './prometheus-api.js';

const NOW = 1_700_000_000_000;

interface Fixture {
  readonly base: string;
  readonly storage: MemoryStorage;
  close(): Promise<void>;
}

async function start(extra: Partial<PrometheusApiDeps> = {}, storage = new MemoryStorage()): Promise<Fixture> {
  const router = new Router();
  mountPrometheusApi(router, { engine: new Engine({ queryable: storage }), queryable: storage, appendable: storage, now: () => NOW, ...extra });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  const addr = await srv.listen();
  return { base: `http://127.0.0.1:${addr.port}`, storage, close: () => srv.close() };
}

async function seed(st: MemoryStorage): Promise<void> {
  const app = st.appender();
  for (let i = 0; i <= 40; i++) {
    const t = NOW - 600_000 + i * 15_000;
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'node', 'instance', 'a:9100'), t, 1);
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'node', 'instance', 'b:9100'), t, i < 20 ? 1 : 0);
    app.append(0, Labels.fromStrings('__name__', 'http_requests_total', 'job', 'api', 'code', '200'), t, i * 10);
    app.append(0, Labels.fromStrings('__name__', 'http_requests_total', 'job', 'api', 'code', '500'), t, i);
  }
  await app.commit();
}

let fx: Fixture;
beforeAll(async () => {
  fx = await start();
  await seed(fx.storage);
});
afterAll(() => fx.close());

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const r = await fetch(fx.base + path, init);
  return { status: r.status, body: await r.text(), headers: r.headers };
}

const q = (s: string): string => encodeURIComponent(s);

describe('errors answered as Prometheus answers them', () => {
  // Messages are those of Prometheus 2.42 (and 3.x where it adds parameters), checked against
  // a running Prometheus.
  it.each([
    { path: `/api/v1/query?query=${q('up(')}`, status: 400, error: 'invalid parameter "query": 1:4: parse error: unclosed left parenthesis' },
    // Prometheus 3 has no position for an empty query (2.42 said "1:1").
    { path: '/api/v1/query', status: 400, error: 'invalid parameter "query": unknown position: parse error: no expression found in input' },
    { path: '/api/v1/query?query=up&time=abc', status: 400, error: 'invalid parameter "time": Invalid time value for \'time\': cannot parse "abc" to a valid timestamp' },
    { path: '/api/v1/query?query=up&timeout=abc', status: 400, error: 'invalid parameter "timeout": cannot parse "abc" to a valid duration' },
    { path: '/api/v1/query?query=up&timeout=1ns', status: 400, error: 'invalid parameter "timeout": cannot parse "1ns" to a valid duration' },
    { path: '/api/v1/query?query=1&timeout=-1', status: 503, type: 'timeout', error: 'query timed out in query queue' },
    { path: '/api/v1/query?query=1&timeout=0', status: 503, type: 'timeout', error: 'query timed out in query execution' },
    { path: '/api/v1/query?query=up&limit=abc', status: 400, error: 'invalid parameter "limit": strconv.Atoi: parsing "abc": invalid syntax' },
    { path: '/api/v1/query?query=up&limit=-1', status: 400, error: 'invalid parameter "limit": limit must be non-negative' },
    { path: '/api/v1/query?query=up&lookback_delta=abc', status: 400, error: 'error parsing lookback delta duration: cannot parse "abc" to a valid duration' },
    { path: '/api/v1/query_range?query=up&start=1&end=0&step=1', status: 400, error: 'invalid parameter "end": end timestamp must not be before start time' },
    {
      path: '/api/v1/query_range?query=up&start=0&end=100000&step=1',
      status: 400,
      error: 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    },
    { path: '/api/v1/query_range?query=up&start=0&end=100&step=0', status: 400, error: 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer' },
    { path: '/api/v1/query_range?query=up&start=0&end=100&step=-1', status: 400, error: 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer' },
    { path: '/api/v1/query_range?query=up&start=0&end=100', status: 400, error: 'invalid parameter "step": cannot parse "" to a valid duration' },
    { path: '/api/v1/query_range?query=up&start=x&end=100&step=1', status: 400, error: 'invalid parameter "start": cannot parse "x" to a valid timestamp' },
    { path: '/api/v1/query_range?query=up&end=100&step=1', status: 400, error: 'invalid parameter "start": cannot parse "" to a valid timestamp' },
    { path: '/api/v1/query_range?query=up&start=0&end=10&step=1&timeout=abc', status: 400, error: 'invalid parameter "timeout": cannot parse "abc" to a valid duration' },
    {
      path: `/api/v1/query_range?query=${q('up[5m]')}&start=0&end=10&step=1`,
      status: 400,
      error: 'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    },
    { path: '/api/v1/series', status: 400, error: 'no match[] parameter provided' },
    { path: `/api/v1/series?match[]=${q('up(')}`, status: 400, error: 'invalid parameter "match[]": 1:3: parse error: unexpected "("' },
    { path: `/api/v1/series?match[]=${q('{job=~".*"}')}`, status: 400, error: 'invalid parameter "match[]": match[] must contain at least one non-empty matcher' },
    { path: '/api/v1/series?match[]=up&start=abc', status: 400, error: 'invalid parameter "start": Invalid time value for \'start\': cannot parse "abc" to a valid timestamp' },
    { path: `/api/v1/labels?match[]=${q('up(')}`, status: 400, error: '1:3: parse error: unexpected "("' },
    { path: '/api/v1/labels?end=abc', status: 400, error: 'invalid parameter "end": Invalid time value for \'end\': cannot parse "abc" to a valid timestamp' },
    { path: `/api/v1/label/job/values?match[]=${q('x(')}`, status: 400, error: '1:2: parse error: unexpected "("' },
    { path: '/api/v1/label/job/values?start=abc', status: 400, error: 'invalid parameter "start": Invalid time value for \'start\': cannot parse "abc" to a valid timestamp' },
    { path: `/api/v1/format_query?query=${q('foo/')}`, status: 400, error: 'invalid parameter "query": 1:5: parse error: unexpected end of input' },
    { path: `/api/v1/query_exemplars?query=${q('up(')}`, status: 400, error: '1:4: parse error: unclosed left parenthesis' },
    { path: '/api/v1/metadata?limit=abc', status: 400, error: 'limit must be a number' },
    { path: '/api/v1/targets/metadata?limit=abc', status: 400, error: 'limit must be a number' },
    { path: `/api/v1/targets/metadata?match_target=${q('up(')}`, status: 400, error: 'invalid parameter "match_target": 1:3: parse error: unexpected "("' },
    { path: '/api/v1/status/tsdb?limit=0', status: 400, error: 'limit must be a positive number' },
    { path: '/api/v1/status/tsdb?limit=10001', status: 400, error: 'limit must not exceed 10000' },
    {
      path: `/api/v1/query?query=${q('up + on(job) group_left {__name__=~"http.*"}')}&time=${NOW / 1000}`,
      status: 422,
      type: 'execution',
      error: /^found duplicate series for the match group \{job="api"\} on the right hand-side of the operation: \[.*\];many-to-many matching not allowed: matching labels must be unique on one side$/,
    },
  ])('$path', async ({ path, status, type, error }) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = JSON.parse(r.body) as { status: string; errorType: string; error: string };
    expect(body.status).toBe('error');
    expect(body.errorType).toBe(type ?? 'bad_data');
    if (typeof error === 'string') expect(body.error).toBe(error);
    else expect(body.error).toMatch(error);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expect((await get('/api/v1/nonexist')).status).toBe(404);
    expect((await get('/api/v1/query?query=up', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('query endpoints', () => {
  const t = NOW / 1000;

  it('evaluates an instant query with the Prometheus envelope', async () => {
    const r = await get(`/api/v1/query?query=${q('sum by (job) (up)')}&time=${t}`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"node"},"value":[${t},"1"]}]}}`);
  });

  it('accepts POST form bodies, body values before URL values', async () => {
    const r = await get(`/api/v1/query?query=ignored`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `query=${q('count(up)')}&time=${t}`,
    });
    expect(JSON.parse(r.body).data.result[0].value).toEqual([t, '2']);
  });

  it('evaluates a range query', async () => {
    const r = await get(`/api/v1/query_range?query=${q('rate(http_requests_total{code="200"}[1m])')}&start=${t - 120}&end=${t}&step=60`);
    const body = JSON.parse(r.body);
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result[0].values).toEqual([
      [t - 120, '0.6666666666666666'],
      [t - 60, '0.6666666666666666'],
      [t, '0.6666666666666666'],
    ]);
  });

  it('truncates to limit with Prometheus 3 warning', async () => {
    const body = JSON.parse((await get(`/api/v1/query?query=up&time=${t}&limit=1`)).body);
    expect(body.data.result).toHaveLength(1);
    expect(body.warnings).toEqual(['results truncated due to limit']);
  });

  it('adds stats when asked', async () => {
    const body = JSON.parse((await get(`/api/v1/query?query=up&time=${t}&stats=true`)).body);
    expect(Object.keys(body.data)).toEqual(['resultType', 'result', 'stats']);
    expect(Object.keys(body.data.stats.timings)).toEqual(['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']);
    expect(body.data.stats.samples.peakSamples).toBeGreaterThan(0);
    const dep = JSON.parse((await get(`/api/v1/query?query=up&time=${t}&stats=yes`)).body);
    expect(dep.warnings[0]).toMatch(/value "yes" for parameter "stats" is deprecated/);
  });

  it('honours lookback_delta', async () => {
    const body = JSON.parse((await get(`/api/v1/query?query=up&time=${t + 100}&lookback_delta=1m`)).body);
    expect(body.data.result).toHaveLength(0);
    const body2 = JSON.parse((await get(`/api/v1/query?query=up&time=${t + 100}`)).body);
    expect(body2.data.result).toHaveLength(2);
  });

  it('formats and parses queries', async () => {
    expect((await get(`/api/v1/format_query?query=${q('foo/bar')}`)).body).toBe('{"status":"success","data":"foo / bar"}');
    const ast = JSON.parse((await get(`/api/v1/parse_query?query=${q('foo/bar')}`)).body).data;
    expect(ast.type).toBe('binaryExpr');
    expect(ast.matching).toEqual({ card: 'one-to-one', fillValues: { lhs: null, rhs: null }, include: [], labels: [], on: false });
    expect(ast.lhs.matchers).toEqual([{ name: '__name__', type: '=', value: 'foo' }]);
  });

  it('answers exemplar queries (none kept) and 204 when nothing is selected', async () => {
    expect((await get('/api/v1/query_exemplars?query=up')).body).toBe('{"status":"success","data":[]}');
    expect((await get('/api/v1/query_exemplars?query=1')).status).toBe(204);
  });
});

describe('metadata endpoints over storage', () => {
  it('lists series for several selectors, merged and sorted', async () => {
    const r = await get(`/api/v1/series?match[]=${q('up{instance="b:9100"}')}&match[]=${q('http_requests_total{code="500"}')}&match[]=up`);
    expect(JSON.parse(r.body).data).toEqual([
      { __name__: 'http_requests_total', code: '500', job: 'api' },
      { __name__: 'up', instance: 'a:9100', job: 'node' },
      { __name__: 'up', instance: 'b:9100', job: 'node' },
    ]);
  });

  it('limits series with a warning', async () => {
    const body = JSON.parse((await get('/api/v1/series?match[]=up&limit=1')).body);
    expect(body.data).toHaveLength(1);
    expect(body.warnings).toEqual(['results truncated due to limit']);
  });

  it('lists label names and values, optionally per selector', async () => {
    expect(JSON.parse((await get('/api/v1/labels')).body).data).toEqual(['__name__', 'code', 'instance', 'job']);
    expect(JSON.parse((await get('/api/v1/labels?match[]=up')).body).data).toEqual(['__name__', 'instance', 'job']);
    expect(JSON.parse((await get('/api/v1/label/job/values')).body).data).toEqual(['api', 'node']);
    expect(JSON.parse((await get(`/api/v1/label/job/values?match[]=up&match[]=${q('{code="200"}')}`)).body).data).toEqual(['api', 'node']);
    expect(JSON.parse((await get('/api/v1/label/__name__/values?limit=1')).body)).toEqual({
      status: 'success',
      data: ['http_requests_total'],
      warnings: ['results truncated due to limit'],
    });
  });

  it('reads label names given in U__ escaping (Prometheus 3)', async () => {
    expect(JSON.parse((await get('/api/v1/label/U__job/values')).body).data).toEqual(['api', 'node']);
  });

  it('honours start and end', async () => {
    const t = NOW / 1000;
    expect(JSON.parse((await get(`/api/v1/series?match[]=up&start=${t + 10}&end=${t + 20}`)).body).data).toEqual([]);
    expect(JSON.parse((await get(`/api/v1/series?match[]=up&start=${t}&end=${t - 1}`)).body).data).toEqual([]);
  });
});

describe('HTTP behaviour', () => {
  it('compresses with gzip or deflate when accepted, errors too', async () => {
    const raw = await fetch(fx.base + '/api/v1/labels', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    const nodeReq = await import('node:http');
    const body = await new Promise<Buffer>((resolve, reject) => {
      nodeReq
        .get(fx.base + '/api/v1/query?query=up(', { headers: { 'Accept-Encoding': 'br, gzip' } }, (res) => {
          const parts: Buffer[] = [];
          expect(res.headers['content-encoding']).toBe('gzip');
          expect(res.statusCode).toBe(400);
          res.on('data', (b: Buffer) => parts.push(b));
          res.on('end', () => resolve(Buffer.concat(parts)));
        })
        .on('error', reject);
    });
    expect(JSON.parse(gunzipSync(body).toString()).errorType).toBe('bad_data');
  });

  it('sets CORS headers for browsers and answers preflight', async () => {
    const r = await get('/api/v1/labels', { headers: { Origin: 'http://grafana' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    const pre = await get('/api/v1/query', { method: 'OPTIONS', headers: { Origin: 'http://grafana' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toBe('Accept, Authorization, Content-Type, Origin');
  });

  it('answers 503 until ready', async () => {
    let ready = false;
    const f = await start({ ready: () => ready });
    try {
      const r = await fetch(f.base + '/api/v1/labels');
      expect(r.status).toBe(503);
      expect(await r.text()).toBe('Service Unavailable\n');
      ready = true;
      expect((await fetch(f.base + '/api/v1/labels')).status).toBe(200);
    } finally {
      await f.close();
    }
  });
});

describe('status endpoints', () => {
  it('reports build info, flags and runtime info with Prometheus field names', async () => {
    const f = await start({ flags: () => ({ 'query.timeout': '2m', 'config.file': 'x.yml' }), buildInfo: { version: '3.0.0', revision: 'r', branch: 'b', buildUser: 'u', buildDate: 'd', goVersion: 'node' } });
    try {
      const build = (await (await fetch(f.base + '/api/v1/status/buildinfo')).json()) as { data: object };
      expect(build.data).toEqual({ version: '3.0.0', revision: 'r', branch: 'b', buildUser: 'u', buildDate: 'd', goVersion: 'node' });
      expect(await (await fetch(f.base + '/api/v1/status/flags')).text()).toBe('{"status":"success","data":{"config.file":"x.yml","query.timeout":"2m"}}');
      const rt = (await (await fetch(f.base + '/api/v1/status/runtimeinfo')).json()) as { data: Record<string, unknown> };
      expect(Object.keys(rt.data)).toEqual([
        'startTime',
        'CWD',
        'hostname',
        'serverTime',
        'reloadConfigSuccess',
        'lastConfigTime',
        'corruptionCount',
        'goroutineCount',
        'GOMAXPROCS',
        'GOMEMLIMIT',
        'GOGC',
        'GODEBUG',
        'storageRetention',
      ]);
    } finally {
      await f.close();
    }
  });

  it('computes TSDB cardinality statistics', async () => {
    const body = JSON.parse((await get('/api/v1/status/tsdb')).body).data;
    expect(body.headStats).toEqual({ numSeries: 4, numLabelPairs: 8, chunkCount: 0, minTime: NOW - 600_000, maxTime: NOW });
    expect(body.seriesCountByMetricName).toEqual([
      { name: 'http_requests_total', value: 2 },
      { name: 'up', value: 2 },
    ]);
    expect(body.labelValueCountByLabelName[0]).toEqual({ name: '__name__', value: 2 });
    // Ties are ordered by name (Prometheus leaves them in heap order).
    expect(body.seriesCountByLabelValuePair.slice(0, 3)).toEqual([
      { name: '__name__=http_requests_total', value: 2 },
      { name: '__name__=up', value: 2 },
      { name: 'job=api', value: 2 },
    ]);
  });

  it('reads head statistics from vigil\'s TSDB head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-api-head-'));
    const db = await Db.open({ dir, autoCompact: false, noLockfile: true });
    try {
      const app = db.appender();
      for (let i = 0; i < 3; i++) app.append(0, Labels.fromStrings('__name__', 'x', 'i', String(i)), NOW + i, i);
      await app.commit();
      const f = await start({ head: db.head }, new MemoryStorage());
      try {
        const data = ((await (await fetch(f.base + '/api/v1/status/tsdb')).json()) as { data: { headStats: object } }).data;
        expect(data.headStats).toEqual({ numSeries: 3, numLabelPairs: 4, chunkCount: 3, minTime: NOW, maxTime: NOW + 2 });
      } finally {
        await f.close();
      }
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints an empty head as Prometheus does', async () => {
    const f = await start({
      head: { numSeries: () => 0, numChunks: () => 0, minTime: () => Infinity, maxTime: () => -Infinity, forEachSeries: () => {} },
    });
    try {
      expect(await (await fetch(f.base + '/api/v1/status/tsdb')).text()).toBe(
        '{"status":"success","data":{"headStats":{"numSeries":0,"numLabelPairs":0,"chunkCount":0,"minTime":9223372036854775807,"maxTime":-9223372036854775808},"seriesCountByMetricName":[],"labelValueCountByLabelName":[],"memoryInBytesByLabelName":[],"seriesCountByLabelValuePair":[]}}',
      );
    } finally {
      await f.close();
    }
  });

  it('renders rule groups and alerts from a rule source, with filters', async () => {
    const f = await start({
      rules: {
        ruleGroups: () => [
          {
            name: 'g1',
            file: '/etc/rules.yml',
            interval: 60,
            limit: 0,
            evaluationTime: 0.001,
            lastEvaluation: '2024-01-01T00:00:00Z',
            rules: [
              { type: 'recording', name: 'job:up:sum', query: 'sum by (job) (up)', health: 'ok', evaluationTime: 0.0005, lastEvaluation: '2024-01-01T00:00:00Z' },
              {
                type: 'alerting',
                name: 'Down',
                query: 'up == 0',
                labels: { severity: 'page' },
                annotations: { summary: 'down' },
                health: 'ok',
                state: 'firing',
                duration: 300,
                evaluationTime: 0.0004,
                lastEvaluation: '2024-01-01T00:00:00Z',
                alerts: [{ labels: { severity: 'page', alertname: 'Down' }, annotations: { summary: 'down' }, state: 'firing', activeAt: '2024-01-01T00:00:00Z', value: '0e+00' }],
              },
            ],
          },
        ],
      },
    });
    try {
      const all = (await (await fetch(f.base + '/api/v1/rules')).json()) as { data: { groups: { rules: { name: string; alerts?: unknown[] }[] }[] } };
      expect(all.data.groups[0]!.rules.map((r) => r.name)).toEqual(['job:up:sum', 'Down']);
      const alerting = (await (await fetch(f.base + '/api/v1/rules?type=alert&exclude_alerts=true')).json()) as typeof all;
      expect(alerting.data.groups[0]!.rules).toHaveLength(1);
      expect(alerting.data.groups[0]!.rules[0]!.alerts).toBeNull();
      const none = (await (await fetch(f.base + '/api/v1/rules?rule_name[]=nope')).json()) as typeof all;
      expect(none.data.groups).toEqual([]);
      expect(await (await fetch(f.base + '/api/v1/alerts')).text()).toBe(
        '{"status":"success","data":{"alerts":[{"labels":{"alertname":"Down","severity":"page"},"annotations":{"summary":"down"},"state":"firing","activeAt":"2024-01-01T00:00:00Z","value":"0e+00"}]}}',
      );
    } finally {
      await f.close();
    }
  });

  it('answers rules and alerts with empty lists when no rules are loaded', async () => {
    expect((await get('/api/v1/rules')).body).toBe('{"status":"success","data":{"groups":[]}}');
    expect((await get('/api/v1/alerts')).body).toBe('{"status":"success","data":{"alerts":[]}}');
    expect(JSON.parse((await get('/api/v1/rules?type=foo')).body).error).toBe('invalid parameter "type": not supported value "foo"');
    expect((await get('/api/v1/alertmanagers')).body).toBe('{"status":"success","data":{"activeAlertmanagers":[],"droppedAlertmanagers":[]}}');
  });

  it('lists targets per state (no scrape manager: empty lists)', async () => {
    expect((await get('/api/v1/targets')).body).toBe('{"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":{}}}');
    expect((await get('/api/v1/targets?state=active')).body).toBe('{"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":null}}');
    expect((await get('/api/v1/metadata')).body).toBe('{"status":"success","data":{}}');
    expect((await get('/api/v1/targets/metadata')).body).toBe('{"status":"success","data":[]}');
  });
});
