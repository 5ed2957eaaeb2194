/**
 * kubernetes_sd_configs: list and watch the API server for one role and turn the objects into
 * target groups with Prometheus's `__meta_kubernetes_*` labels. Related objects are watched too
 * (services and pods for endpoints and endpointslice, nodes with attach_metadata.node), and a
 * change to one rebuilds the groups that use it.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Labels } from '../model/index.js';
import type { Discoverer } from './discoverer.js';
import { DiscoveryError } from './errors.js';
import { GoneError, KubeClient } from './kubernetes-client.js';
import type { KubeClientOptions } from './kubernetes-client.js';
import type { KubeEndpointSlice, KubeEndpoints, KubeIngress, KubeNode, KubeObject, KubePod, KubeService } from './kubernetes-objects.js';
import { buildEndpointSlice, buildEndpoints, buildIngress, buildNode, buildPod, buildService } from './kubernetes-targets.js';
import type { KubeLookups } from './kubernetes-targets.js';
import type { KubernetesRole, KubernetesSDConfig } from './sd-config.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** KubernetesDiscovererOptions configure a KubernetesDiscoverer. */
export interface KubernetesDiscovererOptions {
  readonly config: KubernetesSDConfig;
  /** The API client; built from the config (api_server, kubeconfig_file or in-cluster) when absent. */
  readonly client?: KubeClient;
  /** Called when listing or watching fails; the informer retries after retryMs. */
  readonly onError?: (err: Error) => void;
  readonly retryMs?: number;
}

type Resource = 'pods' | 'services' | 'endpoints' | 'endpointslices' | 'nodes' | 'ingresses';

const PATHS: Readonly<Record<Resource, { prefix: string; namespaced: boolean; selectorRole: KubernetesRole }>> = {
  pods: { prefix: '/api/v1', namespaced: true, selectorRole: 'pod' },
  services: { prefix: '/api/v1', namespaced: true, selectorRole: 'service' },
  endpoints: { prefix: '/api/v1', namespaced: true, selectorRole: 'endpoints' },
  endpointslices: { prefix: '/apis/discovery.k8s.io/v1', namespaced: true, selectorRole: 'endpointslice' },
  nodes: { prefix: '/api/v1', namespaced: false, selectorRole: 'node' },
  ingresses: { prefix: '/apis/networking.k8s.io/v1', namespaced: true, selectorRole: 'ingress' },
};

const PRIMARY: Readonly<Record<KubernetesRole, Resource>> = { pod: 'pods', service: 'services', endpoints: 'endpoints', endpointslice: 'endpointslices', node: 'nodes', ingress: 'ingresses' };

const IN_CLUSTER = '/var/run/secrets/kubernetes.io/serviceaccount';

/** KubernetesDiscoverer discovers targets of one role. */
export class KubernetesDiscoverer implements Discoverer {
  readonly #config: KubernetesSDConfig;
  readonly #client: KubeClient | undefined;
  readonly #onError: (err: Error) => void;
  readonly #retryMs: number;
  readonly #stores = new Map<Resource, Map<string, KubeObject>>();

  constructor(options: KubernetesDiscovererOptions) {
    const { config, client, onError = () => {}, retryMs = 1000 } = options;
    this.#config = config;
    this.#client = client;
    this.#onError = onError;
    this.#retryMs = retryMs;
  }

  /** run lists every watched resource, yields all groups, then yields the groups that change. */
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    const client = this.#client ?? (await clientFromConfig(this.#config));
    const namespaces = await this.#namespaces();
    const role = this.#config.role;
    const resources: Resource[] = [PRIMARY[role]];
    if (role === 'endpoints' || role === 'endpointslice') resources.push('services', 'pods');
    if (this.#config.attachMetadata.node && (role === 'pod' || role === 'endpoints' || role === 'endpointslice')) resources.push('nodes');
    const wake = new Wakeup();
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let pendingSyncs = 0;
    const loops: Promise<void>[] = [];
    for (const r of resources) {
      this.#stores.set(r, new Map());
      for (const ns of PATHS[r].namespaced ? namespaces : ['']) {
        pendingSyncs++;
        let synced = false;
        loops.push(
          this.#informer(client, r, ns, inner.signal, () => {
            if (!synced) {
              synced = true;
              pendingSyncs--;
            }
            wake.wake();
          }),
        );
      }
    }
    try {
      let last = new Map<string, string>();
      let first = true;
      while (!inner.signal.aborted) {
        if ((await wake.wait(Infinity, inner.signal)) === 'abort') break;
        if (pendingSyncs > 0) continue;
        const groups = this.#buildAll();
        const next = new Map<string, string>();
        const changed: TargetGroup[] = [];
        for (const g of groups) {
          const key = g.labels.key() + '|' + g.targets.map((t) => t.key()).join('|');
          next.set(g.source, key);
          if (first || last.get(g.source) !== key) changed.push(g);
        }
        for (const source of last.keys()) if (!next.has(source)) changed.push({ source, targets: [], labels: Labels.EMPTY });
        last = next;
        if (first || changed.length > 0) yield changed;
        first = false;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
      await Promise.all(loops);
    }
  }

  #buildAll(): TargetGroup[] {
    const store = (r: Resource): Map<string, KubeObject> => this.#stores.get(r) ?? new Map();
    const lookups: KubeLookups = {
      service: (ns, name) => store('services').get(`${ns}/${name}`) as KubeService | undefined,
      pod: (ns, name) => store('pods').get(`${ns}/${name}`) as KubePod | undefined,
      ...(this.#stores.has('nodes') ? { node: (name: string) => store('nodes').get(`/${name}`) as KubeNode | undefined } : {}),
    };
    const out: TargetGroup[] = [];
    const objects = [...store(PRIMARY[this.#config.role]).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
    for (const o of objects) {
      switch (this.#config.role) {
        case 'pod':
          out.push(buildPod(o as KubePod, lookups));
          break;
        case 'service':
          out.push(buildService(o as KubeService));
          break;
        case 'endpoints':
          out.push(buildEndpoints(o as KubeEndpoints, lookups));
          break;
        case 'endpointslice':
          out.push(buildEndpointSlice(o as KubeEndpointSlice, lookups));
          break;
        case 'node': {
          const g = buildNode(o as KubeNode);
          if (g !== undefined) out.push(g);
          else this.#onError(new DiscoveryError('kubernetes', `node ${(o as KubeNode).metadata?.name ?? ''}: host address unknown`));
          break;
        }
        case 'ingress':
          out.push(buildIngress(o as KubeIngress));
          break;
      }
    }
    return out;
  }

  async #namespaces(): Promise<string[]> {
    const ns = this.#config.namespaces;
    const names = [...ns.names];
    if (ns.ownNamespace) names.push((await readFile(`${IN_CLUSTER}/namespace`, 'utf8')).trim());
    return names.length === 0 ? [''] : names;
  }

  async #informer(client: KubeClient, r: Resource, ns: string, signal: AbortSignal, changed: () => void): Promise<void> {
    const spec = PATHS[r];
    const path = `${spec.prefix}${ns !== '' ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${r}`;
    const sel = this.#config.selectors.find((s) => s.role === spec.selectorRole);
    const query = { labelSelector: sel?.label ?? '', fieldSelector: sel?.field ?? '' };
    const store = this.#stores.get(r)!;
    const mine = new Set<string>();
    while (!signal.aborted) {
      try {
        const { items, resourceVersion } = await client.list(path, query, signal);
        const seen = new Set<string>();
        for (const o of items) {
          const k = keyOf(o);
          seen.add(k);
          store.set(k, o);
          mine.add(k);
        }
        for (const k of mine) if (!seen.has(k)) (store.delete(k), mine.delete(k));
        changed();
        let rv = resourceVersion;
        for await (const ev of client.watch(path, query, rv, signal)) {
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type === 'BOOKMARK') continue;
          const k = keyOf(ev.object);
          if (ev.type === 'DELETED') (store.delete(k), mine.delete(k));
          else (store.set(k, ev.object), mine.add(k));
          changed();
        }
        // The server ended the watch (timeout): list again.
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof GoneError) continue;
        this.#onError(e instanceof Error ? e : new Error(String(e)));
        if ((await new Wakeup().wait(this.#retryMs, signal)) === 'abort') return;
      }
    }
  }
}

function keyOf(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** clientFromConfig builds the API client for a kubernetes_sd_config: api_server, kubeconfig_file or in-cluster. */
export async function clientFromConfig(config: KubernetesSDConfig): Promise<KubeClient> {
  if (config.kubeconfigFile !== undefined) {
    // Loaded lazily: the client library is large and only kubeconfig users need it.
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(config.kubeconfigFile);
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new DiscoveryError('kubernetes', `${config.kubeconfigFile}: no current cluster`);
    const opts: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; headers?: Record<string, string>; rejectUnauthorized?: boolean } = {};
    await kc.applyToHTTPSOptions(opts as never);
    const auth = opts.headers?.Authorization ?? opts.headers?.authorization;
    return new KubeClient({
      server: cluster.server,
      ...(auth?.startsWith('Bearer ') ? { token: async () => auth.slice(7) } : {}),
      tls: { ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.cert ? { cert: opts.cert } : {}), ...(opts.key ? { key: opts.key } : {}), ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}) },
    });
  }
  const h = config.httpClient;
  let server = config.apiServer;
  let tokenFile: string | undefined;
  let token: string | undefined;
  let caFile = h.tlsConfig?.caFile;
  if (server === undefined) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) throw new DiscoveryError('kubernetes', 'no api_server or kubeconfig_file configured and not running inside a cluster (KUBERNETES_SERVICE_HOST unset)');
    server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    tokenFile = `${IN_CLUSTER}/token`;
    caFile = `${IN_CLUSTER}/ca.crt`;
  } else if (h.authorization !== undefined) {
    if (h.authorization.credentialsFile !== undefined) tokenFile = h.authorization.credentialsFile;
    else token = h.authorization.credentials;
  }
  const opts: KubeClientOptions = {
    server,
    ...(tokenFile !== undefined ? { token: async () => (await readFile(tokenFile, 'utf8')).trim() } : token !== undefined ? { token: async () => token } : {}),
    ...(h.basicAuth !== undefined
      ? { basicAuth: { username: h.basicAuth.username, password: h.basicAuth.passwordFile !== undefined ? (await readFile(h.basicAuth.passwordFile, 'utf8')).trim() : (h.basicAuth.password ?? '') } }
      : {}),
    tls: {
      ...(caFile !== undefined ? { ca: await readFile(caFile) } : {}),
      ...(h.tlsConfig?.certFile !== undefined ? { cert: await readFile(h.tlsConfig.certFile) } : {}),
      ...(h.tlsConfig?.keyFile !== undefined ? { key: await readFile(h.tlsConfig.keyFile) } : {}),
      ...(h.tlsConfig?.serverName !== undefined ? { servername: h.tlsConfig.serverName } : {}),
      ...(h.tlsConfig?.insecureSkipVerify === true ? { rejectUnauthorized: false } : {}),
    },
  };
  return new KubeClient(opts);
}
