import fc from 'fast-check';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../instrument/index.js';
import { Labels, Matcher, STALE_NAN, isStaleNaN } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { MemoryStorage, ValueType } from '../storage/index.js';
import { HttpServer, Router, mountPrometheusApi } from './index.js';
import { RemoteWriteDecodeError } from './errors.js';
import { prompbType } from './remote-proto.js';
import { WriteRequestDecoder } from './remote-write-decoder.js';
import { SeriesCache } from './remote-write.js';

const NOW = 1_700_000_000_000;

interface WireSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
  exemplars?: unknown[];
  histograms?: unknown[];
}

function encode(timeseries: WireSeries[]): Buffer {
  const t = prompbType('WriteRequest');
  return Buffer.from(t.encode(t.fromObject({ timeseries })).finish());
}

const series = (nv: Record<string, string>, ...samples: [number, number][]): WireSeries => ({
  labels: Object.entries(nv).map(([name, value]) => ({ name, value })),
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
});

interface Decoded {
  labels: string[];
  valid: boolean;
  samples: [number, number][];
}

function decodeAll(buf: Buffer): Decoded[] {
  const out: Decoded[] = [];
  new WriteRequestDecoder().decode(buf, {
    series(nv, n, valid) {
      out.push({ labels: nv.slice(0, 2 * n), valid, samples: [] });
      return true;
    },
    sample(t, v) {
      out.at(-1)!.samples.push([t, v]);
    },
    skipped() {},
  });
  return out;
}

describe('WriteRequestDecoder', () => {
  it('decodes what protobufjs encodes, for any series and samples', () => {
    const label = fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), value: fc.string({ maxLength: 12 }) });
    const sample = fc.record({ value: fc.double(), timestamp: fc.integer({ min: -(2 ** 50), max: 2 ** 50 }) });
    fc.assert(
      fc.property(fc.array(fc.record({ labels: fc.array(label, { maxLength: 5 }), samples: fc.array(sample, { maxLength: 5 }) }), { maxLength: 6 }), (ts) => {
        const got = decodeAll(encode(ts));
        expect(got).toHaveLength(ts.length);
        got.forEach((g, i) => {
          expect(g.labels).toEqual(ts[i]!.labels.flatMap((x) => [x.name, x.value]));
          expect(g.samples.map(([t]) => t)).toEqual(ts[i]!.samples.map((s) => s.timestamp));
          g.samples.forEach(([, v], j) => expect(Object.is(v, ts[i]!.samples[j]!.value) || (Number.isNaN(v) && Number.isNaN(ts[i]!.samples[j]!.value))).toBe(true));
        });
      }),
    );
  });

  it('accepts fields in any order and skips unknown fields', () => {
    // TimeSeries with a sample before its label, an unknown varint field 9 and fixed32 field 10.
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).fork();
    w.uint32((9 << 3) | 0).uint64(12345);
    w.uint32((2 << 3) | 2).fork().uint32((2 << 3) | 0).int64(-7).uint32((1 << 3) | 1).double(2.5).ldelim();
    w.uint32((10 << 3) | 5).fixed32(1);
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('__name__').uint32((2 << 3) | 2).string('x').ldelim();
    w.ldelim();
    expect(decodeAll(Buffer.from(w.finish()))).toEqual([{ labels: ['__name__', 'x'], valid: true, samples: [[-7, 2.5]] }]);
  });

  it('keeps the exact bits of staleness markers', () => {
    // Checked in the callback: storing a NaN in a plain array may canonicalise it.
    let stale = false;
    new WriteRequestDecoder().decode(encode([{ labels: [{ name: '__name__', value: 'x' }], samples: [{ timestamp: 1, value: STALE_NAN }] }]), {
      series: () => true,
      sample: (_t, v) => (stale = isStaleNaN(v)),
      skipped: () => {},
    });
    expect(stale).toBe(true);
  });

  it('flags invalid UTF-8 in label strings', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('a').uint32((2 << 3) | 2).bytes(Uint8Array.of(0xff, 0xfe)).ldelim();
    w.ldelim();
    expect(decodeAll(Buffer.from(w.finish()))[0]!.valid).toBe(false);
  });

  it('fails on any malformed input with a RemoteWriteDecodeError, never anything else', () => {
    const valid = encode([series({ __name__: 'up', job: 'a' }, [1000, 1], [2000, 2])]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: valid.length }), (junk, cut) => {
        for (const buf of [Buffer.from(junk), valid.subarray(0, cut), Buffer.concat([valid.subarray(0, cut), Buffer.from(junk)])]) {
          try {
            decodeAll(buf);
          } catch (e) {
            expect(e).toBeInstanceOf(RemoteWriteDecodeError);
          }
        }
      }),
    );
  });
});

describe('SeriesCache and the known() path', () => {
  it('finds series by their raw label bytes and skips decoding them', () => {
    const cache = new SeriesCache({ maxSeries: 2 });
    const buf = encode([series({ __name__: 'a', job: 'x' }, [1, 1]), series({ __name__: 'a', job: 'x' }, [2, 2])]);
    const seen: string[] = [];
    const dec = new WriteRequestDecoder();
    dec.decode(buf, {
      known(b, s, e) {
        const c = cache.lookup(b, s, e);
        if (c !== undefined) seen.push(`hit ${c.labels.toString()}`);
        else cache.insert(b, s, e, Labels.fromStrings('__name__', 'a', 'job', 'x'));
        return c !== undefined;
      },
      series: (nv, n) => (seen.push(`decoded ${nv.slice(0, 2 * n).join(',')}`), true),
      sample: (t) => void seen.push(`sample ${t}`),
      skipped: () => {},
    });
    expect(seen).toEqual(['decoded __name__,a,job,x', 'sample 1', 'hit {__name__="a", job="x"}', 'sample 2']);
    expect(cache.size).toBe(1);
    // Full: starts over.
    cache.insert(Buffer.from('b'), 0, 1, Labels.EMPTY);
    cache.insert(Buffer.from('c'), 0, 1, Labels.EMPTY);
    expect(cache.size).toBe(1);
  });
});

describe('POST /api/v1/write', () => {
  let base = '';
  let storage: MemoryStorage;
  let registry: Registry;
  let close: () => Promise<void>;
  beforeAll(async () => {
    storage = new MemoryStorage();
    registry = new Registry();
    const router = new Router();
    mountPrometheusApi(router, { engine: new Engine({ queryable: storage }), queryable: storage, appendable: storage, now: () => NOW, registry, maxRequestBytes: 1 << 20 });
    const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    base = `http://127.0.0.1:${(await srv.listen()).port}`;
    close = () => srv.close();
  });
  afterAll(() => close());

  async function write(ts: WireSeries[] | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const body = Buffer.isBuffer(ts) ? ts : compressSync(encode(ts));
    const r = await fetch(`${base}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', ...headers },
      body,
    });
    return { status: r.status, body: await r.text() };
  }

  async function stored(name: string): Promise<{ labels: string; samples: [number, number][] }[]> {
    const q = await storage.querier(-Infinity, Infinity);
    const set = await q.select([new Matcher('=', '__name__', name)]);
    const out: { labels: string; samples: [number, number][] }[] = [];
    while (set.next()) {
      const s = set.at();
      const it = s.iterator();
      const samples: [number, number][] = [];
      while (it.next() !== ValueType.None) samples.push([it.atT(), it.atF()]);
      out.push({ labels: s.labels.toString(), samples });
    }
    await q.close();
    return out;
  }

  it('appends and answers 204', async () => {
    const r = await write([series({ job: 'a', __name__: 'rw_up', instance: 'i' }, [NOW - 2000, 1], [NOW - 1000, 0]), series({ __name__: 'rw_up', job: 'b' }, [-5, 7])]);
    expect(r).toEqual({ status: 204, body: '' });
    expect(await stored('rw_up')).toEqual([
      { labels: '{__name__="rw_up", instance="i", job="a"}', samples: [[NOW - 2000, 1], [NOW - 1000, 0]] },
      { labels: '{__name__="rw_up", job="b"}', samples: [[-5, 7]] },
    ]);
  });

  it('accepts the same sample again, refuses an out-of-order one and rolls the request back', async () => {
    expect((await write([series({ __name__: 'rw_up', job: 'b' }, [-5, 7])])).status).toBe(204);
    const r = await write([series({ __name__: 'rw_new' }, [NOW, 1]), series({ __name__: 'rw_up', job: 'a', instance: 'i' }, [NOW - 5000, 1])]);
    expect(r).toEqual({ status: 400, body: 'out of order sample\n' });
    expect(await stored('rw_new')).toEqual([]);
  });

  it('keeps appending to cached series after a rolled-back request', async () => {
    // Same raw series as before (cached), then a batch that fails after creating refs.
    expect((await write([series({ __name__: 'rw_cached', job: 'c' }, [NOW - 9000, 1])])).status).toBe(204);
    expect((await write([series({ __name__: 'rw_cached', job: 'c' }, [NOW - 8000, 2]), series({ __name__: 'rw_cached', job: 'c' }, [NOW - 9500, 0])])).status).toBe(400);
    expect((await write([series({ __name__: 'rw_cached', job: 'c' }, [NOW - 8000, 3])])).status).toBe(204);
    expect(await stored('rw_cached')).toEqual([{ labels: '{__name__="rw_cached", job="c"}', samples: [[NOW - 9000, 1], [NOW - 8000, 3]] }]);
  });

  it('refuses a different value at the same timestamp', async () => {
    expect(await write([series({ __name__: 'rw_up', job: 'b' }, [-5, 8])])).toEqual({ status: 400, body: 'duplicate sample for timestamp\n' });
  });

  it('refuses samples more than 10 minutes ahead', async () => {
    expect(await write([series({ __name__: 'rw_future' }, [NOW + 11 * 60_000, 1])])).toEqual({ status: 400, body: 'out of bounds: timestamp is too far in the future\n' });
  });

  it('skips series without a name or with repeated label names, keeps the rest', async () => {
    const r = await write([
      series({ job: 'noname' }, [NOW, 1]),
      { labels: [{ name: '__name__', value: 'rw_dup' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }], samples: [{ value: 1, timestamp: NOW }] },
      series({ __name__: 'rw_ok', empty: '' }, [NOW, 3]),
    ]);
    expect(r.status).toBe(204);
    expect(await stored('rw_dup')).toEqual([]);
    expect(await stored('rw_ok')).toEqual([{ labels: '{__name__="rw_ok"}', samples: [[NOW, 3]] }]);
    expect(registry.expose()).toMatch(/vigil_remote_write_invalid_series_total 2/);
    expect(registry.expose()).toMatch(/prometheus_http_requests_total\{code="204",handler="\/api\/v1\/write"\} [1-9]/);
    expect(registry.expose()).toMatch(/prometheus_http_request_duration_seconds_count\{handler="\/api\/v1\/write"\} [1-9]/);
  });

  it('drops native histograms and exemplars, counting them', async () => {
    const r = await write([{ ...series({ __name__: 'rw_h' }, [NOW, 1]), histograms: [{ timestamp: NOW }], exemplars: [{ value: 1, timestamp: NOW }] }]);
    expect(r.status).toBe(204);
    expect(registry.expose()).toMatch(/vigil_remote_write_histograms_dropped_total 1/);
    expect(registry.expose()).toMatch(/vigil_remote_write_exemplars_dropped_total 1/);
  });

  it.each<{ name: string; body: Buffer; headers: Record<string, string>; status: number; error: RegExp }>([
    { name: 'bad snappy', body: Buffer.from('not snappy at all'), headers: {}, status: 400, error: /^snappy: corrupt input/ },
    { name: 'bad protobuf', body: compressSync(Buffer.from([0x0a, 0x05, 0x01])), headers: {}, status: 400, error: /^unexpected EOF/ },
    { name: 'remote write 2.0', body: compressSync(Buffer.alloc(0)), headers: { 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' }, status: 415, error: /^io\.prometheus\.write\.v2\.Request protobuf message is not accepted/ },
    { name: 'JSON body', body: Buffer.from('{}'), headers: { 'Content-Type': 'application/json' }, status: 415, error: /^expected application\/x-protobuf as the first \(media\) part/ },
    { name: 'gzip body', body: Buffer.from('x'), headers: { 'Content-Encoding': 'gzip' }, status: 415, error: /^gzip encoding \(compression\) is not accepted by this server; only snappy is acceptable/ },
    { name: 'too large', body: Buffer.alloc(2 << 20), headers: {}, status: 413, error: /^request body larger than/ },
  ])('$name', async ({ body, headers, status, error }) => {
    const r = await write(body, headers);
    expect(r.status).toBe(status);
    expect(r.body).toMatch(error);
  });

  it('answers 404 when no storage takes writes', async () => {
    const router = new Router();
    const st = new MemoryStorage();
    mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st });
    const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    const port = (await srv.listen()).port;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/write`, { method: 'POST', body: compressSync(encode([])) });
      expect(r.status).toBe(404);
      expect(await r.text()).toBe('remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n');
    } finally {
      await srv.close();
    }
  });

  it('makes written samples queryable through PromQL', async () => {
    const r = await fetch(`${base}/api/v1/query?query=rw_up&time=${NOW / 1000}`);
    const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.data.result.map((x) => x.metric['job'])).toEqual(['a']);
  });
});



