import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { HttpServer, Router } from '../api/index.js';
import { parseConfig, type Config } from '../config/index.js';
import { NOP_LOGGER, Registry } from '../instrument/index.js';
import { LogsPipeline } from './logs-pipeline.js';

const WEB = 'web-token-0123456789abcdef';
const API = 'api-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcd';
const READER = 'reader-token-0123456789ab';

function config(dir: string, extra = ''): Config {
  return parseConfig(
    [
      'logs:',
      '  tokens:',
      `    - {token: ${WEB}, app: web}`,
      `    - {token: ${API}, app: api}`,
      `    - {token: ${ADMIN}, app: ops, scopes: [admin]}`,
      `    - {token: ${READER}, app: dash, scopes: [query], read_apps: [web, api]}`,
      '    - {name: file, token_file: tok.txt, app: files}',
      '  tcp: {listen_address: "127.0.0.1:0", token: web, labels: {job: netcat}, multiline_wait: 50ms}',
      '  syslog: {listen_address: ""}',
      extra,
    ].join('\n'),
    join(dir, 'vigil.yml'),
  );
}

const nowNs = (): string => `${Date.now()}000000`;

describe('LogsPipeline', () => {
  let dir: string;
  let logs: LogsPipeline;
  let http: HttpServer;
  let url: string;
  const ac = new AbortController();
  let running: Promise<void>;
  let ready = false;
  const registry = new Registry();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-logs-pipeline-'));
    writeFileSync(join(dir, 'tok.txt'), 'file-token-0123456789abcd\n');
    logs = await LogsPipeline.open({
      dir: join(dir, 'logs'),
      config: config(dir),
      registry,
      log: NOP_LOGGER,
      tcpAddress: '127.0.0.1:9000',
      syslogAddress: '',
      storeOptions: { packWorkers: 0, maintenanceIntervalMs: 0 },
    });
    const router = new Router();
    http = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    logs.mount(router, http, { ready: () => ready });
    const a = await http.listen();
    url = `http://127.0.0.1:${a.port}`;
    running = Promise.all([http.run(ac.signal), logs.run(ac.signal)]).then(() => {});
    for (let i = 0; i < 100 && logs.listenerAddresses.size === 0; i++) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    ac.abort();
    await running;
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const push = (token: string | undefined, streams: unknown, extra: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...extra },
      body: JSON.stringify({ streams }),
    });

  // An explicit end a minute ahead: with the default end (now), an entry stamped in the current
  // millisecond plus some nanoseconds (as the event test's) can fall after it.
  const query = async (token: string | undefined, q: string, extra: Record<string, string> = {}): Promise<{ status: number; lines: string[]; streams: { stream: Record<string, string>; values: [string, string][] }[] }> => {
    const r = await fetch(`${url}/loki/api/v1/query_range?${new URLSearchParams({ query: q, limit: '100', direction: 'forward', start: String((Date.now() - 3_600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6) })}`, {
      headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...extra },
    });
    if (r.status !== 200) return { status: r.status, lines: [], streams: [] };
    const body = (await r.json()) as { data: { result: { stream: Record<string, string>; values: [string, string][] }[] } };
    return { status: 200, streams: body.data.result, lines: body.data.result.flatMap((s) => s.values.map((v) => v[1])).sort() };
  };

  it('answers /ready once the server says so', async () => {
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    ready = true;
    const r = await fetch(`${url}/ready`);
    expect([r.status, await r.text()]).toEqual([200, 'ready\n']);
  });

  it('refuses pushes and queries without a valid token', async () => {
    expect((await push(undefined, [])).status).toBe(401);
    expect((await push('not-a-token-at-all-xxxx', [])).status).toBe(401);
    expect((await query(undefined, '{job="a"}')).status).toBe(401);
    const r = await fetch(`${url}/loki/api/v1/labels`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    // A query-only token cannot push; an ingest token cannot flush.
    expect((await push(READER, [])).status).toBe(403);
    expect((await fetch(`${url}/flush`, { method: 'POST', headers: { authorization: `Bearer ${WEB}` } })).status).toBe(403);
  });

  it('serves Loki buildinfo to a reader (the route is mounted on the server)', async () => {
    expect((await fetch(`${url}/loki/api/v1/status/buildinfo`)).status).toBe(401);
    const r = await fetch(`${url}/loki/api/v1/status/buildinfo`, { headers: { authorization: `Bearer ${READER}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { version: string }).version).toMatch(/^2\.\d+\.\d+$/);
  });

  it('labels pushes with the token app and scopes queries to it', async () => {
    const t = nowNs();
    expect((await push(WEB, [{ stream: { job: 'push', app: 'forged' }, values: [[t, 'web line 1']] }])).status).toBe(204);
    expect((await push(API, [{ stream: { job: 'push' }, values: [[t, 'api line 1']] }])).status).toBe(204);
    const web = await query(WEB, '{job="push"}');
    expect(web.lines).toEqual(['web line 1']);
    expect(web.streams[0]!.stream).toEqual({ app: 'web', job: 'push' });
    expect((await query(API, '{job="push"}')).lines).toEqual(['api line 1']);
    // Asking for another app's streams gives nothing, not an error.
    expect((await query(WEB, '{app="api"}')).lines).toEqual([]);
    expect((await query(READER, '{job="push"}')).lines).toEqual(['api line 1', 'web line 1']);
    expect((await query(ADMIN, '{job="push"}')).lines).toEqual(['api line 1', 'web line 1']);
    // An admin naming a tenant sees that tenant only.
    expect((await query(ADMIN, '{job="push"}', { 'x-scope-orgid': 'api' })).lines).toEqual(['api line 1']);
    const labels = (await (await fetch(`${url}/loki/api/v1/label/app/values`, { headers: { authorization: `Bearer ${WEB}` } })).json()) as { data: string[] };
    expect(labels.data).toEqual(['web']);
  });

  it('accepts the token read from token_file', async () => {
    expect((await push('file-token-0123456789abcd', [{ stream: { job: 'f' }, values: [[nowNs(), 'from file token']] }])).status).toBe(204);
    expect((await query(ADMIN, '{app="files"}')).lines).toEqual(['from file token']);
  });

  it('stores what the TCP listener bound to a token receives under its app and labels', async () => {
    const addr = /listen=127\.0\.0\.1:(\d+)/.exec(logs.listenerAddresses.get('tcp/tcp') ?? '');
    expect(addr).not.toBeNull();
    const s = connect(Number(addr![1]), '127.0.0.1');
    await new Promise<void>((res) => s.end('{"level":"info","msg":"tcp hello"}\nplain tcp line\n', () => res()));
    let got: string[] = [];
    for (let i = 0; i < 100 && got.length < 2; i++) {
      got = (await query(WEB, '{job="netcat"}')).lines;
      if (got.length < 2) await new Promise((r) => setTimeout(r, 30));
    }
    expect(got).toEqual(['plain tcp line', '{"level":"info","msg":"tcp hello"}']);
    const st = (await query(WEB, '{job="netcat"}')).streams.map((x) => x.stream);
    expect(st.every((l) => l.app === 'web' && l.job === 'netcat')).toBe(true);
  });

  it('serves the Elasticsearch probe at / only to clients that do not want HTML', async () => {
    const es = await fetch(`${url}/`, { headers: { authorization: `Bearer ${WEB}` } });
    expect(es.status).toBe(200);
    expect(((await es.json()) as { tagline: string }).tagline).toBe('You Know, for Search');
    expect((await fetch(`${url}/`, { headers: { accept: 'text/html' } })).status).toBe(404);
    const bulk = await fetch(`${url}/logs-web/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${WEB}` },
      body: '{"index":{}}\n{"@timestamp":"2026-01-01T00:00:00Z","message":"bulk doc"}\n',
    });
    expect(bulk.status).toBe(200);
    expect(((await bulk.json()) as { errors: boolean }).errors).toBe(false);
  });

  it('stores events handed to the event sink', async () => {
    const t = Date.now();
    await logs.eventSink.emit({ stream: { source: 'docker', type: 'container', host: 'h1' }, t, ns: 5, line: 'type=container action=die name=web', fields: { action: 'die' } });
    const r = await query(ADMIN, '{source="docker"}');
    // Structured fields come back beside the stream labels, as Loki returns structured metadata.
    expect(r.streams).toEqual([{ stream: { action: 'die', host: 'h1', source: 'docker', type: 'container' }, values: [[`${t}000005`, 'type=container action=die name=web']] }]);
  });

  it('tails with the caller scope and refuses a tail without a token', async () => {
    const refused = await new Promise<number>((res) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{job="tail"}')}`);
      ws.on('unexpected-response', (_q, r) => res(r.statusCode ?? 0));
      ws.on('open', () => res(101));
    });
    expect(refused).toBe(401);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{job="tail"}')}`, { headers: { authorization: `Bearer ${WEB}` } });
    await new Promise((res) => ws.on('open', res));
    const seen: string[] = [];
    ws.on('message', (d) => {
      for (const s of (JSON.parse(String(d)) as { streams: { values: [string, string][] }[] }).streams) for (const v of s.values) seen.push(v[1]);
    });
    await new Promise((r) => setTimeout(r, 100));
    await push(API, [{ stream: { job: 'tail' }, values: [[nowNs(), 'api tail line']] }]);
    await push(WEB, [{ stream: { job: 'tail' }, values: [[nowNs(), 'web tail line']] }]);
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    ws.close();
    expect(seen).toEqual(['web tail line']);
  });

  it('applies token changes on reload and restarts a listener whose settings changed', async () => {
    const before = logs.listenerAddresses.get('tcp/tcp');
    const NEW = 'new-token-0123456789abcdef';
    await logs.apply(
      parseConfig(
        [
          'logs:',
          '  tokens:',
          `    - {token: ${NEW}, app: web}`,
          `    - {token: ${ADMIN}, app: ops, scopes: [admin]}`,
          '  tcp: {listen_address: "127.0.0.1:0", token: web, labels: {job: netcat2}}',
          '  syslog: {listen_address: ""}',
        ].join('\n'),
        join(dir, 'vigil.yml'),
      ),
    );
    expect((await push(WEB, [])).status).toBe(401);
    expect((await push(NEW, [{ stream: { job: 'after' }, values: [[nowNs(), 'after reload']] }])).status).toBe(204);
    expect((await query(NEW, '{job="after"}')).lines).toEqual(['after reload']);
    expect(logs.listenerAddresses.get('tcp/tcp')).toMatch(/listen=127\.0\.0\.1:\d+/);
    expect(logs.listenerAddresses.get('tcp/tcp')).not.toBe(before);
  });

  it('applies a retention change on reload', async () => {
    const NEW = 'new-token-0123456789abcdef';
    const oldNs = `${Date.now() - 40 * 60_000}000000`;
    expect((await push(NEW, [
          // Retention drops whole chunks (as Loki's does): the old entry is in a chunk of its own.
          { stream: { job: 'retained', age: 'old' }, values: [[oldNs, 'forty minutes old']] },
          { stream: { job: 'retained', age: 'new' }, values: [[nowNs(), 'fresh']] },
        ])).status).toBe(204);
    await logs.store.flush();
    await logs.store.applyRetention();
    expect((await query(NEW, '{job="retained"}')).lines).toEqual(['forty minutes old', 'fresh']);
    await logs.apply(
      parseConfig(
        ['logs:', '  retention: 20m', '  tokens:', `    - {token: ${NEW}, app: web}`, `    - {token: ${ADMIN}, app: ops, scopes: [admin]}`, '  tcp: {listen_address: "127.0.0.1:0", token: web, labels: {job: netcat2}}', '  syslog: {listen_address: ""}'].join('\n'),
        join(dir, 'vigil.yml'),
      ),
    );
    await logs.store.applyRetention();
    expect((await query(NEW, '{job="retained"}')).lines).toEqual(['fresh']);
  });

  it('keeps the old configuration when a reload cannot be applied', async () => {
    const bad = parseConfig(`logs:\n  tokens: [{token_file: missing.txt, app: web}]\n  tcp: {listen_address: ""}\n  syslog: {listen_address: ""}\n`, join(dir, 'vigil.yml'));
    await expect(logs.apply(bad)).rejects.toThrow(/cannot read token_file/);
    expect((await push('new-token-0123456789abcdef', [])).status).toBe(204);
  });

  it('exposes self-metrics of the Loki routes, the receivers and the store', async () => {
    const res = await fetch(`${url}/loki/api/v1/series?match[]={job="push"}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const text = registry.expose();
    expect(text).toMatch(/loki_request_duration_seconds_count\{method="GET",route="loki_api_v1_series",status_code="200",ws="false"\} 1\n/);
    expect(text).toMatch(/loki_request_duration_seconds_count\{method="POST",route="loki_api_v1_push",status_code="401",ws="false"\} [1-9]/);
    expect(text).toMatch(/loki_request_duration_seconds_count\{method="GET",route="loki_api_v1_tail",status_code="101",ws="true"\} 1\n/);
    expect(text).toMatch(/vigil_logs_received_lines_total\{receiver="tcp",format="[a-z_]+"\} [1-9]/);
    expect(text).toMatch(/vigil_logs_appended_entries_total [1-9]/);
  });
});

describe('LogsPipeline with tokens and an unbound listener', () => {
  it.each([
    ['the flag address', '127.0.0.1:0', /logs\.tcp "tcp": tokens are configured, so the listener on 127\.0\.0\.1:0 must be bound to one/],
    ['no address', '', undefined],
  ])('with %s', async (_name, tcpAddress, error) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-unbound-'));
    const cfg = parseConfig(`logs:\n  tokens: [{token: ${WEB}, app: web}]\n  syslog: {listen_address: ""}\n`, join(dir, 'vigil.yml'));
    const open = LogsPipeline.open({ dir: join(dir, 'logs'), config: cfg, registry: new Registry(), log: NOP_LOGGER, tcpAddress, syslogAddress: '', storeOptions: { packWorkers: 0, maintenanceIntervalMs: 0 } });
    try {
      if (error !== undefined) await expect(open).rejects.toThrow(error);
      else await (await open).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!openssl)('LogsPipeline TLS listener', () => {
  it('reads the certificate files of the config and serves TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const cfg = parseConfig('logs:\n  tcp: {listen_address: "127.0.0.1:0", labels: {job: tls}, tls: {cert_file: c.pem, key_file: k.pem}}\n  syslog: {listen_address: ""}\n', join(dir, 'vigil.yml'));
    const logs = await LogsPipeline.open({ dir: join(dir, 'logs'), config: cfg, registry: new Registry(), log: NOP_LOGGER, tcpAddress: '', syslogAddress: '', storeOptions: { packWorkers: 0, maintenanceIntervalMs: 0 } });
    const ac = new AbortController();
    const running = logs.run(ac.signal);
    try {
      for (let i = 0; i < 100 && logs.listenerAddresses.size === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const port = Number(/:(\d+)$/.exec(logs.listenerAddresses.get('tcp/tcp')!)![1]);
      const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(join(dir, 'c.pem')), servername: 'localhost' });
      await new Promise<void>((res, rej) => s.once('secureConnect', () => res()).once('error', rej));
      await new Promise<void>((res) => s.end('over tls\n', () => res()));
      let lines: string[] = [];
      for (let i = 0; i < 100 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 30));
        lines = [];
        for await (const b of logs.store.select({ matchers: [], mint: 0, maxt: Date.now() + 60_000, direction: 'forward', limit: 0 })) for (const e of b.entries) lines.push(`${b.labels.toString()} ${e.line}`);
      }
      expect(lines).toEqual(['{job="tls"} over tls']);
      // A plain TCP client gets nothing stored.
      const plain = connect(port, '127.0.0.1');
      await new Promise<void>((res) => plain.on('error', () => res()).on('close', () => res()).end('not tls\n'));
      await new Promise((r) => setTimeout(r, 100));
      let n = 0;
      for await (const b of logs.store.select({ matchers: [], mint: 0, maxt: Date.now() + 60_000, direction: 'forward', limit: 0 })) n += b.entries.length;
      expect(n).toBe(1);
    } finally {
      ac.abort();
      await running;
      await logs.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
