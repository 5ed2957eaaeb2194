// Bad input against the Prometheus API (issue 4): deep nesting, huge ranges, too many points,
// backtracking regexes, queries over every series, timeouts. Each gets Prometheus's answer
// within the timeout, and the server keeps answering other queries meanwhile.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, Router, mountPrometheusApi } from '../src/api/index.js';
import { Labels } from '../src/model/index.js';
import { Engine } from '../src/promql/index.js';
import { MemoryStorage } from '../src/storage/index.js';

const T = 1_700_000_000;
const TIMEOUT_S = 3;
let base = '';
let close: () => Promise<void>;
let storage: MemoryStorage;

beforeAll(async () => {
  const st = new MemoryStorage();
  storage = st;
  const app = st.appender();
  // 2,000 series × 240 samples (1 h at 15 s), values with long label strings for regexes.
  for (let s = 0; s < 2000; s++) {
    const l = Labels.fromStrings('__name__', `m${s % 20}`, 'job', `job-${s % 7}`, 'id', `${'a'.repeat(40)}${s}`);
    for (let i = 0; i < 240; i++) app.append(0, l, (T - 3600 + i * 15) * 1000, s + i);
  }
  await app.commit();
  const router = new Router();
  mountPrometheusApi(router, {
    engine: new Engine({ queryable: st, maxSamples: 1_000_000, timeoutMs: TIMEOUT_S * 1000 }),
    queryable: st,
    queryTimeoutMs: TIMEOUT_S * 1000,
  });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  base = `http://127.0.0.1:${(await srv.listen()).port}`;
  close = () => srv.close();
});
afterAll(() => close());

interface Timed {
  readonly status: number;
  readonly body: { status: string; errorType?: string; error?: string; data?: unknown };
  readonly ms: number;
}

async function query(q: string, extra = '', path = '/api/v1/query'): Promise<Timed> {
  const started = performance.now();
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `query=${encodeURIComponent(q)}&time=${T}${extra}`,
  });
  const body = (await r.json()) as Timed['body'];
  return { status: r.status, body, ms: performance.now() - started };
}

describe('bad input', () => {
  it.each([
    { name: '10,000 nested parentheses', q: '('.repeat(10_000) + '1' + ')'.repeat(10_000) },
    { name: 'a 10,000-term sum', q: Array.from({ length: 10_000 }, () => 'm1').join(' + ') },
    { name: 'unclosed deep nesting', q: 'sum('.repeat(5000) },
  ])('$name: an answer (error or not) within the timeout', async ({ q }) => {
    const r = await query(q);
    expect(r.ms).toBeLessThan(TIMEOUT_S * 1000 + 1000);
    expect([200, 400, 422]).toContain(r.status);
    if (r.status !== 200) expect(r.body.errorType).toMatch(/bad_data|execution/);
  });

  it('[100y] ranges are answered (the storage holds what it holds)', async () => {
    const r = await query('count(count_over_time(m1[100y]))');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ resultType: 'vector', result: [{ metric: {}, value: [T, '100'] }] });
  });

  it('too many points per series', async () => {
    const r = await query('m1', `&start=${T - 86400}&end=${T}&step=1`, '/api/v1/query_range');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  });

  it('a backtracking regex is linear (RE2) and fast', async () => {
    const r = await query('count({id=~"(a+)+(a+)+(a+)+b"})');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ resultType: 'vector', result: [] });
    expect(r.ms).toBeLessThan(2000);
  });

  it('a query over every series hits the samples limit with Prometheus words', async () => {
    // 2,000 series × 720 subquery points: more than the engine's 1,000,000 samples.
    const r = await query('count_over_time({__name__=~".+"}[1h:5s])');
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' });
  });

  it('a subquery with a 1 ms step ends in an error, within the timeout', async () => {
    // 100 series × 60,000 points.
    const r = await query('max_over_time(m1[1m:1ms])');
    expect(r.ms).toBeLessThan(TIMEOUT_S * 1000 + 1000);
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('query processing would load too many samples into memory in query execution');
  });

  it('the timeout parameter stops a slow query', async () => {
    const r = await query('count(max_over_time(({__name__=~"m.*"} * 2)[1h:15s]))', '&timeout=0.05');
    expect(r.status).toBe(503);
    expect(r.body.errorType).toBe('timeout');
    expect(r.body.error).toMatch(/^query timed out in /);
    expect(r.ms).toBeLessThan(1500);
  });

  it('answers a fast query while a slow one is in flight', async () => {
    const slowQuery = 'count(max_over_time(({__name__=~"m.*"} * 2)[1h:15s]))';
    // The slow query alone, for reference.
    const alone = await query(slowQuery);
    expect(alone.status).toBe(200);
    const started = performance.now();
    let slowDone = 0;
    const slow = query(slowQuery).then((r) => ((slowDone = performance.now() - started), r));
    await new Promise((r) => setTimeout(r, Math.min(50, alone.ms / 4)));
    const fast = await query('1 + 1');
    const fastDone = performance.now() - started;
    expect(fast.body.data).toEqual({ resultType: 'scalar', result: [T, '2'] });
    expect((await slow).status).toBe(200);
    // The fast query did not wait for the slow one.
    expect(fastDone).toBeLessThan(slowDone);
    expect(fast.ms).toBeLessThan(Math.max(250, alone.ms / 2));
  });
});

describe('client going away', () => {
  it('cancels the query, freeing its slot in the query queue', async () => {
    // One query at a time: a fast query can only run once the slow one has let go.
    const router = new Router();
    mountPrometheusApi(router, { engine: new Engine({ queryable: storage, timeoutMs: 60_000 }), queryable: storage, maxConcurrentQueries: 1 });
    const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    const url = `http://127.0.0.1:${(await srv.listen()).port}/api/v1/query`;
    try {
      const slowQuery = `count(max_over_time(({__name__=~"m.*"} * 2)[1h:15s]) + max_over_time(({__name__=~"m.*"} * 3)[1h:15s]))`;
      const t0 = performance.now();
      await fetch(`${url}?query=${encodeURIComponent(slowQuery)}&time=${T}`);
      const alone = performance.now() - t0;
      const ac = new AbortController();
      const slow = fetch(`${url}?query=${encodeURIComponent(slowQuery)}&time=${T}`, { signal: ac.signal }).catch(() => 'aborted');
      await new Promise((r) => setTimeout(r, alone / 5));
      ac.abort();
      expect(await slow).toBe('aborted');
      const t1 = performance.now();
      const fast = (await (await fetch(`${url}?query=1&time=${T}`)).json()) as { status: string };
      expect(fast.status).toBe('success');
      expect(performance.now() - t1).toBeLessThan(alone / 2);
    } finally {
      await srv.close();
    }
  });
});

describe('fuzzed requests', () => {
  it('every request gets a JSON answer with a Prometheus status, never a 500', async () => {
    const token = fc.constantFrom('m1', 'sum', 'rate', '(', ')', '[5m]', '{', '}', 'job=~".*"', ',', '+', '/', 'by', '(job)', ' ', '1e309', '"s"', '@', 'offset', '-', '[1h:1m]', 'topk(2,', 'histogram_quantile(0.9,', 'NaN', 'Inf', '\\u00ff', '\n');
    const expr = fc.oneof(fc.string({ maxLength: 40 }), fc.array(token, { maxLength: 12 }).map((t) => t.join('')));
    const param = fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.double().map(String), fc.constantFrom('1h', '-1', '0', '1e18', 'NaN', '2023-11-14T22:13:20Z'));
    await fc.assert(
      fc.asyncProperty(expr, param, param, param, fc.boolean(), async (q, start, end, step, ranged) => {
        const path = ranged ? '/api/v1/query_range' : '/api/v1/query';
        const body = new URLSearchParams({ query: q, start, end, step, time: start, timeout: '2s' }).toString();
        const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
        expect([200, 400, 422, 503]).toContain(r.status);
        const json = (await r.json()) as { status: string };
        expect(json.status).toBe(r.status === 200 ? 'success' : 'error');
      }),
      { numRuns: 150 },
    );
  });
});
