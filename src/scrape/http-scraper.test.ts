import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { peer } from '../../test/support/peers.js';
import { DEFAULT_HTTP_CLIENT_CONFIG, type HttpClientConfig } from '../discovery/index.js';
import { SCRAPE_ACCEPT_HEADER } from '../textparse/index.js';
import { BodySizeLimitError, HttpClient, ScrapeHttpError, ScrapeRequestError, TargetScraper } from './index.js';

const servers: (http.Server | https.Server)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

async function serve(handler: http.RequestListener, server: http.Server | https.Server = http.createServer()): Promise<string> {
  server.on('request', handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function scraper(url: string, cfg: Partial<HttpClientConfig> = {}, opts: { timeoutMs?: number; limit?: number } = {}): TargetScraper {
  return new TargetScraper({ url, client: new HttpClient({ ...DEFAULT_HTTP_CLIENT_CONFIG, ...cfg }), timeoutMs: opts.timeoutMs ?? 2000, bodySizeLimitBytes: opts.limit ?? 0, userAgent: 'vigil-test' });
}

const never = new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('TargetScraper', () => {
  it('sends the headers Prometheus sends and returns body and content type', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const url = await serve((req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('up 1\n');
    });
    const r = await scraper(`${url}/metrics?x=1`, {}, { timeoutMs: 1500 }).scrape(never);
    expect(r.body.toString()).toBe('up 1\n');
    expect(r.contentType).toBe('text/plain; version=0.0.4');
    expect(seen.accept).toBe(SCRAPE_ACCEPT_HEADER);
    expect(seen['accept-encoding']).toBe('gzip');
    expect(seen['user-agent']).toBe('vigil-test');
    expect(seen['x-prometheus-scrape-timeout-seconds']).toBe('1.5');
  });

  it('decompresses gzip', async () => {
    const url = await serve((_, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end(gzipSync('a 1\nb 2\n'));
    });
    expect((await scraper(url).scrape(never)).body.toString()).toBe('a 1\nb 2\n');
  });

  it('authenticates with basic auth, a password file, or an authorization header', async () => {
    let auth: string | undefined;
    const url = await serve((req, res) => {
      auth = req.headers.authorization;
      res.end('');
    });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-auth-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'tok'), 'abc\n');
    await scraper(url, { basicAuth: { username: 'u', password: 'p' } }).scrape(never);
    expect(auth).toBe('Basic ' + Buffer.from('u:p').toString('base64'));
    await scraper(url, { basicAuth: { username: 'u', passwordFile: join(dir, 'pw') } }).scrape(never);
    expect(auth).toBe('Basic ' + Buffer.from('u:s3cret').toString('base64'));
    await scraper(url, { authorization: { type: 'Bearer', credentialsFile: join(dir, 'tok') } }).scrape(never);
    expect(auth).toBe('Bearer abc');
  });

  it('gets and reuses OAuth2 client-credentials tokens', async () => {
    const tokenRequests: { auth: string | undefined; body: string }[] = [];
    let bearer: string | undefined;
    const url = await serve((req, res) => {
      if (req.url === '/token') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          tokenRequests.push({ auth: req.headers.authorization, body });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ access_token: `tok${tokenRequests.length}`, token_type: 'bearer', expires_in: 3600 }));
        });
        return;
      }
      bearer = req.headers.authorization;
      res.end('a 1\n');
    });
    const s = scraper(`${url}/metrics`, { oauth2: { clientId: 'id', clientSecret: 'sec', scopes: ['read', 'metrics'], tokenUrl: `${url}/token`, endpointParams: { audience: 'x' } } });
    await s.scrape(never);
    await s.scrape(never);
    expect(bearer).toBe('Bearer tok1');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.auth).toBe('Basic ' + Buffer.from('id:sec').toString('base64'));
    expect(Object.fromEntries(new URLSearchParams(tokenRequests[0]!.body))).toEqual({ grant_type: 'client_credentials', scope: 'read metrics', audience: 'x' });
  });

  it('reports a non-200 status like Prometheus', async () => {
    const url = await serve((_, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const err = await failure(scraper(url).scrape(never));
    expect(err).toBeInstanceOf(ScrapeHttpError);
    expect(err.message).toBe('server returned HTTP status 500 Internal Server Error');
  });

  it('cuts an endless body at body_size_limit without buffering it', async () => {
    let closed = false;
    const url = await serve((req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (sent < 1024 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      req.socket.on('close', () => (closed = true));
      pump();
    });
    const before = process.memoryUsage().rss;
    const err = await failure(scraper(url, {}, { limit: 1024 * 1024 }).scrape(never));
    expect(err).toBeInstanceOf(BodySizeLimitError);
    expect(err.message).toBe('body size limit exceeded');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
  });

  it('applies the limit to the decompressed size (gzip bombs)', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 'a'));
    const url = await serve((_, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end(bomb);
    });
    expect(await failure(scraper(url, {}, { limit: 1024 * 1024 }).scrape(never))).toBeInstanceOf(BodySizeLimitError);
  });

  it('fails a body exactly at the limit, as Prometheus does', async () => {
    const url = await serve((_, res) => res.end('x'.repeat(100)));
    expect(await failure(scraper(url, {}, { limit: 100 }).scrape(never))).toBeInstanceOf(BodySizeLimitError);
    expect((await scraper(url, {}, { limit: 101 }).scrape(never)).body.length).toBe(100);
  });

  it('times out on a target that never answers', async () => {
    const url = await serve(() => {});
    const t0 = Date.now();
    const err = await failure(scraper(`${url}/metrics`, {}, { timeoutMs: 200 }).scrape(never));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(err).toBeInstanceOf(ScrapeRequestError);
    expect(err.message).toBe(`Get "${url}/metrics": context deadline exceeded`);
  });

  it('words a refused connection like Go', async () => {
    const url = await serve(() => {});
    const port = new URL(url).port;
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const err = await failure(scraper(`${url}/metrics`).scrape(never));
    expect(err.message).toBe(`Get "${url}/metrics": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('follows redirects unless told not to', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { Location: '/new' });
        res.end();
      } else res.end('moved 1\n');
    });
    expect((await scraper(`${url}/old`).scrape(never)).body.toString()).toBe('moved 1\n');
    expect((await failure(scraper(`${url}/old`, { followRedirects: false }).scrape(never))).message).toBe('server returned HTTP status 302 Found');
  });

  it('keeps connections alive between scrapes', async () => {
    let connections = 0;
    const server = http.createServer();
    server.on('connection', () => connections++);
    const url = await serve((_, res) => res.end('a 1\n'), server);
    const s = scraper(url);
    await s.scrape(never);
    await s.scrape(never);
    await s.scrape(never);
    expect(connections).toBe(1);
  });

  it('retries once when the target closed a kept-alive connection', async () => {
    const server = http.createServer();
    server.keepAliveTimeout = 1; // the server drops idle connections almost at once
    const url = await serve((_, res) => res.end('a 1\n'), server);
    const s = scraper(url);
    await s.scrape(never);
    await new Promise((r) => setTimeout(r, 50));
    expect((await s.scrape(never)).body.toString()).toBe('a 1\n');
  });

  it('goes through an HTTP proxy', async () => {
    const target = await serve((_, res) => res.end('via 1\n'));
    let proxied = '';
    const proxy = await serve((req, res) => {
      proxied = req.url ?? '';
      http.get(req.url!, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
    });
    const r = await scraper(`${target}/metrics`, { proxyUrl: proxy }).scrape(never);
    expect(r.body.toString()).toBe('via 1\n');
    expect(proxied).toBe(`${target}/metrics`);
  });

  const openssl = peer('openssl');
  it.skipIf(openssl === undefined)('scrapes over TLS with a CA file, and with insecure_skip_verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=vigil-test', '-addext', 'subjectAltName=DNS:vigil-test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    const url = await serve((_, res) => res.end('tls 1\n'), server);
    expect((await scraper(url, { tlsConfig: { caFile: join(dir, 'cert.pem') } }).scrape(never)).body.toString()).toBe('tls 1\n');
    expect((await scraper(url, { tlsConfig: { insecureSkipVerify: true } }).scrape(never)).body.toString()).toBe('tls 1\n');
    expect((await failure(scraper(url).scrape(never))).message).toMatch(/^Get "https:\/\/127\.0\.0\.1:\d+": /);
    expect((await scraper(url.replace('127.0.0.1', 'localhost'), { tlsConfig: { caFile: join(dir, 'cert.pem'), serverName: 'vigil-test' } }).scrape(never)).body.toString()).toBe('tls 1\n');
  });
});
