/**
 * Decoding the `*_sd_configs` and `static_configs` keys of a scrape job or Alertmanager block
 * into discovery's SDConfig union, with each provider's Prometheus 2.42 validation.
 * @module
 */
import { Labels } from '../model/index.js';
import type { ConsulSDConfig, DnsRecordType, DnsSDConfig, FileSDConfig, KubernetesRole, KubernetesSDConfig, SDConfig, StaticSDConfig, TargetGroup } from '../discovery/index.js';
import { isValidLabelName } from '../relabel/index.js';
import { HTTP_CLIENT_KEYS, decodeHttpClient, decodeURL, isDefaultHttpClient } from './decode-http-client.js';
import { checkFieldSelector, checkLabelSelector } from './k8s-selector.js';
import { resolvePath } from './resolve-path.js';
import type { Decoder, Fields, YNodeLike } from './yaml-decoder.js';

/** The SD keys vigil implements. */
export const SD_KEYS = ['static_configs', 'file_sd_configs', 'kubernetes_sd_configs', 'consul_sd_configs', 'dns_sd_configs'] as const;

/** SD keys Prometheus 2.42 knows that vigil does not implement: rejected with a clear message. */
export const UNSUPPORTED_SD_KEYS = [
  'azure_sd_configs', 'digitalocean_sd_configs', 'docker_sd_configs', 'dockerswarm_sd_configs', 'ec2_sd_configs',
  'eureka_sd_configs', 'gce_sd_configs', 'hetzner_sd_configs', 'http_sd_configs', 'ionos_sd_configs', 'kuma_sd_configs',
  'lightsail_sd_configs', 'linode_sd_configs', 'marathon_sd_configs', 'nerve_sd_configs', 'nomad_sd_configs',
  'openstack_sd_configs', 'ovhcloud_sd_configs', 'puppetdb_sd_configs', 'scaleway_sd_configs', 'serverset_sd_configs',
  'triton_sd_configs', 'uyuni_sd_configs', 'vultr_sd_configs',
] as const;

// File SD accepts a `*` only in the last path element and needs a YAML or JSON extension.
const FILE_SD_NAME = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;
const ROLES: readonly KubernetesRole[] = ['pod', 'service', 'endpoints', 'endpointslice', 'node', 'ingress'];
const ALLOWED_SELECTORS: Readonly<Record<KubernetesRole, readonly KubernetesRole[]>> = {
  pod: ['pod'],
  service: ['service'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  endpoints: ['pod', 'service', 'endpoints'],
  node: ['node'],
  ingress: ['ingress'],
};

/** decodeServiceDiscovery reads every SD key of a struct, in the order Prometheus lists providers. */
export function decodeServiceDiscovery(d: Decoder, f: Fields, dir: string): SDConfig[] {
  for (const k of UNSUPPORTED_SD_KEYS) {
    if (f.has(k)) d.fail(f.keyNode(k), k, `${k} is valid in Prometheus 2.42 but not supported by vigil; supported: ${SD_KEYS.join(', ')}`);
  }
  const out: SDConfig[] = [];
  for (const item of d.seq(f.get('consul_sd_configs'), 'consul_sd_configs')) out.push(decodeConsul(d, item, dir));
  for (const item of d.seq(f.get('dns_sd_configs'), 'dns_sd_configs')) out.push(decodeDns(d, item));
  for (const item of d.seq(f.get('file_sd_configs'), 'file_sd_configs')) out.push(decodeFile(d, item, dir));
  for (const item of d.seq(f.get('kubernetes_sd_configs'), 'kubernetes_sd_configs')) out.push(decodeKubernetes(d, item, dir));
  const groups: TargetGroup[] = [];
  for (const item of d.seq(f.get('static_configs'), 'static_configs')) groups.push(decodeTargetGroup(d, item, String(groups.length)));
  if (groups.length > 0) out.push({ kind: 'static', groups } satisfies StaticSDConfig);
  return out;
}

/** decodeTargetGroup reads one static target group (`targets`, `labels`). */
export function decodeTargetGroup(d: Decoder, node: YNodeLike, source: string): TargetGroup {
  if (d.isNull(node)) d.fail(node, 'static_configs', 'empty or null section in static_configs');
  const f = d.fields(node, 'struct { Targets []string; Labels model.LabelSet }', ['targets', 'labels'], 'static_configs');
  const targets = d.strList(f.get('targets'), 'targets').map((t) => Labels.fromObject({ __address__: t }));
  const labels: Record<string, string> = {};
  for (const [name, kn, v] of d.entries(f.get('labels'), 'labels', 'model.LabelSet')) {
    if (!isValidLabelName(name)) d.fail(kn, 'labels', `${JSON.stringify(name)} is not a valid label name`);
    labels[name] = d.str(v, name);
  }
  return { source, targets, labels: Labels.fromObject(labels) };
}

function decodeFile(d: Decoder, node: YNodeLike, dir: string): FileSDConfig {
  if (d.isNull(node)) d.fail(node, 'file_sd_configs', 'empty or null section in file_sd_configs');
  const f = d.fields(node, 'file.SDConfig', ['files', 'refresh_interval'], 'file_sd_configs');
  const files = d.strList(f.get('files'), 'files');
  if (files.length === 0) d.fail(f.has('files') ? f.keyNode('files') : f.node, 'files', 'file service discovery config must contain at least one path name');
  for (const name of files) {
    if (!FILE_SD_NAME.test(name)) d.fail(f.get('files'), 'files', `path name ${JSON.stringify(name)} is not valid for file discovery`);
  }
  const refresh = f.has('refresh_interval') ? d.duration(f.get('refresh_interval'), 'refresh_interval') : 0;
  return { kind: 'file', files: files.map((p) => resolvePath(dir, p)), refreshIntervalMs: refresh === 0 ? 300_000 : refresh };
}

function decodeDns(d: Decoder, node: YNodeLike): DnsSDConfig {
  if (d.isNull(node)) d.fail(node, 'dns_sd_configs', 'empty or null section in dns_sd_configs');
  const f = d.fields(node, 'dns.SDConfig', ['names', 'refresh_interval', 'type', 'port'], 'dns_sd_configs');
  const names = d.strList(f.get('names'), 'names');
  const refresh = f.has('refresh_interval') ? d.duration(f.get('refresh_interval'), 'refresh_interval') : 0;
  const type = f.has('type') ? d.str(f.get('type'), 'type') : 'SRV';
  const port = d.int(f.get('port'), 'port', 'int');
  if (names.length === 0) d.fail(f.node, 'names', 'DNS-SD config must contain at least one SRV record name');
  const upper = type.toUpperCase();
  if (upper !== 'SRV' && upper !== 'A' && upper !== 'AAAA' && upper !== 'MX') d.fail(f.keyNode('type'), 'type', `invalid DNS-SD records type ${type}`);
  if (upper !== 'SRV' && port === 0) d.fail(f.node, 'port', 'a port is required in DNS-SD configs for all record types except SRV');
  return { kind: 'dns', names, refreshIntervalMs: refresh === 0 ? 30_000 : refresh, type: upper as DnsRecordType, port };
}

const CONSUL_KEYS = ['server', 'token', 'datacenter', 'namespace', 'partition', 'tag_separator', 'scheme', 'username', 'password', 'allow_stale', 'refresh_interval', 'services', 'tags', 'node_meta', ...HTTP_CLIENT_KEYS];

function decodeConsul(d: Decoder, node: YNodeLike, dir: string): ConsulSDConfig {
  if (d.isNull(node)) d.fail(node, 'consul_sd_configs', 'empty or null section in consul_sd_configs');
  const f = d.fields(node, 'consul.SDConfig', CONSUL_KEYS, 'consul_sd_configs');
  const s = (k: string, def: string): string => (f.has(k) ? d.str(f.get(k), k) : def);
  const server = s('server', 'localhost:8500');
  const token = s('token', '');
  const username = s('username', '');
  const password = s('password', '');
  const refresh = f.has('refresh_interval') ? d.duration(f.get('refresh_interval'), 'refresh_interval') : 30_000;
  let http = decodeHttpClient(d, f, dir);
  if (server.trim() === '') d.fail(f.keyNode('server'), 'server', 'consul SD configuration requires a server address');
  if (username !== '' || password !== '') {
    if (http.basicAuth !== undefined) d.fail(f.keyNode('username'), 'username', 'at most one of consul SD configuration username and password and basic auth can be configured');
    http = { ...http, basicAuth: { username, ...(password !== '' ? { password } : {}) } };
  }
  if (token !== '' && (http.authorization !== undefined || http.oauth2 !== undefined)) {
    d.fail(f.keyNode('token'), 'token', 'at most one of consul SD token, authorization, or oauth2 can be configured');
  }
  const datacenter = s('datacenter', '');
  const namespace = s('namespace', '');
  const partition = s('partition', '');
  return {
    kind: 'consul',
    server,
    ...(token !== '' ? { token } : {}),
    ...(datacenter !== '' ? { datacenter } : {}),
    ...(namespace !== '' ? { namespace } : {}),
    ...(partition !== '' ? { partition } : {}),
    tagSeparator: s('tag_separator', ','),
    scheme: s('scheme', 'http'),
    services: d.strList(f.get('services'), 'services'),
    tags: d.strList(f.get('tags'), 'tags'),
    nodeMeta: d.strMap(f.get('node_meta'), 'node_meta'),
    allowStale: f.has('allow_stale') ? d.bool(f.get('allow_stale'), 'allow_stale') : true,
    refreshIntervalMs: refresh,
    httpClient: http,
  };
}

const K8S_KEYS = ['api_server', 'role', 'kubeconfig_file', 'namespaces', 'selectors', 'attach_metadata', ...HTTP_CLIENT_KEYS];

function decodeRole(d: Decoder, node: YNodeLike, key: string): KubernetesRole | '' {
  const r = d.str(node, key);
  if (r === '' && d.isNull(node)) return '';
  if (!(ROLES as readonly string[]).includes(r)) d.fail(node, key, `unknown Kubernetes SD role ${JSON.stringify(r)}`);
  return r as KubernetesRole;
}

function decodeKubernetes(d: Decoder, node: YNodeLike, dir: string): KubernetesSDConfig {
  if (d.isNull(node)) d.fail(node, 'kubernetes_sd_configs', 'empty or null section in kubernetes_sd_configs');
  const f = d.fields(node, 'kubernetes.SDConfig', K8S_KEYS, 'kubernetes_sd_configs');
  const apiServer = f.has('api_server') ? decodeURL(d, f.get('api_server'), 'api_server') : '';
  const role = decodeRole(d, f.get('role'), 'role');
  const kubeconfig = d.str(f.get('kubeconfig_file'), 'kubeconfig_file');
  const http = decodeHttpClient(d, f, dir);
  const ns = d.fields(f.get('namespaces'), 'kubernetes.NamespaceDiscovery', ['own_namespace', 'names'], 'namespaces');
  const ownNamespace = d.bool(ns.get('own_namespace'), 'own_namespace');
  const names = d.strList(ns.get('names'), 'names');
  const am = d.fields(f.get('attach_metadata'), 'kubernetes.AttachMetadataConfig', ['node'], 'attach_metadata');
  const attachNode = d.bool(am.get('node'), 'node');
  const selectorNodes = d.seq(f.get('selectors'), 'selectors');
  const selectors = selectorNodes.map((sn) => {
    const sf = d.fields(sn, 'kubernetes.SelectorConfig', ['role', 'label', 'field'], 'selectors');
    return { node: sn, role: decodeRole(d, sf.get('role'), 'role'), label: d.str(sf.get('label'), 'label'), field: d.str(sf.get('field'), 'field') };
  });
  const at = (k: string): YNodeLike => (f.has(k) ? f.keyNode(k) : f.node);
  if (role === '') d.fail(at('role'), 'role', 'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)');
  if (apiServer !== '' && kubeconfig !== '') d.fail(at('kubeconfig_file'), 'kubeconfig_file', "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
  if (kubeconfig !== '' && !isDefaultHttpClient(http)) d.fail(at('kubeconfig_file'), 'kubeconfig_file', "cannot use a custom HTTP client configuration together with 'kubeconfig_file'");
  if (apiServer === '' && !isDefaultHttpClient(http)) d.fail(f.node, 'api_server', "to use custom HTTP client configuration please provide the 'api_server' URL explicitly");
  if (apiServer !== '' && ownNamespace) d.fail(at('namespaces'), 'namespaces', "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously");
  if (kubeconfig !== '' && ownNamespace) d.fail(at('namespaces'), 'namespaces', "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously");
  const seen = new Set<string>();
  for (const s of selectors) {
    if (seen.has(s.role)) d.fail(s.node, 'selectors', `duplicated selector role: ${s.role}`);
    seen.add(s.role);
    const allowed = ALLOWED_SELECTORS[role];
    if (!(allowed as readonly string[]).includes(s.role)) d.fail(s.node, 'selectors', `${role} role supports only ${allowed.join(', ')} selectors`);
    const fe = checkFieldSelector(s.field);
    if (fe !== undefined) d.fail(s.node, 'field', fe);
    const le = checkLabelSelector(s.label);
    if (le !== undefined) d.fail(s.node, 'label', le);
  }
  return {
    kind: 'kubernetes',
    role,
    ...(apiServer !== '' ? { apiServer } : {}),
    ...(kubeconfig !== '' ? { kubeconfigFile: resolvePath(dir, kubeconfig) } : {}),
    httpClient: http,
    namespaces: { ownNamespace, names },
    selectors: selectors.map(({ role: r, label, field }) => ({ role: r as KubernetesRole, label, field })),
    attachMetadata: { node: attachNode },
  };
}
