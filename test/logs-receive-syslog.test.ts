// The syslog receiver against real senders: a private rsyslog instance forwarding over TCP
// (newline and octet-counted framing) and UDP in RFC 5424, RFC 3164 and rsyslog's forward
// format; the telegraf listener test inputs with their expected parses; bad PRI and UDP drops.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/instrument/index.js';
import { SyslogReceiver, type SyslogReceiverOptions } from '../src/logs/receive/index.js';
import { MemoryLogStore, type LogEntry, type LogStore, type StreamBatch } from '../src/logs/store/index.js';
import type { Labels } from '../src/model/index.js';
import { peer } from './support/peers.js';
import { shared } from './support/shared.js';

const CORPUS = shared('corpus/logs');

interface Stored {
  labels: Labels;
  entry: LogEntry;
}

async function stored(store: MemoryLogStore): Promise<Stored[]> {
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

async function withReceiver<T>(opts: Partial<SyslogReceiverOptions>, fn: (ports: { tcp: number; udp: number }, r: SyslogReceiver, store: MemoryLogStore) => Promise<T>): Promise<T> {
  const store = (opts.store as MemoryLogStore | undefined) ?? new MemoryLogStore();
  const r = new SyslogReceiver({ ...opts, store, port: 0, host: '127.0.0.1' });
  const ac = new AbortController();
  const run = r.run(ac.signal);
  try {
    const a = await r.ready();
    return await fn({ tcp: a.tcp?.port ?? 0, udp: a.udp?.port ?? 0 }, r, store);
  } finally {
    ac.abort();
    await run;
  }
}

async function sendTcp(port: number, data: Buffer | string): Promise<void> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => s.on('error', rej).end(data, () => res()));
  await new Promise<void>((res) => s.on('close', () => res()));
}

async function sendUdp(port: number, data: Buffer | string): Promise<void> {
  const u = createSocket('udp4');
  await new Promise<void>((res, rej) => u.send(data, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  u.close();
}

// ---------------------------------------------------------------- telegraf expected parses

/** Reads one line of Influx line protocol as telegraf's syslog input writes it: tags, fields and the time. */
function influx(line: string): { tags: Record<string, string>; fields: Record<string, string> } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ' ' && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  const kv = (s: string): Record<string, string> => {
    const o: Record<string, string> = {};
    let k = '';
    let v = '';
    let inV = false;
    let q = false;
    const flush = (): void => {
      if (k !== '') o[k] = v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v.replace(/[iu]$/, '');
      k = v = '';
      inV = false;
    };
    for (const c of s) {
      if (c === '"') q = !q;
      if (c === ',' && !q) flush();
      else if (c === '=' && !inV && !q) inV = true;
      else if (inV) v += c;
      else k += c;
    }
    flush();
    return o;
  };
  const tags = kv(parts[0]!);
  delete tags.syslog;
  return { tags: Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'source')), fields: kv(parts[1]!) };
}

const telegrafCases = ['syslog-rfc5424', 'syslog-rfc3164'].flatMap((dir) =>
  readdirSync(join(CORPUS, dir))
    .filter((f) => f.startsWith('telegraf-') && f.endsWith('.input.txt'))
    .map((f) => join(dir, f.replace('.input.txt', ''))),
);

describe('telegraf syslog listener cases', () => {
  it.each(telegrafCases)('%s', async (name) => {
    const input = readFileSync(join(CORPUS, `${name}.input.txt`));
    const want = readFileSync(join(CORPUS, `${name}.expected.out`), 'utf8').split('\n').filter((l) => l !== '').map(influx);
    const udp = name.includes('_udp');
    await withReceiver({}, async (ports, r, store) => {
      if (udp) await sendUdp(ports.udp, input);
      else await sendTcp(ports.tcp, input);
      await until(() => store.entryCount >= want.length);
      await new Promise((res) => setTimeout(res, 50));
      const got = (await stored(store)).slice(0, want.length);
      want.forEach((w, i) => {
        const g = got[i]!;
        const f = g.entry.fields ?? {};
        expect([f.facility, f.severity], name).toEqual([w.tags.facility, w.tags.severity]);
        expect(g.labels.get('host')).toBe(w.tags.hostname ?? '');
        expect(g.labels.get('identifier')).toBe(w.tags.appname ?? '');
        if (w.fields.message !== undefined) expect(g.entry.line).toBe(w.fields.message.replace(/\\"/g, '"'));
        else if (f.parse_error === undefined) expect(g.entry.line).toBe('');
        for (const k of ['msgid', 'procid']) expect(f[k], k).toBe(w.fields[k]);
        for (const [k, v] of Object.entries(w.fields)) {
          if (['message', 'msgid', 'procid', 'timestamp', 'facility_code', 'severity_code', 'version'].includes(k)) continue;
          expect(f[k], k).toBe(v);
        }
        if (w.fields.timestamp !== undefined) {
          const ns = w.fields.timestamp;
          const t = Number(ns.slice(0, -6));
          if (name.includes('rfc3164')) expect(new Date(g.entry.t).toISOString().slice(5)).toBe(new Date(t).toISOString().slice(5));
          else expect([g.entry.t, g.entry.ns]).toEqual([t, Number(ns.slice(-6))]);
        }
      });
    });
  });
});

// ---------------------------------------------------------------- rsyslog

const rsyslogd = peer('rsyslogd', ['/usr/sbin/rsyslogd']);
const logger = peer('logger');

interface RsyslogRun {
  readonly dir: string;
  readonly proc: ChildProcess;
}

function startRsyslog(target: { port: number; protocol: 'tcp' | 'udp'; template: string; framing: string }): Promise<RsyslogRun> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
  const modDir = dirname(execFileSync('dpkg', ['-L', 'rsyslog'], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith('/imuxsock.so'))!);
  const framing = target.protocol === 'tcp' ? ` TCP_Framing="${target.framing}"` : '';
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${dir}/log.sock" CreatePath="on")
action(type="omfwd" target="127.0.0.1" port="${target.port}" protocol="${target.protocol}" template="${target.template}"${framing}
       queue.type="LinkedList" queue.size="100000" action.resumeRetryCount="-1" action.resumeInterval="1")
`,
  );
  const proc = spawn(rsyslogd!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid'), '-M', modDir], { stdio: 'ignore', env: { ...process.env, TZ: 'UTC' } });
  return until(() => existsSync(join(dir, 'log.sock')), 10_000).then(() => ({ dir, proc }));
}

async function stopRsyslog(r: RsyslogRun): Promise<void> {
  const done = new Promise<void>((res) => r.proc.on('exit', () => res()));
  r.proc.kill('SIGTERM');
  await done;
  rmSync(r.dir, { recursive: true, force: true });
}

const FORMS = [
  ['rfc5424', 'RSYSLOG_SyslogProtocol23Format', 'syslog-rfc5424'],
  ['rfc3164', 'RSYSLOG_TraditionalForwardFormat', 'syslog-rfc3164'],
  ['forward', 'RSYSLOG_ForwardFormat', 'syslog-rfc3164'],
] as const;
const TRANSPORTS = [
  ['tcp', 'traditional'],
  ['tcp', 'octet-counted'],
  ['udp', ''],
] as const;
const CASES = FORMS.flatMap(([form, template, format]) => TRANSPORTS.map(([protocol, framing]) => ({ form, template, format, protocol, framing })));

describe.skipIf(rsyslogd === undefined || logger === undefined)('rsyslog forwarding to the syslog receiver', () => {
  it.each(CASES)('$form over $protocol $framing', async ({ template, format, protocol, framing }) => {
    const registry = new Registry();
    await withReceiver({ registry }, async (ports, _r, store) => {
      const rs = await startRsyslog({ port: protocol === 'tcp' ? ports.tcp : ports.udp, protocol, template, framing });
      try {
        const n = 300;
        const t0 = Date.now();
        const lines = Array.from({ length: n }, (_, i) => `vigil-rsyslog-check seq=${i + 1} of=${n} level=info msg="hello from rsyslog"`);
        execFileSync(logger!, ['-u', join(rs.dir, 'log.sock'), '-t', 'vigil-check', '-p', 'local0.warning'], { input: lines.join('\n') + '\n' });
        await until(() => store.entryCount >= n, 20_000);
        const t1 = Date.now();
        const got = await stored(store);
        expect(got).toHaveLength(n);
        const bySeq = new Map(got.map((g) => [Number(/seq=(\d+)/.exec(g.entry.line)?.[1]), g]));
        for (let i = 1; i <= n; i++) {
          const g = bySeq.get(i)!;
          expect(g, `seq ${i}`).toBeDefined();
          // rsyslog's %msg% keeps the space after the tag; RFC 5424 MSG keeps it, RFC 3164 drops it.
          expect(g.entry.line.trimStart()).toBe(lines[i - 1]);
          expect(g.labels.toObject()).toEqual({ host: hostname(), identifier: 'vigil-check', job: 'syslog', level: 'warn' });
          expect(g.entry.fields).toMatchObject({ facility: 'local0', severity: 'warning' });
          expect(g.entry.t).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 - 1000);
          expect(g.entry.t).toBeLessThanOrEqual(t1 + 1000);
        }
        expect(registry.expose()).toContain(`vigil_logs_received_lines_total{receiver="syslog",format="${format}"} ${n}`);
      } finally {
        await stopRsyslog(rs);
      }
    });
  }, 60_000);
});

// ---------------------------------------------------------------- bad input

describe('bad input', () => {
  it('a bad PRI is kept unchanged with the reason, the next message is fine', async () => {
    await withReceiver({}, async (ports, _r, store) => {
      await sendTcp(ports.tcp, '<999>Oct 11 22:14:15 host tag: x\n<13>Oct 11 22:14:15 host tag: fine\n');
      await sendUdp(ports.udp, '<1x>nope');
      await until(() => store.entryCount === 3);
      const got = (await stored(store)).map((g) => [g.entry.line, g.entry.fields?.parse_error]);
      expect(got).toContainEqual(['<999>Oct 11 22:14:15 host tag: x', 'syslog: invalid PRI (want <0> to <191>) at offset 1']);
      expect(got).toContainEqual(['fine', undefined]);
      expect(got).toContainEqual(['<1x>nope', 'syslog: invalid PRI (want <0> to <191>) at offset 1']);
    });
  });

  it('UDP counts what it drops while the store is busy, and keeps serving', async () => {
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const inner = new MemoryLogStore();
    const blocked: LogStore = Object.assign(Object.create(inner) as MemoryLogStore, {
      append: async (l: Labels, e: readonly LogEntry[]): Promise<void> => {
        await gate;
        await inner.append(l, e);
      },
    });
    const registry = new Registry();
    await withReceiver({ store: blocked, registry, maxPendingEntries: 50 }, async (ports) => {
      const u = createSocket('udp4');
      for (let i = 0; i < 300; i++) await new Promise<void>((res) => u.send(`<13>1 - h app - - - m${i}`, ports.udp, '127.0.0.1', () => res()));
      u.close();
      const dropped = (): number => Number(/vigil_logs_dropped_total\{receiver="syslog",reason="udp_queue_full"\} (\d+)/.exec(registry.expose())?.[1] ?? 0);
      await until(() => dropped() > 0);
      release();
      await until(() => inner.entryCount > 0);
      await sendUdp(ports.udp, '<13>1 - h app - - - after');
      await until(() => (inner.entryCount + dropped()) >= 301);
      expect(inner.entryCount + dropped()).toBe(301);
      // What the kernel dropped before we read it is reported too (from /proc/net/udp).
      expect(registry.expose()).toMatch(/^vigil_logs_udp_kernel_drops_total\{receiver="syslog"\} \d+$/m);
    });
  });

  it('a sender dribbling a message byte by byte is cut after partialMessageTimeoutMs', async () => {
    await withReceiver({ partialMessageTimeoutMs: 150 }, async (ports, _r, store) => {
      const s = connect(ports.tcp, '127.0.0.1');
      await new Promise<void>((res) => s.on('connect', () => res()));
      for (const ch of '<13>1 - h app - - - slow') {
        s.write(ch);
        await new Promise((res) => setTimeout(res, 15));
      }
      await until(() => store.entryCount >= 1);
      s.end('\n');
      await new Promise<void>((res) => s.on('close', () => res()));
      const first = (await stored(store))[0]!;
      expect(first.entry.fields?.cut).toBe('timeout');
      expect(store.entryCount).toBeGreaterThanOrEqual(1);
    });
  });

  it('an over-long TCP message is truncated and marked; octet counting stays in step', async () => {
    await withReceiver({ maxMessageBytes: 100 }, async (ports, _r, store) => {
      const long = `<13>1 - h app - - - ${'z'.repeat(500)}`;
      await sendTcp(ports.tcp, `${Buffer.byteLength(long)} ${long}15 <13>1 - h a - -`);
      await until(() => store.entryCount === 2);
      const got = (await stored(store)).map((g) => [g.labels.get('identifier'), g.entry.line.length, g.entry.fields?.cut, g.entry.fields?.cut_bytes]);
      expect(got).toContainEqual(['app', 100 - '<13>1 - h app - - - '.length, 'truncated', String(Buffer.byteLength(long) - 100)]);
      expect(got).toContainEqual(['a', 0, undefined, undefined]);
    });
  });
});
