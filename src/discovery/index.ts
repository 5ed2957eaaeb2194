/**
 * Service discovery: providers that turn static lists, files, Kubernetes, Consul and DNS into
 * target groups, and the manager that merges them per scrape job.
 * @module
 */
export type { TargetGroup } from './target-group.js';
export type {
  SDConfig,
  StaticSDConfig,
  FileSDConfig,
  KubernetesSDConfig,
  KubernetesRole,
  ConsulSDConfig,
  DnsSDConfig,
  DnsRecordType,
} from './sd-config.js';
export { DEFAULT_HTTP_CLIENT_CONFIG } from './http-client-config.js';
export type { HttpClientConfig, TlsConfig, OAuth2Config } from './http-client-config.js';
export { parseTargetGroupFile, FILEPATH_LABEL, MAX_TARGET_FILE_BYTES } from './target-group-file.js';
export { targetsFromGroup, TargetFailure } from './targets-from-group.js';
export type { Target } from './targets-from-group.js';
export { TargetGroupFileError, DiscoveryError } from './errors.js';
export type { Discoverer } from './discoverer.js';
export { StaticDiscoverer } from './static-discoverer.js';
export { FileDiscoverer } from './file-discoverer.js';
export type { FileDiscovererOptions } from './file-discoverer.js';
export { DiscoveryManager } from './discovery-manager.js';
export type { DiscoveryManagerOptions, NewDiscoverer } from './discovery-manager.js';
export { DnsDiscoverer, DnsLabel, joinHostPort } from './dns-discoverer.js';
export type { DnsDiscovererOptions } from './dns-discoverer.js';
export { KubernetesDiscoverer, clientFromConfig } from './kubernetes-discoverer.js';
export type { KubernetesDiscovererOptions } from './kubernetes-discoverer.js';
export { KubeClient, GoneError } from './kubernetes-client.js';
export type { KubeClientOptions, WatchEvent } from './kubernetes-client.js';
export { buildPod, buildService, buildEndpoints, buildEndpointSlice, buildNode, buildIngress, sanitizeLabelName } from './kubernetes-targets.js';
export type { KubeLookups } from './kubernetes-targets.js';
export type { KubePod, KubeService, KubeEndpoints, KubeEndpointSlice, KubeNode, KubeIngress, KubeObject } from './kubernetes-objects.js';
export { ConsulDiscoverer, consulAggregatedStatus } from './consul-discoverer.js';
export type { ConsulDiscovererOptions } from './consul-discoverer.js';
export { createDiscoverer } from './create-discoverer.js';
