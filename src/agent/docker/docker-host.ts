/**
 * Where the Docker Engine API listens, from `DOCKER_HOST` the way the docker CLI reads it.
 * @module
 */
import { join } from 'node:path';
import { DockerHostError } from './errors.js';

/** DEFAULT_DOCKER_HOST is the engine's default socket. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** DockerTls names the PEM files of a TLS-protected TCP endpoint (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`). */
export interface DockerTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** DockerEndpoint is a parsed `DOCKER_HOST`: a unix socket, or TCP with optional TLS. */
export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: DockerTls | undefined };

/**
 * parseDockerHost parses a `DOCKER_HOST` value (`unix:///path`, `tcp://host:port`,
 * `http://…`, `https://…`); an empty value means the default socket. `env` supplies
 * `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` for TCP endpoints.
 */
export function parseDockerHost(value: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): DockerEndpoint {
  const v = value === undefined || value === '' ? DEFAULT_DOCKER_HOST : value;
  const sep = v.indexOf('://');
  if (sep < 0) {
    // The docker CLI accepts a bare absolute path as a socket too.
    if (v.startsWith('/')) return { kind: 'unix', socketPath: v };
    throw new DockerHostError(v, 'want unix:///path or tcp://host:port');
  }
  const scheme = v.slice(0, sep);
  const rest = v.slice(sep + 3);
  switch (scheme) {
    case 'unix': {
      if (!rest.startsWith('/')) throw new DockerHostError(v, 'unix socket path must be absolute');
      return { kind: 'unix', socketPath: rest };
    }
    case 'tcp':
    case 'http':
    case 'https': {
      const hostPort = rest.replace(/\/.*$/, '');
      const tlsWanted = scheme === 'https' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0');
      const { host, port } = splitHostPort(v, hostPort, tlsWanted ? 2376 : 2375);
      let tls: DockerTls | undefined;
      if (tlsWanted) {
        const dir = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '/root', '.docker');
        tls = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
      }
      return { kind: 'tcp', host, port, tls };
    }
    default:
      throw new DockerHostError(v, `unsupported scheme "${scheme}" (want unix, tcp, http or https)`);
  }
}

function splitHostPort(value: string, hp: string, defaultPort: number): { host: string; port: number } {
  if (hp === '') throw new DockerHostError(value, 'missing host');
  let host = hp;
  let portText = '';
  if (hp.startsWith('[')) {
    const end = hp.indexOf(']');
    if (end < 0) throw new DockerHostError(value, 'unterminated IPv6 address');
    host = hp.slice(1, end);
    if (hp.length > end + 1) {
      if (hp[end + 1] !== ':') throw new DockerHostError(value, 'junk after IPv6 address');
      portText = hp.slice(end + 2);
    }
  } else {
    const c = hp.lastIndexOf(':');
    if (c >= 0) {
      host = hp.slice(0, c);
      portText = hp.slice(c + 1);
    }
  }
  if (host === '') host = '127.0.0.1';
  if (portText === '') return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new DockerHostError(value, `invalid port "${portText}"`);
  return { host, port: Number(portText) };
}

/** describeEndpoint renders an endpoint for messages (`unix:///run/docker.sock`, `tcp://h:2375`). */
export function describeEndpoint(e: DockerEndpoint): string {
  return e.kind === 'unix' ? `unix://${e.socketPath}` : `${e.tls !== undefined ? 'https' : 'tcp'}://${e.host}:${e.port}`;
}
