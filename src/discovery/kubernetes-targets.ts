/**
 * Building target groups from Kubernetes objects with Prometheus 2.42's exact
 * `__meta_kubernetes_*` labels, one function per role. Pure: the caller supplies the
 * related objects (services and pods for endpoints, nodes for attach_metadata).
 * @module
 */
import { Labels } from '../model/index.js';
import { joinHostPort } from './dns-discoverer.js';
import type { KubeContainer, KubeEndpointSlice, KubeEndpoints, KubeIngress, KubeNode, KubeObjectRef, KubePod, KubeService } from './kubernetes-objects.js';
import type { TargetGroup } from './target-group.js';

const P = '__meta_kubernetes_';
type LS = Record<string, string>;

/** Lookups builds need besides the object itself. */
export interface KubeLookups {
  readonly service?: (namespace: string, name: string) => KubeService | undefined;
  readonly pod?: (namespace: string, name: string) => KubePod | undefined;
  /** Set when attach_metadata.node is on. */
  readonly node?: (name: string) => KubeNode | undefined;
}

/** sanitizeLabelName replaces every character outside `[a-zA-Z0-9_]` with `_`. */
export function sanitizeLabelName(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

function group(source: string, labels: LS, targets: LS[]): TargetGroup {
  return { source, labels: Labels.fromObject(labels), targets: targets.map((t) => Labels.fromObject(t)) };
}

function addMeta(ls: LS, prefix: string, m: Readonly<Record<string, string>> | undefined, kind: 'label' | 'annotation'): void {
  for (const [k, v] of Object.entries(m ?? {})) {
    const n = sanitizeLabelName(k);
    ls[`${P}${prefix}_${kind}_${n}`] = v;
    ls[`${P}${prefix}_${kind}present_${n}`] = 'true';
  }
}

function nodeLabels(lookups: KubeLookups, nodeName: string | undefined): LS {
  if (nodeName === undefined || lookups.node === undefined) return {};
  const node = lookups.node(nodeName);
  if (node === undefined) return {};
  const ls: LS = { [`${P}node_name`]: nodeName };
  addMeta(ls, 'node', node.metadata?.labels, 'label');
  return ls;
}

/** podLabels are the labels every pod target gets (Prometheus's podLabels). */
export function podLabels(pod: KubePod): LS {
  const ls: LS = {
    [`${P}pod_name`]: pod.metadata?.name ?? '',
    [`${P}pod_ip`]: pod.status?.podIP ?? '',
    [`${P}pod_ready`]: podReady(pod),
    [`${P}pod_phase`]: pod.status?.phase ?? '',
    [`${P}pod_node_name`]: pod.spec?.nodeName ?? '',
    [`${P}pod_host_ip`]: pod.status?.hostIP ?? '',
    [`${P}pod_uid`]: pod.metadata?.uid ?? '',
  };
  const ctl = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (ctl !== undefined) {
    if (ctl.kind) ls[`${P}pod_controller_kind`] = ctl.kind;
    if (ctl.name) ls[`${P}pod_controller_name`] = ctl.name;
  }
  addMeta(ls, 'pod', pod.metadata?.labels, 'label');
  addMeta(ls, 'pod', pod.metadata?.annotations, 'annotation');
  return ls;
}

function podReady(pod: KubePod): string {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  return (c?.status ?? 'Unknown').toLowerCase();
}

/** podSource is a pod group's source. */
export function podSource(namespace: string, name: string): string {
  return `pod/${namespace}/${name}`;
}

/** buildPod makes the group of a pod: one target per container port, or per container without ports. */
export function buildPod(pod: KubePod, lookups: KubeLookups = {}): TargetGroup {
  const ns = pod.metadata?.namespace ?? '';
  const source = podSource(ns, pod.metadata?.name ?? '');
  const ip = pod.status?.podIP ?? '';
  if (ip === '') return group(source, {}, []);
  const labels: LS = { ...podLabels(pod), [`${P}namespace`]: ns, ...nodeLabels(lookups, pod.spec?.nodeName) };
  const containers: { c: KubeContainer; init: boolean }[] = [
    ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false })),
    ...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })),
  ];
  const targets: LS[] = [];
  for (const { c, init } of containers) {
    const statuses = init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
    const id = statuses?.find((s) => s.name === c.name)?.containerID ?? '';
    const base: LS = { [`${P}pod_container_name`]: c.name ?? '', [`${P}pod_container_id`]: id, [`${P}pod_container_image`]: c.image ?? '', [`${P}pod_container_init`]: String(init) };
    const ports = c.ports ?? [];
    if (ports.length === 0) {
      targets.push({ __address__: ip, ...base });
      continue;
    }
    for (const p of ports) {
      const port = String(p.containerPort ?? 0);
      targets.push({ __address__: joinHostPort(ip, port), ...base, [`${P}pod_container_port_number`]: port, [`${P}pod_container_port_name`]: p.name ?? '', [`${P}pod_container_port_protocol`]: p.protocol ?? '' });
    }
  }
  return group(source, labels, targets);
}

function serviceLabels(svc: KubeService): LS {
  const ls: LS = { [`${P}service_name`]: svc.metadata?.name ?? '', [`${P}namespace`]: svc.metadata?.namespace ?? '' };
  addMeta(ls, 'service', svc.metadata?.labels, 'label');
  addMeta(ls, 'service', svc.metadata?.annotations, 'annotation');
  return ls;
}

/** buildService makes the group of a service: one target per port at `<name>.<namespace>.svc:<port>`. */
export function buildService(svc: KubeService): TargetGroup {
  const ns = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const type = svc.spec?.type ?? '';
  const targets = (svc.spec?.ports ?? []).map((p) => {
    const port = String(p.port ?? 0);
    const t: LS = {
      __address__: joinHostPort(`${name}.${ns}.svc`, port),
      [`${P}service_port_name`]: p.name ?? '',
      [`${P}service_port_number`]: port,
      [`${P}service_port_protocol`]: p.protocol ?? '',
      [`${P}service_type`]: type,
    };
    if (type === 'ExternalName') t[`${P}service_external_name`] = svc.spec?.externalName ?? '';
    else t[`${P}service_cluster_ip`] = svc.spec?.clusterIP ?? '';
    if (type === 'LoadBalancer') t[`${P}service_loadbalancer_ip`] = svc.spec?.loadBalancerIP ?? '';
    return t;
  });
  return group(`svc/${ns}/${name}`, serviceLabels(svc), targets);
}

function resolvePod(ref: KubeObjectRef | undefined, lookups: KubeLookups): KubePod | undefined {
  if (ref === undefined || ref.kind !== 'Pod' || lookups.pod === undefined) return undefined;
  return lookups.pod(ref.namespace ?? '', ref.name ?? '');
}

// The pod-related targets endpoints and endpoint slices share: a matched container port sets the
// container labels; ports of seen pods that no endpoint covers become extra targets.
class PodTargets {
  readonly #seen = new Map<string, { pod: KubePod; ports: number[] }>();

  merge(t: LS, pod: KubePod, port: number | undefined): LS {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    let e = this.#seen.get(key);
    if (e === undefined) this.#seen.set(key, (e = { pod, ports: [] }));
    const out: LS = { ...t, ...podLabels(pod) };
    if (port !== undefined) {
      for (const c of pod.spec?.containers ?? []) {
        const cp = (c.ports ?? []).find((x) => x.containerPort === port);
        if (cp !== undefined) {
          out[`${P}pod_container_name`] = c.name ?? '';
          out[`${P}pod_container_image`] = c.image ?? '';
          out[`${P}pod_container_port_name`] = cp.name ?? '';
          out[`${P}pod_container_port_number`] = String(port);
          out[`${P}pod_container_port_protocol`] = cp.protocol ?? '';
          break;
        }
      }
      e.ports.push(port);
    }
    return out;
  }

  extra(): LS[] {
    const out: LS[] = [];
    for (const { pod, ports } of this.#seen.values()) {
      for (const c of pod.spec?.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (ports.includes(cp.containerPort ?? 0)) continue;
          const port = String(cp.containerPort ?? 0);
          out.push({
            __address__: joinHostPort(pod.status?.podIP ?? '', port),
            [`${P}pod_container_name`]: c.name ?? '',
            [`${P}pod_container_image`]: c.image ?? '',
            [`${P}pod_container_port_name`]: cp.name ?? '',
            [`${P}pod_container_port_number`]: port,
            [`${P}pod_container_port_protocol`]: cp.protocol ?? '',
            ...podLabels(pod),
          });
        }
      }
    }
    return out;
  }
}

/** buildEndpoints makes the group of an Endpoints object, with its service's and pods' labels. */
export function buildEndpoints(eps: KubeEndpoints, lookups: KubeLookups = {}): TargetGroup {
  const ns = eps.metadata?.namespace ?? '';
  const name = eps.metadata?.name ?? '';
  const svc = lookups.service?.(ns, name);
  const labels: LS = { [`${P}namespace`]: ns, [`${P}endpoints_name`]: name, ...(svc !== undefined ? serviceLabels(svc) : {}) };
  addMeta(labels, 'endpoints', eps.metadata?.labels, 'label');
  const pods = new PodTargets();
  const targets: LS[] = [];
  for (const ss of eps.subsets ?? []) {
    for (const port of ss.ports ?? []) {
      const add = (addr: (typeof ss.addresses & object)[number], ready: string): void => {
        let t: LS = {
          __address__: joinHostPort(addr.ip ?? '', String(port.port ?? 0)),
          [`${P}endpoint_port_name`]: port.name ?? '',
          [`${P}endpoint_port_protocol`]: port.protocol ?? '',
          [`${P}endpoint_ready`]: ready,
        };
        if (addr.targetRef !== undefined) {
          t[`${P}endpoint_address_target_kind`] = addr.targetRef.kind ?? '';
          t[`${P}endpoint_address_target_name`] = addr.targetRef.name ?? '';
        }
        if (addr.nodeName !== undefined) t[`${P}endpoint_node_name`] = addr.nodeName;
        if (addr.hostname) t[`${P}endpoint_hostname`] = addr.hostname;
        t = { ...t, ...nodeLabels(lookups, addr.nodeName) };
        const pod = resolvePod(addr.targetRef, lookups);
        targets.push(pod === undefined ? t : pods.merge(t, pod, port.port ?? 0));
      };
      for (const a of ss.addresses ?? []) add(a, 'true');
      for (const a of ss.notReadyAddresses ?? []) add(a, 'false');
    }
  }
  targets.push(...pods.extra());
  return group(`endpoints/${ns}/${name}`, labels, targets);
}

/** buildEndpointSlice makes the group of an EndpointSlice, with its service's and pods' labels. */
export function buildEndpointSlice(eps: KubeEndpointSlice, lookups: KubeLookups = {}): TargetGroup {
  const ns = eps.metadata?.namespace ?? '';
  const name = eps.metadata?.name ?? '';
  const labels: LS = { [`${P}namespace`]: ns, [`${P}endpointslice_name`]: name, [`${P}endpointslice_address_type`]: eps.addressType ?? '' };
  const svcName = eps.metadata?.labels?.['kubernetes.io/service-name'];
  const svc = svcName !== undefined ? lookups.service?.(ns, svcName) : undefined;
  if (svc !== undefined) Object.assign(labels, serviceLabels(svc));
  const pods = new PodTargets();
  const targets: LS[] = [];
  for (const ep of eps.endpoints ?? []) {
    for (const port of eps.ports ?? []) {
      for (const addr of ep.addresses ?? []) {
        let t: LS = { __address__: port.port !== undefined ? joinHostPort(addr, String(port.port)) : addr };
        if (port.name !== undefined) t[`${P}endpointslice_port_name`] = port.name;
        if (port.protocol !== undefined) t[`${P}endpointslice_port_protocol`] = port.protocol;
        if (port.port !== undefined) t[`${P}endpointslice_port`] = String(port.port);
        if (port.appProtocol !== undefined) t[`${P}endpointslice_port_app_protocol`] = port.appProtocol;
        const c = ep.conditions;
        if (c?.ready !== undefined) t[`${P}endpointslice_endpoint_conditions_ready`] = String(c.ready);
        if (c?.serving !== undefined) t[`${P}endpointslice_endpoint_conditions_serving`] = String(c.serving);
        if (c?.terminating !== undefined) t[`${P}endpointslice_endpoint_conditions_terminating`] = String(c.terminating);
        if (ep.hostname !== undefined) t[`${P}endpointslice_endpoint_hostname`] = ep.hostname;
        if (ep.targetRef !== undefined) {
          t[`${P}endpointslice_address_target_kind`] = ep.targetRef.kind ?? '';
          t[`${P}endpointslice_address_target_name`] = ep.targetRef.name ?? '';
        }
        // discovery.k8s.io/v1 carries topology in deprecatedTopology; a `topology` field is v1beta1 only.
        for (const [k, v] of Object.entries(ep.deprecatedTopology ?? {})) {
          const n = sanitizeLabelName(k);
          t[`${P}endpointslice_endpoint_topology_${n}`] = v;
          t[`${P}endpointslice_endpoint_topology_present_${n}`] = 'true';
        }
        t = { ...t, ...nodeLabels(lookups, ep.nodeName) };
        const pod = resolvePod(ep.targetRef, lookups);
        targets.push(pod === undefined ? t : pods.merge(t, pod, port.port));
      }
    }
  }
  targets.push(...pods.extra());
  return group(`endpointslice/${ns}/${name}`, labels, targets);
}

const NODE_ADDRESS_ORDER = ['InternalIP', 'InternalDNS', 'ExternalIP', 'ExternalDNS', 'LegacyHostIP', 'Hostname'];

/** buildNode makes the group of a node: its kubelet address; undefined when the node has no address. */
export function buildNode(node: KubeNode): TargetGroup | undefined {
  const name = node.metadata?.name ?? '';
  const labels: LS = { [`${P}node_name`]: name, [`${P}node_provider_id`]: node.spec?.providerID ?? '' };
  addMeta(labels, 'node', node.metadata?.labels, 'label');
  addMeta(labels, 'node', node.metadata?.annotations, 'annotation');
  const byType = new Map<string, string[]>();
  for (const a of node.status?.addresses ?? []) {
    const list = byType.get(a.type ?? '') ?? [];
    list.push(a.address ?? '');
    byType.set(a.type ?? '', list);
  }
  const kind = NODE_ADDRESS_ORDER.find((k) => byType.has(k));
  if (kind === undefined) return undefined;
  const t: LS = { __address__: joinHostPort(byType.get(kind)![0]!, String(node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0)), instance: name };
  for (const [type, addrs] of byType) t[sanitizeLabelName(`${P}node_address_${type}`)] = addrs[0]!;
  return group(`node/${name}`, labels, [t]);
}

/** nodeSource is a node group's source. */
export function nodeSource(name: string): string {
  return `node/${name}`;
}

function matchesHostnamePattern(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const pp = pattern.split('.');
  const hp = host.split('.');
  if (pp[0] !== '*' || pp.length !== hp.length) return false;
  for (let i = 1; i < pp.length; i++) if (pp[i] !== hp[i]) return false;
  return true;
}

/** buildIngress makes the group of an ingress: one target per rule host and path. */
export function buildIngress(ing: KubeIngress): TargetGroup {
  const ns = ing.metadata?.namespace ?? '';
  const name = ing.metadata?.name ?? '';
  const labels: LS = { [`${P}ingress_name`]: name, [`${P}namespace`]: ns };
  if (ing.spec?.ingressClassName !== undefined) labels[`${P}ingress_class_name`] = ing.spec.ingressClassName;
  addMeta(labels, 'ingress', ing.metadata?.labels, 'label');
  addMeta(labels, 'ingress', ing.metadata?.annotations, 'annotation');
  const tlsHosts = (ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []);
  const targets: LS[] = [];
  for (const rule of ing.spec?.rules ?? []) {
    const host = rule.host ?? '';
    const scheme = tlsHosts.some((p) => matchesHostnamePattern(p, host)) ? 'https' : 'http';
    const paths = rule.http === undefined ? ['/'] : (rule.http.paths ?? []).map((p) => (p.path ? p.path : '/'));
    for (const path of paths) targets.push({ __address__: host, [`${P}ingress_scheme`]: scheme, [`${P}ingress_host`]: host, [`${P}ingress_path`]: path });
  }
  return group(`ingress/${ns}/${name}`, labels, targets);
}
