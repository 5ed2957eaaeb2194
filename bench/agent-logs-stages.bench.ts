// Per-stage cost of the agent's log path, in-process: µs of CPU per line for parsing a file line,
// decoding a journald export record, encoding an entry into a batch body, and compressing it.
//
//   npx tsx bench/agent-logs-stages.bench.ts [entries=20000]
import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import { LogStreamDecoder, type ParsedLine } from '../src/logs/parse/index.js';
import { Labels } from '../src/model/index.js';
import { LokiJsonEncoder, ShipStream, VigilNdjsonEncoder } from '../src/agent/ship/index.js';
import { JournalExportReader } from '../src/agent/journald/journal-export-reader.js';

const N = Number(process.argv[2] ?? 20_000);
const line = (i: number): string => `2026-11-22T02:00:00.${String(i % 1000).padStart(3, '0')}Z INFO request handled method=GET path=/api/items/${i} status=200 duration_ms=${i % 97} user=u${i % 13} seq=${i}`;

// A journald export record as journalctl prints one for a service writing to stdout.
const record = (i: number): string =>
  [
    `__CURSOR=s=31ceccc404be4ec2a848729ee1e366e5;i=${i.toString(16)};b=e84d2341b4414316b5b47f1dbba69649;m=1f69d48ce;t=660d485ab33bb;x=ff32eb012c278bc0`,
    `__REALTIME_TIMESTAMP=${1795315752186811 + i}`,
    '__MONOTONIC_TIMESTAMP=8432470222',
    '_BOOT_ID=e84d2341b4414316b5b47f1dbba69649',
    'PRIORITY=6',
    '_UID=0',
    '_GID=0',
    '_CAP_EFFECTIVE=1fffeffffff',
    '_MACHINE_ID=3d1219c7c4c5404aaa1f6d2a48adfda4',
    '_HOSTNAME=vm',
    '_RUNTIME_SCOPE=system',
    '_TRANSPORT=stdout',
    '_STREAM_ID=6fa6e8fa31f14be1bf210274cee6355b',
    'SYSLOG_IDENTIFIER=shop',
    'SYSLOG_FACILITY=3',
    `_PID=${2000 + (i % 7)}`,
    '_COMM=shop',
    '_EXE=/usr/local/bin/shop',
    '_CMDLINE=/usr/local/bin/shop --config /etc/shop.yml',
    '_SYSTEMD_CGROUP=/system.slice/shop.service',
    '_SYSTEMD_UNIT=shop.service',
    '_SYSTEMD_SLICE=system.slice',
    '_SYSTEMD_INVOCATION_ID=8c3f1b0e2a9d4f6c8e1b2a3c4d5e6f70',
    `MESSAGE=${line(i)}`,
    '',
    '',
  ].join('\n');

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000; // ms
}

function stage(name: string, n: number, fn: () => void): void {
  fn(); // warm
  const t0 = cpu();
  fn();
  const ms = cpu() - t0;
  process.stdout.write(`${name.padEnd(44)} ${((ms * 1000) / n).toFixed(2).padStart(7)} µs/line\n`);
}

const fileChunk = Buffer.from(Array.from({ length: N }, (_, i) => line(i) + '\n').join(''));
const exportChunk = Buffer.from(Array.from({ length: N }, (_, i) => record(i)).join(''));
process.stdout.write(`${N} lines; file line ${line(1).length} B, export record ${record(1).length} B\n`);

let sink = 0;
const count = (p: ParsedLine): void => {
  sink += p.line.length;
};
stage('file lines: decode + parse (one write)', N, () => {
  const d = new LogStreamDecoder({ multiline: false });
  d.write(fileChunk, Date.now(), count);
  d.end(Date.now(), count);
});
stage('file lines: decode + parse (a write per line)', N, () => {
  const d = new LogStreamDecoder({ multiline: false });
  let a = 0;
  for (let b = fileChunk.indexOf(10); b >= 0; b = fileChunk.indexOf(10, a)) {
    d.write(fileChunk.subarray(a, b + 1), Date.now(), count);
    a = b + 1;
  }
});
stage('journald export: lean reader', N, () => {
  const r = new JournalExportReader();
  for (let a = 0; a < exportChunk.length; a += 65536) r.write(exportChunk.subarray(a, a + 65536), Date.now(), (e) => (sink += e.line.length + (e.fieldsJson?.length ?? 0)));
});
stage('journald export: lean reader + NDJSON encode', N, () => {
  const r = new JournalExportReader();
  const enc = new VigilNdjsonEncoder();
  const st2 = new ShipStream(1, Labels.fromObject({ job: 'systemd-journal', unit: 'shop.service', host: 'vm', level: 'info' }));
  for (let a = 0; a < exportChunk.length; a += 65536) r.write(exportChunk.subarray(a, a + 65536), Date.now(), (e) => enc.addEncoded(st2, e.t, e.ns, e.line, e.fieldsJson));
  sink += enc.finish().length;
});
stage('journald export: logs/parse decoder', N, () => {
  const d = new LogStreamDecoder({ multiline: false });
  d.write(exportChunk, Date.now(), count);
  d.end(Date.now(), count);
});

const st = new ShipStream(0, Labels.fromObject({ job: 'x', host: 'vm', filename: '/var/log/app.log' }));
const fields = { _PID: '2001', _COMM: 'shop', _UID: '0', _GID: '0', _TRANSPORT: 'stdout', _SYSTEMD_CGROUP: '/system.slice/shop.service', _CMDLINE: '/usr/local/bin/shop --config /etc/shop.yml', _EXE: '/usr/local/bin/shop', _BOOT_ID: 'e84d2341b4414316b5b47f1dbba69649', _MACHINE_ID: '3d1219c7c4c5404aaa1f6d2a48adfda4', SYSLOG_FACILITY: '3', PRIORITY: '6' };
let body: Buffer = Buffer.alloc(0);
stage('encode vigil NDJSON, no fields', N, () => {
  const e = new VigilNdjsonEncoder();
  for (let i = 0; i < N; i++) e.add(st, 1795315752186 + i, 811, line(i), undefined);
  body = e.finish();
});
const fileBody = body;
stage('encode vigil NDJSON, 12 journald fields', N, () => {
  const e = new VigilNdjsonEncoder();
  for (let i = 0; i < N; i++) e.add(st, 1795315752186 + i, 811, line(i), fields);
  body = e.finish();
});
const journalBody = body;
stage('encode Loki JSON, no fields', N, () => {
  const e = new LokiJsonEncoder();
  for (let i = 0; i < N; i++) e.add(st, 1795315752186 + i, 811, line(i), undefined);
  e.finish();
});
for (const [name, b] of [['file body', fileBody], ['journald body', journalBody]] as const) {
  stage(`gzip level 1, ${name} (${((b.length / N) | 0)} B/line)`, N, () => void gzipSync(b, { level: 1 }));
  stage(`gzip level 6, ${name}`, N, () => void gzipSync(b, { level: 6 }));
  stage(`snappy, ${name}`, N, () => void compressSync(b));
  process.stdout.write(`  compressed: gzip-1 ${(gzipSync(b, { level: 1 }).length / b.length * 100).toFixed(1)} %, snappy ${(compressSync(b).length / b.length * 100).toFixed(1)} %\n`);
}
if (sink < 0) process.stdout.write('');
