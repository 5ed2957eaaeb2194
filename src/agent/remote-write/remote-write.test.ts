import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { uncompressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../instrument/index.js';
import { STALE_NAN, isStaleNaN } from '../../model/index.js';
import { MetricBatch, MetricType } from '../host/index.js';
import { RemoteWriteSender, StalenessTracker, WriteRequestEncoder, parseRetryAfter, type RemoteWriteError } from './index.js';

// Decoded with the server receiver's schema (Prometheus's prompb messages), so the two sides agree.
const root = protobuf.parse(readFileSync(join(import.meta.dirname, '../../api/remote-prompb.proto'), 'utf8'), { keepCase: true }).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');

interface Decoded {
  timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: unknown }[] }[];
  metadata: { type?: number; metric_family_name: string; help?: string }[];
}

function decode(body: Buffer): Decoded {
  const raw = uncompressSync(body, { asBuffer: true }) as Buffer;
  return WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true, arrays: true }) as Decoded;
}

function sampleBatch(): MetricBatch {
  const b = new MetricBatch();
  const cpu = b.family('node_cpu_seconds_total', MetricType.counter, 'Seconds the CPUs spent in each mode.', ['mode', 'cpu']);
  b.add(cpu, 12.5, ['idle', '0']);
  b.add(cpu, 3.25, ['user', '0']);
  b.add(cpu, 99, ['user', '0']); // duplicate series: the first wins
  const c = b.family('container_memory_usage_bytes', MetricType.gauge, 'Current memory usage in bytes, including all memory regardless of when it was accessed', ['id', 'name', 'pod', 'instance']);
  b.add(c, 1024, ['/docker/abc', 'wéb ✓', '', 'own-instance']);
  b.single('node_load1', MetricType.gauge, '1m load average.', STALE_NAN);
  return b;
}

describe('WriteRequestEncoder', () => {
  it('writes sorted labels, external labels, no empty values, one sample per series, metadata', () => {
    const enc = new WriteRequestEncoder({ externalLabels: { job: 'vigil-agent', instance: 'node-1', zone: '' } });
    const reqs = enc.encode(sampleBatch(), 1_700_000_000_123, true);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.samples).toBe(4);
    const d = decode(reqs[0]!.body);
    const series = d.timeseries.map((ts) => ({ labels: ts.labels.map((l) => `${l.name}=${l.value}`), samples: ts.samples.map((s) => [s.value, s.timestamp]) }));
    expect(series[0]).toEqual({ labels: ['__name__=node_cpu_seconds_total', 'cpu=0', 'instance=node-1', 'job=vigil-agent', 'mode=idle'], samples: [[12.5, 1_700_000_000_123]] });
    expect(series[1]!.labels).toContain('mode=user');
    expect(series[1]!.samples[0]![0]).toBe(3.25);
    // The family's own instance label wins; the empty pod label is left out.
    expect(series[2]!.labels).toEqual(['__name__=container_memory_usage_bytes', 'id=/docker/abc', 'instance=own-instance', 'job=vigil-agent', 'name=wéb ✓']);
    // The stale marker's exact bits are on the wire (JS arrays would canonicalise the NaN, so check bytes).
    expect(Number.isNaN(series[3]!.samples[0]![0])).toBe(true);
    const raw = uncompressSync(reqs[0]!.body, { asBuffer: true }) as Buffer;
    const bits = Buffer.alloc(8);
    bits.writeDoubleLE(STALE_NAN);
    expect(isStaleNaN(bits.readDoubleLE(0))).toBe(true);
    expect(raw.includes(Buffer.concat([Buffer.from([0x09]), bits]))).toBe(true);
    expect(d.metadata).toEqual([
      { type: 1, metric_family_name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', unit: '' },
      { type: 2, metric_family_name: 'container_memory_usage_bytes', help: 'Current memory usage in bytes, including all memory regardless of when it was accessed', unit: '' },
      { type: 2, metric_family_name: 'node_load1', help: '1m load average.', unit: '' },
    ]);
    expect(decode(enc.encode(sampleBatch(), 1, false)[0]!.body).metadata).toEqual([]);
  });

  it('splits into requests of at most maxSamplesPerSend series', () => {
    const b = new MetricBatch();
    const f = b.family('x', MetricType.gauge, 'x', ['i']);
    for (let i = 0; i < 25; i++) b.add(f, i, [String(i).padStart(2, '0')]);
    const reqs = new WriteRequestEncoder({ maxSamplesPerSend: 10 }).encode(b, 5, true);
    expect(reqs.map((r) => r.samples)).toEqual([10, 10, 5]);
    expect(reqs.map((r) => decode(r.body).timeseries.length)).toEqual([10, 10, 5]);
    expect(decode(reqs[0]!.body).metadata).toHaveLength(1);
    expect(decode(reqs[1]!.body).metadata).toEqual([]);
  });

  it('round-trips any label values and float values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.double()), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 2 ** 50 }), (rows, t) => {
        const b = new MetricBatch();
        const f = b.family('p', MetricType.untyped, 'h', ['v']);
        const seen = new Map<string, number>();
        for (const [v, x] of rows) {
          b.add(f, x, [v]);
          if (!seen.has(v)) seen.set(v, x);
        }
        const got = new Map<string, number>();
        for (const r of new WriteRequestEncoder().encode(b, t)) {
          for (const ts of decode(r.body).timeseries) {
            expect(ts.samples[0]!.timestamp).toBe(t);
            got.set(ts.labels.find((l) => l.name === 'v')?.value ?? '', ts.samples[0]!.value);
          }
        }
        expect(got).toEqual(seen);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RemoteWriteSender', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  async function receiver(answer: (n: number, req: IncomingMessage) => [number, Record<string, string>?]): Promise<{ url: string; got: Decoded[]; headers: IncomingMessage['headers'][] }> {
    const got: Decoded[] = [];
    const headers: IncomingMessage['headers'][] = [];
    let n = 0;
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const [status, h] = answer(n++, req);
        if (status === 204) {
          got.push(decode(Buffer.concat(parts)));
          headers.push(req.headers);
        }
        res.writeHead(status, h).end(status === 204 ? '' : `error ${status}`);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const a = server.address() as { port: number };
    return { url: `http://127.0.0.1:${a.port}/api/v1/write`, got, headers };
  }

  it('retries 5xx and 429 with backoff, sends in order with protocol headers and token', async () => {
    const rx = await receiver((n) => (n === 0 ? [500] : n === 1 ? [429, { 'Retry-After': '0' }] : [204]));
    const registry = new Registry();
    const errors: RemoteWriteError[] = [];
    const s = new RemoteWriteSender({ url: rx.url, token: 's3cret', registry, minBackoffMs: 5, maxBackoffMs: 20, onError: (e) => errors.push(e) });
    s.enqueue(sampleBatch(), 1000);
    s.enqueue(sampleBatch(), 2000);
    const ac = new AbortController();
    const run = s.run(ac.signal);
    for (let i = 0; i < 300 && s.queued().requests > 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await run;
    expect(rx.got.map((d) => d.timeseries[0]!.samples[0]!.timestamp)).toEqual([1000, 2000]);
    expect(errors.map((e) => [e.status, e.recoverable])).toEqual([
      [500, true],
      [429, true],
    ]);
    expect(rx.headers[0]).toMatchObject({ authorization: 'Bearer s3cret', 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0' });
    const text = registry.expose();
    expect(text).toContain('vigil_remote_write_samples_total 8');
    expect(text).toContain('vigil_remote_write_retried_samples_total 8');
    expect(text).toContain('vigil_remote_write_queue_samples 0');
  });

  it('drops a request the receiver refuses with 400 and goes on', async () => {
    const rx = await receiver((n) => (n === 0 ? [400] : [204]));
    const registry = new Registry();
    const s = new RemoteWriteSender({ url: rx.url, registry, minBackoffMs: 5 });
    s.enqueue(sampleBatch(), 1000);
    s.enqueue(sampleBatch(), 2000);
    expect(await s.flush(5000)).toBe(0);
    expect(rx.got.map((d) => d.timeseries[0]!.samples[0]!.timestamp)).toEqual([2000]);
    expect(registry.expose()).toContain('vigil_remote_write_failed_samples_total 4');
  });

  it('bounds the queue, dropping the oldest, while the receiver is down', async () => {
    const registry = new Registry();
    const s = new RemoteWriteSender({ url: 'http://127.0.0.1:1/api/v1/write', registry, maxQueueBytes: 400, minBackoffMs: 5 });
    for (let i = 0; i < 20; i++) s.enqueue(sampleBatch(), i);
    const q = s.queued();
    expect(q.bytes).toBeLessThanOrEqual(400);
    expect(q.requests).toBeGreaterThanOrEqual(1);
    expect(registry.expose()).toMatch(/vigil_remote_write_dropped_samples_total [1-9]\d*/);
    // A down receiver: flush gives up after its time limit with samples left.
    expect(await s.flush(100)).toBe(q.samples);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT'))).toBe(2000);
    expect(parseRetryAfter('soon', 0)).toBe(0);
  });

  it('rejects a bad URL', () => {
    expect(() => new RemoteWriteSender({ url: 'ftp://x/y' })).toThrow(/http or https/);
    expect(() => new RemoteWriteSender({ url: 'not a url' })).toThrow(/not a URL/);
  });
});

/** Rows are [family, label names, label values…]: one batch of a cycle. */
type Row = readonly [string, readonly string[], ...string[]];

function batchOf(rows: readonly Row[]): MetricBatch {
  const b = new MetricBatch();
  for (const [name, names, ...values] of rows) b.add(b.family(name, MetricType.gauge, 'h', names), 1, values);
  return b;
}

/** staleKeys lists a stale batch's series as name{values} strings, sorted. */
function staleKeys(b: MetricBatch | undefined): string[] {
  const out: string[] = [];
  for (const f of b?.families() ?? []) {
    for (let i = 0; i < f.size; i++) {
      expect(isStaleNaN(f.value(i))).toBe(true);
      out.push(`${f.name}{${f.labelNames.map((n, j) => `${n}=${f.labelValue(i, j)}`).join(',')}}`);
    }
  }
  return out.sort();
}

describe('StalenessTracker', () => {
  it.each<{ name: string; before: Row[]; after: Row[]; stale: string[] }>([
    { name: 'nothing gone', before: [['a', ['x'], '1'], ['a', ['x'], '2']], after: [['a', ['x'], '2'], ['a', ['x'], '1']], stale: [] },
    { name: 'one series gone', before: [['a', ['x'], '1'], ['a', ['x'], '2'], ['a', ['x'], '3']], after: [['a', ['x'], '3'], ['a', ['x'], '1']], stale: ['a{x=2}'] },
    { name: 'a whole family gone', before: [['a', ['x'], '1'], ['b', [], ]], after: [['a', ['x'], '1']], stale: ['b{}'] },
    { name: 'every series of a family replaced', before: [['a', ['x', 'y'], '1', 'p'], ['a', ['x', 'y'], '2', 'p']], after: [['a', ['x', 'y'], '3', 'p']], stale: ['a{x=1,y=p}', 'a{x=2,y=p}'] },
    { name: 'label names changed', before: [['a', ['x'], '1']], after: [['a', ['y'], '1']], stale: ['a{x=1}'] },
    { name: 'labels declared in another order', before: [['a', ['y', 'x'], 'q', '1']], after: [['a', ['x', 'y'], '1', 'q']], stale: [] },
    { name: 'duplicates marked once', before: [['a', ['x'], '1'], ['a', ['x'], '1'], ['a', ['x'], '2']], after: [['a', ['x'], '2']], stale: ['a{x=1}'] },
    { name: 'first cycle', before: [], after: [['a', ['x'], '1']], stale: [] },
  ])('$name', ({ before, after, stale }) => {
    const t = new StalenessTracker();
    t.track(batchOf(before));
    expect(staleKeys(t.track(batchOf(after)))).toEqual(stale);
  });

  it('marks exactly the series of the last cycle that are not in this one (property, against a set of keys)', () => {
    const cycle = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('', 'x', 'y', 'x\u0000y', '\u00e9'), fc.constantFrom('0', '1', '10', '2')), { maxLength: 30 });
    fc.assert(
      fc.property(fc.array(cycle, { minLength: 1, maxLength: 5 }), (cycles) => {
        const t = new StalenessTracker();
        let prev = new Set<string>();
        for (const rows of cycles) {
          const b = batchOf(rows.map(([n, u, v]): Row => [n, ['u', 'v'], u, v]));
          const cur = new Set(rows.map(([n, u, v]) => `${n}{u=${u},v=${v}}`));
          expect(staleKeys(t.track(b))).toEqual([...prev].filter((k) => !cur.has(k)).sort());
          prev = cur;
        }
      }),
      { numRuns: 300 },
    );
  });
});
