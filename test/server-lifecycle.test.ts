import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from './support/peers.js';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

describe('vigil up lifecycle endpoints', () => {
  let v: VigilProcess;
  beforeAll(async () => {
    v = await startVigil('up');
  });
  afterAll(async () => {
    expect(await v.stop()).toBe(0);
  });

  it('answers /-/healthy and /-/ready like Prometheus', async () => {
    const h = await fetch(`${v.url}/-/healthy`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe('Prometheus Server is Healthy.\n');
    const r = await fetch(`${v.url}/-/ready`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('Prometheus Server is Ready.\n');
  });

  it('refuses /-/reload without --web.enable-lifecycle', async () => {
    const r = await fetch(`${v.url}/-/reload`, { method: 'POST' });
    expect(r.status).toBe(403);
    expect(await r.text()).toBe('Lifecycle API is not enabled.\n');
  });

  it('stays up on SIGHUP', async () => {
    v.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${v.url}/-/healthy`)).status).toBe(200);
  });

  it('serves /metrics that promtool accepts', async () => {
    const text = await (await fetch(`${v.url}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    const promtool = peer('promtool');
    if (promtool === undefined) return;
    const f = join(v.dataDir, 'metrics.txt');
    writeFileSync(f, text);
    // promtool check metrics reads stdin and exits non-zero on problems.
    execFileSync('sh', ['-c', `${promtool} check metrics < ${f}`], { encoding: 'utf8' });
  });
});

describe('vigil server with --web.enable-lifecycle', () => {
  it('reloads over HTTP and quits over HTTP', async () => {
    const v = await startVigil('server', ['--web.enable-lifecycle']);
    try {
      expect((await fetch(`${v.url}/-/reload`, { method: 'POST' })).status).toBe(200);
      const q = await fetch(`${v.url}/-/quit`, { method: 'POST' });
      expect(q.status).toBe(200);
      const code = await new Promise((r) => v.child.once('exit', r));
      expect(code).toBe(0);
    } finally {
      await v.stop();
    }
  });
});
