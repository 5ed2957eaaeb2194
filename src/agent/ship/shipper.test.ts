import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { uncompressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { Labels } from '../../model/index.js';
import { ShipOptionError } from './errors.js';
import { Shipper, type ShipperOptions } from './shipper.js';

interface Received {
  readonly key: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly lines: string[];
}

/** A fake gateway: decodes bodies, answers with `status()`, remembers idempotency keys like the real one. */
class FakeGateway {
  readonly received: Received[] = [];
  readonly seen = new Set<string>();
  readonly requests: string[] = [];
  status: () => number = () => 200;
  server!: Server;
  url = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const status = this.status();
      const key = String(req.headers['idempotency-key']);
      this.requests.push(key);
      if (status === 200 && !this.seen.has(key)) {
        let body: Buffer = Buffer.concat(parts);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        else if (req.headers['content-encoding'] === 'snappy') body = uncompressSync(body) as Buffer;
        this.seen.add(key);
        this.received.push({ key, path: req.url ?? '', headers: req.headers, lines: body.toString('utf8').split('\n').filter((l) => l !== '') });
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"accepted":1}' : 'nope');
    });
  }

  lines(): string[] {
    return this.received.flatMap((r) => r.lines);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const dirs: string[] = [];
const gateways: FakeGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-ship-'));
  dirs.push(d);
  return d;
}

async function gateway(): Promise<FakeGateway> {
  const g = new FakeGateway();
  await g.start();
  gateways.push(g);
  return g;
}

function shipper(opts: Partial<ShipperOptions> & { url: string; dataDir: string }): Shipper {
  return new Shipper({ flushIntervalMs: 20, backoffMinMs: 10, backoffMaxMs: 50, drainMs: 0, ...opts });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const L = Labels.fromObject({ job: 'test' });

function savedPositions(dir: string): unknown {
  return (JSON.parse(readFileSync(join(dir, 'state', 'log-positions.json'), 'utf8')) as { positions: unknown }).positions;
}

describe('Shipper', () => {
  it('sends batches as gzip NDJSON envelopes and persists positions only after the acknowledgement', async () => {
    const g = await gateway();
    const dir = tmp();
    const s = shipper({ url: g.url, dataDir: dir, token: 'secret', labels: { host: 'h1' } });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    const st = s.stream(L);
    s.add(st, 1763771000123, 456789, 'hello "world"', { a: '1' });
    s.add(st, 1763771000124, 0, 'second');
    s.mark('file:/x', { off: 42 });
    await until(() => s.ackedSeq === 1);
    ac.abort();
    await run;
    const r = g.received[0]!;
    expect(r.path).toBe('/api/vigil/logs');
    expect(r.headers.authorization).toBe('Bearer secret');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.key).toBe(`${s.agentId}-1`);
    expect(r.lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { ts: '1763771000123456789', labels: { host: 'h1', job: 'test' }, line: 'hello "world"', fields: { a: '1' } },
      { ts: '1763771000124000000', labels: { host: 'h1', job: 'test' }, line: 'second' },
    ]);
    const state = JSON.parse(readFileSync(join(dir, 'state', 'log-positions.json'), 'utf8')) as { ackedSeq: number; positions: unknown };
    expect(state).toMatchObject({ ackedSeq: 1, positions: { 'file:/x': { off: 42 } } });
    const again = shipper({ url: g.url, dataDir: dir });
    expect(again.position('file:/x')).toEqual({ off: 42 });
    expect(again.agentId).toBe(s.agentId);
    await again.queue.close();
  });

  it('seals a batch flushIntervalMs after its first entry and a lone position at once, with a timer only while something waits', async () => {
    const g = await gateway();
    const dir = tmp();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    // An interval well above the quarter second a lone position waits, so a busy machine cannot blur the two.
    const s = shipper({ url: g.url, dataDir: dir, flushIntervalMs: 1500 });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    await new Promise((r) => setTimeout(r, 50));
    const idle = timers();
    const st = s.stream(L);
    const t0 = Date.now();
    s.add(st, 1763771000123, 0, 'one');
    expect(timers()).toBe(idle + 1); // the batch's seal timer
    s.mark('file:/x', { off: 4 });
    await new Promise((r) => setTimeout(r, 300));
    s.add(st, 1763771000124, 0, 'two'); // same batch: the interval runs from the first entry
    s.mark('file:/x', { off: 8 });
    await until(() => s.ackedSeq === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490);
    expect(g.lines().map((l) => (JSON.parse(l) as { line: string }).line)).toEqual(['one', 'two']);
    // A position with no entry after it (a skipped line, a dropped file) is not held for the interval.
    const t1 = Date.now();
    s.mark('file:/y', null);
    s.mark('file:/x', { off: 9 });
    await until(() => s.ackedSeq === 2);
    expect(Date.now() - t1).toBeLessThan(1000);
    expect(savedPositions(dir)).toEqual({ 'file:/x': { off: 9 } });
    g.server.closeAllConnections(); // the gateway's keep-alive timers live in this process too
    await new Promise((r) => setTimeout(r, 50));
    expect(timers()).toBe(idle); // nothing waits: no timer
    ac.abort();
    await run;
  });

  it('keeps everything in the disk queue while the server is down and delivers it in order once back', async () => {
    const g = await gateway();
    g.status = () => 503;
    const dir = tmp();
    const reg = new Registry();
    const s = shipper({ url: g.url, dataDir: dir, registry: reg });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    const st = s.stream(L);
    for (let i = 0; i < 50; i++) {
      s.add(st, 1763771000000 + i, 0, `line ${i}`);
      s.mark('src', i);
      await new Promise((r) => setTimeout(r, 2));
    }
    await s.flush();
    expect(s.queue.length).toBeGreaterThan(1);
    // Handed over (the source resumes after it) but not acknowledged: not in the state file.
    expect(s.position('src')).toBe(49);
    expect(savedPositions(dir)).toEqual({});
    g.status = () => 200;
    await until(() => s.queue.length === 0);
    ac.abort();
    await run;
    expect(g.lines().map((l) => (JSON.parse(l) as { line: string }).line)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    expect(reg.expose()).toMatch(/vigil_agent_ship_send_failures_total [1-9]/);
    expect(reg.expose()).toMatch(/vigil_agent_ship_sent_entries_total 50/);
  });

  it('resends what was queued but unacknowledged after a restart, and the positions resume from the queue', async () => {
    const g = await gateway();
    g.status = () => 503;
    const dir = tmp();
    const s1 = shipper({ url: g.url, dataDir: dir });
    const ac1 = new AbortController();
    const run1 = s1.run(ac1.signal);
    const st = s1.stream(L);
    s1.add(st, 1763771000000, 0, 'a');
    s1.mark('src', 1);
    await s1.flush();
    s1.add(st, 1763771000001, 0, 'b');
    s1.mark('src', 2);
    await s1.flush();
    ac1.abort();
    await run1;
    // A new process: positions of queued batches count as handed over, so the source resumes after them.
    g.status = () => 200;
    const s2 = shipper({ url: g.url, dataDir: dir });
    expect(s2.position('src')).toBe(2);
    const ac2 = new AbortController();
    const run2 = s2.run(ac2.signal);
    await until(() => s2.queue.length === 0);
    ac2.abort();
    await run2;
    expect(g.lines().map((l) => (JSON.parse(l) as { line: string }).line)).toEqual(['a', 'b']);
    expect(g.received.map((r) => r.key)).toEqual([`${s1.agentId}-1`, `${s1.agentId}-2`]);
  });

  it('sends a batch again under the same idempotency key when the acknowledgement was not recorded', async () => {
    const g = await gateway();
    const dir = tmp();
    const statePath = join(dir, 'state', 'log-positions.json');
    const s1 = shipper({ url: g.url, dataDir: dir });
    const before = readFileSync(statePath);
    const ac1 = new AbortController();
    const run1 = s1.run(ac1.signal);
    s1.add(s1.stream(L), 1763771000000, 0, 'once');
    s1.mark('src', 1);
    await until(() => s1.ackedSeq === 1);
    ac1.abort();
    await run1;
    // As if the process died between the answer and the state write, and the queue kept the batch.
    writeFileSync(statePath, before);
    const s2 = shipper({ url: g.url, dataDir: dir });
    expect(s2.queue.length).toBe(1);
    expect(s2.position('src')).toBe(1);
    const ac2 = new AbortController();
    const run2 = s2.run(ac2.signal);
    await until(() => s2.ackedSeq === 1);
    ac2.abort();
    await run2;
    expect(g.requests).toEqual([`${s1.agentId}-1`, `${s1.agentId}-1`]);
    expect(g.lines()).toHaveLength(1);
  });

  it('drops the oldest batches past the queue cap and counts them', async () => {
    const g = await gateway();
    g.status = () => 503;
    const dir = tmp();
    const reg = new Registry();
    const s = shipper({ url: g.url, dataDir: dir, queueMaxBytes: 256 * 1024, maxBatchBytes: 16 * 1024, compression: 'none', registry: reg, queueFsync: false });
    const st = s.stream(L);
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 600; i++) {
      s.add(st, 1763771000000 + i, 0, `${i} ${line}`);
      s.mark('src', i);
    }
    await s.flush();
    const q = s.queue;
    expect(q.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(q.dropped.batches).toBeGreaterThan(0);
    const left = [...q.pending()].reduce((n, b) => n + b.entries, 0);
    expect(left + q.dropped.entries).toBe(600);
    expect(reg.expose()).toContain(`vigil_agent_ship_dropped_entries_total ${q.dropped.entries}`);
    // What is left is the newest, in order.
    g.status = () => 200;
    const ac = new AbortController();
    const run = s.run(ac.signal);
    await until(() => s.queue.length === 0);
    ac.abort();
    await run;
    const got = g.lines().map((l) => Number((JSON.parse(l) as { line: string }).line.split(' ')[0]));
    expect(got.length).toBe(left);
    expect(got[got.length - 1]).toBe(599);
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });

  it('drops a batch the server refuses for good (400) and goes on', async () => {
    const g = await gateway();
    let n = 0;
    g.status = () => (n++ === 0 ? 400 : 200);
    const dir = tmp();
    const reg = new Registry();
    const s = shipper({ url: g.url, dataDir: dir, registry: reg });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    const st = s.stream(L);
    s.add(st, 1763771000000, 0, 'refused');
    s.mark('src', 1);
    await s.flush();
    s.add(st, 1763771000001, 0, 'accepted');
    s.mark('src', 2);
    await until(() => s.ackedSeq === 2);
    ac.abort();
    await run;
    expect(g.lines().map((l) => (JSON.parse(l) as { line: string }).line)).toEqual(['accepted']);
    expect(reg.expose()).toContain('vigil_agent_ship_rejected_entries_total 1');
    expect(savedPositions(dir)).toEqual({ src: 2 });
  });

  it.each([
    { name: 'loki JSON, snappy', format: 'loki' as const, compression: 'snappy' as const, path: '/loki/api/v1/push', type: 'application/json' },
    { name: 'vigil NDJSON, identity', format: 'vigil' as const, compression: 'none' as const, path: '/api/vigil/logs', type: 'application/x-ndjson' },
  ])('$name', async ({ format, compression, path, type }) => {
    const g = await gateway();
    const s = shipper({ url: g.url, dataDir: tmp(), format, compression });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    s.add(s.stream(Labels.fromObject({ a: '1' })), 1763771000000, 5, 'one', { f: 'v' });
    s.add(s.stream(Labels.fromObject({ a: '2' })), 1763771000001, 0, 'two');
    s.add(s.stream(Labels.fromObject({ a: '1' })), 1763771000002, 0, 'three');
    s.mark('src', 3);
    await until(() => g.received.length === 1);
    ac.abort();
    await run;
    const r = g.received[0]!;
    expect(r.path).toBe(path);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers['content-encoding']).toBe(compression === 'none' ? undefined : compression);
    if (format === 'loki') {
      expect(JSON.parse(r.lines.join('\n'))).toEqual({
        streams: [
          { stream: { a: '1' }, values: [['1763771000000000005', 'one', { f: 'v' }], ['1763771000002000000', 'three']] },
          { stream: { a: '2' }, values: [['1763771000001000000', 'two']] },
        ],
      });
    } else {
      expect(r.lines).toHaveLength(3);
    }
  });

  it('retries with growing, jittered delays', async () => {
    const g = await gateway();
    const times: number[] = [];
    g.status = () => {
      times.push(Date.now());
      return times.length < 6 ? 502 : 200;
    };
    const s = shipper({ url: g.url, dataDir: tmp(), backoffMinMs: 20, backoffMaxMs: 160 });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    s.add(s.stream(L), 1763771000000, 0, 'x');
    s.mark('src', 1);
    await until(() => s.ackedSeq === 1);
    ac.abort();
    await run;
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Delays are d/2..d with d = 20, 40, 80, 160, 160 ms.
    const want = [20, 40, 80, 160, 160];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(want[i]! / 2 - 2);
      expect(gap).toBeLessThan(want[i]! + 150);
    });
  });

  it.each([
    { name: 'bad format', opts: { format: 'x' }, option: 'format' },
    { name: 'bad compression', opts: { compression: 'br' }, option: 'compression' },
    { name: 'bad gzip level', opts: { gzipLevel: 12 }, option: 'gzipLevel' },
    { name: 'zero batch', opts: { maxBatchEntries: 0 }, option: 'maxBatchEntries' },
    { name: 'batch over segment', opts: { maxBatchBytes: 64 << 20 }, option: 'maxBatchBytes' },
    { name: 'bad url', opts: { url: 'nope' }, option: 'url' },
    { name: 'bad label', opts: { labels: { 'a-b': 'x' } }, option: 'labels.a-b' },
  ])('refuses $name naming the option', ({ opts, option }) => {
    let err: unknown;
    try {
      new Shipper({ url: 'http://127.0.0.1:1', dataDir: tmp(), ...(opts as object) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShipOptionError);
    expect((err as ShipOptionError).option).toBe(option);
  });
});
