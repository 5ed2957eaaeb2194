// Both wire formats of the shipper into vigil's real gateway: vigil NDJSON (POST /api/vigil/logs)
// and Loki push JSON (POST /loki/api/v1/push), each gzip, snappy or plain, store the same entries:
// labels, time to the nanosecond, line and fields (structured metadata for Loki).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Shipper } from '../src/agent/index.js';
import { Registry } from '../src/instrument/index.js';
import { Labels } from '../src/model/index.js';
import { TestGateway, until } from './agent-logs-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-ship-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Sent {
  readonly labels: Readonly<Record<string, string>>;
  readonly t: number;
  readonly ns: number;
  readonly line: string;
  readonly fields: Readonly<Record<string, string>> | undefined;
}

const ENTRIES: readonly Sent[] = [
  { labels: { job: 'app', level: 'error' }, t: 1795315752186, ns: 811, line: 'boom "quoted" \\ and ünïcödé', fields: { trace_id: 'abc', _PID: '7' } },
  { labels: { job: 'app' }, t: 1795315752187, ns: 0, line: 'plain', fields: undefined },
  { labels: { job: 'journal', unit: 'x.service' }, t: 999_000_000_123, ns: 5, line: 'from 2001', fields: { MULTI: '["a","b"]' } },
];

describe.each([
  { format: 'vigil' as const, compression: 'gzip' as const },
  { format: 'vigil' as const, compression: 'snappy' as const },
  { format: 'vigil' as const, compression: 'none' as const },
  { format: 'loki' as const, compression: 'gzip' as const },
  { format: 'loki' as const, compression: 'snappy' as const },
])('$format, $compression', ({ format, compression }) => {
  it('stores every entry as sent', async () => {
    const gw = await TestGateway.start();
    const s = new Shipper({ url: gw.url, format, compression, dataDir: mkdtempSync(join(dir, 'd-')), flushIntervalMs: 20, drainMs: 0 });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    for (const e of ENTRIES) s.add(s.stream(Labels.fromObject(e.labels)), e.t, e.ns, e.line, e.fields);
    // Pre-encoded fields take the same path.
    s.addEncoded(s.stream(Labels.fromObject({ job: 'enc' })), 1795315752188, 1, 'encoded', Buffer.from('{"K":"v\\u0001"}'));
    s.mark('src', 1);
    await until(() => s.ackedSeq === 1, 10_000);
    ac.abort();
    await run;
    await gw.stop();
    const got = (await gw.entries()).map((e) => ({ labels: e.labels, t: e.entry.t, ns: e.entry.ns, line: e.entry.line, fields: e.entry.fields }));
    const want = [...ENTRIES, { labels: { job: 'enc' }, t: 1795315752188, ns: 1, line: 'encoded', fields: { K: 'v\u0001' } }];
    expect(got.sort((a, b) => a.line.localeCompare(b.line))).toEqual(want.sort((a, b) => a.line.localeCompare(b.line)));
  });
});

describe('vigil NDJSON, defaults lines', () => {
  it('once the gateway announced them the next batches carry each run of labels and fields once, and it stores the same entries', async () => {
    const gw = await TestGateway.start();
    const registry = new Registry();
    const s = new Shipper({ url: gw.url, format: 'vigil', compression: 'none', dataDir: mkdtempSync(join(dir, 'd-')), flushIntervalMs: 20, drainMs: 0, registry });
    const sentBytes = (): number => Number(/^vigil_agent_ship_sent_bytes_total (\S+)$/m.exec(registry.expose())?.[1] ?? NaN);
    const ac = new AbortController();
    const run = s.run(ac.signal);
    const journal = s.stream(Labels.fromObject({ job: 'systemd-journal', unit: 'app.service' }));
    const file = s.stream(Labels.fromObject({ job: 'varlogs', filename: '/var/log/app.log' }));
    const fields = Buffer.from(JSON.stringify({ _BOOT_ID: 'e84d2341b4414316b5b47f1dbba69649', _MACHINE_ID: '3d1219c7c4c5404aaa1f6d2a48adfda4', _PID: '28200', _COMM: 'node', _TRANSPORT: 'stdout' }));
    const want: Sent[] = [];
    const batch = (seq: number): void => {
      for (let i = 0; i < 50; i++) {
        const t = 1795315752186 + seq * 1000 + i;
        s.addEncoded(journal, t, i, `journal ${seq} ${i}`, fields);
        want.push({ labels: journal.labels.toObject(), t, ns: i, line: `journal ${seq} ${i}`, fields: JSON.parse(fields.toString()) as Record<string, string> });
      }
      for (let i = 0; i < 50; i++) {
        const t = 1795315752186 + seq * 1000 + 500 + i;
        s.add(file, t, 0, `file ${seq} ${i} "quoted"`, undefined);
        want.push({ labels: file.labels.toObject(), t, ns: 0, line: `file ${seq} ${i} "quoted"`, fields: undefined });
      }
      s.mark('src', seq);
    };
    batch(1);
    await until(() => s.ackedSeq === 1, 10_000);
    const first = sentBytes();
    batch(2);
    await until(() => s.ackedSeq === 2, 10_000);
    const second = sentBytes() - first;
    ac.abort();
    await run;
    await gw.stop();
    // The first body went out before any answer (plain envelopes); the second uses defaults lines.
    expect(second).toBeLessThan(first / 2);
    const got = (await gw.entries()).map((e) => ({ labels: e.labels, t: e.entry.t, ns: e.entry.ns, line: e.entry.line, fields: e.entry.fields }));
    expect(got.sort((a, b) => a.line.localeCompare(b.line))).toEqual(want.sort((a, b) => a.line.localeCompare(b.line)));
  });
});
