// The shipper over HTTPS to vigil's real gateway: the server certificate is verified against a
// CA file (made here with openssl), the token is sent as a bearer token and becomes the `app`
// label; a certificate it cannot verify or a refused token keeps the data queued (retried),
// never dropped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Shipper } from '../src/agent/index.js';
import { Registry } from '../src/instrument/index.js';
import { TokenStore } from '../src/logs/receive/index.js';
import { Labels } from '../src/model/index.js';
import { TestGateway, until } from './agent-logs-gateway.js';
import { peer } from './support/peers.js';

const openssl = peer('openssl');
const TOKEN = 'agent-token-0123456789abcdef';

describe.skipIf(openssl === undefined)('shipping over HTTPS with CA verification and a token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ship-tls-'));
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const ssl = (...args: string[]): void => void execFileSync(openssl!, args, { cwd: dir, stdio: 'ignore' });
  // A CA, and a server certificate it signs for 127.0.0.1 and vigil.test.
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=vigil test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=vigil.test');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:vigil.test\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const tls = { cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server.key')) };
  const tokens = new TokenStore({ tokens: [{ token: TOKEN, app: 'edge' }] });

  async function ship(opts: { caFile?: string; token?: string; serverName?: string; url?: string }, reg: Registry): Promise<{ gw: TestGateway; s: Shipper; ac: AbortController; run: Promise<void> }> {
    const gw = await TestGateway.start({ tls, tokens });
    gateways.push(gw);
    const s = new Shipper({
      url: opts.url ?? gw.url,
      dataDir: mkdtempSync(join(dir, 'data-')),
      token: opts.token,
      tls: { caFile: opts.caFile, serverName: opts.serverName },
      flushIntervalMs: 20,
      backoffMinMs: 20,
      backoffMaxMs: 100,
      drainMs: 0,
      registry: reg,
    });
    const ac = new AbortController();
    const run = s.run(ac.signal);
    s.add(s.stream(Labels.fromObject({ job: 'tls' })), Date.now(), 0, 'over https');
    s.mark('src', 1);
    return { gw, s, ac, run };
  }

  it('verifies the server against the CA file and sends the token', async () => {
    const reg = new Registry();
    const { gw, s, ac, run } = await ship({ caFile: join(dir, 'ca.pem'), token: TOKEN }, reg);
    await until(() => s.ackedSeq === 1, 10_000);
    ac.abort();
    await run;
    const [e] = await gw.entries();
    expect(e!.entry.line).toBe('over https');
    expect(e!.labels).toMatchObject({ app: 'edge', job: 'tls' });
  });

  it('checks the name given as serverName', async () => {
    const reg = new Registry();
    const { s, ac, run } = await ship({ caFile: join(dir, 'ca.pem'), token: TOKEN, serverName: 'vigil.test' }, reg);
    await until(() => s.ackedSeq === 1, 10_000);
    ac.abort();
    await run;
  });

  it.each([
    { name: 'an unverifiable certificate (no CA file)', opts: { token: TOKEN } },
    { name: 'a certificate for another name', opts: { caFile: 'ca.pem', token: TOKEN, serverName: 'other.test' } },
    { name: 'a wrong token (401)', opts: { caFile: 'ca.pem', token: 'wrong-token-0123456789abcdef' } },
    { name: 'no token (401)', opts: { caFile: 'ca.pem' } },
  ])('keeps the batch queued on $name', async ({ opts }) => {
    const reg = new Registry();
    const o = { ...opts, caFile: opts.caFile === undefined ? undefined : join(dir, opts.caFile) };
    const { gw, s, ac, run } = await ship(o, reg);
    await until(() => /vigil_agent_ship_send_failures_total [3-9]/.test(reg.expose()), 10_000, 'three failed sends');
    ac.abort();
    await run;
    expect(s.ackedSeq).toBe(0);
    expect(s.queue.length).toBe(1); // still queued (on disk for the next start)
    expect(await gw.entries()).toEqual([]);
    expect(reg.expose()).toContain('vigil_agent_ship_rejected_entries_total 0');
  });
});
