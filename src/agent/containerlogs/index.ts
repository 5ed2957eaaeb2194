/**
 * Container logs: through the Docker Engine API with per-container positions, and from the
 * kubelet's CRI log files on Kubernetes nodes.
 * @module
 */
export { criFileLabels, criLogFiles } from './cri-log-files.js';
export type { CriLogFilesOptions } from './cri-log-files.js';
export { DockerLogSource, containerLabels, sinceText } from './docker-log-source.js';
export type { ContainerLogClient, ContainerLogPosition, DockerLogSourceOptions } from './docker-log-source.js';
export { ContainerLogsOptionError } from './errors.js';
