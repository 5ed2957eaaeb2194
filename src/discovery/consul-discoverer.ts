/**
 * consul_sd_configs: services from Consul's catalog and health API, with Prometheus's
 * `__meta_consul_*` labels. Polls every refresh interval and skips services whose
 * X-Consul-Index did not move.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Labels } from '../model/index.js';
import type { Discoverer } from './discoverer.js';
import { joinHostPort } from './dns-discoverer.js';
import { DiscoveryError } from './errors.js';
import { sanitizeLabelName } from './kubernetes-targets.js';
import type { ConsulSDConfig } from './sd-config.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** ConsulDiscovererOptions configure a ConsulDiscoverer. */
export interface ConsulDiscovererOptions {
  readonly config: ConsulSDConfig;
  /** Called when a Consul request fails; the previous groups are kept. */
  readonly onError?: (err: Error) => void;
}

interface ServiceEntry {
  readonly Node?: { readonly Node?: string; readonly Address?: string; readonly Meta?: Record<string, string>; readonly TaggedAddresses?: Record<string, string> };
  readonly Service?: { readonly ID?: string; readonly Service?: string; readonly Tags?: string[] | null; readonly Address?: string; readonly Port?: number; readonly Meta?: Record<string, string>; readonly Namespace?: string; readonly Partition?: string };
  readonly Checks?: readonly { readonly CheckID?: string; readonly Status?: string }[];
}

const C = '__meta_consul_';
const MAX_BODY = 64 << 20;

/** consulAggregatedStatus folds a service's checks into one status as Consul's API client does. */
export function consulAggregatedStatus(checks: ServiceEntry['Checks']): string {
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const c of checks ?? []) {
    const id = c.CheckID ?? '';
    if (id === '_node_maintenance' || id.startsWith('_service_maintenance:')) {
      maintenance = true;
      continue;
    }
    if (c.Status === 'passing') continue;
    else if (c.Status === 'warning') warning = true;
    else if (c.Status === 'critical') critical = true;
    else return '';
  }
  if (maintenance) return 'maintenance';
  if (critical) return 'critical';
  if (warning) return 'warning';
  // No checks at all counts as passing, as in Consul's client.
  return 'passing';
}

/** ConsulDiscoverer discovers Consul services. */
export class ConsulDiscoverer implements Discoverer {
  readonly #config: ConsulSDConfig;
  readonly #onError: (err: Error) => void;
  readonly #index = new Map<string, string>();
  #datacenter = '';

  constructor(options: ConsulDiscovererOptions) {
    this.#config = options.config;
    this.#onError = options.onError ?? (() => {});
  }

  /** run yields one group per watched service (source = service name) and then changes. */
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    const wake = new Wakeup();
    const watched = new Set<string>();
    let first = true;
    while (!signal.aborted) {
      const out: TargetGroup[] = [];
      try {
        if (this.#datacenter === '') this.#datacenter = this.#config.datacenter ?? (await this.#agentDatacenter(signal));
        const names = await this.#serviceNames(signal);
        for (const gone of [...watched].filter((n) => !names.includes(n))) {
          watched.delete(gone);
          this.#index.delete(gone);
          out.push({ source: gone, targets: [], labels: Labels.EMPTY });
        }
        for (const name of names) {
          watched.add(name);
          const g = await this.#service(name, signal);
          if (g !== undefined) out.push(g);
        }
      } catch (e) {
        if (signal.aborted) return;
        this.#onError(e instanceof Error ? e : new Error(String(e)));
      }
      if (signal.aborted) return;
      if (first || out.length > 0) yield out;
      first = false;
      if ((await wake.wait(this.#config.refreshIntervalMs, signal)) === 'abort') return;
    }
  }

  async #agentDatacenter(signal: AbortSignal): Promise<string> {
    const { body } = await this.#get('/v1/agent/self', [], signal);
    const dc = (body as { Config?: { Datacenter?: string } }).Config?.Datacenter;
    if (typeof dc !== 'string') throw new DiscoveryError('consul', 'invalid value for datacenter in /v1/agent/self');
    return dc;
  }

  async #serviceNames(signal: AbortSignal): Promise<string[]> {
    const c = this.#config;
    // With a fixed service list and no tag filter, Prometheus skips the catalog.
    if (c.services.length > 0 && c.tags.length === 0) return [...c.services];
    const { body } = await this.#get('/v1/catalog/services', this.#common(), signal);
    const all = body as Record<string, string[] | null>;
    return Object.keys(all)
      .filter((n) => (c.services.length === 0 || c.services.includes(n)) && c.tags.every((t) => (all[n] ?? []).includes(t)))
      .sort();
  }

  #common(): [string, string][] {
    const c = this.#config;
    const q: [string, string][] = [['dc', this.#datacenter]];
    if (c.allowStale) q.push(['stale', '']);
    for (const [k, v] of Object.entries(c.nodeMeta)) q.push(['node-meta', `${k}:${v}`]);
    if (c.namespace !== undefined) q.push(['ns', c.namespace]);
    if (c.partition !== undefined) q.push(['partition', c.partition]);
    return q;
  }

  async #service(name: string, signal: AbortSignal): Promise<TargetGroup | undefined> {
    const c = this.#config;
    const q = this.#common();
    for (const t of c.tags) q.push(['tag', t]);
    const { body, index } = await this.#get(`/v1/health/service/${encodeURIComponent(name)}`, q, signal);
    if (index !== '' && this.#index.get(name) === index) return undefined;
    this.#index.set(name, index);
    const sep = c.tagSeparator;
    const targets = (body as ServiceEntry[]).map((e) => {
      const svc = e.Service ?? {};
      const node = e.Node ?? {};
      const port = String(svc.Port ?? 0);
      const ls: Record<string, string> = {
        __address__: joinHostPort(svc.Address ? svc.Address : (node.Address ?? ''), port),
        [`${C}address`]: node.Address ?? '',
        [`${C}node`]: node.Node ?? '',
        [`${C}namespace`]: svc.Namespace ?? '',
        [`${C}partition`]: svc.Partition ?? '',
        [`${C}tags`]: sep + (svc.Tags ?? []).join(sep) + sep,
        [`${C}service_address`]: svc.Address ?? '',
        [`${C}service_port`]: port,
        [`${C}service_id`]: svc.ID ?? '',
        [`${C}health`]: consulAggregatedStatus(e.Checks),
      };
      for (const [k, v] of Object.entries(node.Meta ?? {})) ls[`${C}metadata_${sanitizeLabelName(k)}`] = v;
      for (const [k, v] of Object.entries(svc.Meta ?? {})) ls[`${C}service_metadata_${sanitizeLabelName(k)}`] = v;
      for (const [k, v] of Object.entries(node.TaggedAddresses ?? {})) ls[`${C}tagged_address_${sanitizeLabelName(k)}`] = v;
      return Labels.fromObject(ls);
    });
    return { source: name, targets, labels: Labels.fromObject({ [`${C}service`]: name, [`${C}dc`]: this.#datacenter }) };
  }

  async #get(path: string, query: readonly [string, string][], signal: AbortSignal): Promise<{ body: unknown; index: string }> {
    const c = this.#config;
    const url = new URL(`${c.scheme}://${c.server}${path}`);
    url.search = query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
    const headers: Record<string, string> = { accept: 'application/json' };
    const h = c.httpClient;
    if (c.token !== undefined) headers['x-consul-token'] = c.token;
    if (h.authorization !== undefined) {
      const cred = h.authorization.credentialsFile !== undefined ? (await readFile(h.authorization.credentialsFile, 'utf8')).trim() : (h.authorization.credentials ?? '');
      headers.authorization = `${h.authorization.type} ${cred}`;
    } else if (h.basicAuth !== undefined) {
      const pw = h.basicAuth.passwordFile !== undefined ? (await readFile(h.basicAuth.passwordFile, 'utf8')).trim() : (h.basicAuth.password ?? '');
      headers.authorization = `Basic ${Buffer.from(`${h.basicAuth.username}:${pw}`).toString('base64')}`;
    }
    const tls = h.tlsConfig;
    const tlsFiles =
      url.protocol === 'https:' && tls !== undefined
        ? {
            ...(tls.caFile !== undefined ? { ca: await readFile(tls.caFile) } : {}),
            ...(tls.certFile !== undefined ? { cert: await readFile(tls.certFile) } : {}),
            ...(tls.keyFile !== undefined ? { key: await readFile(tls.keyFile) } : {}),
          }
        : {};
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const opts = {
        method: 'GET',
        headers,
        signal,
        ...tlsFiles,
        ...(url.protocol === 'https:' && tls !== undefined ? { rejectUnauthorized: tls.insecureSkipVerify !== true, ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}) } : {}),
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, resolve);
      req.on('error', reject);
      req.end();
    });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const ch of res as AsyncIterable<Buffer>) {
      n += ch.length;
      if (n > MAX_BODY) {
        res.destroy();
        throw new DiscoveryError('consul', `GET ${path}: response larger than ${MAX_BODY} bytes`);
      }
      chunks.push(ch);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) throw new DiscoveryError('consul', `GET ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    try {
      return { body: JSON.parse(text), index: String(res.headers['x-consul-index'] ?? '') };
    } catch (e) {
      throw new DiscoveryError('consul', `GET ${path}: invalid JSON`, { cause: e });
    }
  }
}
