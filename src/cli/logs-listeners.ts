/**
 * The stream log listeners of the server (TCP and syslog) as a reconcilable set: each
 * configuration becomes a spec with a key; `reconcile` starts what is new, restarts what
 * changed (stopping a listener stores everything its connections sent first) and stops what
 * was removed. A listener that fails to start on reload is replaced by its previous spec again.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseListenAddress } from '../api/index.js';
import type { LogsListenerCommon, LogsSyslogConfig, LogsTcpConfig, LogsTlsConfig } from '../config/index.js';
import type { Logger, Registry } from '../instrument/index.js';
import { SyslogReceiver, TcpReceiver, type TlsOptions, type TokenStore } from '../logs/receive/index.js';
import type { LogStore } from '../logs/store/index.js';

/** LogsPipelineError reports a logs configuration that cannot be put to work (unreadable files, listeners that cannot bind). */
export class LogsPipelineError extends Error {
  override readonly name = 'LogsPipelineError';
  constructor(
    /** What it concerns, e.g. `logs.tcp "tcp"` or `logs.tokens[1]`. */
    readonly subject: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${detail}`, options);
  }
}

/** Receiver is what both listener kinds offer. */
interface Receiver {
  run(signal: AbortSignal): Promise<void>;
}

/** ListenerSpec is one listener as configured: a key that changes when anything about it does, and a factory. */
export interface ListenerSpec {
  /** `tcp/<name>` or `syslog/<name>`. */
  readonly id: string;
  readonly key: string;
  /** Creates the receiver and resolves with the addresses it listens on once it does. */
  start(signal: AbortSignal): { readonly done: Promise<void>; readonly listening: Promise<string> };
}

/** ListenerContext is what specs are built from besides the listener's own configuration. */
export interface ListenerContext {
  readonly store: LogStore;
  readonly tokens: TokenStore;
  /** The secret of each configured token, by its position in the config. */
  readonly secretOf: (token: NonNullable<LogsListenerCommon['token']>) => string;
  readonly registry: Registry;
}

interface Running {
  readonly spec: ListenerSpec;
  readonly ac: AbortController;
  readonly done: Promise<void>;
}

function hostPort(subject: string, addr: string): { host: string; port: number } {
  try {
    const { host, port } = parseListenAddress(addr);
    return { host: host ?? '0.0.0.0', port };
  } catch (e) {
    throw new LogsPipelineError(subject, (e as Error).message, { cause: e });
  }
}

async function readTls(subject: string, t: LogsTlsConfig | undefined): Promise<{ tls: TlsOptions | undefined; fingerprint: string }> {
  if (t === undefined) return { tls: undefined, fingerprint: '' };
  const read = async (what: string, f: string): Promise<Buffer> => {
    try {
      return await readFile(f);
    } catch (e) {
      throw new LogsPipelineError(subject, `cannot read TLS ${what} file ${JSON.stringify(f)}: ${(e as Error).message}`, { cause: e });
    }
  };
  const cert = await read('cert', t.certFile);
  const key = await read('key', t.keyFile);
  const ca = t.clientCaFile !== undefined ? await read('client CA', t.clientCaFile) : undefined;
  const tls: TlsOptions = { cert, key, ...(ca !== undefined ? { ca } : {}), requestCert: t.clientAuthType === 'RequireAndVerifyClientCert' };
  // Rotated certificates restart the listener on reload.
  const fingerprint = [cert, key, ca ?? Buffer.alloc(0)].map((b) => `${b.length}:${b.toString('base64').slice(-32)}`).join('/');
  return { tls, fingerprint };
}

function describe(a: AddressInfo | undefined): string {
  return a === undefined ? '' : a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** Prepared is what both listener kinds build from their configuration before the receiver itself. */
interface Prepared {
  readonly subject: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsOptions | undefined;
  /** Options every receiver takes alike (limits, labels, token binding, self-metrics). */
  readonly common: {
    readonly store: LogStore;
    readonly maxConnections: number | undefined;
    readonly idleTimeoutMs: number | undefined;
    readonly levelLabel: boolean | undefined;
    readonly registry: Registry;
    readonly name: string;
    readonly tokens: TokenStore;
    readonly token?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  /** Changes whenever anything about the listener does (the token's secret and the TLS files included). */
  readonly key: string;
}

async function prepare(kind: 'tcp' | 'syslog', c: LogsTcpConfig | LogsSyslogConfig, address: string, ctx: ListenerContext): Promise<Prepared> {
  const subject = `logs.${kind} ${JSON.stringify(c.name)}`;
  const { host, port } = hostPort(subject, address);
  const { tls, fingerprint } = await readTls(subject, c.tls);
  const token = c.token === undefined ? undefined : ctx.secretOf(c.token);
  const common = {
    store: ctx.store,
    maxConnections: c.maxConnections,
    idleTimeoutMs: c.idleTimeoutMs,
    levelLabel: c.levelLabel,
    registry: ctx.registry,
    name: c.name,
    tokens: ctx.tokens,
    ...(token !== undefined ? { token } : {}),
    ...(c.labels !== undefined ? { labels: c.labels } : {}),
  };
  const key = JSON.stringify({ ...c, token: c.token?.app, secret: token, address, tls: fingerprint });
  return { subject, host, port, tls, common, key };
}

function spec<R extends Receiver & { ready(): Promise<unknown> }>(id: string, p: Prepared, create: () => R, listening: (r: R) => Promise<string>): ListenerSpec {
  check(p.subject, create);
  return {
    id,
    key: p.key,
    start(signal) {
      const r = create();
      return { done: r.run(signal), listening: listening(r) };
    },
  };
}

/** tcpSpec builds the spec of a TCP listener at `address` (validated by constructing a receiver once). */
export async function tcpSpec(c: LogsTcpConfig, address: string, ctx: ListenerContext): Promise<ListenerSpec> {
  const p = await prepare('tcp', c, address, ctx);
  const create = (): TcpReceiver =>
    new TcpReceiver({
      ...p.common,
      host: p.host,
      port: p.port,
      ...(p.tls !== undefined ? { tls: p.tls } : {}),
      parser: { timeZone: c.timezone, payloadFields: c.payloadFields, jsonMessage: c.jsonMessage },
      maxLineBytes: c.maxLineBytes,
      longLines: c.longLines,
      multiline: c.multiline,
      multilineWaitMs: c.multilineWaitMs,
    });
  return spec(`tcp/${c.name}`, p, create, (r) => r.ready().then((a) => `listen=${describe(a)}`));
}

/** syslogSpec builds the spec of a syslog listener at `address`. */
export async function syslogSpec(c: LogsSyslogConfig, address: string, ctx: ListenerContext): Promise<ListenerSpec> {
  const p = await prepare('syslog', c, address, ctx);
  const create = (): SyslogReceiver =>
    new SyslogReceiver({
      ...p.common,
      host: p.host,
      port: p.port,
      udp: c.udp,
      tcp: c.tcp,
      ...(p.tls !== undefined ? { tls: p.tls } : {}),
      parser: { timeZone: c.timezone },
      maxMessageBytes: c.maxMessageBytes,
    });
  return spec(`syslog/${c.name}`, p, create, (r) =>
    r.ready().then((a) => [a.tcp !== undefined ? `tcp=${describe(a.tcp)}` : '', a.udp !== undefined ? `udp=${describe(a.udp)}` : ''].filter((x) => x !== '').join(' ')),
  );
}

// Constructing a receiver validates its options (labels, token binding, sizes) without listening.
function check(subject: string, create: () => Receiver): void {
  try {
    create();
  } catch (e) {
    throw new LogsPipelineError(subject, (e as Error).message, { cause: e });
  }
}

/** ListenerSet runs the listeners of the current specs. */
export class ListenerSet {
  readonly #log: Logger;
  readonly #running = new Map<string, Running>();
  readonly #onFailure: (e: Error) => void;

  constructor(opts: { log: Logger; onFailure: (e: Error) => void }) {
    this.#log = opts.log;
    this.#onFailure = opts.onFailure;
  }

  /** addresses lists what each running listener reported when it started listening. */
  readonly addresses = new Map<string, string>();

  /**
   * reconcile makes the running listeners match `specs`. Rejects with the listeners that could
   * not start (a changed one whose new spec fails is put back on its old spec).
   */
  async reconcile(specs: readonly ListenerSpec[]): Promise<void> {
    const want = new Map(specs.map((s) => [s.id, s]));
    const previous = new Map<string, ListenerSpec>();
    for (const [id, r] of [...this.#running]) {
      const w = want.get(id);
      if (w !== undefined && w.key === r.spec.key) continue;
      previous.set(id, r.spec);
      await this.#stop(id, r);
    }
    const failures: Error[] = [];
    for (const spec of specs) {
      if (this.#running.has(spec.id)) continue;
      try {
        await this.#start(spec);
      } catch (e) {
        failures.push(e as Error);
        const old = previous.get(spec.id);
        if (old !== undefined) {
          try {
            await this.#start(old);
            this.#log.warn('log listener kept its previous configuration', { listener: spec.id });
          } catch (e2) {
            this.#log.error('log listener could not be restarted', { listener: spec.id, err: (e2 as Error).message });
          }
        }
      }
    }
    if (failures.length === 1) throw failures[0]!;
    if (failures.length > 1) throw new LogsPipelineError('logs listeners', failures.map((f) => f.message).join('; '), { cause: failures[0] });
  }

  /** stopAll stops every listener, storing what they received. */
  async stopAll(): Promise<void> {
    for (const [id, r] of [...this.#running]) await this.#stop(id, r);
  }

  async #start(spec: ListenerSpec): Promise<void> {
    const ac = new AbortController();
    const { done, listening } = spec.start(ac.signal);
    let where: string;
    try {
      where = await listening;
    } catch (e) {
      ac.abort();
      await done.catch(() => {});
      throw new LogsPipelineError(`log listener ${spec.id}`, (e as Error).message, { cause: e });
    }
    const r: Running = { spec, ac, done };
    this.#running.set(spec.id, r);
    this.addresses.set(spec.id, where);
    this.#log.info('log listener started', { listener: spec.id, address: where });
    done.then(
      () => {
        if (!ac.signal.aborted && this.#running.get(spec.id) === r) this.#onFailure(new LogsPipelineError(`log listener ${spec.id}`, 'stopped unexpectedly'));
      },
      (e: unknown) => {
        if (this.#running.get(spec.id) === r) this.#onFailure(new LogsPipelineError(`log listener ${spec.id}`, (e as Error).message, { cause: e }));
      },
    );
  }

  async #stop(id: string, r: Running): Promise<void> {
    this.#running.delete(id);
    this.addresses.delete(id);
    r.ac.abort();
    try {
      await r.done;
    } catch (e) {
      this.#log.warn('log listener failed while stopping', { listener: id, err: (e as Error).message });
    }
    this.#log.info('log listener stopped', { listener: id });
  }
}
