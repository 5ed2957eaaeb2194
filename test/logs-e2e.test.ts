// The log side end to end through the built binary (`vigil up` with a config file that has a
// `logs:` section): real clients push (pino-loki JSON, winston-loki protobuf+snappy), real
// `journalctl -o json` output arrives over TCP on a listener bound to a token, a private rsyslog
// forwards over TCP; everything is read back through the Loki API and the `vigil logs` CLI with
// exact lines, timestamps and labels, each app token seeing only its own app.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { peer } from './support/peers.js';
import { BIN, startVigil, type VigilProcess } from './support/vigil-process.js';
import { shared } from './support/shared.js';

const WEB = 'web-token-e2e-0123456789';
const API = 'api-token-e2e-0123456789';
const HOSTS = 'hosts-token-e2e-01234567';
const SYS = 'syslog-token-e2e-0123456';
const ADMIN = 'admin-token-e2e-01234567';
const JOURNAL_DIR = shared('corpus/logs/journal-files/journal1');

const journalctl = peer('journalctl', ['/usr/bin/journalctl', '/bin/journalctl']);
const rsyslogd = peer('rsyslogd', ['/usr/sbin/rsyslogd']);
const logger = peer('logger', ['/usr/bin/logger']);

interface Stream {
  stream: Record<string, string>;
  values: [string, string][];
}

async function until<T>(f: () => Promise<T | undefined>, ms = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('logs end to end through vigil up', () => {
  let dir: string;
  let vigil: VigilProcess;
  let tcpPort = 0;
  let syslogPort = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-logs-e2e-'));
    writeFileSync(
      join(dir, 'vigil.yml'),
      [
        'logs:',
        '  retention: 0s',
        '  tokens:',
        `    - {token: ${WEB}, app: web}`,
        `    - {token: ${API}, app: api}`,
        `    - {name: journal, token: ${HOSTS}, app: hosts}`,
        `    - {name: sys, token: ${SYS}, app: syslog}`,
        `    - {token: ${ADMIN}, app: ops, scopes: [admin]}`,
        '  tcp: {token: journal}',
        '  syslog: {token: sys, udp: false}',
        '',
      ].join('\n'),
    );
    vigil = await startVigil('up', ['--config.file', join(dir, 'vigil.yml'), '--logs.tcp-listen-address', '127.0.0.1:0', '--logs.syslog-listen-address', '127.0.0.1:0']);
    await until(async () => (/listener=syslog\/syslog/.test(vigil.output()) ? true : undefined), 10_000, 'listeners');
    tcpPort = Number(/listener=tcp\/tcp address="listen=127\.0\.0\.1:(\d+)"/.exec(vigil.output())![1]);
    syslogPort = Number(/listener=syslog\/syslog address="tcp=127\.0\.0\.1:(\d+)"/.exec(vigil.output())![1]);
  }, 60_000);

  afterAll(async () => {
    expect(await vigil?.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(token: string | undefined, q: string, params: Record<string, string> = {}): Promise<{ status: number; streams: Stream[] }> {
    const p = new URLSearchParams({ query: q, limit: '5000', direction: 'forward', start: String((Date.now() - 3_600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6), ...params });
    const r = await fetch(`${vigil.url}/loki/api/v1/query_range?${p}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    if (r.status !== 200) return { status: r.status, streams: [] };
    const body = (await r.json()) as { status: string; data: { resultType: string; result: Stream[] } };
    expect(body.status).toBe('success');
    expect(body.data.resultType).toBe('streams');
    return { status: 200, streams: body.data.result };
  }

  const count = (s: readonly Stream[]): number => s.reduce((n, x) => n + x.values.length, 0);

  async function queryUntil(token: string, q: string, n: number, params: Record<string, string> = {}): Promise<Stream[]> {
    return until(async () => {
      const r = await query(token, q, params);
      return count(r.streams) >= n ? r.streams : undefined;
    }, 20_000, `${n} entries of ${q}`);
  }

  it('answers /ready, and refuses ingest and queries without a token', async () => {
    expect((await fetch(`${vigil.url}/ready`)).status).toBe(200);
    const push = await fetch(`${vigil.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[]}' });
    expect(push.status).toBe(401);
    expect((await query(undefined, '{app="web"}')).status).toBe(401);
    expect((await query('wrong-token-0123456789ab', '{app="web"}')).status).toBe(401);
    // The Elasticsearch probe shares / with the UI: clients that do not ask for HTML get it.
    const es = await fetch(`${vigil.url}/`, { headers: { authorization: `Bearer ${WEB}` } });
    expect([es.status, es.headers.get('x-elastic-product')]).toEqual([200, 'Elasticsearch']);
    expect((await fetch(`${vigil.url}/`, { headers: { accept: 'text/html' } })).headers.get('x-elastic-product')).toBeNull();
  });

  it('stores pino-loki pushes (JSON, basic auth) with their timestamps and labels', async () => {
    const dest = pinoLoki({ host: vigil.url, batching: { interval: 0.05, maxBufferSize: 10_000 }, labels: { job: 'pino' }, basicAuth: { username: 'web', password: WEB }, silenceErrors: false });
    const log = pino({ level: 'info' }, dest);
    for (let i = 0; i < 60; i++) (i % 10 === 0 ? log.error : log.info).call(log, { seq: i }, `pino line ${i}`);
    const streams = await queryUntil(WEB, '{job="pino"}', 60);
    dest.end();
    expect(count(streams)).toBe(60);
    const host = hostname();
    expect(streams.map((s) => s.stream).sort((a, b) => a.level!.localeCompare(b.level!))).toEqual([
      { app: 'web', hostname: host, job: 'pino', level: 'error' },
      { app: 'web', hostname: host, job: 'pino', level: 'info' },
    ]);
    const seqs: number[] = [];
    for (const s of streams) {
      for (const [ts, line] of s.values) {
        const o = JSON.parse(line) as { seq: number; msg: string; time: number; level: number };
        expect(o.msg).toBe(`pino line ${o.seq}`);
        // pino's own millisecond time is the entry's timestamp.
        expect(ts).toBe(`${o.time}000000`);
        expect(s.stream.level).toBe(o.level >= 50 ? 'error' : 'info');
        seqs.push(o.seq);
      }
    }
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('stores winston-loki pushes (protobuf + snappy, bearer token) at the timestamps given', async () => {
    const transport = new LokiTransport({ host: vigil.url, labels: { job: 'winston' }, json: false, batching: true, interval: 0.05, replaceTimestamp: false, headers: { authorization: `Bearer ${API}` }, onConnectionError: (e: unknown) => console.error(e) });
    const log = winston.createLogger({ transports: [transport as unknown as winston.transport] });
    const t0 = Date.now() - 5000;
    for (let i = 0; i < 40; i++) log.log({ level: i % 4 === 0 ? 'warn' : 'info', message: `winston line ${i}`, timestamp: new Date(t0 + i).toISOString() });
    const streams = await queryUntil(API, '{job="winston"}', 40);
    await transport.flush();
    transport.close?.();
    expect(streams.map((s) => s.stream).sort((a, b) => a.level!.localeCompare(b.level!))).toEqual([
      { app: 'api', job: 'winston', level: 'info' },
      { app: 'api', job: 'winston', level: 'warn' },
    ]);
    const got = new Map(streams.flatMap((s) => s.values.map(([ts, line]) => [/^winston line (\d+)/.exec(line)![1], ts] as const)));
    expect(got.size).toBe(40);
    for (let i = 0; i < 40; i++) expect(got.get(String(i)), `line ${i}`).toBe(`${t0 + i}000000`);
  });

  it.skipIf(journalctl === undefined)('stores `journalctl -o json` piped into the TCP listener under the listener token app', async () => {
    const out = execFileSync(journalctl!, ['--directory', JOURNAL_DIR, '-o', 'json', '--no-pager'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(records.length).toBe(10);
    const s = connect(tcpPort, '127.0.0.1');
    await new Promise<void>((res, rej) => s.on('error', rej).end(out, () => res()));
    const first = Number(records[0]!.__REALTIME_TIMESTAMP) / 1000;
    const range = { start: String(Math.floor(first - 60_000) * 1e6), end: String(Math.floor(first + 3_600_000) * 1e6) };
    const streams = await queryUntil(HOSTS, '{app="hosts"}', records.length, range);
    const byLine = new Map(streams.flatMap((st) => st.values.map(([ts, line]) => [line, { ts, labels: st.stream }] as const)));
    expect(byLine.size).toBe(records.length);
    for (const r of records) {
      const e = byLine.get(r.MESSAGE!);
      expect(e, r.MESSAGE).toBeDefined();
      // __REALTIME_TIMESTAMP is microseconds since the epoch.
      expect(e!.ts).toBe(`${r.__REALTIME_TIMESTAMP}000`);
      // Stream labels: the listener's, plus the low-cardinality journal fields (PRIORITY 6 is
      // syslog's "informational"; unit only where the record has one). Every other journal
      // field comes back as structured metadata beside them, as Loki returns it.
      const { MESSAGE: _m, _HOSTNAME: host, SYSLOG_IDENTIFIER: identifier, _SYSTEMD_UNIT: unit, ...fields } = r;
      expect(e!.labels).toEqual({ ...fields, app: 'hosts', job: 'tcp', host, identifier, level: 'info', ...(unit !== undefined ? { unit } : {}) });
    }
    // Another app's token sees none of it; asking for it by name gives an empty answer, not an error.
    expect((await query(WEB, '{app="hosts"}', range)).streams).toEqual([]);
    expect(count((await query(ADMIN, '{app="hosts"}', range)).streams)).toBe(records.length);
  });

  describe.skipIf(rsyslogd === undefined || logger === undefined)('rsyslog', () => {
    let rs: { dir: string; proc: ChildProcess } | undefined;
    afterAll(async () => {
      if (rs === undefined) return;
      const done = new Promise<void>((res) => rs!.proc.on('exit', () => res()));
      rs.proc.kill('SIGTERM');
      await done;
      rmSync(rs.dir, { recursive: true, force: true });
    });

    it('stores what a private rsyslog forwards (RFC 5424, octet-counted TCP), readable with vigil logs', async () => {
      const rdir = mkdtempSync(join(tmpdir(), 'vigil-e2e-rsyslog-'));
      const modDir = dirname(execFileSync('dpkg', ['-L', 'rsyslog'], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith('/imuxsock.so'))!);
      writeFileSync(
        join(rdir, 'rsyslog.conf'),
        `global(workDirectory="${rdir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${rdir}/log.sock" CreatePath="on")
action(type="omfwd" target="127.0.0.1" port="${syslogPort}" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted"
       queue.type="LinkedList" action.resumeRetryCount="-1" action.resumeInterval="1")
`,
      );
      const proc = spawn(rsyslogd!, ['-n', '-f', join(rdir, 'rsyslog.conf'), '-i', join(rdir, 'rsyslogd.pid'), '-M', modDir], { stdio: 'ignore', env: { ...process.env, TZ: 'UTC' } });
      rs = { dir: rdir, proc };
      await until(async () => (existsSync(join(rdir, 'log.sock')) ? true : undefined), 10_000, 'rsyslog socket');
      const n = 100;
      const lines = Array.from({ length: n }, (_, i) => `e2e-rsyslog seq=${i + 1} msg="hello from rsyslog"`);
      const t0 = Date.now();
      execFileSync(logger!, ['-u', join(rdir, 'log.sock'), '-t', 'vigil-e2e', '-p', 'local0.warning'], { input: lines.join('\n') + '\n' });
      const streams = await queryUntil(SYS, '{app="syslog"}', n);
      const t1 = Date.now();
      // The facility and severity come back as structured metadata beside the stream labels.
      expect(streams.map((s) => s.stream)).toEqual([{ app: 'syslog', host: hostname(), identifier: 'vigil-e2e', job: 'syslog', level: 'warn', facility: 'local0', severity: 'warning' }]);
      const values = streams[0]!.values;
      // RFC 5424's MSG keeps the space rsyslog's template puts after the tag.
      expect(values.map(([, l]) => l.trimStart())).toEqual(lines);
      for (const [ts] of values) {
        const ms = Number(ts.slice(0, -6));
        expect(ms).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 - 1000);
        expect(ms).toBeLessThanOrEqual(t1 + 1000);
      }

      // The same through `vigil logs` against the server: raw lines oldest first, and JSON with the exact timestamps.
      const cli = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
        new Promise((res) => {
          execFile(process.execPath, [BIN, 'logs', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => res({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr }));
        });
      const raw = await cli(['{app="syslog"}', '--server', vigil.url, '--token', SYS, '--since', '10m', '--limit', '1000', '--output', 'raw']);
      expect(raw.code, raw.stderr).toBe(0);
      expect(raw.stdout.split('\n').filter((l) => l !== '').map((l) => l.trimStart())).toEqual(lines);
      const json = await cli(['{app="syslog"} |= "seq=7 "', '--server', vigil.url, '--token', SYS, '--since', '10m', '--output', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const j = JSON.parse(json.stdout.trim()) as { timestamp: string; labels: Record<string, string>; line: string };
      expect(j.line.trimStart()).toBe(lines[6]);
      expect(j.labels).toMatchObject({ app: 'syslog', identifier: 'vigil-e2e' });
      const ts = values[6]![0];
      expect(j.timestamp).toBe(`${new Date(Number(ts.slice(0, -6))).toISOString().slice(0, 19)}.${ts.slice(-9)}Z`);
      // Another app's token sees nothing of it, and no token is refused.
      const other = await cli(['{app="syslog"}', '--server', vigil.url, '--token', WEB, '--since', '10m', '--output', 'raw']);
      expect([other.code, other.stdout]).toEqual([0, '']);
      const none = await cli(['{app="syslog"}', '--server', vigil.url, '--since', '10m']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/401/);
    }, 60_000);
  });

  it('counts per app with a metric query scoped to the token', async () => {
    const r = await fetch(`${vigil.url}/loki/api/v1/query?${new URLSearchParams({ query: 'sum by (app) (count_over_time({job=~".+"}[1h]))' })}`, { headers: { authorization: `Bearer ${API}` } });
    const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.data.result.map((s) => [s.metric.app, s.value[1]])).toEqual([['api', '40']]);
  });
});

describe('reload of the logs section on SIGHUP', () => {
  it('applies a changed token file and a new token at once, keeping the old config when the new one is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-reload-'));
    const OLD = 'old-file-token-0123456789';
    const NEW = 'new-file-token-0123456789';
    const ADDED = 'added-inline-token-012345';
    writeFileSync(join(dir, 'web.token'), `${OLD}\n`);
    writeFileSync(join(dir, 'vigil.yml'), 'logs:\n  tokens:\n    - {token_file: web.token, app: web}\n');
    const v = await startVigil('server', ['--config.file', join(dir, 'vigil.yml')]);
    const push = async (token: string): Promise<number> =>
      (await fetch(`${v.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"streams":[]}' })).status;
    const reloaded = async (n: number): Promise<void> => {
      await until(async () => ((v.output().match(/completed loading of configuration file|reload failed/g) ?? []).length >= n ? true : undefined), 10_000, `reload ${n}`);
    };
    try {
      expect(await push(OLD)).toBe(204);
      expect(await push(NEW)).toBe(401);
      writeFileSync(join(dir, 'web.token'), `${NEW}\n`);
      writeFileSync(join(dir, 'vigil.yml'), `logs:\n  tokens:\n    - {token_file: web.token, app: web}\n    - {token: ${ADDED}, app: api}\n`);
      v.child.kill('SIGHUP');
      await reloaded(2);
      expect([await push(OLD), await push(NEW), await push(ADDED)]).toEqual([401, 204, 204]);
      // A config that does not parse is refused as a whole; the running tokens stay.
      writeFileSync(join(dir, 'vigil.yml'), 'logs:\n  tokens: [{token: short, app: web}]\n');
      v.child.kill('SIGHUP');
      await reloaded(3);
      expect(v.output()).toMatch(/reload failed.*at least 16 characters/);
      expect([await push(NEW), await push(ADDED)]).toEqual([204, 204]);
    } finally {
      expect(await v.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
