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
// Log side (engineer K): shipper with disk queue, journald, file tailing, container logs, and their composition.
export { LogForwarder } from './log-forwarder.js';
export type { LogForwarderOptions } from './log-forwarder.js';
export { DeliveryError, DiskQueue, HttpTransport, MemorySink, ParsedStreams, ShipOptionError, ShipStream, Shipper, StateFile } from './ship/index.js';
export type { LogSink, ShipperOptions, SunkEntry, TlsClientOptions } from './ship/index.js';
export { JournalFollower, JournaldOptionError } from './journald/index.js';
export type { JournalFollowerOptions, JournalPosition } from './journald/index.js';
export { FileTailer, Glob, GlobError, TailOptionError } from './tail/index.js';
export type { FilePosition, FileTailerOptions } from './tail/index.js';
export { ContainerLogsOptionError, DockerLogSource, criFileLabels, criLogFiles } from './containerlogs/index.js';
export type { ContainerLogClient, ContainerLogPosition, CriLogFilesOptions, DockerLogSourceOptions } from './containerlogs/index.js';
export { RemoteWriteSender, WriteRequestEncoder, RemoteWriteError } from './remote-write/index.js';
export type { RemoteWriteSenderOptions, EncodedRequest } from './remote-write/index.js';
export { Agent, addExposition, appendBatch } from './agent.js';
export type { AgentOptions, AgentService, CgroupOptions, DockerOptions, RemoteWriteOptions } from './agent-options.js';
