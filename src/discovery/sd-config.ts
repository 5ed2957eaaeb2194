/**
 * The service-discovery configurations a scrape job or an Alertmanager block can hold, as a
 * discriminated union on `kind`. config/ decodes them from YAML; the providers consume them.
 * @module
 */
import type { HttpClientConfig } from './http-client-config.js';
import type { TargetGroup } from './target-group.js';

/** SDConfig is one service-discovery configuration. */
export type SDConfig = StaticSDConfig | FileSDConfig | KubernetesSDConfig | ConsulSDConfig | DnsSDConfig;

/** StaticSDConfig holds the groups of a job's `static_configs`, sources "0", "1", … */
export interface StaticSDConfig {
  readonly kind: 'static';
  readonly groups: readonly TargetGroup[];
}

/** FileSDConfig is a `file_sd_configs` entry; paths are absolute and may end in a `*` glob. */
export interface FileSDConfig {
  readonly kind: 'file';
  readonly files: readonly string[];
  readonly refreshIntervalMs: number;
}

/** KubernetesRole is one of the objects Kubernetes discovery can list. */
export type KubernetesRole = 'pod' | 'service' | 'endpoints' | 'endpointslice' | 'node' | 'ingress';

/** KubernetesSDConfig is a `kubernetes_sd_configs` entry. */
export interface KubernetesSDConfig {
  readonly kind: 'kubernetes';
  readonly role: KubernetesRole;
  /** The API server URL; undefined means in-cluster (or from kubeconfigFile). */
  readonly apiServer?: string;
  readonly kubeconfigFile?: string;
  readonly httpClient: HttpClientConfig;
  readonly namespaces: { readonly ownNamespace: boolean; readonly names: readonly string[] };
  readonly selectors: readonly { readonly role: KubernetesRole; readonly label: string; readonly field: string }[];
  readonly attachMetadata: { readonly node: boolean };
}

/** ConsulSDConfig is a `consul_sd_configs` entry. */
export interface ConsulSDConfig {
  readonly kind: 'consul';
  readonly server: string;
  readonly token?: string;
  readonly datacenter?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly tagSeparator: string;
  readonly scheme: string;
  readonly services: readonly string[];
  readonly tags: readonly string[];
  readonly nodeMeta: Readonly<Record<string, string>>;
  readonly allowStale: boolean;
  readonly refreshIntervalMs: number;
  readonly httpClient: HttpClientConfig;
}

/** DnsRecordType is a DNS-SD query type. */
export type DnsRecordType = 'SRV' | 'A' | 'AAAA' | 'MX';

/** DnsSDConfig is a `dns_sd_configs` entry. */
export interface DnsSDConfig {
  readonly kind: 'dns';
  readonly names: readonly string[];
  readonly refreshIntervalMs: number;
  readonly type: DnsRecordType;
  /** Port for A/AAAA/MX targets; ignored for SRV. */
  readonly port: number;
}
