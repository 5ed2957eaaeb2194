// Log input for the agent benches: a real systemd-journald namespace instance (from
// ../shared/recipes/journal-fixture.sh, rate limit off) and a writer that offers a fixed
// number of lines per second, part appended to a file, the rest written to journald's stdout
// stream socket, in 100 ms ticks.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';

const FIXTURE = resolve(import.meta.dirname, '../../../shared/recipes/journal-fixture.sh');

/** BenchJournald is a running journald namespace. */
export interface BenchJournald {
  /** Where its journal files are (for --logs.journald.directory). */
  readonly directory: string;
  /** Its stdout stream socket. */
  readonly stdoutSocket: string;
  /** pid of systemd-journald. */
  readonly pid: number;
  down(): void;
}

/** journaldUp starts journald in namespace `ns` under dir (needs root), without its rate limit (2 500 entries/s is over the default 10 000 per 30 s). */
export function journaldUp(dir: string, ns: string): BenchJournald {
  const conf = `/etc/systemd/journald@${ns}.conf`;
  writeFileSync(conf, '[Journal]\nRateLimitBurst=0\n');
  const up = execFileSync(FIXTURE, ['journald-up', join(dir, 'jd'), ns], { encoding: 'utf8' });
  const env = Object.fromEntries(up.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  return {
    directory: env.JOURNAL_DIR!,
    stdoutSocket: env.JOURNAL_STDOUT!,
    pid: Number(env.JOURNALD_PID),
    down: () => {
      execFileSync(FIXTURE, ['journald-down', join(dir, 'jd')]);
      if (existsSync(conf)) rmSync(conf);
    },
  };
}

/** LineWriter offers lines to a file and a journald stream at a fixed rate. */
export interface LineWriter {
  /** Lines written so far. */
  readonly written: () => number;
  stop(): void;
}

/** sampleLine is one app log line (logfmt-ish text, ~130 bytes) with a sequence number. */
export function sampleLine(i: number, src: string): string {
  return `2026-11-22T02:00:00.${String(i % 1000).padStart(3, '0')}Z INFO ${src} request handled method=GET path=/api/items/${i} status=200 duration_ms=${i % 97} user=u${i % 13} seq=${i}`;
}

/** startWriter writes `rate` lines/s, `fileShare` of them appended to file, the rest to journald's stdout stream as identifier `bench`. */
export async function startWriter(o: { file: string; journald: BenchJournald | undefined; rate: number; fileShare: number; tickMs?: number }): Promise<LineWriter> {
  const tickMs = o.tickMs ?? 100;
  let journal: Socket | undefined;
  if (o.journald !== undefined) {
    // journald shuts down its side of a stdout stream after the header: keep ours open (half-open).
    journal = connect({ path: o.journald.stdoutSocket, allowHalfOpen: true });
    await new Promise<void>((r) => journal!.once('connect', () => r()));
    journal.write('bench\n\n6\n0\n0\n0\n0\n');
  }
  const share = journal === undefined ? 1 : o.fileShare;
  const fileTick = Math.round(o.rate * share * (tickMs / 1000));
  const journalTick = Math.round(o.rate * (1 - share) * (tickMs / 1000));
  let seq = 0;
  const timer = setInterval(() => {
    let f = '';
    let j = '';
    for (let k = 0; k < fileTick; k++) f += sampleLine(++seq, 'file') + '\n';
    for (let k = 0; k < journalTick; k++) j += sampleLine(++seq, 'journal') + '\n';
    if (f !== '') appendFileSync(o.file, f);
    if (j !== '') journal!.write(j);
  }, tickMs);
  return {
    written: () => seq,
    stop: () => {
      clearInterval(timer);
      journal?.destroy();
    },
  };
}
