// `vigil logs`: against a data directory (read-only, beside an unflushed writer) and against a
// server's Loki API, in every output format, and its errors.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogs } from '../src/cli/cmd-logs.js';
import { FlagError } from '../src/cli/flags.js';
import { DiskLogStore } from '../src/logs/store/index.js';
import { Labels } from '../src/model/index.js';
import { serveLoki } from './logs-battery-support.js';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await runLogs(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('vigil logs', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-logscli-'));
  let store: DiskLogStore;
  let server: Server;
  let url: string;
  const now = Date.now();

  beforeAll(async () => {
    store = await DiskLogStore.open({ dir: join(root, 'logs'), maintenanceIntervalMs: 0, packWorkers: 0 });
    await store.append(Labels.fromStrings('app', 'web', 'pod', 'a'), [
      { t: now - 50_000, ns: 5, line: 'GET /x timeout after 5s' },
      { t: now - 40_000, ns: 0, line: 'GET /y ok' },
    ]);
    await store.append(Labels.fromStrings('app', 'db', 'pod', 'b'), [{ t: now - 30_000, ns: 0, line: '{"level":"error","msg":"timeout"}' }]);
    ({ server, url } = await serveLoki(store));
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints matching lines oldest first from a data directory', async () => {
    const r = await capture(['{app=~".+"} |= "timeout"', '--data.dir', root, '--since', '5m']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \{app="web", pod="a"\} GET \/x timeout after 5s$/);
    expect(lines[1]).toMatch(/\{app="db", pod="b"\} \{"level":"error","msg":"timeout"\}$/);
  });

  it('prints raw lines and JSON objects, from a server', async () => {
    const raw = await capture(['{app="web"}', '--server', url, '--output', 'raw']);
    expect(raw.out).toBe('GET /x timeout after 5s\nGET /y ok\n');
    const json = await capture(['{app="db"} | json | level="error"', '--server', url, '-o', 'json']);
    const o = JSON.parse(json.out.trim()) as { labels: Record<string, string>; line: string };
    expect(o.labels).toMatchObject({ app: 'db', level: 'error', msg: 'timeout' });
  });

  it('limits to the newest entries', async () => {
    const r = await capture(['{app=~".+"}', '--server', url, '--limit', '1', '-o', 'raw']);
    expect(r.out).toBe('{"level":"error","msg":"timeout"}\n');
  });

  it('prints metric queries', async () => {
    const r = await capture(['sum by (app) (count_over_time({app=~".+"}[10m]))', '--data.dir', root]);
    expect(r.out).toBe('{app="db"} 1\n{app="web"} 2\n');
  });

  it('reports query errors with their position', async () => {
    const r = await capture(['{app=', '--data.dir', root]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1:6: parse error/);
    await expect(capture(['{app="x"}', '--follow', '--data.dir', root])).rejects.toThrow(FlagError);
    await expect(capture(['{app="x"}', '--output', 'yaml'])).rejects.toThrow(/--output must be/);
  });
});
