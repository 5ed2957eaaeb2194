// Test helper: runs a real peer binary (exporter, Prometheus) on a free local port and waits
// until it answers HTTP, so integration tests can scrape or query it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** freePort asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** PeerProcess is a running peer. */
export interface PeerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** output returns what the process printed so far. */
  output(): string;
  /** stop kills the process and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * startPeer runs `bin` with the arguments `args(port)` and resolves once GET `readyPath`
 * answers 200, or rejects with the process output after `timeoutMs`.
 */
export async function startPeer(bin: string, args: (port: number) => readonly string[], readyPath = '/metrics', timeoutMs = 30_000): Promise<PeerProcess> {
  const port = await freePort();
  const child = spawn(bin, [...args(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(url + readyPath);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${bin} did not become ready in ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, port, output: () => out, stop };
}
