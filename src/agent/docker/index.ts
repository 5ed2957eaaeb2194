/**
 * Docker Engine API client (unix socket or TCP, Docker and podman): container list and
 * inspect, the events stream, container logs as lines.
 * @module
 */
export { DockerClient } from './docker-client.js';
export type { DockerClientOptions, EventsQuery, ListQuery, LogsQuery } from './docker-client.js';
export { DEFAULT_DOCKER_HOST, describeEndpoint, parseDockerHost } from './docker-host.js';
export type { DockerEndpoint, DockerTls } from './docker-host.js';
export { parseDockerEvent, splitNanos } from './docker-event.js';
export type { DockerEvent } from './docker-event.js';
export { parseContainerDetails, parseContainerSummary, parseTime } from './container-info.js';
export type { ContainerDetails, ContainerSummary } from './container-info.js';
export { LogDecoder, parseRfc3339Nano } from './log-decoder.js';
export type { ContainerLogLine, LogDecoderOptions } from './log-decoder.js';
export { JsonObjectSplitter } from './json-stream.js';
export { ContainerCache } from './container-cache.js';
export type { CachedContainer, ContainerCacheOptions } from './container-cache.js';
export { DockerApiError, DockerConnectionError, DockerHostError, DockerStreamError } from './errors.js';
