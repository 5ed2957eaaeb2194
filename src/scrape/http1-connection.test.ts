import * as net from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BodySizeLimitError, BufferPool, Http1Connection, Http1Error, type Http1Response } from './index.js';

// A raw TCP server: each request (up to the empty line) is answered by `respond`, which writes
// whatever bytes it likes, in the pieces it likes.
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

type Responder = (sock: net.Socket, request: string, n: number) => void;

async function rawServer(respond: Responder): Promise<{ port: number; connections: () => number }> {
  let conns = 0;
  const server = net.createServer((sock) => {
    conns++;
    let pending = '';
    let n = 0;
    sock.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const req = pending.slice(0, end + 4);
        pending = pending.slice(end + 4);
        respond(sock, req, n++);
      }
    });
    sock.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, connections: () => conns };
}

const scratch = Buffer.alloc(64 * 1024);
const pool = new BufferPool();
const never = new AbortController().signal;
const head = Buffer.from('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');

function connect(port: number): Http1Connection {
  return new Http1Connection({ host: '127.0.0.1', port, scratch });
}

function get(c: Http1Connection, limit = 1 << 30, signal = never): Promise<Http1Response> {
  return c.request({ head, limit, sizeHint: 0, pool, signal });
}

const text = (r: Http1Response): string => r.body.toString('latin1', 0, r.len);

// writeInPieces writes bytes split at the given cut points, one write per tick.
function writeInPieces(sock: net.Socket, bytes: Buffer, cuts: readonly number[], end = false): void {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    pieces.push(bytes.subarray(prev, c));
    prev = c;
  }
  pieces.push(bytes.subarray(prev));
  const next = (): void => {
    const p = pieces.shift();
    if (p === undefined) {
      if (end) sock.end();
      return;
    }
    if (p.length > 0) sock.write(p);
    setImmediate(next);
  };
  next();
}

describe('Http1Connection', () => {
  const body = 'a{b="c"} 1\n'.repeat(50);
  const chunked = (parts: readonly string[], trailer = ''): string =>
    parts.map((p) => `${p.length.toString(16)};ext=1\r\n${p}\r\n`).join('') + `0\r\n${trailer}\r\n`;
  const cases: readonly { name: string; response: string; want: string; status?: number; reuse: boolean }[] = [
    { name: 'Content-Length', response: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`, want: body, reuse: true },
    { name: 'chunked with extensions and trailers', response: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked([body.slice(0, 7), body.slice(7)], 'X-T: 1\r\n')}`, want: body, reuse: true },
    { name: 'bare LF line ends', response: `HTTP/1.1 200 OK\nContent-Length: 3\n\nabc`, want: 'abc', reuse: true },
    { name: 'interim 100 Continue first', response: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`, want: 'ok', reuse: true },
    { name: 'empty 204', response: `HTTP/1.1 204 No Content\r\n\r\n`, want: '', status: 204, reuse: true },
    { name: 'Connection: close', response: `HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok`, want: 'ok', reuse: false },
    { name: 'HTTP/1.0 keep-alive', response: `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok`, want: 'ok', reuse: true },
    { name: 'status without reason', response: `HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n`, want: '', status: 404, reuse: true },
  ];

  it.each(cases)('reads a response: $name', async ({ response, want, status = 200, reuse }) => {
    const srv = await rawServer((sock) => sock.write(response, 'latin1'));
    const c = connect(srv.port);
    const r = await get(c);
    expect(r.status).toBe(status);
    expect(text(r)).toBe(want);
    await new Promise((res) => setTimeout(res, 10));
    expect(c.reusable).toBe(reuse);
    if (reuse) expect(text(await get(c))).toBe(want);
    c.close();
  });

  it('reads a body delimited by the end of the connection', async () => {
    const srv = await rawServer((sock) => sock.end(`HTTP/1.1 200 OK\r\n\r\n${body}`, 'latin1'));
    const c = connect(srv.port);
    expect(text(await get(c))).toBe(body);
    expect(c.reusable).toBe(false);
  });

  it('gets the same bytes however the response is cut into reads (property)', async () => {
    const gz = gzipSync(body);
    const responses = [
      Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1'),
      Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked([body.slice(0, 100), body.slice(100, 101), body.slice(101)])}`, 'latin1'),
      Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${gz.length.toString(16)}\r\n`, 'latin1'), gz, Buffer.from('\r\n0\r\n\r\n')]),
    ];
    let cuts: number[] = [];
    let which = 0;
    const srv = await rawServer((sock) => writeInPieces(sock, responses[which]!, cuts));
    const c = connect(srv.port);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: responses.length - 1 }), fc.array(fc.nat(), { maxLength: 6 }), async (w, cs) => {
        which = w;
        cuts = cs;
        expect(text(await get(c))).toBe(body);
        expect(c.reusable).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(srv.connections()).toBe(1);
    c.close();
  });

  const bad: readonly { name: string; response: string; error: RegExp }[] = [
    { name: 'not HTTP', response: 'SSH-2.0-OpenSSH\r\n\r\n', error: /malformed HTTP response/ },
    { name: 'bad chunk size', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', error: /malformed chunk size/ },
    { name: 'chunk longer than its size', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n', error: /data longer than its size/ },
    { name: 'bad Content-Length', response: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', error: /malformed Content-Length/ },
    { name: 'unknown transfer coding', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', error: /unsupported Transfer-Encoding/ },
    { name: 'huge header', response: `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`, error: /response header exceeds/ },
    { name: 'body cut short', response: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', error: /closed before the response was complete/ },
  ];
  it.each(bad)('fails cleanly on a broken response: $name', async ({ response, error }) => {
    const srv = await rawServer((sock) => sock.end(response, 'latin1'));
    const c = connect(srv.port);
    await expect(get(c)).rejects.toThrow(error);
    expect(c.reusable).toBe(false);
  });

  it('fails at the body size limit, counting inflated bytes', async () => {
    const srv = await rawServer((sock, _, n) => {
      const gz = gzipSync(Buffer.alloc(1 << 20, 'a'));
      if (n === 0) sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${1 << 20}\r\n\r\n${'a'.repeat(1 << 20)}`, 'latin1');
      else sock.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]));
    });
    await expect(get(connect(srv.port), 1000)).rejects.toBeInstanceOf(BodySizeLimitError);
    await expect(get(connect(srv.port), 1000)).rejects.toBeInstanceOf(BodySizeLimitError);
  });

  it('gives up when aborted, and reports a closed kept-alive connection as retriable', async () => {
    const srv = await rawServer((sock, _, n) => {
      if (n === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
      else sock.destroy();
    });
    const c = connect(srv.port);
    expect(text(await get(c))).toBe('x');
    const err = await get(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Http1Error);
    expect((err as Http1Error).retriable).toBe(true);

    const silent = await rawServer(() => undefined);
    const ac = new AbortController();
    const p = get(connect(silent.port), 1 << 20, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toThrow('aborted');
  });
});
