import { compressSync, uncompressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import { crc32c } from '../encoding/index.js';
import { Labels } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { MemoryStorage, ValueType } from '../storage/index.js';
import { XORChunk } from '../tsdb/index.js';
import { HttpServer, Router, mountPrometheusApi } from './index.js';
import { encodeReadResponse } from './remote-read-encoder.js';
import { longToNumber, prompbType } from './remote-proto.js';

const NOW = 1_700_000_000_000;

interface WireQuery {
  startTimestampMs: number;
  endTimestampMs: number;
  matchers: { type: number; name: string; value: string }[];
}

let base = '';
let close: () => Promise<void>;
beforeAll(async () => {
  const st = new MemoryStorage();
  const app = st.appender();
  for (let i = 0; i < 300; i++) {
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'node', 'instance', 'a'), NOW - 300_000 + i * 1000, i % 7);
    app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'api', 'region', 'own'), NOW - 300_000 + i * 1000, -i);
  }
  app.append(0, Labels.fromStrings('__name__', 'neg'), -1500, 0);
  await app.commit();
  const router = new Router();
  const config = { global: { externalLabels: Labels.fromStrings('cluster', 'c1', 'region', 'eu') } } as unknown as Config;
  mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st, now: () => NOW, config: () => config, remoteReadSampleLimit: 500 });
  const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
  base = `http://127.0.0.1:${(await srv.listen()).port}`;
  close = () => srv.close();
});
afterAll(() => close());

async function read(queries: WireQuery[], accepted: number[] = []): Promise<Response> {
  const t = prompbType('ReadRequest');
  const body = compressSync(Buffer.from(t.encode(t.fromObject({ queries, acceptedResponseTypes: accepted })).finish()));
  return fetch(`${base}/api/v1/read`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body });
}

type Series = { labels: { name: string; value: string }[]; samples: { value: number; timestamp: unknown }[] };

async function samples(res: Response): Promise<Series[][]> {
  expect(res.headers.get('content-type')).toBe('application/x-protobuf');
  expect(res.headers.get('content-encoding')).toBe('snappy');
  const t = prompbType('ReadResponse');
  const msg = t.toObject(t.decode(uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer), { longs: Number, defaults: true, arrays: true }) as {
    results: { timeseries: Series[] }[];
  };
  return msg.results.map((r) => r.timeseries);
}

const labelsOf = (s: Series): string => s.labels.map((l) => `${l.name}=${l.value}`).join(',');

describe('remote read, samples', () => {
  it('answers each query with raw samples and the external labels a series lacks', async () => {
    const res = await read([
      { startTimestampMs: NOW - 10_000, endTimestampMs: NOW - 5000, matchers: [{ type: 0, name: '__name__', value: 'up' }] },
      // Equality on an external label matches local series, which do not carry it.
      { startTimestampMs: NOW - 2000, endTimestampMs: NOW, matchers: [{ type: 2, name: 'job', value: 'no.*' }, { type: 0, name: 'cluster', value: 'c1' }] },
    ]);
    expect(res.status).toBe(200);
    const [q1, q2] = await samples(res);
    // Sorted by the stored labels, before external ones are added.
    expect(q1!.map(labelsOf)).toEqual(['__name__=up,cluster=c1,instance=a,job=node,region=eu', '__name__=up,cluster=c1,job=api,region=own']);
    expect(q1![0]!.samples.map((s) => longToNumber(s.timestamp))).toEqual([-10_000, -9000, -8000, -7000, -6000, -5000].map((d) => NOW + d));
    expect(q2!.map(labelsOf)).toEqual(['__name__=up,cluster=c1,instance=a,job=node,region=eu']);
    expect(q2![0]!.samples).toHaveLength(2);
  });

  it('keeps negative timestamps and zero values', async () => {
    const [q] = await samples(await read([{ startTimestampMs: -2000, endTimestampMs: 0, matchers: [{ type: 0, name: '__name__', value: 'neg' }] }]));
    expect(q![0]!.samples.map((s) => [longToNumber(s.timestamp), s.value])).toEqual([[-1500, 0]]);
  });

  it('refuses answers past the sample limit', async () => {
    const res = await read([{ startTimestampMs: NOW - 300_000, endTimestampMs: NOW, matchers: [{ type: 0, name: '__name__', value: 'up' }] }]);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('exceeded sample limit (500)\n');
  });

  it('answers 400 for a body that is not a snappy ReadRequest', async () => {
    const res = await fetch(`${base}/api/v1/read`, { method: 'POST', body: 'junk' });
    expect(res.status).toBe(400);
  });
});

describe('remote read, streamed XOR chunks', () => {
  it('streams framed ChunkedReadResponses that decode to the same samples', async () => {
    const res = await read([{ startTimestampMs: NOW - 200_000, endTimestampMs: NOW, matchers: [{ type: 0, name: 'job', value: 'node' }] }], [1, 0]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
    const buf = Buffer.from(await res.arrayBuffer());
    const t = prompbType('ChunkedReadResponse');
    let off = 0;
    const got: [number, number][] = [];
    let labels = '';
    while (off < buf.length) {
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = buf[off++]!;
        len |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
      }
      const crc = buf.readUInt32BE(off);
      off += 4;
      const msg = buf.subarray(off, off + len);
      off += len;
      expect(crc32c(msg) >>> 0).toBe(crc);
      const frame = t.toObject(t.decode(msg), { longs: Number, defaults: true, arrays: true }) as {
        chunkedSeries: { labels: { name: string; value: string }[]; chunks: { minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }[] }[];
      };
      for (const s of frame.chunkedSeries) {
        labels = s.labels.map((l) => `${l.name}=${l.value}`).join(',');
        for (const c of s.chunks) {
          expect(c.type).toBe(1);
          const it = XORChunk.fromBytes(c.data).iterator();
          const first = got.length;
          while (it.next() !== ValueType.None) got.push([it.atT(), it.atF()]);
          expect(got[first]![0]).toBe(c.minTimeMs);
          expect(got.at(-1)![0]).toBe(c.maxTimeMs);
          expect(got.length - first).toBeLessThanOrEqual(120);
        }
      }
    }
    expect(labels).toBe('__name__=up,cluster=c1,instance=a,job=node,region=eu');
    expect(got).toHaveLength(200);
    expect(got[0]).toEqual([NOW - 200_000, 100 % 7]);
  });

  it('refuses response types it does not know', async () => {
    const res = await read([], [7]);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^server does not support any of the requested response types/);
  });
});

describe('encodeReadResponse', () => {
  it('writes what protobufjs reads, leaving out zero fields like gogo-protobuf', () => {
    const buf = encodeReadResponse([[{ labels: ['__name__', 'x', 'a', 'é'], ts: Float64Array.of(0, -1, 2 ** 52), vs: Float64Array.of(0, -0.5, Infinity), n: 3 }], []]);
    const t = prompbType('ReadResponse');
    const msg = t.toObject(t.decode(buf), { longs: Number, defaults: true, arrays: true }) as { results: { timeseries: Series[] }[] };
    expect(msg.results).toHaveLength(2);
    expect(msg.results[0]!.timeseries[0]!.samples).toEqual([
      { value: 0, timestamp: 0 },
      { value: -0.5, timestamp: -1 },
      { value: Infinity, timestamp: 2 ** 52 },
    ]);
    // The first sample is empty: tag 0x12, length 0.
    expect(buf.includes(Buffer.from([0x12, 0x00]))).toBe(true);
  });
});
