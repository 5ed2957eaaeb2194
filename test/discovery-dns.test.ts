// DNS discovery against a tiny in-process DNS server on a random UDP port.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsDiscoverer } from '../src/discovery/index.js';
import type { DnsRecordType, TargetGroup } from '../src/discovery/index.js';

type Answer = { type: 'SRV'; target: string; port: number } | { type: 'A'; ip: string } | { type: 'AAAA'; ip: string } | { type: 'MX'; exchange: string } | { type: 'CNAME'; target: string };
const QTYPE: Record<string, number> = { A: 1, CNAME: 5, MX: 15, AAAA: 28, SRV: 33 };
// name → qtype → answers; a missing name answers NXDOMAIN, "fail.example" SERVFAIL.
let zone: Record<string, Partial<Record<string, Answer[]>>> = {};

function encodeName(n: string): Buffer {
  const parts = n.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function rdata(a: Answer): Buffer {
  switch (a.type) {
    case 'A':
      return Buffer.from(a.ip.split('.').map(Number));
    case 'AAAA': {
      const [head = '', tail = ''] = a.ip.split('::');
      const h = head === '' ? [] : head.split(':');
      const t = tail === '' ? [] : tail.split(':');
      const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
      const b = Buffer.alloc(16);
      groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
      return b;
    }
    case 'SRV': {
      const b = Buffer.alloc(6);
      b.writeUInt16BE(10, 0);
      b.writeUInt16BE(5, 2);
      b.writeUInt16BE(a.port, 4);
      return Buffer.concat([b, encodeName(a.target)]);
    }
    case 'MX': {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(10, 0);
      return Buffer.concat([b, encodeName(a.exchange)]);
    }
    case 'CNAME':
      return encodeName(a.target);
  }
}

function respond(q: Buffer): Buffer {
  const id = q.readUInt16BE(0);
  let off = 12;
  const labels: string[] = [];
  while (q[off]! !== 0) {
    labels.push(q.subarray(off + 1, off + 1 + q[off]!).toString());
    off += q[off]! + 1;
  }
  const qEnd = off + 5;
  const qtype = q.readUInt16BE(off + 1);
  const name = labels.join('.').toLowerCase();
  const typeName = Object.keys(QTYPE).find((k) => QTYPE[k] === qtype) ?? '';
  const entry = zone[name];
  const rcode = name === 'fail.example' ? 2 : entry === undefined ? 3 : 0;
  const answers = entry?.[typeName] ?? [];
  const rrs = answers.map((a) => {
    const rd = rdata(a);
    const h = Buffer.alloc(10);
    h.writeUInt16BE(QTYPE[a.type]!, 0);
    h.writeUInt16BE(1, 2);
    h.writeUInt32BE(30, 4);
    h.writeUInt16BE(rd.length, 8);
    return Buffer.concat([encodeName(name), h, rd]);
  });
  const hdr = Buffer.alloc(12);
  hdr.writeUInt16BE(id, 0);
  hdr.writeUInt16BE(0x8180 | rcode, 2);
  hdr.writeUInt16BE(1, 4);
  hdr.writeUInt16BE(rrs.length, 6);
  return Buffer.concat([hdr, q.subarray(12, qEnd), ...rrs]);
}

describe('DnsDiscoverer', () => {
  let sock: Socket;
  let server = '';
  beforeAll(async () => {
    sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => sock.send(respond(msg), rinfo.port, rinfo.address));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    server = `127.0.0.1:${sock.address().port}`;
  });
  afterAll(() => new Promise<void>((r) => sock.close(() => r())));

  async function discover(type: DnsRecordType, names: string[], port = 0, errors: Error[] = []): Promise<readonly TargetGroup[]> {
    const d = new DnsDiscoverer({ config: { kind: 'dns', names, type, port, refreshIntervalMs: 60_000 }, servers: [server], timeoutMs: 1000, onError: (e) => errors.push(e) });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    const first = (await it.next()).value as readonly TargetGroup[];
    ac.abort();
    expect((await it.next()).done).toBe(true);
    return first;
  }
  const plain = (gs: readonly TargetGroup[]): unknown => gs.map((g) => ({ source: g.source, targets: g.targets.map((t) => t.toObject()) }));

  it.each([
    {
      name: 'SRV',
      type: 'SRV' as const,
      zone: { '_metrics._tcp.example': { SRV: [{ type: 'SRV', target: 'node1.example', port: 9100 }, { type: 'SRV', target: 'node2.example', port: 9200 }] } },
      names: ['_metrics._tcp.example'],
      want: [{ source: '_metrics._tcp.example', targets: [
        { __address__: 'node1.example:9100', __meta_dns_name: '_metrics._tcp.example', __meta_dns_srv_record_port: '9100', __meta_dns_srv_record_target: 'node1.example.' },
        { __address__: 'node2.example:9200', __meta_dns_name: '_metrics._tcp.example', __meta_dns_srv_record_port: '9200', __meta_dns_srv_record_target: 'node2.example.' },
      ] }],
    },
    {
      name: 'A with port',
      type: 'A' as const,
      port: 9100,
      zone: { 'web.example': { A: [{ type: 'A', ip: '10.0.0.1' }, { type: 'A', ip: '10.0.0.2' }] } },
      names: ['web.example'],
      want: [{ source: 'web.example', targets: [{ __address__: '10.0.0.1:9100', __meta_dns_name: 'web.example' }, { __address__: '10.0.0.2:9100', __meta_dns_name: 'web.example' }] }],
    },
    {
      name: 'AAAA brackets the address',
      type: 'AAAA' as const,
      port: 80,
      zone: { 'v6.example': { AAAA: [{ type: 'AAAA', ip: '2001:db8::1' }] } },
      names: ['v6.example'],
      want: [{ source: 'v6.example', targets: [{ __address__: '[2001:db8::1]:80', __meta_dns_name: 'v6.example' }] }],
    },
    {
      name: 'MX',
      type: 'MX' as const,
      port: 25,
      zone: { 'mail.example': { MX: [{ type: 'MX', exchange: 'mx1.example' }] } },
      names: ['mail.example'],
      want: [{ source: 'mail.example', targets: [{ __address__: 'mx1.example:25', __meta_dns_name: 'mail.example', __meta_dns_mx_record_target: 'mx1.example.' }] }],
    },
    {
      name: 'NXDOMAIN gives an empty group',
      type: 'SRV' as const,
      zone: {},
      names: ['missing.example'],
      want: [{ source: 'missing.example', targets: [] }],
    },
  ] as { name: string; type: DnsRecordType; port?: number; zone: typeof zone; names: string[]; want: unknown }[])('$name', async (c) => {
    zone = c.zone;
    expect(plain(await discover(c.type, c.names, c.port ?? 0))).toEqual(c.want);
  });

  it('reports a failing server and keeps other names', async () => {
    zone = { 'ok.example': { A: [{ type: 'A', ip: '10.0.0.9' }] } };
    const errors: Error[] = [];
    const groups = await discover('A', ['fail.example', 'ok.example'], 1, errors);
    expect(plain(groups)).toEqual([{ source: 'ok.example', targets: [{ __address__: '10.0.0.9:1', __meta_dns_name: 'ok.example' }] }]);
    expect(errors.map((e) => e.message).join()).toMatch(/dns fail\.example: lookup failed/);
  });
});
