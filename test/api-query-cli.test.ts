// `vigil query`: canonical formatting, table and JSON output against a server, and read-only
// queries over data directories (a vigil TSDB's WAL, blocks promtool wrote).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HttpServer, Router, mountPrometheusApi } from '../src/api/index.js';
import { main } from '../src/cli/main.js';
import { Labels } from '../src/model/index.js';
import { Engine } from '../src/promql/index.js';
import { MemoryStorage } from '../src/storage/index.js';
import { Db } from '../src/tsdb/index.js';
import { peer } from './support/peers.js';

const T = 1_700_000_000;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['query', ...argv]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

let base = '';
let close: () => Promise<void>;
beforeAll(async () => {
  const st = new MemoryStorage();
  const app = st.appender();
  for (let i = 0; i < 20; i++) {
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'node', 'instance', 'a'), (T - 300 + i * 15) * 1000, 1);
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'node', 'instance', 'b'), (T - 300 + i * 15) * 1000, 0);
  }
  await app.commit();
  const router = new Router();
  mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  base = `http://127.0.0.1:${(await srv.listen()).port}`;
  close = () => srv.close();
});
afterAll(() => close());

describe('vigil query', () => {
  it('--format prints the canonical form', async () => {
    expect(await run('--format', 'sum(rate(x[5m]))by(job)')).toEqual({ code: 0, out: 'sum by (job) (rate(x[5m]))\n', err: '' });
    const bad = await run('--format', 'sum(');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/parse error/);
  });

  it('-o json prints the body the HTTP API returns', async () => {
    const r = await run('--server', base, '--time', String(T), '-o', 'json', 'sum(up)');
    const direct = await (await fetch(`${base}/api/v1/query?query=sum(up)&time=${T}`)).text();
    expect(r).toEqual({ code: 0, out: direct + '\n', err: '' });
  });

  it('prints instant results as a table', async () => {
    const r = await run('--server', base, '--time', String(T), 'up');
    expect(r.out).toBe(
      ['SERIES                        VALUE  TIME', 'up{instance="a", job="node"}  1      2023-11-14T22:13:20.000Z', 'up{instance="b", job="node"}  0      2023-11-14T22:13:20.000Z', ''].join('\n'),
    );
  });

  it('prints range results as a table, one row per point', async () => {
    const r = await run('--server', base, '--start', String(T - 30), '--end', String(T), '--step', '15s', 'sum(up)');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(['SERIES  VALUE  TIME', '{}      1      2023-11-14T22:12:50.000Z', '        1      2023-11-14T22:13:05.000Z', '        1      2023-11-14T22:13:20.000Z', '']);
  });

  it('reports query errors with exit code 1 and flag errors with 2', async () => {
    const r = await run('--server', base, 'up(');
    expect(r.code).toBe(1);
    expect(r.err).toBe('vigil query: bad_data: invalid parameter "query": 1:4: parse error: unclosed left parenthesis\n');
    expect((await run('--server', base, '-o', 'yaml', 'up')).code).toBe(2);
    expect((await run('--time', '1', '--start', '0', 'up')).code).toBe(2);
    expect((await run()).code).toBe(2);
  });

  it('says when the server cannot be reached', async () => {
    const r = await run('--server', 'http://127.0.0.1:1', 'up');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vigil query: cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe('vigil query --storage.tsdb.path', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-query-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a vigil data directory's WAL without writing to it", async () => {
    const d = join(dir, 'vigil');
    const db = await Db.open({ dir: d, autoCompact: false, noLockfile: true });
    const app = db.appender();
    for (let i = 0; i < 10; i++) app.append(0, Labels.fromStrings('__name__', 'temp', 'room', 'x'), (T - 100 + i * 10) * 1000, 20 + i);
    await app.commit();
    await db.close();
    const before = JSON.stringify(readdirSync(d, { recursive: true }).sort());
    const r = await run('--storage.tsdb.path', d, '--time', String(T), '-o', 'json', 'avg_over_time(temp[1m])');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).data.result).toEqual([{ metric: { room: 'x' }, value: [T, '27'] }]);
    expect(JSON.stringify(readdirSync(d, { recursive: true }).sort())).toBe(before);
  });

  it.skipIf(peer('promtool') === undefined)('reads blocks Prometheus tools wrote', async () => {
    const om = join(dir, 'in.om');
    const lines = ['# TYPE req counter'];
    for (let i = 0; i <= 40; i++) lines.push(`req_total{code="200"} ${i * 3} ${T - 600 + i * 15}`);
    writeFileSync(om, lines.join('\n') + '\n# EOF\n');
    const out = join(dir, 'prom');
    execFileSync(peer('promtool')!, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', om, out]);
    const r = await run('--storage.tsdb.path', out, '--time', String(T), 'rate(req_total[5m])');
    expect(r).toEqual({ code: 0, out: 'SERIES        VALUE                TIME\n{code="200"}  0.19999999999999998  2023-11-14T22:13:20.000Z\n', err: '' });
  });

  it('fails clearly for a missing directory', async () => {
    expect((await run('--storage.tsdb.path', join(dir, 'nope'), 'up')).code).toBe(2);
  });
});
