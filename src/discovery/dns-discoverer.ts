/**
 * dns_sd_configs: targets from SRV, A, AAAA or MX records, re-resolved every refresh interval.
 * @module
 */
import { Resolver } from 'node:dns/promises';
import { Labels } from '../model/index.js';
import type { Discoverer } from './discoverer.js';
import { DiscoveryError } from './errors.js';
import type { DnsSDConfig } from './sd-config.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** Labels DNS discovery sets on each target. */
export const DnsLabel = {
  Name: '__meta_dns_name',
  SrvTarget: '__meta_dns_srv_record_target',
  SrvPort: '__meta_dns_srv_record_port',
  MxTarget: '__meta_dns_mx_record_target',
} as const;

/** DnsDiscovererOptions configure a DnsDiscoverer. */
export interface DnsDiscovererOptions {
  readonly config: DnsSDConfig;
  /** DNS servers (`ip` or `ip:port`); defaults to the system's. */
  readonly servers?: readonly string[];
  /** Per-query timeout; default 5 s. */
  readonly timeoutMs?: number;
  /** Called when a lookup fails; that name's previous group is kept. */
  readonly onError?: (err: Error) => void;
}

// Answers that mean "no such records": an empty group, not an error.
const EMPTY_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

/** DnsDiscoverer resolves names periodically. */
export class DnsDiscoverer implements Discoverer {
  readonly #config: DnsSDConfig;
  readonly #resolver: Resolver;
  readonly #onError: (err: Error) => void;

  constructor(options: DnsDiscovererOptions) {
    const { config, servers, timeoutMs = 5000, onError = () => {} } = options;
    if (config.names.length === 0) throw new Error('DnsDiscoverer: config.names must not be empty');
    this.#config = config;
    this.#resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers !== undefined) this.#resolver.setServers([...servers]);
    this.#onError = onError;
  }

  /** run resolves every name now and then every refresh interval, yielding one group per name. */
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    const wake = new Wakeup();
    const onAbort = (): void => this.#resolver.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let first = true;
      while (!signal.aborted) {
        const results = await Promise.all(this.#config.names.map((n) => this.#lookup(n)));
        if (signal.aborted) return;
        const groups = results.filter((g): g is TargetGroup => g !== undefined);
        if (first || groups.length > 0) yield groups;
        first = false;
        if ((await wake.wait(this.#config.refreshIntervalMs, signal)) === 'abort') return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #lookup(name: string): Promise<TargetGroup | undefined> {
    const targets: Labels[] = [];
    const port = this.#config.port;
    try {
      switch (this.#config.type) {
        case 'SRV':
          for (const r of await this.#resolver.resolveSrv(name)) {
            const host = r.name.replace(/\.+$/, '');
            targets.push(target(joinHostPort(host, r.port), name, { [DnsLabel.SrvTarget]: rooted(r.name), [DnsLabel.SrvPort]: String(r.port) }));
          }
          break;
        case 'MX':
          for (const r of await this.#resolver.resolveMx(name)) {
            targets.push(target(joinHostPort(r.exchange.replace(/\.+$/, ''), port), name, { [DnsLabel.MxTarget]: rooted(r.exchange) }));
          }
          break;
        case 'A':
          for (const a of await this.#resolver.resolve4(name)) targets.push(target(joinHostPort(a, port), name, {}));
          break;
        case 'AAAA':
          for (const a of await this.#resolver.resolve6(name)) targets.push(target(joinHostPort(a, port), name, {}));
          break;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === undefined || !EMPTY_CODES.has(code)) {
        if (code !== 'ECANCELLED') this.#onError(new DiscoveryError(`dns ${name}`, `lookup failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
        return undefined;
      }
    }
    return { source: name, targets, labels: Labels.EMPTY };
  }
}

function target(address: string, name: string, extra: Record<string, string>): Labels {
  return Labels.fromObject({ __address__: address, [DnsLabel.Name]: name, ...extra });
}

// Go's DNS library reports names fully qualified, with the final dot.
function rooted(n: string): string {
  return n.endsWith('.') ? n : `${n}.`;
}

/** joinHostPort is Go's net.JoinHostPort: brackets around hosts that contain a colon. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
