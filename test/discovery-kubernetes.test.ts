// Kubernetes discovery against recorded API responses. No Kubernetes API server runs here, so a
// small local HTTP server answers list and watch requests with responses recorded from real
// clusters (../shared/corpus/kubernetes-api, see its NOTICE.md files); watch streams are those
// recorded streams, or event lines wrapping recorded objects where noted.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, KubernetesDiscoverer } from '../src/discovery/index.js';
import type { KubernetesRole, KubernetesSDConfig, TargetGroup } from '../src/discovery/index.js';
import { DEFAULT_HTTP_CLIENT_CONFIG } from '../src/discovery/index.js';
import { shared } from './support/shared.js';

const CORPUS = shared('corpus/kubernetes-api');
const rec = (p: string): string => readFileSync(join(CORPUS, p), 'utf8');

type Handler = (url: URL, res: ServerResponse) => void;
let handlers: Record<string, Handler> = {};
const requests: string[] = [];

function json(body: string, status = 200): Handler {
  return (_u, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

// A watch that stays open with no events until the client goes away.
const idleWatch: Handler = (_u, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
};

function serve(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push(`${url.pathname}${url.search}`);
  const watch = url.searchParams.get('watch') === '1';
  const h = handlers[`${watch ? 'WATCH ' : ''}${url.pathname}`] ?? (watch ? idleWatch : json('{"kind":"Status","code":404,"message":"not found"}', 404));
  h(url, res);
}

function config(role: KubernetesRole, extra: Partial<KubernetesSDConfig> = {}): KubernetesSDConfig {
  return { kind: 'kubernetes', role, httpClient: DEFAULT_HTTP_CLIENT_CONFIG, namespaces: { ownNamespace: false, names: [] }, selectors: [], attachMetadata: { node: false }, ...extra };
}

const plain = (gs: readonly TargetGroup[]): { source: string; labels: Record<string, string>; targets: Record<string, string>[] }[] =>
  gs.map((g) => ({ source: g.source, labels: g.labels.toObject(), targets: g.targets.map((t) => t.toObject()) }));

describe('KubernetesDiscoverer (recorded API responses)', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer(serve);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));

  async function collect(cfg: KubernetesSDConfig, n: number, errors: Error[] = []): Promise<(readonly TargetGroup[])[]> {
    const d = new KubernetesDiscoverer({ config: cfg, client: new KubeClient({ server: base }), onError: (e) => errors.push(e), retryMs: 20 });
    const ac = new AbortController();
    const out: (readonly TargetGroup[])[] = [];
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    for (let i = 0; i < n; i++) out.push((await it.next()).value as readonly TargetGroup[]);
    ac.abort();
    expect((await it.next()).done).toBe(true);
    return out;
  }

  const VM = 'victoriametrics-minikube';
  const K = '__meta_kubernetes_';

  it('role pod: one target per container port with every pod label', async () => {
    handlers = { '/api/v1/pods': json(rec(`${VM}/podlist.json`)) };
    const [first] = await collect(config('pod'), 1);
    const common = {
      [`${K}namespace`]: 'kube-system',
      [`${K}pod_name`]: 'etcd-m01',
      [`${K}pod_ip`]: '172.17.0.2',
      [`${K}pod_ready`]: 'true',
      [`${K}pod_phase`]: 'Running',
      [`${K}pod_node_name`]: 'test-node',
      [`${K}pod_host_ip`]: '172.17.0.2',
      [`${K}pod_uid`]: '9d328156-75d1-411a-bdd0-aeacb53a38de',
      [`${K}pod_controller_kind`]: 'Node',
      [`${K}pod_controller_name`]: 'm01',
      [`${K}pod_label_component`]: 'etcd',
      [`${K}pod_labelpresent_component`]: 'true',
      [`${K}pod_label_tier`]: 'control-plane',
      [`${K}pod_labelpresent_tier`]: 'true',
      [`${K}pod_annotation_kubernetes_io_config_hash`]: '3ec997b76fb6ed3b78da8e0b5676dac4',
      [`${K}pod_annotationpresent_kubernetes_io_config_hash`]: 'true',
      [`${K}pod_annotation_kubernetes_io_config_mirror`]: '3ec997b76fb6ed3b78da8e0b5676dac4',
      [`${K}pod_annotationpresent_kubernetes_io_config_mirror`]: 'true',
      [`${K}pod_annotation_kubernetes_io_config_seen`]: '2020-03-16T20:44:26.538136233Z',
      [`${K}pod_annotationpresent_kubernetes_io_config_seen`]: 'true',
      [`${K}pod_annotation_kubernetes_io_config_source`]: 'file',
      [`${K}pod_annotationpresent_kubernetes_io_config_source`]: 'true',
    };
    expect(plain(first!)).toEqual([
      {
        source: 'pod/kube-system/etcd-m01',
        labels: common,
        targets: [
          { __address__: '172.17.0.2:4321', [`${K}pod_container_name`]: 'terminated-container', [`${K}pod_container_id`]: 'terminated-container-id', [`${K}pod_container_image`]: 'terminated-image', [`${K}pod_container_port_name`]: 'terminated-port', [`${K}pod_container_port_number`]: '4321', [`${K}pod_container_port_protocol`]: 'TCP', [`${K}pod_container_init`]: 'false' },
          { __address__: '172.17.0.2:1234', [`${K}pod_container_name`]: 'etcd', [`${K}pod_container_id`]: 'docker://a28f0800855008485376c1eece1cf61de97cb7026b9188d138b0d55d92fc2f5c', [`${K}pod_container_image`]: 'k8s.gcr.io/etcd:3.4.3-0', [`${K}pod_container_port_name`]: 'foobar', [`${K}pod_container_port_number`]: '1234', [`${K}pod_container_port_protocol`]: 'TCP', [`${K}pod_container_init`]: 'false' },
        ],
      },
    ]);
  });

  it('role pod with attach_metadata.node adds the node labels', async () => {
    const node = JSON.parse(rec(`${VM}/nodelist.json`)) as { items: { metadata: { name: string } }[] };
    node.items[0]!.metadata.name = 'test-node';
    handlers = { '/api/v1/pods': json(rec(`${VM}/podlist.json`)), '/api/v1/nodes': json(JSON.stringify(node)) };
    const [first] = await collect(config('pod', { attachMetadata: { node: true } }), 1);
    const labels = plain(first!)[0]!.labels;
    expect(labels[`${K}node_name`]).toBe('test-node');
    expect(labels[`${K}node_label_kubernetes_io_hostname`]).toBe('m01');
    expect(labels[`${K}node_labelpresent_node_role_kubernetes_io_master`]).toBe('true');
  });

  it('role service', async () => {
    handlers = { '/api/v1/services': json(rec(`${VM}/servicelist.json`)) };
    const [first] = await collect(config('service'), 1);
    const t = (name: string, proto: string, port: string): Record<string, string> => ({
      __address__: `kube-dns.kube-system.svc:${port}`,
      [`${K}service_port_name`]: name,
      [`${K}service_port_number`]: port,
      [`${K}service_port_protocol`]: proto,
      [`${K}service_type`]: 'ClusterIP',
      [`${K}service_cluster_ip`]: '10.96.0.10',
    });
    expect(plain(first!)).toEqual([
      {
        source: 'svc/kube-system/kube-dns',
        labels: {
          [`${K}namespace`]: 'kube-system',
          [`${K}service_name`]: 'kube-dns',
          [`${K}service_label_k8s_app`]: 'kube-dns',
          [`${K}service_labelpresent_k8s_app`]: 'true',
          [`${K}service_label_kubernetes_io_cluster_service`]: 'true',
          [`${K}service_labelpresent_kubernetes_io_cluster_service`]: 'true',
          [`${K}service_label_kubernetes_io_name`]: 'KubeDNS',
          [`${K}service_labelpresent_kubernetes_io_name`]: 'true',
          [`${K}service_annotation_prometheus_io_port`]: '9153',
          [`${K}service_annotationpresent_prometheus_io_port`]: 'true',
          [`${K}service_annotation_prometheus_io_scrape`]: 'true',
          [`${K}service_annotationpresent_prometheus_io_scrape`]: 'true',
        },
        targets: [t('dns', 'UDP', '53'), t('dns-tcp', 'TCP', '53'), t('metrics', 'TCP', '9153')],
      },
    ]);
  });

  it('role node', async () => {
    handlers = { '/api/v1/nodes': json(rec(`${VM}/nodelist.json`)) };
    const [first] = await collect(config('node'), 1);
    const g = plain(first!)[0]!;
    expect(g.source).toBe('node/m01');
    expect(g.targets).toEqual([{ __address__: '172.17.0.2:10250', instance: 'm01', [`${K}node_address_InternalIP`]: '172.17.0.2', [`${K}node_address_Hostname`]: 'm01' }]);
    expect(g.labels).toMatchObject({ [`${K}node_name`]: 'm01', [`${K}node_provider_id`]: 'aws:///foo-bar/baz', [`${K}node_label_kubernetes_io_os`]: 'linux', [`${K}node_annotation_node_alpha_kubernetes_io_ttl`]: '0', [`${K}node_annotationpresent_node_alpha_kubernetes_io_ttl`]: 'true' });
    // An empty label value is kept as present but cannot be stored as a value.
    expect(g.labels[`${K}node_labelpresent_node_role_kubernetes_io_master`]).toBe('true');
  });

  it('role ingress', async () => {
    handlers = { '/apis/networking.k8s.io/v1/ingresses': json(rec(`${VM}/ingresslist.json`)) };
    const [first] = await collect(config('ingress'), 1);
    const g = plain(first!)[0]!;
    expect(g.source).toBe('ingress/default/test-ingress');
    expect(g.targets).toEqual([{ __address__: 'foobar', [`${K}ingress_scheme`]: 'http', [`${K}ingress_host`]: 'foobar', [`${K}ingress_path`]: '/' }]);
    expect(g.labels).toMatchObject({ [`${K}ingress_name`]: 'test-ingress', [`${K}namespace`]: 'default', [`${K}ingress_class_name`]: 'foo-class', [`${K}ingress_annotationpresent_kubectl_kubernetes_io_last_applied_configuration`]: 'true' });
  });

  it('role endpoints joins services and pods', async () => {
    handlers = { '/api/v1/endpoints': json(rec(`${VM}/endpointslist.json`)), '/api/v1/services': json(rec(`${VM}/servicelist.json`)), '/api/v1/pods': json(rec(`${VM}/podlist.json`)) };
    const [first] = await collect(config('endpoints'), 1);
    expect(plain(first!)).toEqual([
      {
        source: 'endpoints/default/kubernetes',
        labels: { [`${K}namespace`]: 'default', [`${K}endpoints_name`]: 'kubernetes', [`${K}endpoints_label_foo`]: 'bar', [`${K}endpoints_labelpresent_foo`]: 'true' },
        targets: [
          {
            __address__: '172.17.0.2:8443',
            [`${K}endpoint_port_name`]: 'https',
            [`${K}endpoint_port_protocol`]: 'TCP',
            [`${K}endpoint_ready`]: 'true',
            [`${K}endpoint_address_target_kind`]: 'Pod',
            [`${K}endpoint_address_target_name`]: 'coredns-6955765f44-lnp6t',
            [`${K}endpoint_node_name`]: 'test-node',
            [`${K}endpoint_hostname`]: 'aaa.bbb',
          },
        ],
      },
    ]);
  });

  it('role endpointslice', async () => {
    handlers = { '/apis/discovery.k8s.io/v1/endpointslices': json(rec(`${VM}/endpointslicelist.json`)), '/api/v1/services': json(rec(`${VM}/servicelist.json`)), '/api/v1/pods': json(rec(`${VM}/podlist.json`)) };
    const [first] = await collect(config('endpointslice'), 1);
    const gs = plain(first!);
    expect(gs.map((g) => g.source)).toEqual(['endpointslice/default/kubernetes', 'endpointslice/kube-system/kube-dns-22mvb']);
    expect(gs[0]!.targets).toEqual([{ __address__: '172.18.0.2:6443', [`${K}endpointslice_port_name`]: 'https', [`${K}endpointslice_port_protocol`]: 'TCP', [`${K}endpointslice_port`]: '6443', [`${K}endpointslice_endpoint_conditions_ready`]: 'false', [`${K}endpointslice_endpoint_conditions_serving`]: 'false', [`${K}endpointslice_endpoint_conditions_terminating`]: 'true' }]);
    expect(gs[1]!.targets.map((t) => t.__address__)).toEqual(['10.244.0.3:9153', '10.244.0.3:53']);
    expect(gs[1]!.targets[0]).toMatchObject({ [`${K}endpointslice_address_target_kind`]: 'Pod', [`${K}endpointslice_address_target_name`]: 'coredns-66bff467f8-z8czk' });
    // The slice's service (kube-dns) is known, so its labels are on the group.
    expect(gs[1]!.labels).toMatchObject({ [`${K}endpointslice_address_type`]: 'IPv4', [`${K}service_name`]: 'kube-dns', [`${K}service_label_k8s_app`]: 'kube-dns' });
  });

  it('follows list pages, relists after 410 Gone and applies watch events', async () => {
    requests.length = 0;
    let watches = 0;
    handlers = {
      '/api/v1/pods': (u, res) => json(rec(u.searchParams.get('continue') ? 'kubeclient/pods_2.json' : 'kubeclient/pods_1.json'))(u, res),
      // First watch: the recorded 410 Status as an ERROR event (wrapped in a watch line);
      // second: the recorded ADDED/MODIFIED/DELETED stream, then kept open.
      'WATCH /api/v1/pods': (u, res) => {
        watches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        if (watches === 1) res.end(`{"type":"ERROR","object":${rec('kubeclient/pods_410.json').trim()}}\n`);
        else if (watches === 2) res.write(rec('kubeclient/watch_stream.json'));
        else res.flushHeaders();
      },
    };
    const seen = await collect(config('pod'), 3);
    expect(plain(seen[0]!).map((g) => [g.source, g.targets.length])).toEqual([
      ['pod/customer-logging/redis-1-94zxb', 1],
      ['pod/my-project/my-ruby-project-2-build', 1],
      ['pod/topological-inventory-ci/topological-inventory-persister-9-hznds', 1],
      ['pod/topological-inventory-ci/topological-inventory-persister-9-vzr6h', 1],
    ]);
    expect(requests.filter((r) => r.includes('continue=')).length).toBeGreaterThanOrEqual(1);
    // The recorded php pod has no IP: it appears as a group without targets, then goes away.
    const later = seen.slice(1).flatMap((gs) => plain(gs).map((g) => [g.source, g.targets.length]));
    expect(later).toContainEqual(['pod/default/php', 0]);
    expect(requests.filter((r) => r.includes('watch=1')).length).toBeGreaterThanOrEqual(2);
  });

  it('reports API errors and keeps retrying', async () => {
    handlers = { '/api/v1/services': json('{"kind":"Status","code":403,"message":"forbidden"}', 403) };
    const errors: Error[] = [];
    const d = new KubernetesDiscoverer({ config: config('service'), client: new KubeClient({ server: base }), onError: (e) => errors.push(e), retryMs: 10 });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect((await next).done).toBe(true);
    expect(errors.length).toBeGreaterThan(1);
    expect(errors[0]!.message).toMatch(/HTTP 403: forbidden/);
  });

  it('passes namespaces and selectors to the API', async () => {
    requests.length = 0;
    handlers = { '/api/v1/namespaces/kube-system/pods': json(rec(`${VM}/podlist.json`)) };
    await collect(config('pod', { namespaces: { ownNamespace: false, names: ['kube-system'] }, selectors: [{ role: 'pod', label: 'app=web', field: 'spec.nodeName=n1' }] }), 1);
    // The previous test's last retry may still reach the server after the reset: look at pod lists only.
    const lists = requests.filter((r) => r.includes('/pods') && !r.includes('watch=1'));
    expect(lists[0]).toMatch(/^\/api\/v1\/namespaces\/kube-system\/pods\?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1/);
    expect(requests.filter((r) => r.includes('/pods') && !r.startsWith('/api/v1/namespaces/kube-system/pods?'))).toEqual([]);
  });
});
