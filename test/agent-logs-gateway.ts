// Test helpers for the agent's log side: the real log gateway (HttpIngest over a MemoryLogStore)
// on a local port that can be stopped and started again, and an agent child process that can be
// killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { LogForwarderOptions } from '../src/agent/index.js';
import { HttpIngest, TokenStore } from '../src/logs/receive/index.js';
import { MemoryLogStore, type LogEntry, type StreamBatch } from '../src/logs/store/index.js';
import type { Matcher } from '../src/model/index.js';

const ROOT = resolve(import.meta.dirname, '..');

/** TestGateway is vigil's log gateway on 127.0.0.1, stoppable to simulate an outage. */
export class TestGateway {
  readonly store = new MemoryLogStore();
  readonly ingest: HttpIngest;
  requests = 0;
  port = 0;
  #server: Server | undefined;
  readonly #tls: { cert: Buffer; key: Buffer } | undefined;

  private constructor(tls: { cert: Buffer; key: Buffer } | undefined, tokens: TokenStore | undefined) {
    this.#tls = tls;
    this.ingest = new HttpIngest({ store: this.store, ...(tokens === undefined ? {} : { tokens }) });
  }

  /** start listens on a random port (or `port`). */
  static async start(opts: { tls?: { cert: Buffer; key: Buffer }; tokens?: TokenStore; port?: number; host?: string } = {}): Promise<TestGateway> {
    const g = new TestGateway(opts.tls, opts.tokens);
    g.host = opts.host ?? '127.0.0.1';
    await g.listen(opts.port ?? 0);
    return g;
  }

  /** The address listened on (127.0.0.1 unless given). */
  host = '127.0.0.1';

  get url(): string {
    return `${this.#tls === undefined ? 'http' : 'https'}://${this.host}:${this.port}`;
  }

  /** listen starts serving (again) on `port`. */
  async listen(port = this.port): Promise<void> {
    const handler = this.ingest.listener();
    const onRequest = (req: Parameters<typeof handler>[0], res: Parameters<typeof handler>[1]): void => {
      this.requests++;
      handler(req, res);
    };
    const server = this.#tls === undefined ? createHttp(onRequest) : createHttps({ cert: this.#tls.cert, key: this.#tls.key }, onRequest);
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(port, this.host, () => r());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** stop closes the listener and every connection (the agent sees refused connections). */
  async stop(): Promise<void> {
    const s = this.#server;
    if (s === undefined) return;
    this.#server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** entries returns every stored entry with its stream labels. */
  async entries(): Promise<{ labels: Record<string, string>; entry: LogEntry }[]> {
    const out: { labels: Record<string, string>; entry: LogEntry }[] = [];
    const q = { matchers: [] as Matcher[], mint: 0, maxt: 8.64e15, direction: 'forward' as const, limit: 0 };
    for await (const b of this.store.select(q) as AsyncIterable<StreamBatch>) {
      const labels = b.labels.toObject();
      for (const e of b.entries) out.push({ labels, entry: e });
    }
    return out;
  }

  /** lines returns every stored line. */
  async lines(): Promise<string[]> {
    return (await this.entries()).map((e) => e.entry.line);
  }
}

/** AgentChild is a LogForwarder running in its own process. */
export interface AgentChild {
  readonly child: ChildProcess;
  output(): string;
  /** kill9 kills it with SIGKILL and waits for the exit. */
  kill9(): Promise<void>;
  /** stop sends SIGTERM and waits for a clean exit. */
  stop(): Promise<number | null>;
}

/** startAgent runs test/agent-logs-child.ts with the options (logger and registry are made there), in a network namespace if given. */
export async function startAgent(opts: Omit<LogForwarderOptions, 'logger' | 'registry'>, timeoutMs = 30_000, netns?: string): Promise<AgentChild> {
  const args = ['--import', 'tsx', resolve(ROOT, 'test/agent-logs-child.ts'), JSON.stringify(opts)];
  // `ip netns exec` execs the command in place, so the pid is node's own.
  const child = netns === undefined ? spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`agent did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = (): void => {
      if (out.includes('agent-ready')) {
        clearTimeout(t);
        child.stderr!.off('data', check);
        res();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`agent exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** until polls `cond` every 50 ms. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** countSeqs counts how often each `… seq=N …` number occurs in lines. */
export function countSeqs(lines: readonly string[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of lines) {
    const r = /seq[= ](\d+)/.exec(l);
    if (r !== null) m.set(Number(r[1]), (m.get(Number(r[1])) ?? 0) + 1);
  }
  return m;
}

/** exactlyOnce lists the problems with seqs 1..n: missing ones and repeated ones. */
export function exactlyOnce(counts: ReadonlyMap<number, number>, n: number): string[] {
  const bad: string[] = [];
  for (let i = 1; i <= n; i++) {
    const c = counts.get(i) ?? 0;
    if (c !== 1) bad.push(`seq ${i} × ${c}`);
  }
  for (const k of counts.keys()) if (k < 1 || k > n) bad.push(`unexpected seq ${k}`);
  return bad;
}
