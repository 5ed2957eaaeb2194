/**
 * Watches the kernel log (/dev/kmsg) for OOM kills and attributes each to the memory cgroup
 * of its victim, the way cAdvisor's oomparser does. This is how OOM kills are seen where
 * the runtime does not report them (podman sends no `oom` event) and on kernels whose
 * cgroup files keep no oom_kill counter.
 *
 * /dev/kmsg is polled without blocking (one read per record until EAGAIN), so no thread of
 * libuv's pool is held by a read that waits for the next kernel message.
 * @module
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readFileSync } from 'node:fs';

/** OomEvent is one OOM kill read from the kernel log. */
export interface OomEvent {
  /** Wall-clock time of the kill, Unix ms (from the record's boot-relative timestamp). */
  readonly t: number;
  /** The victim's memory cgroup path (`task_memcg`), e.g. `/docker/<id>`. */
  readonly cgroupPath: string;
  /** The cgroup whose limit was hit (`oom_memcg`); '' for a system-wide OOM. */
  readonly oomCgroupPath: string;
  /** CONSTRAINT_MEMCG, CONSTRAINT_NONE, … */
  readonly constraint: string;
  /** The killed process's command name and pid. */
  readonly task: string;
  readonly pid: number;
}

/** KmsgRecord is one /dev/kmsg record. */
export interface KmsgRecord {
  readonly priority: number;
  readonly seq: number;
  /** Microseconds since boot. */
  readonly tsUs: number;
  readonly message: string;
}

/** parseKmsgRecord reads `prio,seq,ts,flags[,…];message` (continuation lines after the message are dropped). */
export function parseKmsgRecord(text: string): KmsgRecord | undefined {
  const semi = text.indexOf(';');
  if (semi < 0) return undefined;
  const head = text.slice(0, semi).split(',');
  if (head.length < 3) return undefined;
  const nl = text.indexOf('\n', semi);
  const priority = Number(head[0]);
  const seq = Number(head[1]);
  const tsUs = Number(head[2]);
  if (!Number.isFinite(priority) || !Number.isFinite(seq) || !Number.isFinite(tsUs)) return undefined;
  return { priority, seq, tsUs, message: text.slice(semi + 1, nl < 0 ? undefined : nl) };
}

const OOM_KILL = /^oom-kill:constraint=([^,]*),nodemask=.*?,cpuset=.*?,mems_allowed=.*?,oom_memcg=([^,]*),task_memcg=([^,]*),task=(.*),pid=(\d+),uid=\d+/;
// Kernels before 4.19: "Task in /docker/x killed as a result of limit of /docker/x" then "Killed process 12 (name)".
const OLD_TASK_IN = /^Task in (\S+) killed as a result of limit of (\S+)/;
const KILLED = /Killed process (\d+) \(([^)]*)\)/;

/** OomParser turns kernel log messages into OOM events, keeping the state that spans two messages on old kernels. */
export class OomParser {
  #pendingOld: { cgroupPath: string; oomCgroupPath: string } | undefined;

  /** feed takes one message and returns an event when the message completes one. */
  feed(message: string, t: number): OomEvent | undefined {
    let m = OOM_KILL.exec(message);
    if (m !== null) {
      this.#pendingOld = undefined;
      return { t, constraint: m[1]!, oomCgroupPath: m[2]! === '/' && m[1] !== 'CONSTRAINT_MEMCG' ? '' : m[2]!, cgroupPath: m[3]!, task: m[4]!, pid: Number(m[5]) };
    }
    m = OLD_TASK_IN.exec(message);
    if (m !== null) {
      this.#pendingOld = { cgroupPath: m[1]!, oomCgroupPath: m[2]! };
      return undefined;
    }
    if (this.#pendingOld !== undefined) {
      const k = KILLED.exec(message);
      if (k !== null) {
        const p = this.#pendingOld;
        this.#pendingOld = undefined;
        return { t, constraint: 'CONSTRAINT_MEMCG', oomCgroupPath: p.oomCgroupPath, cgroupPath: p.cgroupPath, task: k[2]!, pid: Number(k[1]) };
      }
    }
    return undefined;
  }
}

/** KmsgOomWatcherOptions configure the watcher. */
export interface KmsgOomWatcherOptions {
  /** The kernel log device (default /dev/kmsg). */
  readonly path?: string;
  /** How often to look for new records, ms (default 1000). */
  readonly pollMs?: number;
  /** Also report OOM kills logged before the watcher started (default false). */
  readonly includeBacklog?: boolean;
  /** Called for each OOM kill. */
  readonly onOom?: (e: OomEvent) => void;
  /** procfs root for /proc/uptime (default /proc). */
  readonly procfs?: string;
}

/** KmsgOomWatcher counts OOM kills per cgroup path; run it as a service. */
export class KmsgOomWatcher {
  readonly #path: string;
  readonly #pollMs: number;
  readonly #includeBacklog: boolean;
  readonly #onOom: ((e: OomEvent) => void) | undefined;
  readonly #procfs: string;
  readonly #counts = new Map<string, number>();
  readonly #parser = new OomParser();
  readonly #buf = Buffer.allocUnsafe(16 * 1024);
  #bootMs = 0;

  constructor(opts: KmsgOomWatcherOptions = {}) {
    this.#path = opts.path ?? '/dev/kmsg';
    this.#pollMs = opts.pollMs ?? 1000;
    if (!(this.#pollMs > 0)) throw new Error('KmsgOomWatcher: pollMs must be positive');
    this.#includeBacklog = opts.includeBacklog ?? false;
    this.#onOom = opts.onOom;
    this.#procfs = opts.procfs ?? '/proc';
  }

  /** count returns the OOM kills seen for a cgroup path since the watcher started. */
  count(cgroupPath: string): number {
    return this.#counts.get(cgroupPath) ?? 0;
  }

  /** run reads the kernel log until signal aborts; it rejects only if /dev/kmsg cannot be opened. */
  async run(signal: AbortSignal): Promise<void> {
    const fd = openSync(this.#path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      try {
        const up = Number(readFileSync(`${this.#procfs}/uptime`, 'utf8').split(' ')[0]);
        this.#bootMs = Date.now() - up * 1000;
      } catch {
        this.#bootMs = 0;
      }
      this.#drain(fd, !this.#includeBacklog);
      while (!signal.aborted) {
        await new Promise<void>((resolve) => {
          const onAbort = (): void => (clearTimeout(timer), resolve());
          const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), this.#pollMs);
          signal.addEventListener('abort', onAbort, { once: true });
        });
        if (!signal.aborted) this.#drain(fd, false);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** poll reads what is available now (for tests and callers that drive their own timing). */
  #drain(fd: number, discard: boolean): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, this.#buf, 0, this.#buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        if (code === 'EPIPE') continue; // records were overwritten before we read them
        throw e;
      }
      if (n === 0) return;
      if (discard) continue;
      const rec = parseKmsgRecord(this.#buf.toString('utf8', 0, n));
      if (rec === undefined) continue;
      const t = this.#bootMs > 0 ? Math.round(this.#bootMs + rec.tsUs / 1000) : Date.now();
      const ev = this.#parser.feed(rec.message, t);
      if (ev === undefined) continue;
      this.#counts.set(ev.cgroupPath, (this.#counts.get(ev.cgroupPath) ?? 0) + 1);
      this.#onOom?.(ev);
    }
  }
}
