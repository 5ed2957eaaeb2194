/**
 * Errors of the Docker Engine API client.
 * @module
 */

/** DockerHostError reports a `DOCKER_HOST` value the client cannot use. */
export class DockerHostError extends Error {
  override readonly name = 'DockerHostError';
  constructor(
    readonly value: string,
    readonly detail: string,
  ) {
    super(`DOCKER_HOST "${value}": ${detail}`);
  }
}

/**
 * DockerApiError reports an HTTP answer other than 2xx from the engine: `status` is the HTTP
 * status and `message` the engine's own `{"message": …}` text when it sent one.
 */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly engineMessage: string,
  ) {
    super(`docker ${method} ${path}: HTTP ${status}${engineMessage !== '' ? `: ${engineMessage}` : ''}`);
  }
}

/** DockerConnectionError reports that the engine could not be reached or the connection broke. */
export class DockerConnectionError extends Error {
  override readonly name = 'DockerConnectionError';
  constructor(
    readonly endpoint: string,
    readonly path: string,
    /** The operating system's error code (`ENOENT`, `ECONNREFUSED`, …) when known. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`docker ${endpoint}${path}: ${code ?? 'connection failed'}${options?.cause instanceof Error ? `: ${options.cause.message}` : ''}`, options);
  }
}

/**
 * DockerStreamError reports bytes in a streamed answer (events, logs) that do not follow the
 * engine's framing; `offset` counts bytes from the start of the stream.
 */
export class DockerStreamError extends Error {
  override readonly name = 'DockerStreamError';
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`docker ${path}: bad stream at byte ${offset}: ${detail}`, options);
  }
}
