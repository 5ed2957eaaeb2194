// Starts the built `vigil` binary as a child process for integration tests and finds the port
// it bound from its start-up log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** BIN is the vigil entry point (requires `npm run build`, which the test command runs). */
export const BIN = resolve(import.meta.dirname, '../../bin/vigil.js');

/** VigilProcess is a running vigil child. */
export interface VigilProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  /** output returns everything written to stderr and stdout so far. */
  output(): string;
  /** stop sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** startVigil runs `vigil <cmd> …args` with a fresh data dir on a random port. */
export async function startVigil(cmd: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<VigilProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  const child = spawn(
    process.execPath,
    [BIN, cmd, '--data.dir', dataDir, '--web.listen-address', '127.0.0.1:0', '--logs.tcp-listen-address', '', '--logs.syslog-listen-address', '', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`vigil did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = /listen=([\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(`http://${m[1]}`);
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`vigil exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    dataDir,
    output: () => out,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) {
          rmSync(dataDir, { recursive: true, force: true });
          return res(child.exitCode);
        }
        child.once('exit', (code) => {
          rmSync(dataDir, { recursive: true, force: true });
          res(code);
        });
        child.kill('SIGTERM');
      }),
  };
}
