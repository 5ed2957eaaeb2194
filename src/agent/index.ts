/**
 * The node agent: host metrics (node_exporter's names), container metrics from cgroups
 * (cAdvisor's names), the Docker Engine API client, container events, and the remote-write
 * sender, composed into one service.
 * @module
 */
export { HostCollector, HOST_COLLECTORS, MetricBatch, MetricType, renderText } from './host/index.js';
export type { Collector, FamilyView, HostCollectorConfig, HostPaths } from './host/index.js';
export { CgroupCollector, KmsgOomWatcher, containerOf } from './cgroup/index.js';
export type { CgroupCollectorOptions, ContainerMetadata, FoundContainer, MetadataSource, OomCounter, OomEvent } from './cgroup/index.js';
export { ContainerCache, DockerClient, parseDockerHost } from './docker/index.js';
export type { CachedContainer, ContainerLogLine, ContainerDetails, ContainerSummary, DockerClientOptions, DockerEvent, LogsQuery } from './docker/index.js';
export { EventsService } from './events/index.js';
export type { EventEntry, EventSink, EventsServiceOptions } from './events/index.js';
