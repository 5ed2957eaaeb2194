// The TCP log receiver against real senders: journalctl reading real journal files (-o json,
// -o export, -o short-precise), TLS clients, and bad input (10 MB lines, invalid UTF-8, NUL,
// truncated JSON, 10 000 connections, a sender that dribbles one byte at a time).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from '../src/instrument/index.js';
import { rawBytes } from '../src/logs/parse/index.js';
import { TcpReceiver, TokenStore, type TcpReceiverOptions } from '../src/logs/receive/index.js';
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
  return out.sort((a, b) => a.entry.t - b.entry.t || a.entry.ns - b.entry.ns);
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a receiver, runs fn with it, stops it. */
async function withReceiver<T>(opts: Partial<TcpReceiverOptions> & { store?: LogStore }, fn: (port: number, r: TcpReceiver, store: MemoryLogStore) => Promise<T>): Promise<T> {
  const store = (opts.store as MemoryLogStore | undefined) ?? new MemoryLogStore();
  const r = new TcpReceiver({ multilineWaitMs: 50, ...opts, store, port: 0, host: '127.0.0.1' });
  const ac = new AbortController();
  const run = r.run(ac.signal);
  try {
    const { port } = await r.ready();
    return await fn(port, r, store);
  } finally {
    ac.abort();
    await run;
  }
}

/** Sends bytes on one connection and waits until the receiver has closed it. */
async function send(port: number, r: TcpReceiver, data: Buffer | string): Promise<void> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    s.on('error', rej);
    s.end(data, () => res());
  });
  await new Promise<void>((res) => s.on('close', () => res()));
  await until(() => r.connections === 0);
}

/** Pipes a command's stdout into the receiver. */
async function pipe(port: number, r: TcpReceiver, cmd: string, args: string[]): Promise<void> {
  const s = connect(port, '127.0.0.1');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ: 'UTC' } });
  child.stdout.pipe(s);
  await new Promise<void>((res) => s.on('close', () => res()));
  await until(() => r.connections === 0);
}

const journalctl = peer('journalctl');
const journalRemote = peer('systemd-journal-remote', ['/lib/systemd/systemd-journal-remote']);

describe.skipIf(journalctl === undefined)('journalctl piped into the TCP receiver', () => {
  const ref = (name: string): { t: number; ns: number; message: string; unit: string; host: string }[] =>
    readFileSync(join(CORPUS, `journald-json/${name}.journalctl-o-json.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const o = JSON.parse(l) as Record<string, string>;
        const us = o._SOURCE_REALTIME_TIMESTAMP ?? o.__REALTIME_TIMESTAMP!;
        return { t: Number(us.slice(0, -3)), ns: Number(us.slice(-3)) * 1000, message: o.MESSAGE!, unit: o._SYSTEMD_UNIT ?? '', host: o._HOSTNAME ?? '' };
      });

  it.each(['json', 'export', 'short-precise'])('-o %s of real journal files: every entry with its time, unit and host', async (mode) => {
    for (const name of ['journal1', 'multiple-boots', 'coredump-entry']) {
      const want = ref(name);
      await withReceiver({ parser: { timeZone: 'UTC' } }, async (port, r, store) => {
        await pipe(port, r, journalctl!, ['--directory', join(CORPUS, 'journal-files', name), '--no-pager', '-o', mode]);
        const got = await stored(store);
        expect(got.length, `${name} -o ${mode}`).toBe(want.length);
        // -o short-precise has no year: entries are read relative to the arrival time.
        const inYear = (t: number, y: number): number => {
          const d = new Date(t);
          d.setUTCFullYear(y);
          return d.getTime();
        };
        got.forEach((g, i) => {
          const w = want[i]!;
          const t = mode === 'short-precise' ? inYear(g.entry.t, new Date(w.t).getUTCFullYear()) : g.entry.t;
          expect([t, g.entry.ns, g.labels.get('host')]).toEqual([w.t, w.ns, w.host]);
          expect(g.entry.line).toBe(mode === 'short-precise' ? w.message.replace(/\n+$/, '') : w.message);
          if (mode !== 'short-precise') expect(g.labels.get('unit')).toBe(w.unit);
        });
      });
    }
  });

  it.skipIf(journalRemote === undefined)('a journal written by systemd-journal-remote (journal-fixture recipe), read back with -o json and -o export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
    try {
      const now = Date.now() * 1000;
      let exp = '';
      for (let i = 1; i <= 50; i++) {
        exp += `__REALTIME_TIMESTAMP=${now + i}\n_HOSTNAME=vigil-fixture-host\n_SYSTEMD_UNIT=vigil-fixture.service\nSYSLOG_IDENTIFIER=vigil-fixture\nPRIORITY=${i % 8}\nMESSAGE=fixture message ${i}\nVIGIL_SEQ=${i}\n\n`;
      }
      execFileSync(journalRemote!, [`--output=${join(dir, 'remote.journal')}`, '-'], { input: exp, stdio: ['pipe', 'ignore', 'ignore'] });
      for (const mode of ['json', 'export']) {
        await withReceiver({}, async (port, r, store) => {
          await pipe(port, r, journalctl!, ['--directory', dir, '--no-pager', '-o', mode]);
          const got = await stored(store);
          expect(got.map((g) => g.entry.fields?.VIGIL_SEQ)).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
          expect(got.map((g) => g.entry.line)).toEqual(Array.from({ length: 50 }, (_, i) => `fixture message ${i + 1}`));
          expect(new Set(got.map((g) => g.labels.toString()))).toEqual(
            new Set(['critical', 'error', 'warn', 'info', 'debug'].map((l) => `{host="vigil-fixture-host", identifier="vigil-fixture", job="tcp", level="${l}", unit="vigil-fixture.service"}`)),
          );
          expect(got[0]!.entry.t).toBe(Math.floor((now + 1) / 1000));
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lines over TCP', () => {
  it('mixed formats, labels from the listener and the token, multi-line stack traces', async () => {
    const tokens = new TokenStore({ tokens: [{ token: 'netcat-token-0123456789', app: 'legacy' }] });
    expect(() => new TcpReceiver({ store: new MemoryLogStore(), tokens })).toThrow(/token: tokens are configured/);
    await withReceiver({ tokens, token: 'netcat-token-0123456789', labels: { job: 'nc' } }, async (port, r, store) => {
      const text = [
        '{"ts":"2026-11-21T23:40:19.269123Z","level":"error","msg":"boom"}',
        '2026-11-21 23:48:19.793 ERROR 1 --- [main] c.e.P : failed',
        'java.lang.IllegalStateException: bad',
        '\tat com.example.P.f(P.java:1)',
        'plain words',
        '',
      ].join('\n');
      await send(port, r, text);
      const got = await stored(store);
      expect(got.map((g) => [g.labels.toString(), g.entry.line])).toEqual([
        ['{app="legacy", job="nc", level="error"}', '{"ts":"2026-11-21T23:40:19.269123Z","level":"error","msg":"boom"}'],
        ['{app="legacy", job="nc", level="error"}', '2026-11-21 23:48:19.793 ERROR 1 --- [main] c.e.P : failed\njava.lang.IllegalStateException: bad\n\tat com.example.P.f(P.java:1)'],
        ['{app="legacy", job="nc"}', 'plain words'],
      ]);
    });
  });

  it('TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const cert = readFileSync(join(dir, 'cert.pem'));
      await withReceiver({ tls: { cert, key: readFileSync(join(dir, 'key.pem')) } }, async (port, r, store) => {
        const s = tlsConnect({ port, host: '127.0.0.1', ca: cert });
        await new Promise<void>((res, rej) => s.on('secureConnect', () => res()).on('error', rej));
        s.end('over tls 1\nover tls 2\n');
        await until(() => store.entryCount === 2);
        expect((await stored(store)).map((g) => g.entry.line)).toEqual(['over tls 1', 'over tls 2']);
        // A plain-text client gets no service, the receiver keeps serving.
        const plain = connect(port, '127.0.0.1');
        plain.end('not tls\n');
        await new Promise<void>((res) => plain.on('close', () => res()));
        expect(store.entryCount).toBe(2);
        expect(r.connections).toBeLessThanOrEqual(1);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('back-pressure: stops reading while the store is busy, loses nothing', async () => {
    let inFlight = 0;
    let maxPending = 0;
    const inner = new MemoryLogStore();
    const slow: LogStore = Object.assign(Object.create(inner) as MemoryLogStore, {
      append: async (l: Labels, e: readonly LogEntry[]): Promise<void> => {
        inFlight++;
        maxPending = Math.max(maxPending, e.length);
        await new Promise((res) => setTimeout(res, 20));
        await inner.append(l, e);
        inFlight--;
      },
    });
    const n = 60_000;
    const body = Array.from({ length: n }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n') + '\n';
    await withReceiver({ store: slow, maxPendingEntries: 2000, multiline: false }, async (port, r) => {
      await send(port, r, body);
      await until(() => inner.entryCount === n && inFlight === 0, 30_000);
    });
    // While an append was running, at most maxPendingEntries plus one decode's worth of lines
    // piled up (reads are decoded together up to 256 KiB; the read crossing it adds ≤ 64 KiB).
    expect(maxPending).toBeLessThan(2000 + (256 + 64) * 1024 / 40);
    const got = await stored(inner);
    expect(got.map((g) => g.entry.line)).toEqual(body.split('\n').slice(0, -1));
  });
});

describe('bad input over TCP', () => {
  it('a 10 MB line is cut to maxLineBytes and marked; the next line arrives intact', async () => {
    await withReceiver({}, async (port, r, store) => {
      const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
      await send(port, r, Buffer.concat([big, Buffer.from('\nafter\n')]));
      const got = await stored(store);
      expect(got.map((g) => [g.entry.line.length, g.entry.fields?.cut, g.entry.fields?.cut_bytes])).toEqual([
        [256 * 1024, 'truncated', String(10 * 1024 * 1024 - 256 * 1024)],
        [5, undefined, undefined],
      ]);
      // No stream is without labels: without configured ones the receiver's job is the label.
      expect(got.map((g) => g.labels.toString())).toEqual(['{job="tcp"}', '{job="tcp"}']);
    });
    await withReceiver({ longLines: 'split', maxLineBytes: 1 << 20 }, async (port, r, store) => {
      await send(port, r, Buffer.concat([Buffer.alloc(10 * 1024 * 1024, 0x62), Buffer.from('\n')]));
      const got = await stored(store);
      expect(got).toHaveLength(10);
      expect(got.map((g) => g.entry.line).join('').length).toBe(10 * 1024 * 1024);
      expect(got[9]!.entry.fields?.parts).toBe('10');
    });
  });

  it('invalid UTF-8 and NUL bytes are stored byte for byte; truncated JSON is kept with the reason', async () => {
    await withReceiver({ multiline: false }, async (port, r, store) => {
      const lines = [Buffer.from([0x66, 0x6f, 0x80, 0xff, 0x6f]), Buffer.from('nul\u0000inside'), Buffer.from('{"level":"info","msg":"cut of'), Buffer.from([0xc3, 0x28])];
      await send(port, r, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      const got = await stored(store);
      expect(got.map((g) => rawBytes(g.entry).toString('hex'))).toEqual(lines.map((l) => l.toString('hex')));
      expect(got[2]!.entry.fields?.parse_error).toMatch(/^json: unexpected end \(truncated JSON\?\) at offset 29$/);
    });
  });

  it('10 000 connections: the excess is refused and counted, the receiver keeps serving', async () => {
    const registry = new Registry();
    await withReceiver({ maxConnections: 500, registry }, async (port, r, store) => {
      const socks: Socket[] = [];
      let closedEarly = 0;
      await Promise.all(
        Array.from({ length: 10_000 }, () =>
          new Promise<void>((res) => {
            const s = connect(port, '127.0.0.1');
            socks.push(s);
            s.on('connect', () => res());
            s.on('error', () => res());
            s.on('close', () => {
              closedEarly++;
              res();
            });
          }),
        ),
      );
      // Connections over the limit are closed at once (those the kernel's accept queue dropped never reach us).
      const refused = (): number => Number(/vigil_logs_rejected_total\{receiver="tcp",reason="max_connections"\} (\d+)/.exec(registry.expose())?.[1] ?? 0);
      await until(() => refused() >= 1000 && r.connections === 500, 30_000);
      expect(closedEarly).toBeGreaterThanOrEqual(1000);
      for (const s of socks) s.destroy();
      await until(() => r.connections === 0, 30_000);
      await send(port, r, 'still serving\n');
      expect((await stored(store)).map((g) => g.entry.line)).toEqual(['still serving']);
    });
  }, 120_000);

  it('a sender dribbling one byte at a time: its line is cut after partialLineTimeoutMs, others are not held up', async () => {
    await withReceiver({ partialLineTimeoutMs: 300, idleTimeoutMs: 0 }, async (port, r, store) => {
      const slow = connect(port, '127.0.0.1');
      await new Promise<void>((res) => slow.on('connect', () => res()));
      const word = 'abcdefghij';
      for (let i = 0; i < word.length; i++) {
        slow.write(word[i]!);
        await new Promise((res) => setTimeout(res, 70));
        if (i === 2) {
          const fast = connect(port, '127.0.0.1');
          fast.end('fast line\n');
          await new Promise<void>((res) => fast.on('close', () => res()));
          await until(() => store.entryCount === 1);
        }
      }
      slow.end('\n');
      await new Promise<void>((res) => slow.on('close', () => res()));
      await until(() => r.connections === 0);
      const got = await stored(store);
      expect(got.map((g) => g.entry.line)).toContain('fast line');
      const pieces = got.filter((g) => g.entry.line !== 'fast line');
      expect(pieces.map((g) => g.entry.line).join('')).toBe(word);
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces[0]!.entry.fields?.cut).toBe('timeout');
    });
  });

  it('an idle connection is closed after idleTimeoutMs', async () => {
    await withReceiver({ idleTimeoutMs: 150 }, async (port, r) => {
      const s = connect(port, '127.0.0.1');
      const t0 = Date.now();
      await new Promise<void>((res) => s.on('close', () => res()));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
      await until(() => r.connections === 0);
    });
  });
});

afterAll(() => {});
